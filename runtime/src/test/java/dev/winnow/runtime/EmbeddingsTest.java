package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.Pooling;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-token and pooled embeddings of stories260K: pooled MEAN, CLS and LAST must equal the mean, the first and the
 * last of the per-token embeddings a pooling-NONE context gives for the same tokens.
 */
class EmbeddingsTest {
    static Model model;
    static int[] tokens;
    static int[] tokens2;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(TestModels.stories260K());
        tokens = model.vocabulary().tokenize("Once upon a time there was a dog");
        tokens2 = model.vocabulary().tokenize("The cat sat on the mat");
    }

    @AfterAll
    static void free() {
        model.close();
    }

    static Context embeddingContext(Pooling pooling) {
        return model.newContext(ContextOptions.defaults()
                .withContextSize(256)
                .withMaxSequences(2)
                .withThreads(1)
                .withKvTypes(GgmlType.F32, GgmlType.F32)
                .withFlashAttention(FlashAttention.DISABLED)
                .withEmbeddings(true, pooling));
    }

    static float[][] perToken(int[] toks) {
        try (Context c = embeddingContext(Pooling.NONE);
                Batch b = Batch.allocate(64, 1)) {
            for (int i = 0; i < toks.length; i++) {
                b.add(toks[i], i, 0, true);
            }
            c.decode(b);
            float[][] out = new float[toks.length][];
            for (int i = 0; i < toks.length; i++) {
                out[i] = c.embeddingCopy(i, false);
                assertEquals(64, out[i].length);
            }
            return out;
        }
    }

    static float[] pooled(Pooling p, int seq) {
        try (Context c = embeddingContext(p);
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(tokens, 0, 0, true);
            b.addSequence(tokens2, 0, 1, true);
            c.decode(b);
            assertEquals(p, c.pooling());
            return c.sequenceEmbeddingCopy(seq, false);
        }
    }

    @Test
    void pooledEmbeddingsMatchTheReferenceOverPerTokenEmbeddings() {
        float[][] e = perToken(tokens);
        float[][] e2 = perToken(tokens2);
        float[] mean = new float[64];
        for (float[] row : e) {
            for (int d = 0; d < 64; d++) {
                mean[d] += row[d] / e.length;
            }
        }
        assertClose(mean, pooled(Pooling.MEAN, 0), 1e-4f);
        assertClose(e[0], pooled(Pooling.CLS, 0), 1e-4f);
        assertClose(e[e.length - 1], pooled(Pooling.LAST, 0), 1e-4f);
        assertClose(e2[e2.length - 1], pooled(Pooling.LAST, 1), 1e-4f);
    }

    @Test
    void normalisedEmbeddingsHaveUnitNorm() {
        try (Context c = embeddingContext(Pooling.MEAN);
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(tokens, 0, 0, true);
            c.decode(b);
            float[] raw = c.sequenceEmbeddingCopy(0, false);
            float[] unit = c.sequenceEmbeddingCopy(0, true);
            double n = 0;
            double rawNorm = 0;
            for (int i = 0; i < unit.length; i++) {
                n += unit[i] * unit[i];
                rawNorm += raw[i] * raw[i];
            }
            assertEquals(1.0, n, 1e-5);
            assertEquals(raw[3] / Math.sqrt(rawNorm), unit[3], 1e-5);
            assertTrue(c.sequenceEmbeddings(0).isReadOnly());
        }
    }

    @Test
    void wrongEmbeddingRequestsNameTheProblem() {
        try (Context c = embeddingContext(Pooling.MEAN);
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(tokens, 0, 0, true);
            c.decode(b);
            Throwable e = assertThrows(IllegalStateException.class, () -> c.embeddings(0));
            assertTrue(e.getMessage().contains("pools embeddings (MEAN)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> c.sequenceEmbeddings(1));
            assertTrue(e.getMessage().contains("sequence 1 was not in the last batch"), e.getMessage());
        }
        try (Context c = embeddingContext(Pooling.NONE);
                Batch b = Batch.allocate(64, 1)) {
            b.addSequence(tokens, 0, 0, true);
            c.decode(b);
            Throwable e = assertThrows(IllegalStateException.class, () -> c.sequenceEmbeddings(0));
            assertTrue(e.getMessage().contains("pooling is NONE"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> c.encode(b));
            assertTrue(e.getMessage().contains("is a causal decoder without an encoder"), e.getMessage());
        }
    }

    static void assertClose(float[] want, float[] got, float tol) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol, "dimension " + i);
        }
    }
}
