package dev.winnow.runtime.attention;

/**
 * A relation between segments of a prompt: for each (query segment, key segment) pair, whether tokens of the first see
 * tokens of the second never, causally (key position &le; query position), or always. Initially nothing is visible.
 * Mutable; not thread-safe while being written.
 */
public final class SegmentVisibility {

    /** How a query segment sees a key segment. */
    public enum Kind {
        /** Never. */
        NONE,
        /** When the key's position is not after the query's. */
        CAUSAL,
        /** Always. */
        ALL
    }

    private static final Kind[] KINDS = Kind.values();

    private final int segments;
    private final byte[] kinds;

    /**
     * A relation over segments {@code 0 .. segments-1}, nothing visible.
     *
     * @throws IllegalArgumentException when {@code segments < 1}
     */
    public SegmentVisibility(int segments) {
        if (segments < 1) {
            throw new IllegalArgumentException("segment visibility: " + segments + " segments, need >= 1");
        }
        this.segments = segments;
        this.kinds = new byte[Math.multiplyExact(segments, segments)];
    }

    /**
     * BlockRank's relation (Gupta et al. 2025) for {@code documents} documents: segment 0 is the instruction, segments
     * {@code 1..documents} the documents, segment {@code documents + 1} the query block. The instruction sees itself
     * causally; each document sees the instruction and itself causally, never another document; the query sees the
     * instruction and every document, and itself causally.
     *
     * @throws IllegalArgumentException when {@code documents < 0}
     */
    public static SegmentVisibility blockRank(int documents) {
        if (documents < 0) {
            throw new IllegalArgumentException("BlockRank visibility: negative document count " + documents);
        }
        int query = documents + 1;
        SegmentVisibility v = new SegmentVisibility(documents + 2);
        v.set(0, 0, Kind.CAUSAL);
        for (int d = 1; d <= documents; d++) {
            v.set(d, 0, Kind.CAUSAL);
            v.set(d, d, Kind.CAUSAL);
            v.set(query, d, Kind.ALL);
        }
        v.set(query, 0, Kind.ALL);
        v.set(query, query, Kind.CAUSAL);
        return v;
    }

    /** Number of segments. */
    public int segments() {
        return segments;
    }

    /**
     * Sets how segment {@code from} (the query side) sees segment {@code to} (the key side).
     *
     * @throws IndexOutOfBoundsException when a segment id is out of range
     */
    public void set(int from, int to, Kind kind) {
        check(from, to);
        kinds[from * segments + to] = (byte) kind.ordinal();
    }

    /** How segment {@code from} sees segment {@code to}. */
    public Kind get(int from, int to) {
        check(from, to);
        return KINDS[kinds[from * segments + to]];
    }

    int kindOrdinal(int from, int to) {
        return kinds[from * segments + to];
    }

    private void check(int from, int to) {
        if (from < 0 || from >= segments || to < 0 || to >= segments) {
            throw new IndexOutOfBoundsException(
                    "segment visibility: pair (" + from + ", " + to + ") outside " + segments + " segments");
        }
    }
}
