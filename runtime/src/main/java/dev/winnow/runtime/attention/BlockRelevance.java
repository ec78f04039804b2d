package dev.winnow.runtime.attention;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

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
 *
 * <p>{@link #logits} and {@link #fromLogits} split {@link #fromAttention} in two, so that keys scored by different
 * queries (BlockRank's windows, each with its own query block) can share one softmax per (row, head);
 * {@link #keyWeights} gives the weight of every key (per-token heatmaps).
 */
public final class BlockRelevance {
    private static final Kernels K = Kernels.INSTANCE;

    private BlockRelevance() {}

    /**
     * Scores from queries and keys: {@code fromLogits(List.of(logits(in, queryRows, mask, keySegments, segments)),
     * segments)}.
     *
     * @param in          the operands (Q, K and the scale; V is not read)
     * @param queryRows   query rows to score (for BlockRank the last one or two tokens), each in {@code [0, n_q)}
     * @param mask        visibility {@code [n_q, n_kv]}, or null for all
     * @param keySegments segment id of each key, {@code [n_kv]}; keys of other segments (for example -1) are ignored
     * @param segments    the segment ids to score, distinct
     * @throws IllegalArgumentException when a row, the mask or the segment map does not fit the inputs
     */
    public static SegmentRelevance fromAttention(
            AttentionInputs in, int[] queryRows, AttentionMask mask, int[] keySegments, int[] segments) {
        return fromLogits(List.of(logits(in, queryRows, mask, keySegments, segments)), segments);
    }

    /**
     * The logits {@code scale * q[row, h] . k[key, kvHead(h)]} of the chosen query rows against every key of the chosen
     * segments (only those keys are read), {@code -Infinity} where the mask hides a key from a row.
     *
     * @param in          the operands (Q, K and the scale; V is not read)
     * @param queryRows   query rows, each in {@code [0, n_q)}
     * @param mask        visibility {@code [n_q, n_kv]}, or null for all
     * @param keySegments segment id of each key, {@code [n_kv]}; keys of other segments (for example -1) are left out
     * @param segments    the segment ids whose keys are kept, distinct, non-negative
     * @return the logits, keys in increasing order
     * @throws IllegalArgumentException when a row, the mask or the segment map does not fit the inputs
     */
    public static RelevanceLogits logits(
            AttentionInputs in, int[] queryRows, AttentionMask mask, int[] keySegments, int[] segments) {
        AttentionTensor q = in.q();
        AttentionTensor k = in.k();
        int nkv = k.tokens();
        checkRows(queryRows, q.tokens());
        if (keySegments.length != nkv) {
            throw new IllegalArgumentException(
                    "block relevance: " + keySegments.length + " key segment ids for " + nkv + " keys");
        }
        if (mask != null && (mask.queryCount() != q.tokens() || mask.keyCount() != nkv)) {
            throw new IllegalArgumentException("block relevance: mask covers " + mask.queryCount() + " x "
                    + mask.keyCount() + " but Q has " + q.tokens() + " tokens and K " + nkv);
        }
        int[] column = columns(keySegments, segments);
        int[] keys = IntStream.range(0, nkv).filter(j -> column[j] >= 0).toArray();
        int[] kept = new int[keys.length];
        for (int n = 0; n < keys.length; n++) {
            kept[n] = keySegments[keys[n]];
        }
        int rows = queryRows.length;
        int heads = q.heads();
        int ratio = in.groupSize();
        int d = q.dim();
        int dp = (d + K.lanes() - 1) / K.lanes() * K.lanes();
        int nk = keys.length;
        float[] logits = new float[rows * heads * nk];
        IntStream groups = IntStream.range(0, k.heads());
        boolean parallel = TiledAttention.sharable(q.data()) && TiledAttention.sharable(k.data());
        (parallel ? groups.parallel() : groups).forEach(g -> {
            float[] qs = new float[ratio * rows * dp];
            for (int r = 0; r < ratio; r++) {
                for (int i = 0; i < rows; i++) {
                    q.readRow(queryRows[i], g * ratio + r, in.scale(), qs, (r * rows + i) * dp);
                }
            }
            float[] krow = new float[dp];
            for (int n = 0; n < nk; n++) {
                k.readRow(keys[n], g, 1f, krow, 0);
                for (int r = 0; r < ratio; r++) {
                    for (int i = 0; i < rows; i++) {
                        float s = Float.NEGATIVE_INFINITY;
                        if (mask == null || mask.visible(queryRows[i], keys[n])) {
                            s = K.dot(qs, (r * rows + i) * dp, krow, 0, dp);
                        }
                        logits[(i * heads + g * ratio + r) * nk + n] = s;
                    }
                }
            }
        });
        return new RelevanceLogits(queryRows.clone(), heads, keys, kept, logits);
    }

    /**
     * Block relevance over several groups of keys at once: per (row, head) one softmax over the keys of all parts
     * (which is the attention renormalised over all of them), summed per segment and averaged over heads. Row
     * {@code i} of every part is taken as the same query row (for windows of documents: the signal row of each
     * window's own query block). A (row, head) that sees no key contributes zeros.
     *
     * @param parts    one or more parts with the same number of rows and heads
     * @param segments the segment ids to report, distinct; every kept key of every part must belong to one of them
     * @return per row the head-averaged mass of each segment (each row sums to 1 over the segments)
     * @throws IllegalArgumentException when the parts disagree in rows or heads, or a key's segment is not listed
     */
    public static SegmentRelevance fromLogits(List<RelevanceLogits> parts, int[] segments) {
        double[][][] w = rowWeights(parts);
        int maxId = -1;
        for (RelevanceLogits part : parts) {
            for (int id : part.keySegments()) {
                maxId = Math.max(maxId, id);
            }
        }
        int[] colOf = columns(IntStream.rangeClosed(0, Math.max(maxId, 0)).toArray(), segments);
        int rows = parts.getFirst().queryRows().length;
        double[][] mass = new double[rows][segments.length];
        for (int p = 0; p < parts.size(); p++) {
            int[] ids = parts.get(p).keySegments();
            for (int n = 0; n < ids.length; n++) {
                int c = ids[n] < 0 ? -1 : colOf[ids[n]];
                if (c < 0) {
                    throw new IllegalArgumentException(
                            "block relevance: key " + parts.get(p).keys()[n] + " of part " + p + " has segment "
                                    + ids[n] + ", which is not among the reported segments");
                }
                for (int i = 0; i < rows; i++) {
                    mass[i][c] += w[p][i][n];
                }
            }
        }
        float[][] perRow = new float[rows][segments.length];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < segments.length; c++) {
                perRow[i][c] = (float) mass[i][c];
            }
        }
        return new SegmentRelevance(
                segments.clone(), parts.getFirst().queryRows().clone(), perRow);
    }

    /**
     * Per key the weight block relevance gives it: as {@link #fromLogits}, one softmax per (row, head) over the keys of
     * all parts, here averaged over heads and rows and kept per key (for heatmaps; a segment's row-averaged score is
     * the sum of its keys' weights). In double precision: all weights sum to 1 up to rounding (1e-12), unless no
     * (row, head) sees any key.
     *
     * @param parts one or more parts with the same number of rows and heads
     * @return {@code [part][kept key]} the weights, in [0, 1]
     * @throws IllegalArgumentException when the parts disagree in rows or heads
     */
    public static double[][] keyWeights(List<RelevanceLogits> parts) {
        double[][][] w = rowWeights(parts);
        int rows = parts.getFirst().queryRows().length;
        double[][] out = new double[parts.size()][];
        for (int p = 0; p < parts.size(); p++) {
            out[p] = new double[parts.get(p).keyCount()];
            for (int i = 0; i < rows; i++) {
                for (int n = 0; n < out[p].length; n++) {
                    out[p][n] += w[p][i][n] / rows;
                }
            }
        }
        return out;
    }

    /** {@code [part][row][key]}: per (row, head) the softmax over all parts' keys, averaged over heads. */
    private static double[][][] rowWeights(List<RelevanceLogits> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("block relevance: no logits to merge");
        }
        int rows = parts.getFirst().queryRows().length;
        int heads = parts.getFirst().heads();
        for (RelevanceLogits part : parts) {
            if (part.queryRows().length != rows || part.heads() != heads) {
                throw new IllegalArgumentException("block relevance: parts of " + rows + " rows x " + heads
                        + " heads and " + part.queryRows().length + " rows x " + part.heads()
                        + " heads cannot share a softmax");
            }
        }
        double[][][] w = new double[parts.size()][rows][];
        for (int p = 0; p < parts.size(); p++) {
            for (int i = 0; i < rows; i++) {
                w[p][i] = new double[parts.get(p).keyCount()];
            }
        }
        for (int i = 0; i < rows; i++) {
            for (int h = 0; h < heads; h++) {
                double max = Double.NEGATIVE_INFINITY;
                for (RelevanceLogits part : parts) {
                    for (int n = 0; n < part.keyCount(); n++) {
                        max = Math.max(max, part.logit(i, h, n));
                    }
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                double z = 0;
                for (RelevanceLogits part : parts) {
                    for (int n = 0; n < part.keyCount(); n++) {
                        z += Math.exp(part.logit(i, h, n) - max);
                    }
                }
                double f = 1.0 / (z * heads);
                for (int p = 0; p < parts.size(); p++) {
                    RelevanceLogits part = parts.get(p);
                    double[] row = w[p][i];
                    for (int n = 0; n < row.length; n++) {
                        row[n] += Math.exp(part.logit(i, h, n) - max) * f;
                    }
                }
            }
        }
        return w;
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
    public static SegmentRelevance fromProbabilities(
            AttentionProbabilities probs, int[] queryRows, int[] keySegments, int[] segments) {
        checkRows(queryRows, probs.queries());
        if (keySegments.length != probs.keys()) {
            throw new IllegalArgumentException(
                    "block relevance: " + keySegments.length + " key segment ids for " + probs.keys() + " keys");
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
