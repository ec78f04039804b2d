package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Activation taps, interventions and early exit through cb_eval, on stories260K. */
class TapsTest {
    static Model model;
    static int[] seqA;
    static int[] seqB;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(TestModels.stories260K());
        seqA = model.vocabulary().tokenize("Once upon a time there was a dog");
        seqB = model.vocabulary().tokenize("The cat sat");
    }

    @AfterAll
    static void free() {
        model.close();
    }

    static Context tapped() {
        return model.newContext(ContextOptions.defaults()
                .withContextSize(256)
                .withMaxSequences(2)
                .withFlashAttention(FlashAttention.DISABLED)
                .withKvTypes(GgmlType.F32, GgmlType.F32)
                .withThreads(1)
                .withTaps(true));
    }

    @Test
    void softMaxRowsSumToOneAndMaskOtherSequencesAndTheFuture() {
        try (Context c = tapped();
                Batch b = Batch.allocate(64, 1)) {
            List<TensorView> seen = new ArrayList<>();
            List<float[]> data = new ArrayList<>();
            List<long[]> shapes = new ArrayList<>();
            c.taps().tap(TensorSelector.name("kq_soft_max-*"), v -> {
                seen.add(v);
                shapes.add(v.shape());
                data.add(v.toFloatArray());
            });
            b.addSequence(seqA, 0, 0, true);
            b.addSequence(seqB, 0, 1, true);
            c.decode(b);
            assertEquals(5, seen.size(), "one kq_soft_max per layer");
            int nA = seqA.length;
            int nTok = nA + seqB.length;
            for (int l = 0; l < 5; l++) {
                assertEquals("kq_soft_max-" + l, seen.get(l).name());
                assertEquals(l, seen.get(l).layer());
                assertEquals("SOFT_MAX", seen.get(l).op());
                long[] ne = shapes.get(l);
                long nKv = ne[0];
                assertTrue(nKv >= nTok, "n_kv " + nKv);
                assertEquals(nTok, ne[1]);
                assertEquals(8, ne[2], "heads");
                float[] p = data.get(l);
                for (int h = 0; h < 8; h++) {
                    for (int row = 0; row < nTok; row++) {
                        double sum = 0;
                        boolean inA = row < nA;
                        int pos = inA ? row : row - nA;
                        for (int cell = 0; cell < nKv; cell++) {
                            float x = p[(int) ((h * nTok + row) * nKv + cell)];
                            sum += x;
                            // a fresh unified cache gives the batch's tokens cells 0.. in batch order
                            boolean cellInA = cell < nA;
                            boolean cellInB = cell >= nA && cell < nTok;
                            int cellPos = cellInA ? cell : cell - nA;
                            boolean visible = (inA ? cellInA : cellInB) && cellPos <= pos;
                            if (visible ? !(x > 0) : x != 0f) {
                                throw new AssertionError((visible ? "visible" : "masked") + " cell " + cell + " of row "
                                        + row + " layer " + l + " head " + h + " has probability " + x);
                            }
                        }
                        assertEquals(1.0, sum, 1e-5, "row " + row + " head " + h + " layer " + l);
                    }
                }
            }
        }
    }

    static float[] decodeLogits(Context c, Batch b) {
        c.kvCache().clear(true);
        b.clear();
        b.addSequence(seqA, 0, 0, true);
        c.decode(b);
        return c.logitsCopy(-1);
    }

    @Test
    void interventionChangesLogitsAndRemovingItRestoresThemExactly() {
        try (Context c = tapped();
                Batch b = Batch.allocate(64, 1)) {
            float[] before = decodeLogits(c, b);
            try (Taps.Subscription s = c.taps().intervene(TensorSelector.name("kq_soft_max-*"), v -> {
                assertTrue(v.writable());
                for (long h = 0; h < v.ne(2); h++) {
                    for (long row = 0; row < v.ne(1); row++) {
                        for (long cell = 0; cell < v.ne(0); cell++) {
                            v.set(cell, row, h, 0, cell == 0 ? 1f : 0f);
                        }
                    }
                }
            })) {
                float[] during = decodeLogits(c, b);
                double maxDiff = 0;
                for (int i = 0; i < before.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(before[i] - during[i]));
                }
                assertTrue(maxDiff > 0.1, "intervention barely changed the logits: " + maxDiff);
            }
            assertArrayEquals(before, decodeLogits(c, b));
        }
    }

    @Test
    void earlyExitAfterLayerTwoGivesTheSameQcurAndNoLogits() {
        TensorSelector q2 = TensorSelector.name("Qcur-2").withOp("ROPE");
        try (Context c = tapped();
                Batch b = Batch.allocate(64, 1)) {
            List<float[]> full = new ArrayList<>();
            Map<String, Integer> opsOfQcur = new TreeMap<>();
            try (var s = c.taps().tap(q2, v -> full.add(v.toFloatArray()));
                    var all = c.taps()
                            .tap(TensorSelector.name("Qcur-2"), v -> opsOfQcur.merge(v.op(), 1, Integer::sum))) {
                decodeLogits(c, b);
            }
            assertEquals(1, full.size());
            assertTrue(
                    opsOfQcur.containsKey("ROPE") && opsOfQcur.size() > 1, "Qcur-2 names several nodes: " + opsOfQcur);
            List<float[]> early = new ArrayList<>();
            List<String> later = new ArrayList<>();
            c.taps().tap(q2, v -> early.add(v.toFloatArray()));
            c.taps().stopAfter(q2);
            c.taps().tap(TensorSelector.name("l_out-*"), v -> later.add(v.name()));
            c.kvCache().clear(true);
            b.clear();
            b.addSequence(seqA, 0, 0, true);
            c.decode(b);
            assertArrayEquals(full.get(0), early.get(0));
            assertEquals(List.of("l_out-0", "l_out-1"), later, "no layer after 2 ran");
            Throwable e = assertThrows(IllegalStateException.class, () -> c.logitsCopy(-1));
            assertTrue(e.getMessage().contains("stopped after tensor 'Qcur-2'"), e.getMessage());
            // ne of post-RoPE Q: [head_dim 8, heads 8, tokens]
            assertEquals(8 * 8 * seqA.length, full.get(0).length);
        }
    }

    @Test
    void listenerExceptionIsRethrownFromDecodeAndTheContextStaysUsable() {
        try (Context c = tapped();
                Batch b = Batch.allocate(64, 1)) {
            Taps.Subscription s = c.taps().tap(TensorSelector.name("ffn_out-1"), v -> {
                throw new IllegalArgumentException("listener failed on " + v.name());
            });
            b.addSequence(seqA, 0, 0, true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.decode(b));
            assertEquals("listener failed on ffn_out-1", e.getMessage());
            s.close();
            assertTrue(c.taps().isEmpty());
            // still usable: the same tokens give the logits of a clean decode, a fresh context of the same settings
            // without taps (with one thread and no tap the graph runs the same kernels in the same order: equal bits)
            float[] l = decodeLogits(c, b);
            try (Context clean = model.newContext(ContextOptions.defaults()
                            .withContextSize(256)
                            .withMaxSequences(2)
                            .withFlashAttention(FlashAttention.DISABLED)
                            .withKvTypes(GgmlType.F32, GgmlType.F32)
                            .withThreads(1));
                    Batch fresh = Batch.allocate(64, 1)) {
                assertArrayEquals(decodeLogits(clean, fresh), l);
            }
        }
    }

    @Test
    void decodeFromInsideAListenerIsRefused() {
        try (Context c = tapped();
                Batch b = Batch.allocate(64, 1);
                Batch inner = Batch.allocate(4, 1)) {
            inner.add(1, 0, 1, true);
            c.taps().tap(TensorSelector.name("l_out-0"), v -> c.decode(inner));
            b.addSequence(seqA, 0, 0, true);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.decode(b));
            assertTrue(e.getMessage().contains("from inside a tap listener"), e.getMessage());
        }
    }

    @Test
    void tapsNeedTheOption() {
        try (Context c = model.newContext(ContextOptions.defaults().withContextSize(256))) {
            assertThrows(IllegalStateException.class, c::taps);
        }
        assertEquals(12, Taps.layerOf("Qcur-12 (view)"));
        assertEquals(-1, Taps.layerOf("result_output"));
        assertFalse(TensorSelector.name("Qcur-1").pattern().matcher("Qcur-12").matches());
        assertTrue(TensorSelector.name("kq_soft_max-*")
                .pattern()
                .matcher("kq_soft_max-3")
                .matches());
    }
}
