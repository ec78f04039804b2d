package dev.winnow.runtime;

/**
 * L2 normalisation of embedding vectors, the one implementation Winnow uses (a context's normalised embeddings, every
 * embedder's output, the vectors an index stores and searches with): the sum of squares in double, one float factor.
 */
public final class UnitVectors {
    private UnitVectors() {}

    /**
     * Scales a vector to unit L2 norm in place; an all-zero vector stays zero. Non-finite components are not checked
     * here (callers that must refuse them do so first, with their own message).
     *
     * @param v the vector
     * @return {@code v}
     */
    public static float[] normalize(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        if (s > 0) {
            float inv = (float) (1.0 / Math.sqrt(s));
            for (int i = 0; i < v.length; i++) {
                v[i] *= inv;
            }
        }
        return v;
    }
}
