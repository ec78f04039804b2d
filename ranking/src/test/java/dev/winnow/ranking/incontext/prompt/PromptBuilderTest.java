package dev.winnow.ranking.incontext.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Prompt layout with the real stories260K tokenizer (llama.cpp's SentencePiece vocabulary of 512 tokens). */
class PromptBuilderTest {

    private static Model model;
    private static ModelTokenizer tokenizer;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(Fixtures.stories260K());
        tokenizer = new ModelTokenizer(model.vocabulary());
    }

    @AfterAll
    static void unload() {
        model.close();
    }

    private static String text(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            sb.append(tokenizer.piece(t));
        }
        return sb.toString();
    }

    @Test
    void blocksHoldTheBlockRankTextAndTheSignalTokenComesLast() {
        PromptBuilder b = new PromptBuilder(tokenizer, PromptFamily.PLAIN, PromptWording.DEFAULT, 384, 64);
        List<Candidate> docs = Fixtures.stories(3);
        PromptLayout layout = b.blockRank("Where did Lily play?", docs);
        assertEquals(model.vocabulary().bos(), layout.instruction().tokens()[0], "instruction starts with BOS");
        assertTrue(text(layout.instruction().tokens()).contains("Query: Where did Lily play?"));
        assertTrue(text(layout.instruction().tokens()).strip().endsWith("Documents:"));
        String doc2 = text(layout.documents().get(1).tokens()).strip();
        assertEquals("ID: 2 | CONTENT: " + docs.get(1).content() + " | END ID: 2", doc2);
        int[] q = layout.query().tokens();
        assertTrue(tokenizer.piece(q[q.length - 1]).contains("["), "signal token");
        assertTrue(text(q).contains("Which document is the most relevant"));
        assertEquals(layout.instruction().length() + layout.documentTokens() + q.length, layout.causalTokens().length);
        assertEquals(0, layout.truncatedDocuments());
    }

    @Test
    void contentIsCutToTheBudgetAndTheCutIsReported() {
        PromptBuilder b = new PromptBuilder(tokenizer, PromptFamily.PLAIN, PromptWording.DEFAULT, 10, 4);
        Candidate longDoc = Candidate.of("x", "", Fixtures.stories(1).getFirst().text());
        PromptLayout layout = b.blockRank("the little girl played in the park all day", List.of(longDoc));
        PromptLayout.Block d = layout.documents().getFirst();
        assertTrue(d.truncated());
        assertEquals(10, d.contentTokens());
        assertTrue(layout.query().truncated());
        assertEquals(1, layout.truncatedDocuments());
        assertTrue(b.truncates(longDoc));
        String kept = text(tokenizer.tokenize(longDoc.text(), false)).substring(0, 20);
        assertTrue(text(d.tokens()).contains(kept.strip().substring(0, 10)), text(d.tokens()));
        // the block is at most the framing plus the budget and a token at the cut
        int framing = tokenizer.tokenize("ID: 1 | CONTENT:  | END ID: 1\n", false).length;
        assertTrue(d.length() <= framing + 10 + 1, d.length() + " tokens");
        assertFalse(
                new PromptBuilder(tokenizer, PromptFamily.PLAIN, PromptWording.DEFAULT, 1000, 64).truncates(longDoc));
    }

    @Test
    void chatFamiliesAreRecognisedFromTheTemplate() {
        assertEquals(PromptFamily.PLAIN, PromptFamily.detect(null));
        assertEquals(PromptFamily.CHATML, PromptFamily.detect("{% for m in messages %}<|im_start|>{{ m.role }}"));
        assertEquals(PromptFamily.LLAMA3, PromptFamily.detect("<|start_header_id|>{{ role }}<|end_header_id|>"));
        assertEquals(PromptFamily.MISTRAL, PromptFamily.detect("{{ bos_token }}[INST] {{ content }} [/INST]"));
        assertEquals(PromptFamily.GEMMA, PromptFamily.detect("<start_of_turn>user"));
        // template text is parsed for special tokens, content is not: documents cannot inject control tokens
        PromptBuilder b = new PromptBuilder(tokenizer, PromptFamily.PLAIN, PromptWording.DEFAULT, 384, 64);
        int[] withMarkup = b.blockRank("q", List.of(Candidate.of("a", "", "<s> hello")))
                .documents()
                .getFirst()
                .tokens();
        for (int t : withMarkup) {
            assertFalse(t == model.vocabulary().bos(), "BOS injected from document text");
        }
        assertThrows(IllegalArgumentException.class, () -> b.blockRank(" ", List.of(Candidate.of("a", "", "x"))));
        assertThrows(IllegalArgumentException.class, () -> new PromptWording("t", "q", "Answer:", false));
        int[] pointwise = b.pointwise("q", Candidate.of("a", "T", "body"), "Relevant?");
        assertArrayEquals(new int[] {model.vocabulary().bos()}, new int[] {pointwise[0]});
    }
}
