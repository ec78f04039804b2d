package dev.winnow.runtime.attention;

/**
 * Attention mass per key segment, per query row, averaged over heads (see {@link BlockRelevance}).
 *
 * @param segments  the segment ids scored, in the order of the columns of {@code perRow}
 * @param queryRows the query rows scored, in the order of the rows of {@code perRow}
 * @param perRow    {@code [queryRows.length][segments.length]}: for each row, the head-averaged share of the
 *                  renormalised attention on each segment; each row sums to 1 (or 0 when no head of the row sees any
 *                  scored key), up to f32 rounding
 */
public record SegmentRelevance(int[] segments, int[] queryRows, float[][] perRow) {

    /** The head-averaged mass of each segment averaged again over the query rows: {@code [segments.length]}. */
    public float[] meanOverRows() {
        float[] mean = new float[segments.length];
        for (float[] row : perRow) {
            for (int s = 0; s < segments.length; s++) {
                mean[s] += row[s];
            }
        }
        for (int s = 0; s < segments.length; s++) {
            mean[s] /= Math.max(1, perRow.length);
        }
        return mean;
    }

    /**
     * The row-averaged mass of segment id {@code segment}.
     *
     * @throws IllegalArgumentException when the segment was not scored
     */
    public float meanOf(int segment) {
        for (int s = 0; s < segments.length; s++) {
            if (segments[s] == segment) {
                return meanOverRows()[s];
            }
        }
        throw new IllegalArgumentException("segment " + segment + " was not scored");
    }
}
