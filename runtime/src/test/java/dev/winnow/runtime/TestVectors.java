package dev.winnow.runtime;

/** Vector comparisons shared by the tests that check embeddings and logits against a reference. */
public final class TestVectors {
    private TestVectors() {}

    /**
     * @param a a vector
     * @param b a vector of the same length
     * @return the cosine of the angle between them, in double precision, -1 to 1 (NaN if either is all zeros)
     */
    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * (double) b[i];
            na += a[i] * (double) a[i];
            nb += b[i] * (double) b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
