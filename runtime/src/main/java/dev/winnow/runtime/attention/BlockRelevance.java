package dev.winnow.runtime.attention;

import java.util.Arrays;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Block relevance, BlockRank's score (Gupta et al. 2025, "Scalable In-context Ranking with Generative Models"): for
 * each chosen query row and head, take the attention probabilities over the keys, keep only the keys of the chosen
 * segments (for BlockRank: the documents), renormalise over them, sum per segment, and average over heads (and over the
 * rows with {@link SegmentRelevance#meanOverRows()}).
 *
 * <p>Renormalising the softmax over a subset of keys equals a softmax over that subset alone, so
 * {@link #fromAttention} computes the score from Q and K without the full probability matrix, reading only the keys of
 * the chosen segments; {@link #fromProbabilities} computes it from probabilities already at hand (for example
 * llama.cpp's {@code kq_soft_max-L}). A head whose row sees no key of the chosen segments contributes zeros.
 */
public final class BlockRelevance {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private BlockRelevance() {
    }

    /**
     * Scores from queries and keys.
     *
     * @param in          the operands (Q, K and the scale; V is not read)
     * @param queryRows   query rows to score (for BlockRank the last one or two tokens), each in {@code [0, n_q)}
     * @param mask        visibility {@code [n_q, n_kv]}, or null for all
     * @param keySegments segment id of each key, {@code [n_kv]}; keys of other segments (for example -1) are ignored
     * @param segments    the segment ids to score, distinct
     * @throws IllegalArgumentException when a row, the mask or the segment map does not fit the inputs
     */
    public static SegmentRelevance fromAttention(AttentionInputs in, int[] queryRows, AttentionMask mask, int[] keySegments,
                                                 int[] segments) {
        AttentionTensor q = in.q();
        AttentionTensor k = in.k();
        int nkv = k.tokens();
        checkRows(queryRows, q.tokens());
        if (keySegments.length != nkv) {
            throw new IllegalArgumentException("block relevance: " + keySegments.length + " key segment ids for " + nkv + " keys");
        }
        if (mask != null && (mask.queryCount() != q.tokens() || mask.keyCount() != nkv)) {
            throw new IllegalArgumentException("block relevance: mask covers " + mask.queryCount() + " x " + mask.keyCount()
                    + " but Q has " + q.tokens() + " tokens and K " + nkv);
        }
        int[] column = columns(keySegments, segments);
        int[] keys = IntStream.range(0, nkv).filter(j -> column[j] >= 0).toArray();
        int rows = queryRows.length;
        int heads = q.heads();
        int ratio = in.groupSize();
        int d = q.dim();
        int dp = (d + S.length() - 1) / S.length() * S.length();
        float[][][] perHead = new float[heads][rows][segments.length];
        IntStream groups = IntStream.range(0, k.heads());
        boolean parallel = TiledAttention.sharable(q.data()) && TiledAttention.sharable(k.data());
        (parallel ? groups.parallel() : groups).forEach(g -> {
            float[] qs = new float[ratio * rows * dp];
            for (int r = 0; r < ratio; r++) {
                for (int i = 0; i < rows; i++) {
                    q.readRow(queryRows[i], g * ratio + r, in.scale(), qs, (r * rows + i) * dp);
                }
            }
            float[] scores = new float[ratio * rows * keys.length];
            float[] krow = new float[dp];
            for (int n = 0; n < keys.length; n++) {
                k.readRow(keys[n], g, 1f, krow, 0);
                for (int r = 0; r < ratio; r++) {
                    for (int i = 0; i < rows; i++) {
                        float s = Float.NEGATIVE_INFINITY;
                        if (mask == null || mask.visible(queryRows[i], keys[n])) {
                            FloatVector acc = FloatVector.zero(S);
                            int qo = (r * rows + i) * dp;
                            for (int c = 0; c < dp; c += S.length()) {
                                acc = FloatVector.fromArray(S, qs, qo + c).fma(FloatVector.fromArray(S, krow, c), acc);
                            }
                            s = acc.reduceLanes(VectorOperators.ADD);
                        }
                        scores[(r * rows + i) * keys.length + n] = s;
                    }
                }
            }
            for (int r = 0; r < ratio; r++) {
                for (int i = 0; i < rows; i++) {
                    int off = (r * rows + i) * keys.length;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int n = 0; n < keys.length; n++) {
                        max = Math.max(max, scores[off + n]);
                    }
                    if (max == Float.NEGATIVE_INFINITY) {
                        continue;
                    }
                    double z = 0;
                    float[] mass = perHead[g * ratio + r][i];
                    for (int n = 0; n < keys.length; n++) {
                        float e = (float) Math.exp(scores[off + n] - max);
                        z += e;
                        mass[column[keys[n]]] += e;
                    }
                    for (int s = 0; s < mass.length; s++) {
                        mass[s] = (float) (mass[s] / z);
                    }
                }
            }
        });
        return average(perHead, segments, queryRows);
    }

    /**
     * Scores from attention probabilities {@code [n_head, n_q, n_kv]} (for example a view of llama.cpp's
     * {@code kq_soft_max-L}, whose columns are KV cells: give the segment of each cell, -1 for cells of no scored
     * segment, such as padding or other sequences).
     *
     * @param probs       the probabilities
     * @param queryRows   rows to score, each in {@code [0, n_q)}
     * @param keySegments segment id of each key or KV cell, {@code [n_kv]}
     * @param segments    the segment ids to score, distinct
     * @throws IllegalArgumentException when a row or the segment map does not fit the probabilities
     */
    public static SegmentRelevance fromProbabilities(AttentionProbabilities probs, int[] queryRows, int[] keySegments, int[] segments) {
        checkRows(queryRows, probs.queries());
        if (keySegments.length != probs.keys()) {
            throw new IllegalArgumentException("block relevance: " + keySegments.length + " key segment ids for " + probs.keys() + " keys");
        }
        int[] column = columns(keySegments, segments);
        float[][][] perHead = new float[probs.heads()][queryRows.length][segments.length];
        for (int h = 0; h < probs.heads(); h++) {
            for (int i = 0; i < queryRows.length; i++) {
                double[] mass = new double[segments.length];
                double z = 0;
                for (int j = 0; j < probs.keys(); j++) {
                    if (column[j] >= 0) {
                        float p = probs.read(h, queryRows[i], j);
                        mass[column[j]] += p;
                        z += p;
                    }
                }
                if (z > 0) {
                    for (int s = 0; s < segments.length; s++) {
                        perHead[h][i][s] = (float) (mass[s] / z);
                    }
                }
            }
        }
        return average(perHead, segments, queryRows);
    }

    private static SegmentRelevance average(float[][][] perHead, int[] segments, int[] queryRows) {
        float[][] perRow = new float[queryRows.length][segments.length];
        for (float[][] head : perHead) {
            for (int i = 0; i < queryRows.length; i++) {
                for (int s = 0; s < segments.length; s++) {
                    perRow[i][s] += head[i][s] / perHead.length;
                }
            }
        }
        return new SegmentRelevance(segments.clone(), queryRows.clone(), perRow);
    }

    /** For each key, the column of its segment among {@code segments}, or -1. */
    private static int[] columns(int[] keySegments, int[] segments) {
        int maxId = -1;
        for (int s : segments) {
            if (s < 0) {
                throw new IllegalArgumentException("block relevance: scored segment id " + s + " is negative");
            }
            maxId = Math.max(maxId, s);
        }
        int[] colOf = new int[maxId + 1];
        Arrays.fill(colOf, -1);
        for (int c = 0; c < segments.length; c++) {
            if (colOf[segments[c]] >= 0) {
                throw new IllegalArgumentException("block relevance: segment id " + segments[c] + " is listed twice");
            }
            colOf[segments[c]] = c;
        }
        int[] column = new int[keySegments.length];
        for (int j = 0; j < keySegments.length; j++) {
            int id = keySegments[j];
            column[j] = id >= 0 && id <= maxId ? colOf[id] : -1;
        }
        return column;
    }

    private static void checkRows(int[] queryRows, int nq) {
        for (int r : queryRows) {
            if (r < 0 || r >= nq) {
                throw new IllegalArgumentException("block relevance: query row " + r + " outside [0, " + nq + ")");
            }
        }
    }
}
