package dev.winnow.runtime;

import dev.winnow.bindings.llama.llama_batch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable, off-heap input for {@link Context#decode} and {@link Context#encode} ({@code struct llama_batch}):
 * entries of token id, position, a set of sequence ids, and whether to output logits (or embeddings) for the entry.
 * Fill it with {@link #add}, decode, {@link #clear()}, refill. Not thread-safe.
 *
 * <pre>{@code
 * try (Batch batch = Batch.allocate(512, 1)) {
 *   batch.addSequence(tokens, 0, 0, true);   // positions 0.., sequence 0, logits for the last token
 *   context.decode(batch);
 * }
 * }</pre>
 */
public final class Batch implements AutoCloseable {
    private final Arena arena;
    private final int capacity;
    private final int maxSeqPerToken;
    private final MemorySegment struct;
    private final MemorySegment tokens;
    private final MemorySegment positions;
    private final MemorySegment nSeqIds;
    private final MemorySegment seqIdPointers;
    private final MemorySegment seqIds;
    private final MemorySegment outputs;
    private int size;
    private boolean closed;

    private Batch(int capacity, int maxSeqPerToken) {
        this.capacity = capacity;
        this.maxSeqPerToken = maxSeqPerToken;
        this.arena = Arena.ofShared();
        this.struct = llama_batch.allocate(arena);
        this.tokens = arena.allocate(ValueLayout.JAVA_INT, capacity);
        this.positions = arena.allocate(ValueLayout.JAVA_INT, capacity);
        this.nSeqIds = arena.allocate(ValueLayout.JAVA_INT, capacity);
        this.seqIdPointers = arena.allocate(ValueLayout.ADDRESS, capacity);
        this.seqIds = arena.allocate(ValueLayout.JAVA_INT, (long) capacity * maxSeqPerToken);
        this.outputs = arena.allocate(ValueLayout.JAVA_BYTE, capacity);
        for (int i = 0; i < capacity; i++) {
            seqIdPointers.setAtIndex(ValueLayout.ADDRESS, i, seqIds.asSlice(4L * maxSeqPerToken * i));
        }
        llama_batch.token(struct, tokens);
        llama_batch.embd(struct, MemorySegment.NULL);
        llama_batch.pos(struct, positions);
        llama_batch.n_seq_id(struct, nSeqIds);
        llama_batch.seq_id(struct, seqIdPointers);
        llama_batch.logits(struct, outputs);
        llama_batch.n_tokens(struct, 0);
        Arena a = arena;
        NativeHandle.CLEANER.register(this, () -> {
            if (a.scope().isAlive()) {
                a.close();
            }
        });
    }

    /**
     * @param capacity the most entries (tokens) it holds, &gt;= 1
     * @param maxSeqPerToken the most sequence ids one entry can belong to, in [1, 256]
     * @return an empty batch; close it to free its memory
     */
    public static Batch allocate(int capacity, int maxSeqPerToken) {
        if (capacity < 1) {
            throw new IllegalArgumentException("batch capacity must be >= 1, got " + capacity);
        }
        if (maxSeqPerToken < 1 || maxSeqPerToken > ContextOptions.MAX_SEQUENCES) {
            throw new IllegalArgumentException("maxSeqPerToken must be in [1, 256], got " + maxSeqPerToken);
        }
        return new Batch(capacity, maxSeqPerToken);
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("batch is closed");
        }
    }

    /** Removes every entry (the memory is kept). */
    public void clear() {
        open();
        size = 0;
    }

    /**
     * Adds one entry belonging to one sequence.
     *
     * @param token token id
     * @param position position in its sequence, &gt;= 0
     * @param seqId sequence id
     * @param output whether to compute logits (and embeddings) for this entry
     * @throws IllegalStateException if the batch is full
     */
    public void add(int token, int position, int seqId, boolean output) {
        open();
        if (size >= capacity) {
            throw new IllegalStateException("batch is full: capacity " + capacity + " tokens");
        }
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, got " + position);
        }
        tokens.setAtIndex(ValueLayout.JAVA_INT, size, token);
        positions.setAtIndex(ValueLayout.JAVA_INT, size, position);
        nSeqIds.setAtIndex(ValueLayout.JAVA_INT, size, 1);
        seqIds.setAtIndex(ValueLayout.JAVA_INT, (long) size * maxSeqPerToken, seqId);
        outputs.set(ValueLayout.JAVA_BYTE, size, output ? (byte) 1 : 0);
        size++;
    }

    /**
     * Adds one entry shared by several sequences (its KV cell is visible to each of them).
     *
     * @param token token id
     * @param position position, &gt;= 0
     * @param output whether to compute logits for this entry
     * @param seqIdSet the sequence ids, 1..maxSeqPerToken of them
     */
    public void add(int token, int position, boolean output, int... seqIdSet) {
        if (seqIdSet.length < 1 || seqIdSet.length > maxSeqPerToken) {
            throw new IllegalArgumentException(
                    "an entry needs 1.." + maxSeqPerToken + " sequence ids, got " + seqIdSet.length);
        }
        add(token, position, seqIdSet[0], output);
        nSeqIds.setAtIndex(ValueLayout.JAVA_INT, size - 1, seqIdSet.length);
        for (int k = 1; k < seqIdSet.length; k++) {
            seqIds.setAtIndex(ValueLayout.JAVA_INT, (long) (size - 1) * maxSeqPerToken + k, seqIdSet[k]);
        }
    }

    /**
     * Adds tokens at consecutive positions of one sequence.
     *
     * @param tokenIds the tokens
     * @param firstPosition position of the first
     * @param seqId sequence id
     * @param outputLast compute logits for the last token only
     */
    public void addSequence(int[] tokenIds, int firstPosition, int seqId, boolean outputLast) {
        if (size + tokenIds.length > capacity) {
            throw new IllegalStateException(
                    "batch capacity " + capacity + " cannot take " + tokenIds.length + " more tokens after " + size);
        }
        for (int i = 0; i < tokenIds.length; i++) {
            add(tokenIds[i], firstPosition + i, seqId, outputLast && i == tokenIds.length - 1);
        }
    }

    /**
     * @return entries in the batch
     */
    public int size() {
        return size;
    }

    /**
     * @return the most entries it holds
     */
    public int capacity() {
        return capacity;
    }

    /**
     * @param i entry index in [0, size)
     * @return its token id
     */
    public int token(int i) {
        check(i);
        return tokens.getAtIndex(ValueLayout.JAVA_INT, i);
    }

    /**
     * @param i entry index
     * @return its position
     */
    public int position(int i) {
        check(i);
        return positions.getAtIndex(ValueLayout.JAVA_INT, i);
    }

    /**
     * @param i entry index
     * @return its sequence ids
     */
    public int[] sequenceIds(int i) {
        check(i);
        int n = nSeqIds.getAtIndex(ValueLayout.JAVA_INT, i);
        int[] out = new int[n];
        for (int k = 0; k < n; k++) {
            out[k] = seqIds.getAtIndex(ValueLayout.JAVA_INT, (long) i * maxSeqPerToken + k);
        }
        return out;
    }

    /**
     * @param i entry index
     * @return whether the entry outputs logits
     */
    public boolean output(int i) {
        check(i);
        return outputs.get(ValueLayout.JAVA_BYTE, i) != 0;
    }

    private void check(int i) {
        open();
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("batch entry " + i + " outside [0, " + size + ")");
        }
    }

    /** The struct llama_decode takes by value, with n_tokens set to the current size. */
    MemorySegment struct() {
        open();
        llama_batch.n_tokens(struct, size);
        return struct;
    }

    /** Frees the memory; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
