package dev.winnow.models.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Conversion between float values and the byte layout of the ggml types F32, F16, BF16 and Q8_0 (little-endian).
 *
 * <p>Q8_0 follows {@code quantize_row_q8_0_ref} and {@code dequantize_row_q8_0} of ggml ({@code ggml-quants.c}): each
 * block of 32 values is stored as an f16 scale {@code d = max|x| / 127} and 32 signed bytes {@code q = round(x / d)}
 * (halves away from zero), and decodes as {@code q * d}; the error of each value is at most {@code d / 2} plus the
 * f16 rounding of {@code d}. F16 uses IEEE binary16 with round-to-nearest-even ({@link Float#floatToFloat16}); BF16
 * keeps the upper 16 bits with round-to-nearest-even as {@code ggml_compute_fp32_to_bf16}.
 */
public final class GgmlCodec {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GgmlCodec() {}

    /**
     * @param type a ggml type
     * @return true if {@link #encode} and {@link #decode} handle it (F32, F16, BF16, Q8_0)
     */
    public static boolean supports(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16 || type == GgmlType.Q8_0;
    }

    /**
     * Encodes {@code n} floats into {@code type}'s layout.
     *
     * @param type F32, F16, BF16 or Q8_0
     * @param src values
     * @param srcIndex first value to encode
     * @param n number of values, a multiple of the type's block size (32 for Q8_0)
     * @param dst destination; receives {@code type.byteSize(n)} bytes
     * @param dstOffset byte offset in {@code dst}
     * @throws IllegalArgumentException for another type or an {@code n} that is not a whole number of blocks
     */
    public static void encode(GgmlType type, float[] src, int srcIndex, int n, MemorySegment dst, long dstOffset) {
        long bytes = type.byteSize(n);
        if (srcIndex < 0 || srcIndex + n > src.length || dstOffset < 0 || dstOffset + bytes > dst.byteSize()) {
            throw new IndexOutOfBoundsException("encode " + n + " values of " + type + ": range outside the arrays");
        }
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(F32, dstOffset + 4L * i, src[srcIndex + i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(S16, dstOffset + 2L * i, Float.floatToFloat16(src[srcIndex + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(S16, dstOffset + 2L * i, toBf16(src[srcIndex + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    int s = srcIndex + 32 * b;
                    long o = dstOffset + 34L * b;
                    float amax = 0;
                    for (int i = 0; i < 32; i++) {
                        amax = Math.max(amax, Math.abs(src[s + i]));
                    }
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    dst.set(S16, o, Float.floatToFloat16(d));
                    for (int i = 0; i < 32; i++) {
                        float x = src[s + i] * id;
                        dst.set(ValueLayout.JAVA_BYTE, o + 2 + i, (byte) roundHalfAway(x));
                    }
                }
            }
            default -> throw new IllegalArgumentException("encoding to " + type.ggmlName() + " is not supported");
        }
    }

    /**
     * Decodes {@code n} values of {@code type} into floats.
     *
     * @param type F32, F16, BF16 or Q8_0
     * @param src encoded bytes
     * @param srcOffset byte offset of the first value (of the first block for Q8_0)
     * @param dst destination
     * @param dstIndex first index written
     * @param n number of values, a multiple of the type's block size
     * @throws IllegalArgumentException for another type or an {@code n} that is not a whole number of blocks
     */
    public static void decode(GgmlType type, MemorySegment src, long srcOffset, float[] dst, int dstIndex, int n) {
        long bytes = type.byteSize(n);
        if (dstIndex < 0 || dstIndex + n > dst.length || srcOffset < 0 || srcOffset + bytes > src.byteSize()) {
            throw new IndexOutOfBoundsException("decode " + n + " values of " + type + ": range outside the arrays");
        }
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstIndex + i] = src.get(F32, srcOffset + 4L * i);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstIndex + i] = Float.float16ToFloat(src.get(S16, srcOffset + 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstIndex + i] =
                            Float.intBitsToFloat(Short.toUnsignedInt(src.get(S16, srcOffset + 2L * i)) << 16);
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long o = srcOffset + 34L * b;
                    float d = Float.float16ToFloat(src.get(S16, o));
                    for (int i = 0; i < 32; i++) {
                        dst[dstIndex + 32 * b + i] = src.get(ValueLayout.JAVA_BYTE, o + 2 + i) * d;
                    }
                }
            }
            default -> throw new IllegalArgumentException("decoding " + type.ggmlName() + " is not supported");
        }
    }

    /**
     * @param f a float
     * @return its bfloat16 bits, rounded to nearest even (NaN stays NaN)
     */
    public static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    private static int roundHalfAway(float x) {
        return (int) (x < 0 ? -Math.floor(-x + 0.5f) : Math.floor(x + 0.5f));
    }
}
