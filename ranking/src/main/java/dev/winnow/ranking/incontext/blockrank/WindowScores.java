package dev.winnow.ranking.incontext.blockrank;

import dev.winnow.ranking.incontext.score.HeadShape;
import dev.winnow.runtime.attention.AttentionInputs;
import dev.winnow.runtime.attention.AttentionTensor;
import dev.winnow.runtime.attention.BlockRelevance;
import dev.winnow.runtime.attention.ElementType;
import dev.winnow.runtime.attention.RelevanceLogits;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * BlockRank's score (shared by {@link BlockRankRanker} and {@link ListwiseRanker}) over one or more windows of
 * documents, computed with the runtime's block-relevance kernel: per scoring layer and window,
 * {@link BlockRelevance#logits} of the window's signal rows against its documents' keys; then, per layer, one softmax
 * per (signal row, head) over the document tokens of all windows ({@link BlockRelevance#keyWeights}), which is the
 * signal rows' attention restricted to the documents and renormalised over them, averaged over heads and rows.
 * So the scores of all documents sum to 1 per layer as in one prompt, whatever the number of windows. A document's
 * score is the sum of its tokens' weights, summed over the scoring layers.
 */
final class WindowScores {

    /**
     * @param scores       per document (canonical order) its score, in [0, number of layers]
     * @param tokenWeights per document the weight of each of its tokens, summing to its score
     */
    record Scores(double[] scores, float[][] tokenWeights) {}

    private final int documents;
    private final List<List<RelevanceLogits>> perLayer = new ArrayList<>();
    private final int[] length;

    /**
     * @param layers    number of scoring layers, >= 1
     * @param documents number of documents of the call, >= 1
     */
    WindowScores(int layers, int documents) {
        this.documents = documents;
        this.length = new int[documents];
        for (int l = 0; l < layers; l++) {
            perLayer.add(new ArrayList<>());
        }
    }

    /**
     * Adds one window at one scoring layer.
     *
     * @param layer     index of the scoring layer (into the ranker's layers)
     * @param shape     head geometry of the layer
     * @param signalQ   the signal rows' post-RoPE Q, {@code rows * shape.qWidth()} floats, [row][head][dim]
     * @param rows      number of signal rows, >= 1
     * @param documents the window's documents (indices in canonical order), in the order of {@code docKeys}
     * @param docKeys   per document its tokens' post-RoPE K, {@code tokens * shape.kWidth()} floats, [token][kvHead][dim]
     * @throws IllegalArgumentException when an array does not fit the shape
     */
    void add(int layer, HeadShape shape, float[] signalQ, int rows, int[] documents, List<float[]> docKeys) {
        if (rows < 1 || signalQ.length != rows * shape.qWidth()) {
            throw new IllegalArgumentException(
                    "signal Q has " + signalQ.length + " floats, expected " + rows + " x " + shape.qWidth());
        }
        if (documents.length != docKeys.size()) {
            throw new IllegalArgumentException(documents.length + " documents but keys of " + docKeys.size());
        }
        int tokens = 0;
        for (int j = 0; j < docKeys.size(); j++) {
            float[] k = docKeys.get(j);
            if (k.length % shape.kWidth() != 0) {
                throw new IllegalArgumentException("keys of document " + documents[j] + " have " + k.length
                        + " floats, not a multiple of " + shape.kWidth());
            }
            length[documents[j]] = k.length / shape.kWidth();
            tokens += length[documents[j]];
        }
        float[] keys = new float[tokens * shape.kWidth()];
        int[] segment = new int[tokens];
        int at = 0;
        for (int j = 0; j < docKeys.size(); j++) {
            float[] k = docKeys.get(j);
            System.arraycopy(k, 0, keys, at * shape.kWidth(), k.length);
            Arrays.fill(segment, at, at + length[documents[j]], documents[j]);
            at += length[documents[j]];
        }
        AttentionTensor q = AttentionTensor.contiguous(
                MemorySegment.ofArray(signalQ), ElementType.F32, rows, shape.nHead(), shape.headDim());
        AttentionTensor k = AttentionTensor.contiguous(
                MemorySegment.ofArray(keys), ElementType.F32, tokens, shape.nHeadKv(), shape.headDim());
        int[] signalRows = new int[rows];
        for (int r = 0; r < rows; r++) {
            signalRows[r] = r;
        }
        perLayer.get(layer)
                .add(BlockRelevance.logits(
                        new AttentionInputs(q, k, k, shape.scale()), signalRows, null, segment, documents.clone()));
    }

    /**
     * Merges the windows.
     *
     * @return per document its score and token weights
     * @throws IllegalStateException when a layer has no window
     */
    Scores merge() {
        double[] scores = new double[documents];
        float[][] weights = new float[documents][];
        for (int d = 0; d < documents; d++) {
            weights[d] = new float[length[d]];
        }
        for (List<RelevanceLogits> windows : perLayer) {
            if (windows.isEmpty()) {
                throw new IllegalStateException("a scoring layer has no window of documents");
            }
            double[][] w = BlockRelevance.keyWeights(windows);
            for (int p = 0; p < windows.size(); p++) {
                int[] segment = windows.get(p).keySegments();
                int token = 0;
                for (int n = 0; n < segment.length; n++) {
                    int d = segment[n];
                    token = n == 0 || segment[n - 1] != d ? 0 : token + 1;
                    scores[d] += w[p][n];
                    weights[d][token] += (float) w[p][n];
                }
            }
        }
        return new Scores(scores, weights);
    }
}
