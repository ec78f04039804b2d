package dev.winnow.runtime.attention;

import java.util.Arrays;

/**
 * An attention mask from a segment map: every query row and key carries a segment id and a position, and row
 * {@code q} sees key {@code k} according to {@link SegmentVisibility}: never, when
 * {@code keyPosition <= queryPosition} (causal), or always.
 *
 * <p>BlockRank's layout (instruction, independent documents, query over all) is {@link #blockRank}.
 */
public final class SegmentMask implements AttentionMask {
    private static final int CAUSAL = SegmentVisibility.Kind.CAUSAL.ordinal();
    private static final int ALL = SegmentVisibility.Kind.ALL.ordinal();

    private final int[] querySegments;
    private final int[] queryPositions;
    private final int[] keySegments;
    private final int[] keyPositions;
    private final SegmentVisibility visibility;

    /**
     * A mask over {@code querySegments.length} query rows and {@code keySegments.length} keys. Arrays are copied.
     *
     * @throws IllegalArgumentException when segment and position arrays differ in length or a segment id is outside
     *                                  {@code [0, visibility.segments())}
     */
    public SegmentMask(
            int[] querySegments,
            int[] queryPositions,
            int[] keySegments,
            int[] keyPositions,
            SegmentVisibility visibility) {
        if (querySegments.length != queryPositions.length || keySegments.length != keyPositions.length) {
            throw new IllegalArgumentException("segment mask: " + querySegments.length + " query segments vs "
                    + queryPositions.length + " query positions, " + keySegments.length + " key segments vs "
                    + keyPositions.length + " key positions");
        }
        checkIds("query", querySegments, visibility.segments());
        checkIds("key", keySegments, visibility.segments());
        this.querySegments = querySegments.clone();
        this.queryPositions = queryPositions.clone();
        this.keySegments = keySegments.clone();
        this.keyPositions = keyPositions.clone();
        this.visibility = visibility;
    }

    /**
     * Self-attention over one sequence of tokens: queries and keys are the same tokens, token {@code i} has segment
     * {@code segments[i]} and position {@code i}.
     */
    public static SegmentMask selfAttention(int[] segments, SegmentVisibility visibility) {
        int[] pos = new int[segments.length];
        Arrays.setAll(pos, i -> i);
        return new SegmentMask(segments, pos, segments, pos, visibility);
    }

    /**
     * BlockRank's mask over the prompt {@code instruction, document 1, ..., document N, query} laid out in that order
     * (segment ids 0, 1..N, N+1; see {@link SegmentVisibility#blockRank}).
     *
     * @param instructionLength tokens of the instruction block, &ge; 0
     * @param documentLengths   tokens of each document block, each &ge; 0
     * @param queryLength       tokens of the query block, &ge; 0
     * @throws IllegalArgumentException when a length is negative
     */
    public static SegmentMask blockRank(int instructionLength, int[] documentLengths, int queryLength) {
        return selfAttention(
                blockRankSegments(instructionLength, documentLengths, queryLength),
                SegmentVisibility.blockRank(documentLengths.length));
    }

    /**
     * The segment id of each token of BlockRank's prompt layout (see {@link #blockRank}): 0 for the instruction, i for
     * document i (1-based), N+1 for the query.
     */
    public static int[] blockRankSegments(int instructionLength, int[] documentLengths, int queryLength) {
        if (instructionLength < 0 || queryLength < 0) {
            throw new IllegalArgumentException("BlockRank layout: negative instruction (" + instructionLength
                    + ") or query (" + queryLength + ") length");
        }
        long total = (long) instructionLength + queryLength;
        for (int i = 0; i < documentLengths.length; i++) {
            if (documentLengths[i] < 0) {
                throw new IllegalArgumentException(
                        "BlockRank layout: document " + (i + 1) + " has negative length " + documentLengths[i]);
            }
            total += documentLengths[i];
        }
        int[] seg = new int[Math.toIntExact(total)];
        int p = instructionLength;
        for (int i = 0; i < documentLengths.length; i++) {
            Arrays.fill(seg, p, p + documentLengths[i], i + 1);
            p += documentLengths[i];
        }
        Arrays.fill(seg, p, p + queryLength, documentLengths.length + 1);
        return seg;
    }

    private static void checkIds(String side, int[] ids, int segments) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= segments) {
                throw new IllegalArgumentException("segment mask: " + side + " " + i + " has segment " + ids[i]
                        + ", outside [0, " + segments + ")");
            }
        }
    }

    @Override
    public int queryCount() {
        return querySegments.length;
    }

    @Override
    public int keyCount() {
        return keySegments.length;
    }

    /** Segment id of query row {@code query}. */
    public int querySegment(int query) {
        return querySegments[query];
    }

    /** Segment id of key {@code key}. */
    public int keySegment(int key) {
        return keySegments[key];
    }

    /** The relation between segments. */
    public SegmentVisibility visibility() {
        return visibility;
    }

    @Override
    public boolean visible(int query, int key) {
        int kind = visibility.kindOrdinal(querySegments[query], keySegments[key]);
        return kind == ALL || (kind == CAUSAL && keyPositions[key] <= queryPositions[query]);
    }
}
