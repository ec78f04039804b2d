package dev.winnow.models.gguf;

import java.util.Optional;

/**
 * The metadata value types of GGUF ({@code enum gguf_type} in llama.cpp's {@code gguf.h}), with the id stored in the
 * file and the byte size of one scalar value.
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    /** One byte, 0 (false) or 1 (true). */
    BOOL(7, 1),
    /** A {@code uint64} byte length followed by that many UTF-8 bytes, no terminator. */
    STRING(8, -1),
    /** An element type ({@code uint32}), a {@code uint64} count, then the elements. */
    ARRAY(9, -1),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private final int id;
    private final int scalarSize;

    GgufValueType(int id, int scalarSize) {
        this.id = id;
        this.scalarSize = scalarSize;
    }

    /**
     * @return the {@code gguf_type} id written in the file, 0 to 12
     */
    public int id() {
        return id;
    }

    /**
     * @return bytes of one value for fixed-size types; -1 for {@link #STRING} and {@link #ARRAY}
     */
    public int scalarSize() {
        return scalarSize;
    }

    /**
     * @return the fewest bytes a value of this type can take in a file (8 for a string, 12 for an array header)
     */
    public int minEncodedSize() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> scalarSize;
        };
    }

    /**
     * Looks up a type by the id stored in a file.
     *
     * @param id a {@code gguf_type} value
     * @return the type, or empty for unknown ids
     */
    public static Optional<GgufValueType> byId(long id) {
        for (GgufValueType t : values()) {
            if (t.id == id) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
