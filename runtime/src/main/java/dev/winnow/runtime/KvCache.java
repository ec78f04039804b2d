package dev.winnow.runtime;

import dev.winnow.bindings.llama.llama_h;

/**
 * The KV cache (llama.cpp's "memory") of a {@link Context}: which cells belong to which sequences at which positions.
 * Position ranges are half-open {@code [p0, p1)}; a negative p0 means from the start, a negative p1 to the end.
 * Sequence ids are checked against n_seq_max in Java. Same thread rules as the context.
 *
 * <p>In a unified cache a cell has one position and a set of sequence ids: {@link #copySequence} adds an id to the
 * cells, it does not duplicate them, so a later {@link #addPosition} or {@link #dividePosition} on one of the
 * sequences moves the shared cells for every sequence that holds them.
 */
public final class KvCache {
    private final Context context;

    KvCache(Context context) {
        this.context = context;
    }

    /**
     * Empties the cache (llama_memory_clear).
     *
     * @param data also zero the K/V buffers, not only the cell metadata
     */
    public void clear(boolean data) {
        context.confined(() -> {
            llama_h.llama_memory_clear(context.memory(), data);
            return null;
        });
    }

    /**
     * Removes a sequence's cells with positions in [p0, p1) (llama_memory_seq_rm).
     *
     * @param seqId sequence id, or -1 for every sequence
     * @param p0 first position (negative: 0)
     * @param p1 end position, exclusive (negative: to the end)
     * @return false if a partial range cannot be removed (recurrent models); removing a whole sequence never fails
     */
    public boolean removeSequence(int seqId, int p0, int p1) {
        context.checkSeq(seqId, true);
        return context.confined(() -> llama_h.llama_memory_seq_rm(context.memory(), seqId, p0, p1));
    }

    /**
     * Removes every cell of a sequence.
     *
     * @param seqId sequence id
     */
    public void removeSequence(int seqId) {
        removeSequence(seqId, -1, -1);
    }

    /**
     * Makes the cells of {@code src} in [p0, p1) also belong to {@code dst} (llama_memory_seq_cp; no data is copied in
     * a unified cache: cells gain a sequence id).
     *
     * @param src source sequence
     * @param dst destination sequence
     * @param p0 first position (negative: 0)
     * @param p1 end position, exclusive (negative: to the end)
     */
    public void copySequence(int src, int dst, int p0, int p1) {
        context.checkSeq(src, false);
        context.checkSeq(dst, false);
        context.confined(() -> {
            llama_h.llama_memory_seq_cp(context.memory(), src, dst, p0, p1);
            return null;
        });
    }

    /**
     * Removes every cell that does not belong to {@code seqId} (llama_memory_seq_keep).
     *
     * @param seqId the sequence to keep
     */
    public void keepSequence(int seqId) {
        context.checkSeq(seqId, false);
        context.confined(() -> {
            llama_h.llama_memory_seq_keep(context.memory(), seqId);
            return null;
        });
    }

    /**
     * Adds {@code delta} to the positions of a sequence's cells in [p0, p1) (llama_memory_seq_add; RoPE is re-applied
     * lazily by llama.cpp).
     *
     * @param seqId sequence id
     * @param p0 first position
     * @param p1 end position, exclusive
     * @param delta shift, may be negative
     */
    public void addPosition(int seqId, int p0, int p1, int delta) {
        context.checkSeq(seqId, false);
        requireShift();
        context.confined(() -> {
            llama_h.llama_memory_seq_add(context.memory(), seqId, p0, p1, delta);
            return null;
        });
    }

    /**
     * Divides the positions of a sequence's cells in [p0, p1) by {@code d} (llama_memory_seq_div).
     *
     * @param seqId sequence id
     * @param p0 first position
     * @param p1 end position, exclusive
     * @param d divisor, &gt; 1
     */
    public void dividePosition(int seqId, int p0, int p1, int d) {
        context.checkSeq(seqId, false);
        if (d <= 1) {
            throw new IllegalArgumentException("position divisor must be > 1, got " + d);
        }
        requireShift();
        context.confined(() -> {
            llama_h.llama_memory_seq_div(context.memory(), seqId, p0, p1, d);
            return null;
        });
    }

    private void requireShift() {
        if (!llama_h.llama_memory_can_shift(context.memory())) {
            throw new IllegalStateException("this model's KV cache does not support position shifts");
        }
    }

    /**
     * @param seqId sequence id
     * @return its smallest position in the cache, or -1 if empty
     */
    public int minPosition(int seqId) {
        context.checkSeq(seqId, false);
        return context.confined(() -> llama_h.llama_memory_seq_pos_min(context.memory(), seqId));
    }

    /**
     * @param seqId sequence id
     * @return its largest position in the cache, or -1 if empty
     */
    public int maxPosition(int seqId) {
        context.checkSeq(seqId, false);
        return context.confined(() -> llama_h.llama_memory_seq_pos_max(context.memory(), seqId));
    }
}
