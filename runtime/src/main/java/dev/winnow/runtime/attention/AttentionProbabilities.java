package dev.winnow.runtime.attention;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Attention probabilities (softmax of the scaled, masked scores), f32, logical shape {@code [heads, queries, keys]}
 * with keys contiguous: the layout of llama.cpp's {@code kq_soft_max-L} ({@code ne = [n_kv, n_tokens, n_head]}, row =
 * query token, column = KV cell). Element {@code (h, q, k)} lives at byte {@code h * headStride + q * rowStride + 4k}.
 *
 * @param data       the memory; the kernels write into it
 * @param heads      query heads, &ge; 1
 * @param queries    query rows, &ge; 0
 * @param keys       keys (KV cells), &ge; 0
 * @param headStride bytes between heads
 * @param rowStride  bytes between query rows, &ge; 4 * keys
 */
public record AttentionProbabilities(
        MemorySegment data, int heads, int queries, int keys, long headStride, long rowStride) {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * Checks the shape against the memory.
     *
     * @throws IllegalArgumentException when a count or stride is out of range or the memory is too small
     */
    public AttentionProbabilities {
        if (heads < 1 || queries < 0 || keys < 0 || headStride < 0 || rowStride < 4L * keys) {
            throw new IllegalArgumentException("attention probabilities: shape [" + heads + ", " + queries + ", " + keys
                    + "] with strides [" + headStride + ", " + rowStride + "] bytes is invalid");
        }
        if (queries > 0 && keys > 0) {
            long end = (heads - 1L) * headStride + (queries - 1L) * rowStride + 4L * keys;
            if (end > data.byteSize()) {
                throw new IllegalArgumentException("attention probabilities: shape [" + heads + ", " + queries + ", "
                        + keys + "] needs " + end + " bytes but the segment holds " + data.byteSize());
            }
        }
    }

    /** Allocates a zeroed, densely packed matrix in {@code arena}. */
    public static AttentionProbabilities allocate(Arena arena, int heads, int queries, int keys) {
        long row = 4L * keys;
        long bytes = Math.multiplyExact(Math.multiplyExact(row, (long) queries), (long) heads);
        return new AttentionProbabilities(
                arena.allocate(Math.max(bytes, 1), 8), heads, queries, keys, row * queries, row);
    }

    /**
     * A view of llama.cpp's {@code kq_soft_max-L} tensor: {@code ne = [n_kv, n_tokens, n_head]}, byte strides
     * {@code nb1} (rows) and {@code nb2} (heads); {@code nb0} must be 4 (f32).
     *
     * @throws IllegalArgumentException when {@code nb0 != 4} or the view does not fit
     */
    public static AttentionProbabilities fromGgml(
            MemorySegment data, long ne0, long ne1, long ne2, long nb0, long nb1, long nb2) {
        if (nb0 != 4) {
            throw new IllegalArgumentException(
                    "attention probabilities: ggml nb0 = " + nb0 + ", expected 4 (contiguous f32 rows)");
        }
        return new AttentionProbabilities(
                data, Math.toIntExact(ne2), Math.toIntExact(ne1), Math.toIntExact(ne0), nb2, nb1);
    }

    /**
     * Probability that query row {@code query} of head {@code head} puts on key {@code key}.
     *
     * @throws IndexOutOfBoundsException when an index is outside the shape
     */
    public float get(int head, int query, int key) {
        if (head < 0 || head >= heads || query < 0 || query >= queries || key < 0 || key >= keys) {
            throw new IndexOutOfBoundsException("attention probabilities: (" + head + ", " + query + ", " + key
                    + ") outside [" + heads + ", " + queries + ", " + keys + "]");
        }
        return data.get(F32, offset(head, query) + 4L * key);
    }

    long offset(int head, int query) {
        return head * headStride + query * rowStride;
    }

    float read(int head, int query, int key) {
        return data.get(F32, offset(head, query) + 4L * key);
    }

    void write(int head, int query, int key, float value) {
        data.set(F32, offset(head, query) + 4L * key, value);
    }
}
