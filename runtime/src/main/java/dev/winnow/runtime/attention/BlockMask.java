package dev.winnow.runtime.attention;

/**
 * Which (query block, key block) tiles block-sparse attention computes, for one shared layer or one layer per query
 * head. Query block {@code i} holds query rows {@code [i*B, min((i+1)*B, queryCount))}, key block {@code j} holds keys
 * {@code [j*B, min((j+1)*B, keyCount))}; the last blocks may be short. Initially nothing is kept.
 *
 * <p>Element-wise, a block mask means: row {@code q} of head {@code h} sees key {@code k} when block
 * {@code (q/B, k/B)} is kept in layer {@code h} (see {@link #forHead}).
 */
public final class BlockMask {
    private final int queryCount;
    private final int keyCount;
    private final int blockSize;
    private final int layers;
    private final int queryBlocks;
    private final int keyBlocks;
    private final int wordsPerRow;
    private final long[] bits;

    private BlockMask(int queryCount, int keyCount, int blockSize, int layers) {
        if (queryCount < 0 || keyCount < 0) {
            throw new IllegalArgumentException("block mask: negative size " + queryCount + " x " + keyCount);
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("block mask: block size " + blockSize + " must be >= 1");
        }
        if (layers < 1) {
            throw new IllegalArgumentException("block mask: " + layers + " head layers, need >= 1");
        }
        this.queryCount = queryCount;
        this.keyCount = keyCount;
        this.blockSize = blockSize;
        this.layers = layers;
        this.queryBlocks = (queryCount + blockSize - 1) / blockSize;
        this.keyBlocks = (keyCount + blockSize - 1) / blockSize;
        this.wordsPerRow = (keyBlocks + 63) >>> 6;
        this.bits = new long[Math.multiplyExact(Math.multiplyExact(layers, queryBlocks), wordsPerRow)];
    }

    /**
     * A mask keeping no block.
     *
     * @param queryCount query rows, &ge; 0
     * @param keyCount   keys, &ge; 0
     * @param blockSize  B, &ge; 1, the same for queries and keys
     * @param heads      1 for one layer shared by all heads, or the number of query heads for one layer per head
     * @throws IllegalArgumentException when a size is out of range
     */
    public static BlockMask empty(int queryCount, int keyCount, int blockSize, int heads) {
        return new BlockMask(queryCount, keyCount, blockSize, heads);
    }

    /** A mask keeping every block (one shared layer). */
    public static BlockMask full(int queryCount, int keyCount, int blockSize) {
        BlockMask m = new BlockMask(queryCount, keyCount, blockSize, 1);
        for (int qb = 0; qb < m.queryBlocks; qb++) {
            for (int kb = 0; kb < m.keyBlocks; kb++) {
                m.keep(0, qb, kb);
            }
        }
        return m;
    }

    /** Query rows covered. */
    public int queryCount() {
        return queryCount;
    }

    /** Keys covered. */
    public int keyCount() {
        return keyCount;
    }

    /** Block size B, in tokens. */
    public int blockSize() {
        return blockSize;
    }

    /** Number of layers: 1 when shared by all heads, else one per query head. */
    public int heads() {
        return layers;
    }

    /** Number of query blocks, {@code ceil(queryCount / B)}. */
    public int queryBlocks() {
        return queryBlocks;
    }

    /** Number of key blocks, {@code ceil(keyCount / B)}. */
    public int keyBlocks() {
        return keyBlocks;
    }

    /**
     * Keeps tile {@code (queryBlock, keyBlock)} in layer {@code head}.
     *
     * @throws IndexOutOfBoundsException when an index is outside the mask
     */
    public void keep(int head, int queryBlock, int keyBlock) {
        int w = word(head, queryBlock, keyBlock);
        bits[w] |= 1L << keyBlock;
    }

    /** Drops tile {@code (queryBlock, keyBlock)} from layer {@code head}. */
    public void drop(int head, int queryBlock, int keyBlock) {
        int w = word(head, queryBlock, keyBlock);
        bits[w] &= ~(1L << keyBlock);
    }

    /**
     * Whether tile {@code (queryBlock, keyBlock)} is kept for query head {@code head}; a shared mask answers for every
     * head.
     */
    public boolean isKept(int head, int queryBlock, int keyBlock) {
        int layer = layers == 1 ? 0 : head;
        return (bits[(layer * queryBlocks + queryBlock) * wordsPerRow + (keyBlock >>> 6)] & (1L << keyBlock)) != 0;
    }

    /** Number of kept tiles over all layers. */
    public long keptCount() {
        long n = 0;
        for (long w : bits) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /** Kept tiles over all tiles of all layers, in [0, 1]; 0 for an empty shape. */
    public double density() {
        long total = (long) layers * queryBlocks * keyBlocks;
        return total == 0 ? 0 : (double) keptCount() / total;
    }

    /**
     * This mask as an element mask for query head {@code head}: row {@code q} sees key {@code k} when tile
     * {@code (q/B, k/B)} is kept.
     */
    public AttentionMask forHead(int head) {
        if (head < 0 || (layers > 1 && head >= layers)) {
            throw new IndexOutOfBoundsException("block mask: head " + head + " outside " + layers + " layers");
        }
        return new AttentionMask() {
            @Override
            public int queryCount() {
                return queryCount;
            }

            @Override
            public int keyCount() {
                return keyCount;
            }

            @Override
            public boolean visible(int query, int key) {
                return isKept(head, query / blockSize, key / blockSize);
            }

            @Override
            public String toString() {
                return "BlockMask.forHead(" + head + ")";
            }
        };
    }

    private int word(int head, int queryBlock, int keyBlock) {
        if (head < 0
                || head >= layers
                || queryBlock < 0
                || queryBlock >= queryBlocks
                || keyBlock < 0
                || keyBlock >= keyBlocks) {
            throw new IndexOutOfBoundsException("block mask: tile (head " + head + ", " + queryBlock + ", " + keyBlock
                    + ") outside " + layers + " x " + queryBlocks + " x " + keyBlocks);
        }
        return (head * queryBlocks + queryBlock) * wordsPerRow + (keyBlock >>> 6);
    }

    @Override
    public String toString() {
        return "BlockMask[" + queryCount + " x " + keyCount + ", B=" + blockSize + ", heads=" + layers + ", kept "
                + keptCount() + " of " + (long) layers * queryBlocks * keyBlocks + "]";
    }
}
