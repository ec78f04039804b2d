package dev.winnow.runtime.attention;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A view of a Q, K, V or output tensor of attention over a {@link MemorySegment}: logical shape
 * {@code [tokens, heads, dim]} (token-major, as the kernels index it), with a byte stride per axis, so that views over
 * llama.cpp's tensors need no copy.
 *
 * <p>Element {@code (t, h, i)} lives at byte offset {@code t * tokenStride + h * headStride + i * dimStride} of
 * {@link #data()}, in the platform's native byte order. Strides are in bytes and non-negative.
 *
 * <p><b>Mapping from ggml.</b> ggml lists dimensions innermost first: a tensor such as {@code Qcur-L} after RoPE has
 * {@code ne = [d, n_head, n_tokens]} and byte strides {@code nb = [nb0, nb1, nb2]}. It maps to
 * {@code dim = ne0, heads = ne1, tokens = ne2, dimStride = nb0, headStride = nb1, tokenStride = nb2}; see
 * {@link #fromGgml}. A 2-d tensor such as {@code kqv_out-L} ({@code ne = [d * n_head, n_tokens]}) maps to
 * {@code dim = d, heads = n_head, tokens = ne1, dimStride = nb0, headStride = d * nb0, tokenStride = nb1}.
 *
 * @param data        the memory holding the elements (native or heap); writes go through it
 * @param type        the element type, {@link ElementType#F32} or {@link ElementType#F16}
 * @param tokens      number of tokens (rows), at least 0
 * @param heads       number of heads, at least 1
 * @param dim         elements per head vector (head dimension), at least 1
 * @param tokenStride bytes between consecutive tokens
 * @param headStride  bytes between consecutive heads of one token
 * @param dimStride   bytes between consecutive elements of one head vector
 */
public record AttentionTensor(
        MemorySegment data,
        ElementType type,
        int tokens,
        int heads,
        int dim,
        long tokenStride,
        long headStride,
        long dimStride) {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    /**
     * Checks the shape against the memory.
     *
     * @throws IllegalArgumentException when a count or stride is out of range, or the last element would lie beyond
     *                                  the end of {@code data}
     * @throws NullPointerException     when {@code data} or {@code type} is null
     */
    public AttentionTensor {
        if (data == null || type == null) {
            throw new NullPointerException("attention tensor: data and type are required");
        }
        if (tokens < 0 || heads < 1 || dim < 1) {
            throw new IllegalArgumentException("attention tensor: shape [tokens=" + tokens + ", heads=" + heads
                    + ", dim=" + dim + "] is invalid: tokens must be >= 0, heads and dim >= 1");
        }
        if (tokenStride < 0 || headStride < 0 || dimStride < 0) {
            throw new IllegalArgumentException("attention tensor: negative stride (tokenStride=" + tokenStride
                    + ", headStride=" + headStride + ", dimStride=" + dimStride + " bytes)");
        }
        if (tokens > 0) {
            long last = Math.addExact(
                    Math.addExact(
                            Math.multiplyExact(tokens - 1L, tokenStride), Math.multiplyExact(heads - 1L, headStride)),
                    Math.multiplyExact(dim - 1L, dimStride));
            long end = last + type.byteSize();
            if (end > data.byteSize()) {
                throw new IllegalArgumentException(
                        "attention tensor: shape [tokens=" + tokens + ", heads=" + heads + ", dim=" + dim
                                + "] with strides [" + tokenStride + ", " + headStride + ", " + dimStride
                                + "] bytes needs " + end
                                + " bytes but the segment holds " + data.byteSize());
            }
        }
    }

    /**
     * A densely packed tensor, layout {@code [tokens][heads][dim]} (the row-major layout of llama.cpp's
     * {@code [d, n_head, n_tokens]} tensors).
     *
     * @throws IllegalArgumentException when the segment is too small for the shape
     */
    public static AttentionTensor contiguous(MemorySegment data, ElementType type, int tokens, int heads, int dim) {
        long e = type.byteSize();
        return new AttentionTensor(data, type, tokens, heads, dim, (long) heads * dim * e, (long) dim * e, e);
    }

    /** Allocates a zeroed, densely packed tensor of shape {@code [tokens, heads, dim]} in {@code arena}. */
    public static AttentionTensor allocate(Arena arena, ElementType type, int tokens, int heads, int dim) {
        long bytes = Math.multiplyExact(Math.multiplyExact((long) tokens * heads, (long) dim), (long) type.byteSize());
        return contiguous(arena.allocate(Math.max(bytes, 1), 8), type, tokens, heads, dim);
    }

    /**
     * A view of a 3-d ggml tensor with {@code ne = [d, n_head, n_tokens]} and byte strides {@code nb = [nb0, nb1, nb2]}
     * (for example the RoPE node of {@code Qcur-L} or {@code Kcur-L}, or {@code Vcur-L} reshaped).
     *
     * @param data the tensor's {@code data}, at least as large as the view
     * @param type the tensor's element type (see {@link ElementType#fromGgmlType})
     * @throws IllegalArgumentException when a dimension does not fit an int or the view exceeds the memory
     */
    public static AttentionTensor fromGgml(
            MemorySegment data, ElementType type, long ne0, long ne1, long ne2, long nb0, long nb1, long nb2) {
        return new AttentionTensor(
                data,
                type,
                toInt("ne2 (tokens)", ne2),
                toInt("ne1 (heads)", ne1),
                toInt("ne0 (head dim)", ne0),
                nb2,
                nb1,
                nb0);
    }

    private static int toInt(String what, long v) {
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("attention tensor: ggml " + what + " = " + v + " is out of range");
        }
        return (int) v;
    }

    /** Byte offset of element {@code (token, head, i)}; indices are not checked. */
    public long offset(int token, int head, int i) {
        return token * tokenStride + head * headStride + i * dimStride;
    }

    /**
     * Element {@code (token, head, i)} widened to float.
     *
     * @throws IndexOutOfBoundsException when an index is outside the shape
     */
    public float get(int token, int head, int i) {
        check(token, head, i);
        long o = offset(token, head, i);
        return type == ElementType.F32 ? data.get(F32, o) : Float.float16ToFloat(data.get(F16, o));
    }

    /**
     * Stores {@code value} at {@code (token, head, i)}, rounding to nearest even for {@link ElementType#F16}.
     *
     * @throws IndexOutOfBoundsException     when an index is outside the shape
     * @throws UnsupportedOperationException when the segment is read-only
     */
    public void set(int token, int head, int i, float value) {
        check(token, head, i);
        long o = offset(token, head, i);
        if (type == ElementType.F32) {
            data.set(F32, o, value);
        } else {
            data.set(F16, o, Float.floatToFloat16(value));
        }
    }

    /**
     * Copies the head vector {@code (token, head, 0..dim-1)} into {@code dst[off .. off+dim)} as floats, scaled by
     * {@code scale}.
     */
    void readRow(int token, int head, float scale, float[] dst, int off) {
        long o = token * tokenStride + head * headStride;
        if (type == ElementType.F32) {
            if (dimStride == 4) {
                MemorySegment.copy(data, F32, o, dst, off, dim);
                if (scale != 1f) {
                    for (int i = 0; i < dim; i++) {
                        dst[off + i] *= scale;
                    }
                }
            } else {
                for (int i = 0; i < dim; i++) {
                    dst[off + i] = data.get(F32, o + i * dimStride) * scale;
                }
            }
        } else if (dimStride == 2 && scale == 1f) {
            // a plain loop over contiguous halves, which C2 vectorises (load, then F16C conversion)
            for (int i = 0; i < dim; i++) {
                dst[off + i] = Float.float16ToFloat(data.get(F16, o + 2L * i));
            }
        } else {
            for (int i = 0; i < dim; i++) {
                dst[off + i] = Float.float16ToFloat(data.get(F16, o + i * dimStride)) * scale;
            }
        }
    }

    /** Stores {@code src[off .. off+dim)} into the head vector {@code (token, head, 0..dim-1)}. */
    void writeRow(int token, int head, float[] src, int off) {
        long o = token * tokenStride + head * headStride;
        if (type == ElementType.F32) {
            if (dimStride == 4) {
                MemorySegment.copy(src, off, data, F32, o, dim);
            } else {
                for (int i = 0; i < dim; i++) {
                    data.set(F32, o + i * dimStride, src[off + i]);
                }
            }
        } else {
            for (int i = 0; i < dim; i++) {
                data.set(F16, o + i * dimStride, Float.floatToFloat16(src[off + i]));
            }
        }
    }

    private void check(int token, int head, int i) {
        if (token < 0 || token >= tokens || head < 0 || head >= heads || i < 0 || i >= dim) {
            throw new IndexOutOfBoundsException("attention tensor: index (" + token + ", " + head + ", " + i
                    + ") outside shape [" + tokens + ", " + heads + ", " + dim + "]");
        }
    }
}
