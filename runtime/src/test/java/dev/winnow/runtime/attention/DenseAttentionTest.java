package dev.winnow.runtime.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DenseAttentionTest {

    @Test
    void unmaskedGroupedQueryAttentionMatchesDefinition() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(1);
            AttentionInputs in = AttentionInputs.of(
                    ReferenceAttention.random(arena, rnd, ElementType.F32, 70, 8, 64, 1f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, 150, 2, 64, 1f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, 150, 2, 64, 1f, false));
            AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, 70, 8, 64);
            AttentionProbabilities p = AttentionProbabilities.allocate(arena, 8, 70, 150);
            Attention.dense(in, null, out, p);
            ReferenceAttention.Result ref = ReferenceAttention.compute(in, (h, i, j) -> true);
            ReferenceAttention.assertOutputClose(ref.out(), out, 1e-4, "dense, no mask");
            ReferenceAttention.assertProbsClose(ref.probs(), p, 1e-6, "dense, no mask");
        }
    }

    @Test
    void causalQueryBlockAtTheEndOfALongerKv() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(2);
            int nq = 37, nkv = 200;
            AttentionInputs in = AttentionInputs.of(
                    ReferenceAttention.random(arena, rnd, ElementType.F32, nq, 4, 32, 2f, true),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, nkv, 4, 32, 2f, true),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, nkv, 4, 48, 1f, true));
            AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, nq, 4, 48);
            AttentionProbabilities p = AttentionProbabilities.allocate(arena, 4, nq, nkv);
            Attention.dense(in, AttentionMask.causal(nq, nkv), out, p);
            ReferenceAttention.Result ref = ReferenceAttention.compute(in, (h, i, j) -> j <= nkv - nq + i);
            ReferenceAttention.assertOutputClose(ref.out(), out, 1e-4, "causal suffix");
            ReferenceAttention.assertProbsClose(ref.probs(), p, 1e-6, "causal suffix");
            // the first query row sees keys 0..163 only: the last 36 columns are exactly 0
            for (int j = nkv - nq + 1; j < nkv; j++) {
                assertEquals(0f, p.get(0, 0, j));
            }
        }
    }

    @Test
    void f16InputsAndOutputMatchDefinitionOnWidenedValues() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(3);
            int n = 90;
            AttentionInputs in = AttentionInputs.of(
                            ReferenceAttention.random(arena, rnd, ElementType.F16, n, 6, 64, 1.5f, false),
                            ReferenceAttention.random(arena, rnd, ElementType.F16, n, 3, 64, 1.5f, false),
                            ReferenceAttention.random(arena, rnd, ElementType.F16, n, 3, 64, 1f, false))
                    .withScale(0.2f);
            AttentionTensor out32 = AttentionTensor.allocate(arena, ElementType.F32, n, 6, 64);
            AttentionTensor out16 = AttentionTensor.allocate(arena, ElementType.F16, n, 6, 64);
            Attention.dense(in, AttentionMask.causal(n, n), out32);
            Attention.dense(in, AttentionMask.causal(n, n), out16);
            ReferenceAttention.Result ref = ReferenceAttention.compute(in, (h, i, j) -> j <= i);
            ReferenceAttention.assertOutputClose(ref.out(), out32, 1e-4, "f16 in, f32 out");
            // f16 output carries f16 rounding: 2^-11 relative
            ReferenceAttention.assertOutputClose(ref.out(), out16, 1e-3, "f16 in, f16 out");
        }
    }

    @Test
    void explicitMaskAndRowsThatSeeNothing() {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(4);
            int nq = 50, nkv = 130;
            ElementMask mask = new ElementMask(nq, nkv);
            for (int i = 0; i < nq; i++) {
                if (i % 7 == 3) {
                    continue; // row sees nothing
                }
                for (int j = 0; j < nkv; j++) {
                    if (rnd.nextInt(5) == 0) {
                        mask.set(i, j, true);
                    }
                }
            }
            AttentionInputs in = AttentionInputs.of(
                    ReferenceAttention.random(arena, rnd, ElementType.F32, nq, 2, 40, 1f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, nkv, 1, 40, 1f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, nkv, 1, 40, 1f, false));
            AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, nq, 2, 40);
            AttentionProbabilities p = AttentionProbabilities.allocate(arena, 2, nq, nkv);
            Attention.dense(in, mask, out, p);
            ReferenceAttention.Result ref = ReferenceAttention.compute(in, (h, i, j) -> mask.visible(i, j));
            ReferenceAttention.assertOutputClose(ref.out(), out, 1e-4, "element mask");
            ReferenceAttention.assertProbsClose(ref.probs(), p, 1e-6, "element mask");
            for (int c = 0; c < 40; c++) {
                assertEquals(0f, out.get(3, 1, c), "a row that sees no key is zero");
            }
        }
    }

    @Test
    void oneToFourQueryRowsAtTheEndOfALongKv() {
        // decode-like tiles of 1..4 rows (the kernel's row mode), grouped-query heads, f16 K/V, odd head dims
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(6);
            int[][] shapes = {{1, 300, 64, 8, 2}, {2, 131, 40, 4, 4}, {3, 77, 128, 6, 3}, {4, 200, 72, 2, 1}};
            for (int[] sh : shapes) {
                int nq = sh[0], nkv = sh[1], d = sh[2], heads = sh[3], kvHeads = sh[4];
                AttentionInputs in = AttentionInputs.of(
                        ReferenceAttention.random(arena, rnd, ElementType.F32, nq, heads, d, 1.5f, true),
                        ReferenceAttention.random(arena, rnd, ElementType.F16, nkv, kvHeads, d, 1.5f, false),
                        ReferenceAttention.random(arena, rnd, ElementType.F16, nkv, kvHeads, d, 1f, true));
                AttentionMask causal = AttentionMask.causal(nq, nkv);
                AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, nq, heads, d);
                AttentionProbabilities p = AttentionProbabilities.allocate(arena, heads, nq, nkv);
                Attention.dense(in, causal, out, p);
                ReferenceAttention.Result ref = ReferenceAttention.compute(in, (h, i, j) -> causal.visible(i, j));
                String what = nq + " rows over " + nkv + " keys, d " + d;
                ReferenceAttention.assertOutputClose(ref.out(), out, 1e-4, what);
                ReferenceAttention.assertProbsClose(ref.probs(), p, 1e-6, what);
                BlockMask blocks = BlockMask.empty(nq, nkv, 16, heads);
                for (int h = 0; h < heads; h++) {
                    for (int kb = 0; kb < blocks.keyBlocks(); kb++) {
                        if (rnd.nextInt(3) == 0) {
                            blocks.keep(h, 0, kb);
                        }
                    }
                }
                AttentionTensor sparse = AttentionTensor.allocate(arena, ElementType.F32, nq, heads, d);
                Attention.blockSparse(in, blocks, causal, sparse);
                ReferenceAttention.assertOutputClose(
                        ReferenceAttention.compute(in, (h, i, j) -> causal.visible(i, j) && blocks.isKept(h, 0, j / 16))
                                .out(),
                        sparse,
                        1e-4,
                        what + ", block-sparse");
            }
        }
    }

    @Test
    void emptyKvGivesZerosAndEmptyQueriesDoNothing() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(5);
            AttentionTensor q = ReferenceAttention.random(arena, rnd, ElementType.F32, 3, 2, 16, 1f, false);
            AttentionTensor none = AttentionTensor.allocate(arena, ElementType.F32, 0, 1, 16);
            AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, 3, 2, 16);
            out.set(1, 1, 7, 42f);
            AttentionInputs in = AttentionInputs.of(q, none, none);
            Attention.dense(in, null, out);
            assertEquals(0f, out.get(1, 1, 7));
            Attention.blockSparse(in, BlockMask.full(3, 0, 8), null, out);
            assertEquals(
                    0,
                    new MobaGate(8, 2, null).select(in, AttentionMask.all(3, 0)).keptCount());
            AttentionTensor noQ = AttentionTensor.allocate(arena, ElementType.F32, 0, 2, 16);
            AttentionTensor kv = ReferenceAttention.random(arena, rnd, ElementType.F32, 5, 1, 16, 1f, false);
            Attention.dense(
                    AttentionInputs.of(noQ, kv, kv), null, AttentionTensor.allocate(arena, ElementType.F32, 0, 2, 16));
        }
    }

    @Test
    void ggmlViewMapsNeAndNb() {
        try (Arena arena = Arena.ofShared()) {
            // ne = [d=4, n_head=3, n_tokens=2], rows padded: nb1 = 5 floats, nb2 = 16 floats
            var seg = arena.allocate(4L * 32);
            for (int i = 0; i < 32; i++) {
                seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, i);
            }
            AttentionTensor t = AttentionTensor.fromGgml(seg, ElementType.fromGgmlType(0), 4, 3, 2, 4, 20, 64);
            assertEquals(2, t.tokens());
            assertEquals(3, t.heads());
            assertEquals(4, t.dim());
            assertEquals(16 + 2 * 5 + 3, t.get(1, 2, 3));
        }
    }

    @Test
    void badShapesAreRejectedWithTheirNames() {
        try (Arena arena = Arena.ofShared()) {
            var seg = arena.allocate(64);
            IllegalArgumentException tooSmall = assertThrows(
                    IllegalArgumentException.class, () -> AttentionTensor.contiguous(seg, ElementType.F32, 2, 2, 8));
            assertTrue(tooSmall.getMessage().contains("needs 128 bytes"), tooSmall.getMessage());
            AttentionTensor q = AttentionTensor.allocate(arena, ElementType.F32, 4, 3, 8);
            AttentionTensor k = AttentionTensor.allocate(arena, ElementType.F32, 4, 2, 8);
            IllegalArgumentException ratio =
                    assertThrows(IllegalArgumentException.class, () -> AttentionInputs.of(q, k, k));
            assertTrue(ratio.getMessage().contains("n_head 3 is not a multiple of n_head_kv 2"), ratio.getMessage());
            AttentionTensor k1 = AttentionTensor.allocate(arena, ElementType.F32, 4, 1, 8);
            AttentionInputs in = AttentionInputs.of(q, k1, k1);
            IllegalArgumentException overlap =
                    assertThrows(IllegalArgumentException.class, () -> Attention.dense(in, null, q));
            assertTrue(overlap.getMessage().contains("overlaps"), overlap.getMessage());
            AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, 4, 3, 8);
            assertThrows(IllegalArgumentException.class, () -> Attention.dense(in, AttentionMask.all(4, 5), out));
            assertThrows(IllegalArgumentException.class, () -> ElementType.fromGgmlType(8));
        }
    }
}
