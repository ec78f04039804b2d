package dev.winnow.runtime.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MobaGateTest {

    @Test
    void topKOverAllBlocksEqualsCausalDense() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(21);
            // prefill (aligned blocks) and a query block at the end of a longer KV (unaligned blocks)
            int[][] shapes = {{150, 150, 32}, {40, 203, 16}};
            for (int[] sh : shapes) {
                int nq = sh[0], nkv = sh[1], b = sh[2];
                AttentionInputs in = AttentionInputs.of(
                        ReferenceAttention.random(arena, rnd, ElementType.F32, nq, 8, 64, 1f, false),
                        ReferenceAttention.random(arena, rnd, ElementType.F16, nkv, 4, 64, 1f, false),
                        ReferenceAttention.random(arena, rnd, ElementType.F16, nkv, 4, 64, 1f, false));
                AttentionMask causal = AttentionMask.causal(nq, nkv);
                AttentionTensor moba = AttentionTensor.allocate(arena, ElementType.F32, nq, 8, 64);
                AttentionTensor dense = AttentionTensor.allocate(arena, ElementType.F32, nq, 8, 64);
                BlockMask used = new MobaGate(b, (nkv + b - 1) / b, null).attend(in, causal, moba);
                assertEquals(causal.toBlockMask(b).keptCount() * 8, used.keptCount(), "every visible block is kept");
                Attention.dense(in, causal, dense);
                for (int i = 0; i < nq; i++) {
                    for (int h = 0; h < 8; h++) {
                        for (int c = 0; c < 64; c++) {
                            assertEquals(dense.get(i, h, c), moba.get(i, h, c), 1e-5f);
                        }
                    }
                }
            }
        }
    }

    @Test
    void selectsTheTopKPastBlocksByMeanPooledAffinityPlusTheOwnBlock() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(22);
            int n = 300, b = 32, heads = 4, kvHeads = 2, d = 32, topK = 3;
            AttentionInputs in = AttentionInputs.of(
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, heads, d, 1f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, kvHeads, d, 1f, true),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, kvHeads, d, 1f, false));
            float[] w = new float[kvHeads * 3 * d];
            for (int i = 0; i < w.length; i++) {
                w[i] = rnd.nextFloat() * 2 - 1;
            }
            KeyConvolution conv = new KeyConvolution(w, kvHeads, 3, d);
            AttentionMask causal = AttentionMask.causal(n, n);
            for (KeyConvolution kc : new KeyConvolution[] {null, conv}) {
                BlockMask blocks = new MobaGate(b, topK, kc).select(in, causal);
                for (int h = 0; h < heads; h++) {
                    for (int qb = 0; qb < blocks.queryBlocks(); qb++) {
                        List<Integer> expected = expectedBlocks(in, kc, h, qb, b, topK);
                        List<Integer> got = new ArrayList<>();
                        for (int kb = 0; kb < blocks.keyBlocks(); kb++) {
                            if (blocks.isKept(h, qb, kb)) {
                                got.add(kb);
                            }
                        }
                        assertEquals(
                                expected,
                                got,
                                "head " + h + " query block " + qb + (kc == null ? "" : " with key convolution"));
                    }
                }
                // and the attention over those blocks equals the definition under (kept blocks AND causal)
                AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, n, heads, d);
                Attention.blockSparse(in, blocks, causal, out);
                ReferenceAttention.assertOutputClose(
                        ReferenceAttention.compute(in, (h, i, j) -> j <= i && blocks.isKept(h, i / b, j / b))
                                .out(),
                        out,
                        1e-4,
                        "MoBA top-" + topK);
            }
        }
    }

    /** Direct computation in double: own block, plus the top-k earlier blocks by mean q . mean (convolved) k. */
    private static List<Integer> expectedBlocks(AttentionInputs in, KeyConvolution kc, int h, int qb, int b, int topK) {
        AttentionTensor q = in.q(), k = in.k();
        int g = in.kvHead(h), d = q.dim(), n = q.tokens();
        int q0 = qb * b, q1 = Math.min(n, q0 + b);
        double[] qm = new double[d];
        for (int i = q0; i < q1; i++) {
            for (int c = 0; c < d; c++) {
                qm[c] += q.get(i, h, c) / (double) (q1 - q0);
            }
        }
        List<double[]> past = new ArrayList<>();
        for (int kb = 0; kb < qb; kb++) {
            double aff = 0;
            for (int c = 0; c < d; c++) {
                double mean = 0;
                for (int t = kb * b; t < (kb + 1) * b; t++) {
                    double v = 0;
                    if (kc == null) {
                        v = k.get(t, g, c);
                    } else {
                        for (int u = 0; u < kc.width() && u <= t; u++) {
                            v += kc.weight(g, u, c) * k.get(t - u, g, c);
                        }
                    }
                    mean += v / b;
                }
                aff += qm[c] * mean;
            }
            past.add(new double[] {kb, aff});
        }
        past.sort(Comparator.comparingDouble((double[] e) -> -e[1]));
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < Math.min(topK, past.size()); i++) {
            kept.add((int) past.get(i)[0]);
        }
        kept.add(qb);
        kept.sort(null);
        return kept;
    }

    @Test
    void pooledKeysComputedOnceGiveTheSameSelection() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(24);
            int nkv = 250;
            AttentionInputs in = AttentionInputs.of(
                    ReferenceAttention.random(arena, rnd, ElementType.F32, nkv, 4, 32, 1f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F16, nkv, 2, 32, 1f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F16, nkv, 2, 32, 1f, false));
            MobaGate gate = new MobaGate(16, 2, null);
            AttentionMask causal = AttentionMask.causal(nkv, nkv);
            MobaGate.PooledKeys pooled = gate.pool(in.k());
            BlockMask direct = gate.select(in, causal);
            BlockMask cached = gate.select(in, causal, pooled);
            assertEquals(direct.keptCount(), cached.keptCount());
            for (int h = 0; h < 4; h++) {
                for (int qb = 0; qb < direct.queryBlocks(); qb++) {
                    for (int kb = 0; kb < direct.keyBlocks(); kb++) {
                        assertEquals(direct.isKept(h, qb, kb), cached.isKept(h, qb, kb));
                    }
                }
            }
            // mean of key block 3 of KV head 1, channel 5
            double mean = 0;
            for (int t = 48; t < 64; t++) {
                mean += in.k().get(t, 1, 5) / 16.0;
            }
            assertEquals(mean, pooled.means()[1][3 * 32 + 5], 1e-5);
            assertThrows(IllegalArgumentException.class, () -> new MobaGate(32, 2, null).select(in, causal, pooled));
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(23);
            AttentionTensor t = ReferenceAttention.random(arena, rnd, ElementType.F32, 10, 2, 8, 1f, false);
            AttentionInputs in = AttentionInputs.of(t, t, t);
            MobaGate gate = new MobaGate(4, 1, new KeyConvolution(new float[3 * 2 * 8], 3, 2, 8));
            assertThrows(IllegalArgumentException.class, () -> gate.select(in, AttentionMask.causal(10, 10)));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> new MobaGate(4, 1, null).select(in, AttentionMask.causal(9, 10)));
            assertThrows(IllegalArgumentException.class, () -> new MobaGate(0, 1, null));
            assertThrows(IllegalArgumentException.class, () -> new KeyConvolution(new float[5], 1, 1, 4));
        }
    }
}
