package dev.winnow.runtime.attention;

import java.util.Arrays;

/**
 * Which keys each query row may attend to: an element mask over {@code [queryCount, keyCount]}, the same for every
 * head. A masked score is treated as {@code -inf} before the softmax (llama.cpp's {@code kq_mask}).
 *
 * <p>Besides the element test {@link #visible}, a mask answers {@link #coverage} for a tile of queries and keys, so
 * that the kernels skip tiles with no visible key and apply no mask inside fully visible ones.
 *
 * <p>The kernels query a mask from several threads at once and never modify it: an implementation must answer
 * consistently while a kernel runs.
 */
public interface AttentionMask {

    /** How much of a tile is visible. */
    enum Coverage {
        /** No element of the tile is visible: the tile is skipped. */
        NONE,
        /** Some elements are visible: the mask is applied row by row. */
        PARTIAL,
        /** Every element is visible: no mask is applied. */
        ALL
    }

    /** Number of query rows the mask covers. */
    int queryCount();

    /** Number of keys (KV rows) the mask covers. */
    int keyCount();

    /**
     * Whether query row {@code query} may attend to key {@code key}.
     *
     * @param query 0 &le; query &lt; {@link #queryCount()}
     * @param key   0 &le; key &lt; {@link #keyCount()}
     */
    boolean visible(int query, int key);

    /**
     * Coverage of the tile {@code [q0, q1) x [k0, k1)}. The default scans every element.
     *
     * @param q0 first query row, inclusive
     * @param q1 last query row, exclusive, {@code q0 < q1 <= queryCount()}
     * @param k0 first key, inclusive
     * @param k1 last key, exclusive, {@code k0 < k1 <= keyCount()}
     */
    default Coverage coverage(int q0, int q1, int k0, int k1) {
        boolean any = false;
        boolean all = true;
        for (int q = q0; q < q1; q++) {
            for (int k = k0; k < k1; k++) {
                if (visible(q, k)) {
                    any = true;
                } else {
                    all = false;
                }
            }
        }
        return all ? Coverage.ALL : any ? Coverage.PARTIAL : Coverage.NONE;
    }

    /**
     * Sets the score of every pair of the tile {@code [q0, q1) x [k0, k1)} that is not visible to {@code -inf}, and
     * leaves the others unchanged. Scores are key-major: pair {@code (q, k)} is at
     * {@code scores[(k - k0) * keyStride + (q - q0)]}.
     */
    default void applyToTile(int q0, int q1, int k0, int k1, float[] scores, int keyStride) {
        for (int k = k0; k < k1; k++) {
            int off = (k - k0) * keyStride - q0;
            for (int q = q0; q < q1; q++) {
                if (!visible(q, k)) {
                    scores[off + q] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }

    /** An explicit copy of this mask, one bit per element. */
    default ElementMask toElementMask() {
        ElementMask m = new ElementMask(queryCount(), keyCount());
        for (int q = 0; q < queryCount(); q++) {
            for (int k = 0; k < keyCount(); k++) {
                if (visible(q, k)) {
                    m.set(q, k, true);
                }
            }
        }
        return m;
    }

    /**
     * The block mask that keeps exactly the blocks of size {@code blockSize x blockSize} holding at least one visible
     * element (query block {@code i} = rows {@code [i*B, (i+1)*B)}, key block {@code j} = keys {@code [j*B, (j+1)*B)}).
     * Block-sparse attention over it, with this mask applied inside the kept blocks, equals dense attention with
     * this mask.
     *
     * @throws IllegalArgumentException when {@code blockSize < 1}
     */
    default BlockMask toBlockMask(int blockSize) {
        BlockMask b = BlockMask.empty(queryCount(), keyCount(), blockSize, 1);
        for (int qb = 0; qb < b.queryBlocks(); qb++) {
            int q0 = qb * blockSize;
            int q1 = Math.min(queryCount(), q0 + blockSize);
            for (int kb = 0; kb < b.keyBlocks(); kb++) {
                int k0 = kb * blockSize;
                int k1 = Math.min(keyCount(), k0 + blockSize);
                if (coverage(q0, q1, k0, k1) != Coverage.NONE) {
                    b.keep(0, qb, kb);
                }
            }
        }
        return b;
    }

    /**
     * Every query sees every key (no mask).
     *
     * @throws IllegalArgumentException when a count is negative
     */
    static AttentionMask all(int queryCount, int keyCount) {
        if (queryCount < 0 || keyCount < 0) {
            throw new IllegalArgumentException("mask: negative size " + queryCount + " x " + keyCount);
        }
        return new AttentionMask() {
            @Override
            public int queryCount() {
                return queryCount;
            }

            @Override
            public int keyCount() {
                return keyCount;
            }

            @Override
            public boolean visible(int query, int key) {
                return true;
            }

            @Override
            public Coverage coverage(int q0, int q1, int k0, int k1) {
                return Coverage.ALL;
            }

            @Override
            public void applyToTile(int q0, int q1, int k0, int k1, float[] scores, int keyStride) {}

            @Override
            public String toString() {
                return "AttentionMask.all(" + queryCount + " x " + keyCount + ")";
            }
        };
    }

    /**
     * Causal mask by position: query row {@code q} sees key {@code k} when {@code keyPositions[k] <= queryPositions[q]}
     * (llama.cpp's rule for one sequence). Use it for a query block at the end of a longer KV by giving the block's
     * positions.
     *
     * @param queryPositions position of each query row; copied
     * @param keyPositions   position of each key (KV row); copied
     */
    static AttentionMask causal(int[] queryPositions, int[] keyPositions) {
        return new CausalMask(queryPositions.clone(), keyPositions.clone());
    }

    /**
     * Causal mask for {@code queryCount} query rows that are the last {@code queryCount} of {@code keyCount} tokens
     * (query row {@code q} has position {@code keyCount - queryCount + q}, key {@code k} position {@code k}). With
     * {@code queryCount == keyCount} it is the usual lower-triangular prefill mask.
     *
     * @throws IllegalArgumentException when {@code queryCount > keyCount} or a count is negative
     */
    static AttentionMask causal(int queryCount, int keyCount) {
        if (queryCount < 0 || keyCount < 0 || queryCount > keyCount) {
            throw new IllegalArgumentException(
                    "causal mask: " + queryCount + " queries cannot be the last tokens of " + keyCount + " keys");
        }
        int[] qp = new int[queryCount];
        for (int i = 0; i < queryCount; i++) {
            qp[i] = keyCount - queryCount + i;
        }
        int[] kp = new int[keyCount];
        Arrays.setAll(kp, i -> i);
        return new CausalMask(qp, kp);
    }
}
