package dev.winnow.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.NoAcceptableTokenException;
import dev.winnow.runtime.Sampler;
import dev.winnow.runtime.SamplerOptions;
import dev.winnow.runtime.TestModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Grammars that llama.cpp cannot satisfy (issue 16, item 4), on the real stories260K: a grammar no token can start is
 * refused when the sampler is built (llama.cpp would throw "Unexpected empty grammar stack" from C++ and abort the
 * JVM); a grammar whose next character no token spells, or whose end is reached with end-of-generation forbidden,
 * ends the generation with {@link FinishReason#NO_ACCEPTABLE_TOKEN} after the text it did accept; text with a NUL
 * character for llama.cpp (grammar, grammar root, chat template, chat messages) is refused naming the parameter.
 */
class GrammarSafetyTest {
    static Model model;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(TestModels.stories260K());
    }

    @AfterAll
    static void free() {
        model.close();
    }

    static Context context() {
        return model.newContext(ContextOptions.defaults().withContextSize(256).withThreads(1));
    }

    static GenerationOptions grammar(String gbnf, int maxTokens) {
        return GenerationOptions.greedy(maxTokens)
                .withSampling(SamplerOptions.greedy().withGrammar(gbnf, "root"));
    }

    @Test
    void aGrammarNoTokenCanStartIsRefusedBeforeSampling() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new Sampler(model, SamplerOptions.greedy().withGrammar("root ::= [\\x00]", "root")));
        assertTrue(
                e.getMessage()
                        .contains("accepts no token of model stories260K.gguf's vocabulary (512 tokens) as its"
                                + " first token"),
                e.getMessage());
        try (Context c = context()) {
            IllegalArgumentException g = assertThrows(
                    IllegalArgumentException.class,
                    () -> Generation.start(c, "Once upon a time", grammar("root ::= [\\x00] \"a\"", 5)));
            assertTrue(g.getMessage().contains("as its first token"), g.getMessage());
            // the context is still usable afterwards
            try (Generation ok = Generation.start(c, "Once upon a time", GenerationOptions.greedy(3))) {
                ok.run(s -> {});
                assertEquals(3, ok.tokens().length);
            }
        }
    }

    @Test
    void runningOutOfAcceptableTokensEndsTheGenerationCleanly() {
        try (Context c = context()) {
            // " the" can be produced, then the grammar needs a NUL character, which no token spells
            try (Generation g = Generation.start(c, "Once upon a time", grammar("root ::= \" the\" [\\x00]", 20))) {
                String text = g.run(s -> {});
                assertEquals(" the", text);
                assertEquals(FinishReason.NO_ACCEPTABLE_TOKEN, g.finishReason());
            }
            // the grammar's end is reached and the logit bias forbids end-of-generation: nothing is acceptable
            int eos = model.vocabulary().eos();
            SamplerOptions noEos = SamplerOptions.greedy()
                    .withGrammar("root ::= \" the end\"", "root")
                    .withLogitBias(Map.of(eos, Float.NEGATIVE_INFINITY));
            try (Generation g = Generation.start(
                    c, "Once upon a time", GenerationOptions.greedy(20).withSampling(noEos))) {
                assertEquals(" the end", g.run(s -> {}));
                assertEquals(FinishReason.NO_ACCEPTABLE_TOKEN, g.finishReason());
            }
            // with end-of-generation allowed, a finished grammar ends on EOS as usual
            try (Generation g = Generation.start(c, "Once upon a time", grammar("root ::= \" the end\"", 20))) {
                assertEquals(" the end", g.run(s -> {}));
                assertEquals(FinishReason.END_OF_GENERATION, g.finishReason());
            }
        }
    }

    @Test
    void sampleThrowsWithoutAcceptingWhenNothingIsAcceptable() {
        try (Context c = context();
                Sampler s = new Sampler(
                        model,
                        SamplerOptions.greedy()
                                .withGrammar("root ::= \"x\"", "root")
                                .withLogitBias(Map.of(model.vocabulary().eos(), Float.NEGATIVE_INFINITY)));
                dev.winnow.runtime.Batch b = dev.winnow.runtime.Batch.allocate(64, 1)) {
            int[] prompt = model.vocabulary().tokenize("Once upon a time");
            b.addSequence(prompt, 0, 0, true);
            c.decode(b);
            int x = s.sample(c, -1);
            assertEquals("x", new String(model.vocabulary().piece(x, false)));
            b.clear();
            b.add(x, prompt.length, 0, true);
            c.decode(b);
            NoAcceptableTokenException e = assertThrows(NoAcceptableTokenException.class, () -> s.sample(c, -1));
            assertTrue(e.getMessage().contains("the grammar accepts no further token"), e.getMessage());
            // asked again: still refused, nothing was accepted into the grammar (llama.cpp would have aborted)
            assertThrows(NoAcceptableTokenException.class, () -> s.sample(c, -1));
        }
    }

    @Test
    void aNulInTextForLlamaCppIsAnErrorNamingTheParameter() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> SamplerOptions.greedy().withGrammar("root ::= \"a\"\0 | \"b\"", "root"));
        assertTrue(e.getMessage().startsWith("grammar contains a NUL character (U+0000) at index 12"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> SamplerOptions.greedy().withGrammar("root ::= \"a\"", "ro\0ot"));
        assertTrue(e.getMessage().startsWith("grammar root contains a NUL character"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.named("chatml\0llama3"));
        assertTrue(
                e.getMessage().startsWith("chat template name contains a NUL character (U+0000) at index 6"),
                e.getMessage());
        ChatTemplate chatml = ChatTemplate.named("chatml");
        e = assertThrows(
                IllegalArgumentException.class,
                () -> chatml.apply(List.of(new ChatMessage("user", "hi"), new ChatMessage("user", "a\0b")), true));
        assertTrue(e.getMessage().startsWith("content of chat message 1 contains a NUL character"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> chatml.apply(List.of(new ChatMessage("us\0er", "hi")), true));
        assertTrue(e.getMessage().startsWith("role of chat message 0 contains a NUL character"), e.getMessage());
        // a prompt goes to llama_tokenize with its length: a NUL is kept, not a cut (the text after it is tokenized)
        int[] withNul = model.vocabulary().tokenize("Once\0 upon a time", false, false);
        int[] before = model.vocabulary().tokenize("Once", false, false);
        assertTrue(withNul.length > before.length + 2, "text after the NUL was dropped: " + withNul.length);
    }
}
