package dev.winnow.runtime.attention;

import java.lang.foreign.MemorySegment;

/**
 * Scaled dot-product attention in Java over off-heap (or heap) tensors: {@code out = softmax(scale * Q K^T + mask) V}
 * per query head, with grouped-query heads (query head {@code h} reads KV head {@code h / (n_head / n_head_kv)}).
 *
 * <p>Both kernels use the same tiled engine with an online softmax (FlashAttention's recurrence, Dao et al. 2022): the
 * score matrix is never materialised, tiles the mask hides entirely are skipped, and work runs in parallel over
 * (KV head, query tile) on the common fork-join pool (sequentially on the calling thread when a tensor's memory
 * belongs to a confined arena), with the Vector API (jdk.incubator.vector) for the
 * {@code Q K^T} and {@code P V} products when the JVM runs with {@code --add-modules jdk.incubator.vector}, and scalar
 * code with the same results otherwise (one log line says so at the first use). Inputs may be f32 or f16; accumulation is f32. The output may be f32 or f16.
 *
 * <p>A query row that sees no key (every score masked) gets an all-zero output row and all-zero probabilities (where
 * llama.cpp's softmax would produce NaN).
 */
public final class Attention {
    /** Tile size of {@link #dense}, in tokens (queries and keys). */
    public static final int DENSE_TILE = 64;

    private Attention() {}

    /**
     * Whether this JVM runs the kernels with the Vector API: true when it was started with
     * {@code --add-modules jdk.incubator.vector}; otherwise the scalar kernels run, with the same results, more slowly.
     *
     * @return true for the Vector API kernels, false for the scalar fallback
     */
    public static boolean usesVectorApi() {
        return Kernels.vectorised();
    }

    /**
     * Dense attention: every query row against every key it may see under {@code mask}.
     *
     * @param in    Q {@code [n_q, n_head, d]}, K {@code [n_kv, n_head_kv, d]}, V {@code [n_kv, n_head_kv, d_v]} and the
     *              scale
     * @param mask  which keys each row sees ({@code [n_q, n_kv]}); null for all
     * @param out   receives {@code [n_q, n_head, d_v]}; must not overlap the inputs
     * @param probs receives the probabilities {@code [n_head, n_q, n_kv]} (0 where masked), or null
     * @throws IllegalArgumentException when a shape does not fit the inputs or {@code out} overlaps an input
     */
    public static void dense(
            AttentionInputs in, AttentionMask mask, AttentionTensor out, AttentionProbabilities probs) {
        AttentionMask m = checked(in, mask, out, probs);
        TiledAttention.run(in, m, DENSE_TILE, (h, qt, kt) -> true, out, probs);
    }

    /** {@link #dense(AttentionInputs, AttentionMask, AttentionTensor, AttentionProbabilities)} without probabilities. */
    public static void dense(AttentionInputs in, AttentionMask mask, AttentionTensor out) {
        dense(in, mask, out, null);
    }

    /**
     * Block-sparse attention: only the (query block, key block) tiles {@code blocks} keeps are computed, with an online
     * softmax over them; inside a kept tile, {@code within} may hide further elements (for example causality inside
     * the diagonal block). The result equals dense attention under the element mask
     * {@code blocks.forHead(h) AND within}. Cost is proportional to the number of kept tiles.
     *
     * @param in     the operands
     * @param blocks kept tiles, {@code [n_q, n_kv]} with block size B, one layer or one per query head
     * @param within element mask applied inside kept tiles ({@code [n_q, n_kv]}), or null for none
     * @param out    receives {@code [n_q, n_head, d_v]}; must not overlap the inputs
     * @param probs  receives the probabilities (0 outside kept, visible elements), or null
     * @throws IllegalArgumentException when a shape does not fit the inputs or {@code out} overlaps an input
     */
    public static void blockSparse(
            AttentionInputs in,
            BlockMask blocks,
            AttentionMask within,
            AttentionTensor out,
            AttentionProbabilities probs) {
        AttentionMask m = checked(in, within, out, probs);
        checkBlocks(in, blocks);
        TiledAttention.run(in, m, blocks.blockSize(), blocks::isKept, out, probs);
    }

    /** {@link #blockSparse(AttentionInputs, BlockMask, AttentionMask, AttentionTensor, AttentionProbabilities)} without probabilities. */
    public static void blockSparse(AttentionInputs in, BlockMask blocks, AttentionMask within, AttentionTensor out) {
        blockSparse(in, blocks, within, out, null);
    }

    static void checkBlocks(AttentionInputs in, BlockMask blocks) {
        if (blocks.queryCount() != in.q().tokens()
                || blocks.keyCount() != in.k().tokens()) {
            throw new IllegalArgumentException(
                    "block mask covers " + blocks.queryCount() + " x " + blocks.keyCount() + " but Q has "
                            + in.q().tokens() + " tokens and K " + in.k().tokens());
        }
        if (blocks.heads() != 1 && blocks.heads() != in.q().heads()) {
            throw new IllegalArgumentException("block mask has " + blocks.heads() + " head layers; need 1 or n_head = "
                    + in.q().heads());
        }
    }

    private static AttentionMask checked(
            AttentionInputs in, AttentionMask mask, AttentionTensor out, AttentionProbabilities probs) {
        int nq = in.q().tokens();
        int nkv = in.k().tokens();
        if (out.tokens() != nq
                || out.heads() != in.q().heads()
                || out.dim() != in.v().dim()) {
            throw new IllegalArgumentException("attention output has shape [" + out.tokens() + ", " + out.heads() + ", "
                    + out.dim() + "], expected [" + nq + ", " + in.q().heads() + ", "
                    + in.v().dim() + "]");
        }
        for (AttentionTensor t : new AttentionTensor[] {in.q(), in.k(), in.v()}) {
            if (overlaps(out.data(), t.data())) {
                throw new IllegalArgumentException("attention output memory overlaps an input tensor");
            }
        }
        if (probs != null) {
            if (probs.heads() != in.q().heads() || probs.queries() != nq || probs.keys() != nkv) {
                throw new IllegalArgumentException(
                        "attention probabilities have shape [" + probs.heads() + ", " + probs.queries() + ", "
                                + probs.keys() + "], expected [" + in.q().heads() + ", " + nq + ", " + nkv + "]");
            }
            if (overlaps(probs.data(), out.data())) {
                throw new IllegalArgumentException("attention probabilities overlap the output");
            }
        }
        if (mask == null) {
            return AttentionMask.all(nq, nkv);
        }
        if (mask.queryCount() != nq || mask.keyCount() != nkv) {
            throw new IllegalArgumentException("attention mask covers " + mask.queryCount() + " x " + mask.keyCount()
                    + " but Q has " + nq + " tokens and K " + nkv);
        }
        return mask;
    }

    private static boolean overlaps(MemorySegment a, MemorySegment b) {
        return a.byteSize() > 0 && b.byteSize() > 0 && a.asOverlappingSlice(b).isPresent();
    }
}
