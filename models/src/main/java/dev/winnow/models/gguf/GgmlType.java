package dev.winnow.models.gguf;

import java.util.Optional;

/**
 * The tensor element types of ggml, as stored in a GGUF tensor info: id, name, block size and block byte size.
 *
 * <p>The table follows {@code enum ggml_type} in {@code ggml.h} and {@code type_traits[]} in {@code ggml.c} of the
 * llama.cpp release v0.5.0 (node-llama-cpp 3.22.1). Ids that ggml removed (4, 5 and 31 to 38) are absent: a tensor
 * of such a type is rejected by {@link GgufFile} as llama.cpp rejects it. A type stores its values in blocks of
 * {@link #blockSize()} elements that take {@link #typeSize()} bytes; a row (the innermost dimension, {@code ne[0]})
 * must hold a whole number of blocks.
 */
public enum GgmlType {
    F32(0, "f32", 1, 4),
    F16(1, "f16", 1, 2),
    Q4_0(2, "q4_0", 32, 18),
    Q4_1(3, "q4_1", 32, 20),
    Q5_0(6, "q5_0", 32, 22),
    Q5_1(7, "q5_1", 32, 24),
    Q8_0(8, "q8_0", 32, 34),
    Q8_1(9, "q8_1", 32, 36),
    Q2_K(10, "q2_K", 256, 84),
    Q3_K(11, "q3_K", 256, 110),
    Q4_K(12, "q4_K", 256, 144),
    Q5_K(13, "q5_K", 256, 176),
    Q6_K(14, "q6_K", 256, 210),
    Q8_K(15, "q8_K", 256, 292),
    IQ2_XXS(16, "iq2_xxs", 256, 66),
    IQ2_XS(17, "iq2_xs", 256, 74),
    IQ3_XXS(18, "iq3_xxs", 256, 98),
    IQ1_S(19, "iq1_s", 256, 50),
    IQ4_NL(20, "iq4_nl", 32, 18),
    IQ3_S(21, "iq3_s", 256, 110),
    IQ2_S(22, "iq2_s", 256, 82),
    IQ4_XS(23, "iq4_xs", 256, 136),
    I8(24, "i8", 1, 1),
    I16(25, "i16", 1, 2),
    I32(26, "i32", 1, 4),
    I64(27, "i64", 1, 8),
    F64(28, "f64", 1, 8),
    IQ1_M(29, "iq1_m", 256, 56),
    BF16(30, "bf16", 1, 2),
    TQ1_0(34, "tq1_0", 256, 54),
    TQ2_0(35, "tq2_0", 256, 66),
    MXFP4(39, "mxfp4", 32, 17),
    NVFP4(40, "nvfp4", 64, 36),
    Q1_0(41, "q1_0", 128, 18),
    Q2_0(42, "q2_0", 64, 18);

    /** {@code GGML_TYPE_COUNT} of this release: every valid id is below it. */
    public static final int COUNT = 43;

    private static final GgmlType[] BY_ID = new GgmlType[COUNT];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final String ggmlName;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, String ggmlName, int blockSize, int typeSize) {
        this.id = id;
        this.ggmlName = ggmlName;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /**
     * @return the {@code ggml_type} value stored in GGUF tensor infos, 0 to {@value #COUNT} - 1
     */
    public int id() {
        return id;
    }

    /**
     * @return ggml's name of the type ({@code ggml_type_name}), e.g. {@code "q8_0"}, {@code "q4_K"}
     */
    public String ggmlName() {
        return ggmlName;
    }

    /**
     * @return elements per block ({@code ggml_blck_size}): 1 for plain types, 32, 64, 128 or 256 for quantised ones
     */
    public int blockSize() {
        return blockSize;
    }

    /**
     * @return bytes per block ({@code ggml_type_size})
     */
    public int typeSize() {
        return typeSize;
    }

    /**
     * @return true for types whose blocks hold more than one element (quantised types)
     */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /**
     * The byte size of {@code elements} values of this type ({@code ggml_row_size}).
     *
     * @param elements number of elements, a non-negative multiple of {@link #blockSize()}
     * @return {@code elements / blockSize * typeSize}
     * @throws IllegalArgumentException if {@code elements} is negative or not a multiple of the block size
     * @throws ArithmeticException if the byte size does not fit in a {@code long}
     */
    public long byteSize(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    elements + " elements of type " + ggmlName + " are not a whole number of blocks of " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) typeSize);
    }

    /**
     * Looks up a type by its ggml id.
     *
     * @param id a {@code ggml_type} value
     * @return the type, or empty for ids outside 0 to {@value #COUNT} - 1 and for removed ids
     */
    public static Optional<GgmlType> byId(long id) {
        if (id < 0 || id >= COUNT) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_ID[(int) id]);
    }

    /**
     * Looks up a type by ggml's name, ignoring case ({@code "Q8_0"} and {@code "q8_0"} both work).
     *
     * @param name a type name such as {@code f16}
     * @return the type, or empty when no type has that name
     */
    public static Optional<GgmlType> byName(String name) {
        for (GgmlType t : values()) {
            if (t.ggmlName.equalsIgnoreCase(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
