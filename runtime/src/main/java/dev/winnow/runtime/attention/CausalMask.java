package dev.winnow.runtime.attention;

/** Causal mask by position (see {@link AttentionMask#causal(int[], int[])}). */
final class CausalMask implements AttentionMask {
    private final int[] queryPositions;
    private final int[] keyPositions;

    CausalMask(int[] queryPositions, int[] keyPositions) {
        this.queryPositions = queryPositions;
        this.keyPositions = keyPositions;
    }

    @Override
    public int queryCount() {
        return queryPositions.length;
    }

    @Override
    public int keyCount() {
        return keyPositions.length;
    }

    @Override
    public boolean visible(int query, int key) {
        return keyPositions[key] <= queryPositions[query];
    }

    @Override
    public Coverage coverage(int q0, int q1, int k0, int k1) {
        int qMin = Integer.MAX_VALUE;
        int qMax = Integer.MIN_VALUE;
        for (int q = q0; q < q1; q++) {
            qMin = Math.min(qMin, queryPositions[q]);
            qMax = Math.max(qMax, queryPositions[q]);
        }
        int kMin = Integer.MAX_VALUE;
        int kMax = Integer.MIN_VALUE;
        for (int k = k0; k < k1; k++) {
            kMin = Math.min(kMin, keyPositions[k]);
            kMax = Math.max(kMax, keyPositions[k]);
        }
        if (kMax <= qMin) {
            return Coverage.ALL;
        }
        return kMin > qMax ? Coverage.NONE : Coverage.PARTIAL;
    }

    @Override
    public void applyToTile(int q0, int q1, int k0, int k1, float[] scores, int keyStride) {
        for (int k = k0; k < k1; k++) {
            int p = keyPositions[k];
            int off = (k - k0) * keyStride - q0;
            for (int q = q0; q < q1; q++) {
                if (p > queryPositions[q]) {
                    scores[off + q] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }

    @Override
    public String toString() {
        return "AttentionMask.causal(" + queryPositions.length + " x " + keyPositions.length + ")";
    }
}
