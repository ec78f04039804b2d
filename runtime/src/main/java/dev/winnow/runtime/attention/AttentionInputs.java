package dev.winnow.runtime.attention;

/**
 * The operands of scaled dot-product attention with grouped-query heads: queries {@code q [n_q, n_head, d]}, keys
 * {@code k [n_kv, n_head_kv, d]}, values {@code v [n_kv, n_head_kv, d_v]}, and the score scale (llama.cpp's
 * {@code kq_scale}, by default {@code 1/sqrt(d)}). Query head {@code h} reads KV head {@code h / (n_head / n_head_kv)}.
 *
 * @param q     queries, f32 or f16
 * @param k     keys, f32 or f16, same head dimension as {@code q}
 * @param v     values, f32 or f16, same tokens and heads as {@code k}
 * @param scale factor applied to every {@code q . k} before the softmax; finite
 */
public record AttentionInputs(AttentionTensor q, AttentionTensor k, AttentionTensor v, float scale) {

    /**
     * Checks that the shapes fit together.
     *
     * @throws IllegalArgumentException when head dimensions, token counts or head counts disagree, {@code n_head} is
     *                                  not a multiple of {@code n_head_kv}, or the scale is not finite
     */
    public AttentionInputs {
        if (q == null || k == null || v == null) {
            throw new NullPointerException("attention inputs: q, k and v are required");
        }
        if (q.dim() != k.dim()) {
            throw new IllegalArgumentException("attention inputs: Q head dim " + q.dim() + " != K head dim " + k.dim());
        }
        if (k.tokens() != v.tokens()) {
            throw new IllegalArgumentException(
                    "attention inputs: K has " + k.tokens() + " tokens but V has " + v.tokens());
        }
        if (k.heads() != v.heads()) {
            throw new IllegalArgumentException(
                    "attention inputs: K has " + k.heads() + " heads but V has " + v.heads());
        }
        if (q.heads() % k.heads() != 0) {
            throw new IllegalArgumentException(
                    "attention inputs: n_head " + q.heads() + " is not a multiple of n_head_kv " + k.heads());
        }
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("attention inputs: scale " + scale + " is not finite");
        }
    }

    /** The inputs with the default scale {@code 1/sqrt(d)}. */
    public static AttentionInputs of(AttentionTensor q, AttentionTensor k, AttentionTensor v) {
        return new AttentionInputs(q, k, v, (float) (1.0 / Math.sqrt(q.dim())));
    }

    /** The same tensors with another scale. */
    public AttentionInputs withScale(float newScale) {
        return new AttentionInputs(q, k, v, newScale);
    }

    /** Query heads per KV head, {@code n_head / n_head_kv}. */
    public int groupSize() {
        return q.heads() / k.heads();
    }

    /** The KV head that query head {@code head} reads. */
    public int kvHead(int head) {
        return head / groupSize();
    }
}
