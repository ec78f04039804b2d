package dev.winnow.runtime.attention;

/**
 * The attention logits {@code scale * q . k} of chosen query rows against the keys of chosen segments, per query head
 * (see {@link BlockRelevance#logits}): the input of the softmax that block relevance restricts to those keys. Kept so
 * that several groups of keys, each scored by its own queries (for example windows of documents, each with its own
 * query block), can go through one softmax per (row, head) ({@link BlockRelevance#fromLogits},
 * {@link BlockRelevance#keyWeights}).
 *
 * @param queryRows   the query rows scored, {@code [rows]} (indices into the Q the logits came from)
 * @param heads       query heads, >= 1
 * @param keys        the kept keys, {@code [n]}: indices into the K the logits came from, increasing
 * @param keySegments the segment id of each kept key, {@code [n]}
 * @param logits      {@code [rows * heads * n]}, row-major {@code [row][head][key]}; {@code -Infinity} where the mask
 *                    hides the key from the row
 */
public record RelevanceLogits(int[] queryRows, int heads, int[] keys, int[] keySegments, float[] logits) {

    /**
     * Checks the lengths.
     *
     * @throws IllegalArgumentException when {@code heads < 1} or the arrays' lengths disagree
     */
    public RelevanceLogits {
        if (heads < 1) {
            throw new IllegalArgumentException("relevance logits: " + heads + " heads");
        }
        if (keySegments.length != keys.length) {
            throw new IllegalArgumentException(
                    "relevance logits: " + keySegments.length + " segment ids for " + keys.length + " keys");
        }
        if (logits.length != (long) queryRows.length * heads * keys.length) {
            throw new IllegalArgumentException("relevance logits: " + logits.length + " logits for " + queryRows.length
                    + " rows x " + heads + " heads x " + keys.length + " keys");
        }
    }

    /** The number of kept keys. */
    public int keyCount() {
        return keys.length;
    }

    /** The logit of row {@code i} (an index into {@link #queryRows}), head {@code h}, kept key {@code n}. */
    public float logit(int i, int h, int n) {
        return logits[(i * heads + h) * keys.length + n];
    }
}
