package dev.winnow.runtime.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.ProgressListener;
import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.download.HttpDownloader;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.maven.MavenArtifactResolver;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.TensorSelector;
import dev.winnow.runtime.generate.Generation;
import dev.winnow.runtime.generate.GenerationOptions;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encoder-only embedding model (all-MiniLM-L6-v2, converted from its Maven jar as {@code models convert-onnx}
 * does) in a context created without embeddings (issue 16, item 7): llama.cpp computes no logits for it and used to
 * leave an all-zero logits row ({@code generate} returned ""). A decode or encode is refused naming the model and the
 * fix, a generation is refused, reading logits is refused; with taps (an analysis of the graph's tensors) the decode
 * runs but the logits are still refused; with embeddings on, the same input gives a finite unit-length vector.
 */
class EncoderWithoutEmbeddingsTest {
    @TempDir
    static Path home;

    static Model model;
    static int[] tokens;

    @BeforeAll
    static void load() throws Exception {
        EmbeddingModelSpec spec = EmbeddingModelSpec.MINILM;
        Path jar = OnnxOracleTest.jarOf(spec.tokenizerEntry());
        Path repo = jar;
        for (int i = 0; i < Path.of(spec.artifact().jarPath()).getNameCount(); i++) {
            repo = repo.getParent();
        }
        EmbeddingModels models = new EmbeddingModels(
                new MavenArtifactResolver(
                        repo,
                        home.resolve("maven"),
                        URI.create("http://127.0.0.1:9/"),
                        new HttpDownloader(ProgressListener.NONE)),
                home.resolve("models"));
        model = Llama.load().loadModel(models.ensure(spec.shortName()));
        tokens = model.vocabulary().tokenize("a cat sat on the mat", true, false);
    }

    @AfterAll
    static void free() {
        model.close();
    }

    static ContextOptions plain() {
        return ContextOptions.defaults()
                .withContextSize(128)
                .withBatchSize(128)
                .withUbatchSize(128)
                .withThreads(1);
    }

    static Batch batch() {
        Batch b = Batch.allocate(128, 1);
        for (int i = 0; i < tokens.length; i++) {
            b.add(tokens[i], i, 0, true);
        }
        return b;
    }

    @Test
    void aContextLargerThanThePositionTableIsAllowedButEachPositionIsChecked() {
        assertEquals(512, model.positionLimit());
        // a context larger than the table is allowed (it holds texts in turn); a position past the table is refused
        try (Context c = model.newContext(ContextOptions.defaults()
                        .withContextSize(1024)
                        .withBatchSize(1024)
                        .withUbatchSize(1024)
                        .withThreads(1)
                        .withEmbeddings(true, Pooling.MEAN));
                Batch tooLong = Batch.allocate(600, 1)) {
            for (int i = 0; i < 600; i++) {
                tooLong.add(tokens[i % tokens.length], i, 0, i == 599);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.encode(tooLong));
            assertTrue(
                    e.getMessage().contains("batch entry 512: position 512 is past the 512 positions of model"),
                    e.getMessage());
        }
        // three sequences share n_ctx 1536 (an embedder's batch): allowed, every entry's position is checked instead
        ContextOptions shared = ContextOptions.defaults()
                .withContextSize(1536)
                .withBatchSize(1536)
                .withUbatchSize(1536)
                .withMaxSequences(3)
                .withThreads(1)
                .withEmbeddings(true, Pooling.MEAN);
        try (Context c = model.newContext(shared);
                Batch ok = Batch.allocate(1536, 1);
                Batch past = Batch.allocate(8, 1)) {
            for (int s = 0; s < 3; s++) {
                for (int i = 0; i < tokens.length; i++) {
                    ok.add(tokens[i], i, s, true);
                }
            }
            c.encode(ok);
            assertEquals(384, c.sequenceEmbeddingCopy(2, false).length);
            past.add(tokens[0], 512, 1, true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.encode(past));
            assertTrue(
                    e.getMessage().contains("batch entry 0: position 512 is past the 512 positions of model"),
                    e.getMessage());
        }
    }

    @Test
    void decodeEncodeGenerateAndLogitsAreRefusedNamingTheModel() {
        assertEquals("bert", model.architecture());
        try (Context c = model.newContext(plain());
                Batch b = batch()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.decode(b));
            assertTrue(
                    e.getMessage()
                            .startsWith("model all-minilm-l6-v2.gguf (bert) is an embedding model without a"
                                    + " language-model head: it computes no logits"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("ContextOptions.withEmbeddings(true, pooling)"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> c.encode(b));
            assertTrue(e.getMessage().contains("computes no logits"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> c.logitsCopy(-1));
            assertTrue(e.getMessage().contains("there are no logits to read"), e.getMessage());
            try (Generation g = Generation.start(c, tokens, GenerationOptions.greedy(5))) {
                e = assertThrows(IllegalStateException.class, g::hasNext);
                assertTrue(e.getMessage().contains("computes no logits"), e.getMessage());
            }
            assertEquals(0, c.evaluatedTokens());
        }
    }

    @Test
    void withTapsTheGraphRunsButThereAreStillNoLogits() {
        try (Context c = model.newContext(plain().withTaps(true));
                Batch b = batch()) {
            AtomicInteger seen = new AtomicInteger();
            c.taps().tap(TensorSelector.name("ffn_out-0"), v -> seen.incrementAndGet());
            c.encode(b);
            assertTrue(seen.get() >= 1, "the tap saw no ffn_out-0");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.argmax(-1));
            assertTrue(e.getMessage().contains("there are no logits to read"), e.getMessage());
        }
    }

    @Test
    void anEncoderWithoutKvCacheTakesRepeatedPositionsButNotOnesThatGoBackOrSkip() {
        try (Context c = model.newContext(plain().withEmbeddings(true, Pooling.NONE));
                Batch b = Batch.allocate(128, 1)) {
            // two documents side by side at the same positions, as EncoderInContextRanker lays them out
            int[] pos = {0, 1, 2, 2, 3, 3};
            for (int i = 0; i < pos.length; i++) {
                b.add(tokens[i], pos[i], 0, true);
            }
            c.encode(b);
            assertEquals(384, c.embeddingCopy(5, false).length);
            b.clear();
            b.add(tokens[0], 0, 0, true);
            b.add(tokens[1], 2, 0, true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.encode(b));
            assertTrue(
                    e.getMessage().contains("sequence 0 has a gap in its positions: 0 (batch entry 0) then 2"),
                    e.getMessage());
            b.clear();
            b.add(tokens[0], 1, 0, true);
            b.add(tokens[1], 0, 0, true);
            e = assertThrows(IllegalArgumentException.class, () -> c.encode(b));
            assertTrue(e.getMessage().contains("sequence 0 goes back from position 1"), e.getMessage());
        }
    }

    @Test
    void withEmbeddingsTheSameInputGivesAFiniteVector() {
        try (Context c = model.newContext(plain().withEmbeddings(true, Pooling.MODEL));
                Batch b = batch()) {
            c.encode(b);
            float[] v = c.sequenceEmbeddingCopy(0, false);
            assertEquals(384, v.length);
            double norm = 0;
            for (float x : v) {
                assertTrue(Float.isFinite(x));
                norm += (double) x * x;
            }
            assertTrue(norm > 1e-3, "all-zero embedding");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.logitsCopy(-1));
            assertTrue(e.getMessage().contains("there are no logits to read"), e.getMessage());
        }
    }
}
