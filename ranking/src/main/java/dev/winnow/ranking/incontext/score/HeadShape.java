package dev.winnow.ranking.incontext.score;

/**
 * The attention-head geometry of one layer.
 *
 * @param nHead    query heads, >= 1
 * @param nHeadKv  key/value heads, >= 1, dividing {@code nHead} (grouped-query attention: query head h reads KV head
 *                 {@code h / (nHead / nHeadKv)}, as llama.cpp does)
 * @param headDim  dimensions per head, >= 1
 * @param scale    the factor on q·k before the softmax (llama.cpp's kq_scale; 1/sqrt(headDim) for Llama and Qwen2)
 */
public record HeadShape(int nHead, int nHeadKv, int headDim, float scale) {

    /** Validates the geometry. @throws IllegalArgumentException naming the bad value */
    public HeadShape {
        if (nHead < 1 || nHeadKv < 1 || headDim < 1) {
            throw new IllegalArgumentException(
                    "head shape must be positive: nHead " + nHead + ", nHeadKv " + nHeadKv + ", headDim " + headDim);
        }
        if (nHead % nHeadKv != 0) {
            throw new IllegalArgumentException("nHead " + nHead + " is not a multiple of nHeadKv " + nHeadKv);
        }
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("attention scale must be positive and finite: " + scale);
        }
    }

    /** The standard scale 1/sqrt(headDim). */
    public static HeadShape standard(int nHead, int nHeadKv, int headDim) {
        return new HeadShape(nHead, nHeadKv, headDim, (float) (1.0 / Math.sqrt(headDim)));
    }

    /** Floats in one token's Q row ({@code nHead * headDim}). */
    public int qWidth() {
        return nHead * headDim;
    }

    /** Floats in one token's K row ({@code nHeadKv * headDim}). */
    public int kWidth() {
        return nHeadKv * headDim;
    }

    /** The KV head query head {@code h} reads. */
    public int kvHead(int h) {
        return h / (nHead / nHeadKv);
    }

    /** Scaled dot product of query head {@code h} of {@code q} (at float offset qOff) with key row {@code kOff}. */
    float dot(float[] q, int qOff, int h, float[] k, int kOff) {
        int qa = qOff + h * headDim;
        int ka = kOff + kvHead(h) * headDim;
        float s = 0f;
        for (int i = 0; i < headDim; i++) {
            s += q[qa + i] * k[ka + i];
        }
        return s * scale;
    }
}
