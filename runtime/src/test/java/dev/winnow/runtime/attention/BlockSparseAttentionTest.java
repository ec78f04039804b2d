package dev.winnow.runtime.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockSparseAttentionTest {

    @Test
    void allBlocksKeptEqualsDense() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(11);
            int n = 133;
            AttentionInputs in = AttentionInputs.of(
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, 4, 64, 1f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, 2, 64, 1f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, 2, 64, 1f, false));
            AttentionTensor dense = AttentionTensor.allocate(arena, ElementType.F32, n, 4, 64);
            AttentionTensor sparse = AttentionTensor.allocate(arena, ElementType.F32, n, 4, 64);
            AttentionMask causal = AttentionMask.causal(n, n);
            Attention.dense(in, causal, dense);
            Attention.blockSparse(in, BlockMask.full(n, n, 32), causal, sparse);
            for (int i = 0; i < n; i++) {
                for (int h = 0; h < 4; h++) {
                    for (int c = 0; c < 64; c++) {
                        assertEquals(dense.get(i, h, c), sparse.get(i, h, c), 1e-5f, "row " + i + " head " + h);
                    }
                }
            }
            ReferenceAttention.assertOutputClose(
                    ReferenceAttention.compute(in, (h, i, j) -> j <= i).out(), sparse, 1e-4, "full blocks");
        }
    }

    @Test
    void perHeadBlockMaskEqualsDenseWithTheMaskAppliedElementWise() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(12);
            int nq = 77, nkv = 181, heads = 6, b = 24;
            AttentionInputs in = AttentionInputs.of(
                    ReferenceAttention.random(arena, rnd, ElementType.F32, nq, heads, 32, 2f, true),
                    ReferenceAttention.random(arena, rnd, ElementType.F16, nkv, 3, 32, 2f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, nkv, 3, 32, 1f, true));
            BlockMask blocks = BlockMask.empty(nq, nkv, b, heads);
            for (int h = 0; h < heads; h++) {
                for (int qb = 0; qb < blocks.queryBlocks(); qb++) {
                    for (int kb = 0; kb < blocks.keyBlocks(); kb++) {
                        if (rnd.nextInt(3) == 0) {
                            blocks.keep(h, qb, kb);
                        }
                    }
                }
            }
            AttentionMask causal = AttentionMask.causal(nq, nkv);
            AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, nq, heads, 32);
            AttentionProbabilities p = AttentionProbabilities.allocate(arena, heads, nq, nkv);
            Attention.blockSparse(in, blocks, causal, out, p);
            ReferenceAttention.Result ref =
                    ReferenceAttention.compute(in, (h, i, j) -> blocks.isKept(h, i / b, j / b) && causal.visible(i, j));
            ReferenceAttention.assertOutputClose(ref.out(), out, 1e-4, "per-head block mask");
            ReferenceAttention.assertProbsClose(ref.probs(), p, 1e-6, "per-head block mask");

            // one shared layer: block-sparse equals the dense kernel under blocks.forHead(0) as an element mask
            BlockMask shared = BlockMask.empty(nq, nkv, b, 1);
            for (int qb = 0; qb < shared.queryBlocks(); qb++) {
                for (int kb = 0; kb < shared.keyBlocks(); kb++) {
                    if (rnd.nextBoolean()) {
                        shared.keep(0, qb, kb);
                    }
                }
            }
            AttentionTensor sparse = AttentionTensor.allocate(arena, ElementType.F32, nq, heads, 32);
            AttentionTensor dense = AttentionTensor.allocate(arena, ElementType.F32, nq, heads, 32);
            Attention.blockSparse(in, shared, null, sparse);
            Attention.dense(in, shared.forHead(0), dense);
            for (int i = 0; i < nq; i++) {
                for (int h = 0; h < heads; h++) {
                    for (int c = 0; c < 32; c++) {
                        assertEquals(dense.get(i, h, c), sparse.get(i, h, c), 1e-5f);
                    }
                }
            }
        }
    }

    @Test
    void blockRankMaskAsBlocksAndAsElements() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(13);
            int instr = 19;
            int[] docs = {23, 7, 40, 0, 16};
            int query = 6;
            SegmentMask mask = SegmentMask.blockRank(instr, docs, query);
            int n = mask.queryCount();
            assertEquals(instr + 23 + 7 + 40 + 16 + query, n);
            // structure: first token of document 2 (index 42) sees the instruction and itself, not document 1
            assertTrue(mask.visible(42, 0));
            assertTrue(mask.visible(42, 18));
            assertTrue(mask.visible(42, 42));
            assertFalse(mask.visible(42, 41));
            assertFalse(mask.visible(42, 43));
            assertFalse(mask.visible(5, 6 + 1 - 1 + 1), "the instruction is causal");
            assertTrue(mask.visible(n - 1, 20) && mask.visible(n - 1, n - 7), "the query sees every document");
            assertFalse(mask.visible(n - 2, n - 1), "the query is causal in itself");

            int b = 8;
            BlockMask blocks = mask.toBlockMask(b);
            assertTrue(
                    blocks.keptCount() < (long) blocks.queryBlocks() * blocks.keyBlocks() * 2 / 3,
                    "BlockRank drops the document-document tiles: " + blocks);
            AttentionInputs in = AttentionInputs.of(
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, 4, 32, 1.5f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, 4, 32, 1.5f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, 4, 32, 1f, false));
            AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, n, 4, 32);
            Attention.blockSparse(in, blocks, mask, out);
            ReferenceAttention.Result ref = ReferenceAttention.compute(in, (h, i, j) -> mask.visible(i, j));
            ReferenceAttention.assertOutputClose(ref.out(), out, 1e-4, "BlockRank block-sparse");
            ElementMask elements = mask.toElementMask();
            AttentionTensor dense = AttentionTensor.allocate(arena, ElementType.F32, n, 4, 32);
            Attention.dense(in, elements, dense);
            ReferenceAttention.assertOutputClose(ref.out(), dense, 1e-4, "BlockRank element mask");
        }
    }

    @Test
    void randomisedShapesMatchTheDefinition() {
        Random rnd = new Random(14);
        int[] dims = {32, 40, 64, 80, 96, 128};
        int[] blockSizes = {16, 24, 32, 64, 50};
        for (int trial = 0; trial < 14; trial++) {
            int d = dims[rnd.nextInt(dims.length)];
            int kvHeads = 1 + rnd.nextInt(4);
            int ratio = 1 << rnd.nextInt(3);
            int heads = Math.min(16, kvHeads * ratio);
            kvHeads = heads / ratio;
            int nkv = 1 + rnd.nextInt(160);
            int nq = 1 + rnd.nextInt(nkv);
            int b = blockSizes[rnd.nextInt(blockSizes.length)];
            ElementType tq = rnd.nextBoolean() ? ElementType.F16 : ElementType.F32;
            ElementType tkv = rnd.nextBoolean() ? ElementType.F16 : ElementType.F32;
            String what = "trial " + trial + ": d=" + d + " heads=" + heads + "/" + kvHeads + " nq=" + nq + " nkv="
                    + nkv + " B=" + b + " " + tq + "/" + tkv;
            try (Arena arena = Arena.ofShared()) {
                AttentionInputs in = AttentionInputs.of(
                        ReferenceAttention.random(arena, rnd, tq, nq, heads, d, 1.5f, rnd.nextBoolean()),
                        ReferenceAttention.random(arena, rnd, tkv, nkv, kvHeads, d, 1.5f, rnd.nextBoolean()),
                        ReferenceAttention.random(arena, rnd, tkv, nkv, kvHeads, d, 1f, rnd.nextBoolean()));
                BlockMask blocks = BlockMask.empty(nq, nkv, b, rnd.nextBoolean() ? 1 : heads);
                for (int h = 0; h < blocks.heads(); h++) {
                    for (int qb = 0; qb < blocks.queryBlocks(); qb++) {
                        for (int kb = 0; kb < blocks.keyBlocks(); kb++) {
                            if (rnd.nextInt(4) != 0) {
                                blocks.keep(h, qb, kb);
                            }
                        }
                    }
                }
                AttentionMask causal = AttentionMask.causal(nq, nkv);
                AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, nq, heads, d);
                Attention.blockSparse(in, blocks, causal, out);
                ReferenceAttention.Result ref = ReferenceAttention.compute(
                        in, (h, i, j) -> blocks.isKept(h, i / b, j / b) && causal.visible(i, j));
                ReferenceAttention.assertOutputClose(ref.out(), out, 1e-4, what + " block-sparse");
                AttentionTensor dense = AttentionTensor.allocate(arena, ElementType.F32, nq, heads, d);
                Attention.dense(in, causal, dense);
                ReferenceAttention.assertOutputClose(
                        ReferenceAttention.compute(in, (h, i, j) -> causal.visible(i, j))
                                .out(),
                        dense,
                        1e-4,
                        what + " dense");
            }
        }
    }
}
