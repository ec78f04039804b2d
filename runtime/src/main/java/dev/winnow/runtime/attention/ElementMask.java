package dev.winnow.runtime.attention;

/**
 * An explicit attention mask, one bit per (query row, key); initially nothing is visible. Mutable, not thread-safe
 * while being written.
 */
public final class ElementMask implements AttentionMask {
    private final int queryCount;
    private final int keyCount;
    private final int wordsPerRow;
    private final long[] bits;

    /**
     * An all-masked mask of {@code queryCount x keyCount}.
     *
     * @throws IllegalArgumentException when a count is negative
     */
    public ElementMask(int queryCount, int keyCount) {
        if (queryCount < 0 || keyCount < 0) {
            throw new IllegalArgumentException("element mask: negative size " + queryCount + " x " + keyCount);
        }
        this.queryCount = queryCount;
        this.keyCount = keyCount;
        this.wordsPerRow = (keyCount + 63) >>> 6;
        this.bits = new long[Math.multiplyExact(queryCount, wordsPerRow)];
    }

    @Override
    public int queryCount() {
        return queryCount;
    }

    @Override
    public int keyCount() {
        return keyCount;
    }

    /**
     * Makes key {@code key} visible (or not) to query row {@code query}.
     *
     * @throws IndexOutOfBoundsException when an index is outside the mask
     */
    public void set(int query, int key, boolean visible) {
        if (query < 0 || query >= queryCount || key < 0 || key >= keyCount) {
            throw new IndexOutOfBoundsException(
                    "element mask: (" + query + ", " + key + ") outside " + queryCount + " x " + keyCount);
        }
        int w = query * wordsPerRow + (key >>> 6);
        if (visible) {
            bits[w] |= 1L << key;
        } else {
            bits[w] &= ~(1L << key);
        }
    }

    @Override
    public boolean visible(int query, int key) {
        return (bits[query * wordsPerRow + (key >>> 6)] & (1L << key)) != 0;
    }

    /** Number of visible elements. */
    public long visibleCount() {
        long n = 0;
        for (long w : bits) {
            n += Long.bitCount(w);
        }
        return n;
    }
}
