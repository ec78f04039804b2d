package dev.winnow.ranking.incontext.score;

import java.util.List;

/**
 * BlockRank's relevance score computed Java-side from captured post-RoPE queries and keys of one layer (Gupta et al.
 * 2025, "Scalable In-context Ranking with Generative Models", section on attention-based inference): for every signal
 * row r and query head h, the attention logits {@code scale * q[r,h] . k[t, kv(h)]} over all document tokens t are
 * put through one softmax (that is the attention restricted to document tokens and renormalised over them), then
 * averaged over heads and rows; a document's score is the sum over its tokens. The scores of one call sum to 1.
 *
 * <p>The logits are kept per document so that several windows of documents can be merged into one softmax
 * ({@link #combine}), and scores summed over layers.
 */
public final class SignalAttention {

    private SignalAttention() {
    }

    /**
     * The logits of one document: {@code logits[r * nHead + h][t]}.
     *
     * @param logits per (signal row, head) the scaled q·k of each document token
     */
    public record DocumentLogits(float[][] logits) {
        /** Number of document tokens. */
        public int tokens() {
            return logits.length == 0 ? 0 : logits[0].length;
        }
    }

    /**
     * Scores and per-token weights.
     *
     * @param scores       one score per document, in [0, 1], summing to 1 over the documents
     * @param tokenWeights per document, the weight of each token (summing to the document's score)
     */
    public record Scores(double[] scores, float[][] tokenWeights) {
    }

    /**
     * Computes the logits of every document.
     *
     * @param shape    head geometry of the layer
     * @param signalQ  the signal rows' Q, {@code rows * shape.qWidth()} floats, row-major [row][head][dim]
     * @param rows     number of signal rows (1 or 2), >= 1
     * @param docKeys  per document its tokens' K, {@code tokens * shape.kWidth()} floats, row-major [token][kvHead][dim]
     * @return per document its logits
     * @throws IllegalArgumentException when an array's length does not match the shape
     */
    public static DocumentLogits[] logits(HeadShape shape, float[] signalQ, int rows, List<float[]> docKeys) {
        if (rows < 1 || signalQ.length != rows * shape.qWidth()) {
            throw new IllegalArgumentException("signal Q has " + signalQ.length + " floats, expected " + rows + " x "
                    + shape.qWidth());
        }
        DocumentLogits[] out = new DocumentLogits[docKeys.size()];
        int rh = rows * shape.nHead();
        for (int d = 0; d < out.length; d++) {
            float[] k = docKeys.get(d);
            if (k.length % shape.kWidth() != 0) {
                throw new IllegalArgumentException("keys of document " + d + " have " + k.length
                        + " floats, not a multiple of " + shape.kWidth());
            }
            int n = k.length / shape.kWidth();
            float[][] l = new float[rh][n];
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < shape.nHead(); h++) {
                    float[] row = l[r * shape.nHead() + h];
                    for (int t = 0; t < n; t++) {
                        row[t] = shape.dot(signalQ, r * shape.qWidth(), h, k, t * shape.kWidth());
                    }
                }
            }
            out[d] = new DocumentLogits(l);
        }
        return out;
    }

    /**
     * One softmax over all document tokens of all given documents per (row, head), averaged over (row, head).
     *
     * @param docs the documents' logits (possibly from several windows; all with the same number of (row, head)
     *             pairs)
     * @return scores and token weights, in the order of {@code docs}
     */
    public static Scores combine(List<DocumentLogits> docs) {
        int n = docs.size();
        double[] scores = new double[n];
        float[][] weights = new float[n][];
        if (n == 0) {
            return new Scores(scores, weights);
        }
        int rh = docs.getFirst().logits().length;
        for (int d = 0; d < n; d++) {
            if (docs.get(d).logits().length != rh) {
                throw new IllegalArgumentException("document " + d + " has " + docs.get(d).logits().length
                        + " (row, head) pairs, expected " + rh);
            }
            weights[d] = new float[docs.get(d).tokens()];
        }
        double[][] acc = new double[n][];
        for (int d = 0; d < n; d++) {
            acc[d] = new double[weights[d].length];
        }
        for (int p = 0; p < rh; p++) {
            double max = Double.NEGATIVE_INFINITY;
            for (DocumentLogits doc : docs) {
                for (float v : doc.logits()[p]) {
                    max = Math.max(max, v);
                }
            }
            if (max == Double.NEGATIVE_INFINITY) {
                throw new IllegalArgumentException("no document tokens to score");
            }
            double z = 0;
            for (DocumentLogits doc : docs) {
                for (float v : doc.logits()[p]) {
                    z += Math.exp(v - max);
                }
            }
            for (int d = 0; d < n; d++) {
                float[] row = docs.get(d).logits()[p];
                double[] a = acc[d];
                for (int t = 0; t < row.length; t++) {
                    a[t] += Math.exp(row[t] - max) / z / rh;
                }
            }
        }
        for (int d = 0; d < n; d++) {
            double s = 0;
            for (int t = 0; t < acc[d].length; t++) {
                s += acc[d][t];
                weights[d][t] = (float) acc[d][t];
            }
            scores[d] = s;
        }
        return new Scores(scores, weights);
    }
}
