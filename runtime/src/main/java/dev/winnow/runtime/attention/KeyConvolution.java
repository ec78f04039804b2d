package dev.winnow.runtime.attention;

/**
 * A short depthwise causal convolution over the key sequence, one filter per KV head and channel:
 * {@code k'[t][c] = sum_{u=0}^{width-1} w[g][u][c] * k[t-u][c]}, with {@code k[t-u] = 0} before the first key (keys
 * in index order). FlashMoBA ("Optimizing Mixture of Block Attention", 2025) applies such a learned key convolution so
 * that a block's pooled key carries local context; here the weights are given by the caller and the convolved keys
 * feed only the gate's pooling, not the attention itself.
 *
 * @param weights {@code [heads][width][dim]} row-major; copied
 * @param heads   KV heads, &ge; 1
 * @param width   filter taps, &ge; 1 ({@code u = 0} weighs the key itself)
 * @param dim     head dimension, &ge; 1
 */
public record KeyConvolution(float[] weights, int heads, int width, int dim) {

    /**
     * Checks the weight count.
     *
     * @throws IllegalArgumentException when a size is below 1 or {@code weights.length != heads * width * dim}
     */
    public KeyConvolution {
        if (heads < 1 || width < 1 || dim < 1) {
            throw new IllegalArgumentException(
                    "key convolution: heads " + heads + ", width " + width + ", dim " + dim + " must be >= 1");
        }
        if (weights.length != (long) heads * width * dim) {
            throw new IllegalArgumentException("key convolution: " + weights.length
                    + " weights, expected heads*width*dim = " + (long) heads * width * dim);
        }
        weights = weights.clone();
    }

    /** The weights, {@code [heads][width][dim]} row-major (a copy). */
    @Override
    public float[] weights() {
        return weights.clone();
    }

    /** Weight of tap {@code u} for channel {@code c} of KV head {@code head}. */
    public float weight(int head, int u, int c) {
        return weights[(head * width + u) * dim + c];
    }
}
