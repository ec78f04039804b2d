package dev.winnow.runtime.attention;

/**
 * Element type of an attention tensor's storage: IEEE 754 binary32 ({@link #F32}) or binary16 ({@link #F16}), in the
 * platform's native byte order, as ggml stores {@code GGML_TYPE_F32} (0) and {@code GGML_TYPE_F16} (1).
 */
public enum ElementType {
    /** 32-bit float, 4 bytes, ggml type id 0. */
    F32(4, 0),
    /** 16-bit float, 2 bytes, ggml type id 1; widened with {@link Float#float16ToFloat(short)}. */
    F16(2, 1);

    private final int byteSize;
    private final int ggmlType;

    ElementType(int byteSize, int ggmlType) {
        this.byteSize = byteSize;
        this.ggmlType = ggmlType;
    }

    /** Bytes per element: 4 or 2. */
    public int byteSize() {
        return byteSize;
    }

    /** The matching {@code enum ggml_type} value. */
    public int ggmlType() {
        return ggmlType;
    }

    /**
     * The element type of a ggml type id.
     *
     * @param ggmlType a {@code enum ggml_type} value
     * @return {@link #F32} for 0, {@link #F16} for 1
     * @throws IllegalArgumentException for any other (quantised or integer) type, which these kernels do not read
     */
    public static ElementType fromGgmlType(int ggmlType) {
        for (ElementType t : values()) {
            if (t.ggmlType == ggmlType) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "ggml type " + ggmlType + " is not supported by the attention kernels: only F32 (0) and F16 (1)");
    }
}
