package dev.winnow.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.Sampler;
import dev.winnow.runtime.SamplerOptions;
import dev.winnow.runtime.TensorSelector;
import dev.winnow.runtime.TestModels;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GenerationTest {
    static final String CONTINUATION =
            ", there was a little girl named Lily. She loved to play outside in the park. One day,";
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

    /** The plain loop: argmax of the last logits, decode, repeat. */
    static int[] manualGreedy(Context c, int[] prompt, int n) {
        int[] out = new int[n];
        try (Batch b = Batch.allocate(64, 1)) {
            c.kvCache().clear(true);
            b.addSequence(prompt, 0, 0, true);
            c.decode(b);
            for (int i = 0; i < n; i++) {
                out[i] = c.argmax(-1);
                b.clear();
                b.add(out[i], prompt.length + i, 0, true);
                c.decode(b);
            }
        }
        return out;
    }

    @Test
    void streamingEqualsNonStreamingTokenForToken() {
        try (Context c = context()) {
            int[] prompt = model.vocabulary().tokenize("Once upon a time");
            int[] want = manualGreedy(c, prompt, 30);
            List<String> pieces = new ArrayList<>();
            try (Generation g = Generation.start(c, prompt, GenerationOptions.greedy(30))) {
                String text = g.run(pieces::add);
                assertArrayEquals(want, g.tokens());
                assertEquals(CONTINUATION, text);
                assertEquals(text, String.join("", pieces));
                assertEquals(FinishReason.MAX_TOKENS, g.finishReason());
            }
            try (Generation g = Generation.start(c, "Once upon a time", GenerationOptions.greedy(30))) {
                assertEquals(CONTINUATION, g.stream().collect(Collectors.joining()));
            }
        }
    }

    @Test
    void oneModelServesContextsOnSeveralThreadsAtOnce() throws Exception {
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(3)) {
            List<java.util.concurrent.Future<String>> runs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                runs.add(pool.submit(() -> {
                    try (Context c = context();
                            Generation g = Generation.start(c, "Once upon a time", GenerationOptions.greedy(30))) {
                        return g.run(s -> {});
                    }
                }));
            }
            for (var r : runs) {
                assertEquals(CONTINUATION, r.get(120, TimeUnit.SECONDS));
            }
        }
    }

    @Test
    void stopStringEndsBeforeIt() {
        try (Context c = context();
                Generation g = Generation.start(
                        c, "Once upon a time", GenerationOptions.greedy(30).withStopStrings(List.of("Lily", "zzz")))) {
            assertEquals(", there was a little girl named ", g.run(s -> {}));
            assertEquals(FinishReason.STOP_STRING, g.finishReason());
        }
    }

    @Test
    void cancelFromAnotherThreadStopsTheGeneration() throws Exception {
        try (Context c = context();
                Generation g = Generation.start(c, "Once upon a time", GenerationOptions.greedy(100))) {
            CountDownLatch firstPiece = new CountDownLatch(1);
            CountDownLatch cancelled = new CountDownLatch(1);
            Thread canceller = Thread.ofPlatform().start(() -> {
                try {
                    firstPiece.await();
                    g.cancellation().cancel("test");
                    cancelled.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            String text = g.run(piece -> {
                firstPiece.countDown();
                try {
                    assertTrue(cancelled.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            canceller.join();
            assertEquals(FinishReason.CANCELLED, g.finishReason());
            assertEquals(1, g.tokens().length);
            assertEquals(",", text);
        }
    }

    @Test
    void cancelAbortsADecodeInProgressThroughTheAbortCallback() {
        try (Context c = model.newContext(
                ContextOptions.defaults().withContextSize(256).withThreads(1).withTaps(true))) {
            Generation[] gen = new Generation[1];
            // the listener runs in the middle of the prompt's graph; the abort check then stops llama_decode (code 2)
            c.taps()
                    .tap(
                            TensorSelector.name("l_out-1"),
                            v -> gen[0].cancellation().cancel("test"));
            try (Generation g = Generation.start(c, "Once upon a time", GenerationOptions.greedy(10))) {
                gen[0] = g;
                assertEquals("", g.run(s -> {}));
                assertEquals(FinishReason.CANCELLED, g.finishReason());
                assertEquals(0, g.tokens().length);
            }
        }
    }

    @Test
    void grammarConstrainsTheOutputAndABadGrammarIsAnException() {
        try (Context c = context();
                Generation g = Generation.start(
                        c,
                        "Once upon a time",
                        GenerationOptions.greedy(12)
                                .withSampling(SamplerOptions.greedy()
                                        .withGrammar("root ::= \" the \" [a-z]+ \".\"", "root")))) {
            String text = g.run(s -> {});
            assertTrue(text.matches(" the [a-z]+\\.?"), text);
            assertNotEquals(CONTINUATION.substring(0, 5), text.substring(0, Math.min(5, text.length())));
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new Sampler(model, SamplerOptions.greedy().withGrammar("root ::= ( \"a\"", "root")));
        assertTrue(e.getMessage().contains("GBNF grammar does not parse"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new Sampler(model, SamplerOptions.greedy().withGrammar("root ::= \"a\"", "start")));
    }

    @Test
    void logitBiasForbidsTheGreedyChoice() {
        int comma;
        try (Context c = context()) {
            comma = manualGreedy(c, model.vocabulary().tokenize("Once upon a time"), 1)[0];
            assertEquals(",", model.vocabulary().text(comma));
        }
        try (Context c = context();
                Generation g = Generation.start(
                        c,
                        "Once upon a time",
                        GenerationOptions.greedy(5)
                                .withSampling(SamplerOptions.greedy()
                                        .withLogitBias(Map.of(comma, Float.NEGATIVE_INFINITY))))) {
            String text = g.run(s -> {});
            assertTrue(!text.startsWith(","), text);
            assertTrue(!text.isEmpty());
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> new Sampler(model, SamplerOptions.greedy().withLogitBias(Map.of(600, 1f))));
    }

    @Test
    void seededSamplingIsReproducibleAndSeedsDiffer() {
        try (Context c = context()) {
            Set<String> outputs = new HashSet<>();
            String first = null;
            for (int seed = 0; seed < 4; seed++) {
                try (Generation g = Generation.start(
                        c,
                        "Once upon a time",
                        GenerationOptions.greedy(20).withSampling(SamplerOptions.sampling(1.0f, seed)))) {
                    String t = g.run(s -> {});
                    outputs.add(t);
                    if (seed == 0) {
                        first = t;
                    }
                }
            }
            try (Generation g = Generation.start(
                    c,
                    "Once upon a time",
                    GenerationOptions.greedy(20).withSampling(SamplerOptions.sampling(1.0f, 0)))) {
                assertEquals(first, g.run(s -> {}));
            }
            assertTrue(outputs.size() >= 2, "four seeds gave one text: " + outputs);
        }
    }

    @Test
    void repetitionPenaltyChangesGreedyOutput() {
        try (Context c = context();
                Generation g = Generation.start(
                        c,
                        "Once upon a time",
                        GenerationOptions.greedy(30)
                                .withSampling(SamplerOptions.greedy().withPenalties(1.8f, 0.5f, 0.5f, 64)))) {
            assertNotEquals(CONTINUATION, g.run(s -> {}));
        }
    }

    @Test
    void optionsAreValidated() {
        assertThrows(
                IllegalArgumentException.class, () -> SamplerOptions.greedy().withTemperature(-1));
        assertThrows(
                IllegalArgumentException.class, () -> SamplerOptions.greedy().withTruncation(0, 1.5f, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.greedy(-1));
        try (Context c = context()) {
            assertThrows(
                    IllegalArgumentException.class, () -> Generation.start(c, new int[0], GenerationOptions.greedy(1)));
        }
    }
}
