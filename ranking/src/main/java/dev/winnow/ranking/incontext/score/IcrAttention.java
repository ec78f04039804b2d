package dev.winnow.ranking.incontext.score;

/**
 * In-context re-ranking's attention aggregation (Chen et al. 2024, "Attention in Large Language Models Yields
 * Efficient Zero-Shot Re-Rankers", ICR): per key token j, {@code s_j = (1/|Q|) sum over layers, heads and query-span
 * tokens k of a[k -> j]} where a is the ordinary causal softmax attention; the same quantity for a content-free query
 * ("N/A") is subtracted; calibrated token scores below mean - 2 std (over all document tokens) are dropped and a
 * document's score is the sum of its remaining tokens.
 */
public final class IcrAttention {

    private IcrAttention() {}

    /**
     * Adds one layer's attention from the query span onto the keys: {@code into[j] += sum_h sum_i a_h[i -> j] / nq}.
     *
     * @param shape     head geometry of the layer
     * @param q         post-RoPE Q of the query-span tokens, {@code nq * shape.qWidth()} floats, [token][head][dim]
     * @param nq        number of query-span tokens, >= 1
     * @param qKeyIndex per query token, the index of its own key in {@code keys}; it attends keys 0..qKeyIndex[i]
     *                  inclusive (causal)
     * @param keys      post-RoPE K of every token of the prompt in causal order, [token][kvHead][dim]
     * @param into      per key the accumulated attention (length >= the number of keys)
     * @throws IllegalArgumentException when the arrays do not match the shape
     */
    public static void accumulate(HeadShape shape, float[] q, int nq, int[] qKeyIndex, float[] keys, double[] into) {
        if (nq < 1 || q.length != nq * shape.qWidth() || qKeyIndex.length != nq) {
            throw new IllegalArgumentException("query span: " + q.length + " floats and " + qKeyIndex.length
                    + " key indices for " + nq + " tokens of width " + shape.qWidth());
        }
        if (keys.length % shape.kWidth() != 0) {
            throw new IllegalArgumentException(
                    "keys have " + keys.length + " floats, not a multiple of " + shape.kWidth());
        }
        int nKeys = keys.length / shape.kWidth();
        float[] logits = new float[nKeys];
        for (int i = 0; i < nq; i++) {
            int last = qKeyIndex[i];
            if (last < 0 || last >= nKeys || last >= into.length) {
                throw new IllegalArgumentException("query token " + i + " key index " + last + " outside 0.."
                        + (Math.min(nKeys, into.length) - 1));
            }
            for (int h = 0; h < shape.nHead(); h++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= last; j++) {
                    float s = shape.dot(q, i * shape.qWidth(), h, keys, j * shape.kWidth());
                    logits[j] = s;
                    max = Math.max(max, s);
                }
                double z = 0;
                for (int j = 0; j <= last; j++) {
                    z += Math.exp(logits[j] - max);
                }
                double f = 1.0 / (z * nq);
                for (int j = 0; j <= last; j++) {
                    into[j] += Math.exp(logits[j] - max) * f;
                }
            }
        }
    }

    /**
     * Scores and per-token calibrated weights.
     *
     * @param scores       per document the sum of its kept calibrated token scores
     * @param tokenWeights per document its calibrated token scores, 0 where the 2-sigma filter dropped the token
     * @param dropped      number of document tokens dropped by the filter
     */
    public record Scores(double[] scores, float[][] tokenWeights, int dropped) {}

    /**
     * Calibrates and filters.
     *
     * @param real        accumulated attention with the real query, per key
     * @param contentFree accumulated attention with the "N/A" query, per key (same key indices for the documents)
     * @param docStart    per document the key index of its first token
     * @param docLength   per document its number of tokens
     * @return the scores
     */
    public static Scores calibrate(double[] real, double[] contentFree, int[] docStart, int[] docLength) {
        int n = docStart.length;
        long count = 0;
        double sum = 0;
        double sumSq = 0;
        for (int d = 0; d < n; d++) {
            for (int j = docStart[d]; j < docStart[d] + docLength[d]; j++) {
                double c = real[j] - contentFree[j];
                sum += c;
                sumSq += c * c;
                count++;
            }
        }
        double mean = count == 0 ? 0 : sum / count;
        double std = count == 0 ? 0 : Math.sqrt(Math.max(0, sumSq / count - mean * mean));
        double threshold = mean - 2 * std;
        double[] scores = new double[n];
        float[][] weights = new float[n][];
        int dropped = 0;
        for (int d = 0; d < n; d++) {
            weights[d] = new float[docLength[d]];
            for (int t = 0; t < docLength[d]; t++) {
                int j = docStart[d] + t;
                double c = real[j] - contentFree[j];
                if (c < threshold) {
                    dropped++;
                    continue;
                }
                weights[d][t] = (float) c;
                scores[d] += c;
            }
        }
        return new Scores(scores, weights, dropped);
    }
}
