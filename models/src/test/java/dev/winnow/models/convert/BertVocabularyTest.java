package dev.winnow.models.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.winnow.models.EmbeddingJars;
import dev.winnow.models.tokenizer.WordPieceTokenizer;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class BertVocabularyTest {
    @Test
    void phantomSpaceConvention() throws Exception {
        WordPieceTokenizer tok;
        try (InputStream in = EmbeddingJars.open(EmbeddingJars.MINILM_TOKENIZER)) {
            tok = WordPieceTokenizer.read(in, "minilm");
        }
        BertVocabulary v = BertVocabulary.of(tok);
        assertEquals(30522, v.tokens().size());
        // control tokens unchanged
        for (int id : new int[] {0, 100, 101, 102, 103}) {
            assertEquals(tok.token(id), v.tokens().get(id));
            assertEquals(BertVocabulary.CONTROL, v.types()[id]);
        }
        assertEquals("[CLS]", v.tokens().get(101));
        // word-initial pieces get U+2581, continuations lose ##
        assertEquals("\u2581this", v.tokens().get(2023));
        int ization = find(tok, "##ization");
        assertEquals("ization", v.tokens().get(ization));
        assertEquals(BertVocabulary.NORMAL, v.types()[ization]);
        // [unusedN] is an ordinary vocabulary entry, not an added token
        assertEquals("\u2581[unused0]", v.tokens().get(1));
        assertEquals(BertVocabulary.NORMAL, v.types()[1]);
        assertEquals("\u2581!", v.tokens().get(999));
    }

    static int find(WordPieceTokenizer tok, String t) {
        for (int i = 0; i < tok.vocabularySize(); i++) {
            if (tok.token(i).equals(t)) {
                return i;
            }
        }
        throw new AssertionError(t);
    }
}
