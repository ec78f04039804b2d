package dev.winnow.models.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor info of a GGUF file: name, ggml type, shape and where its data lies.
 *
 * <p>The shape is in ggml order: {@code shape()[0]} is {@code ne[0]}, the innermost (contiguous) dimension, so a
 * weight matrix of {@code n_out} rows of {@code n_in} values has shape {@code [n_in, n_out]}.
 */
public final class GgufTensorInfo {
    private final String name;
    private final GgmlType type;
    private final long[] shape;
    private final long offset;
    private final long elementCount;
    private final long byteSize;

    /**
     * @param name tensor name, 1 to 63 bytes of UTF-8
     * @param type element type
     * @param shape 1 to 4 dimensions, each positive, {@code shape[0]} a multiple of the type's block size
     * @param offset byte offset of the data from the start of the data section
     * @throws IllegalArgumentException if a parameter is out of range or the size overflows a long
     */
    public GgufTensorInfo(String name, GgmlType type, long[] shape, long offset) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
        this.shape = shape.clone();
        this.offset = offset;
        if (offset < 0) {
            throw new IllegalArgumentException("tensor '" + name + "': negative offset " + offset);
        }
        String problem = checkShape(type, this.shape);
        if (problem != null) {
            throw new IllegalArgumentException("tensor '" + name + "': " + problem);
        }
        this.elementCount = elements(this.shape);
        this.byteSize = type.byteSize(elementCount);
    }

    /**
     * Checks a shape against ggml's rules.
     *
     * @return null when valid, else what is wrong
     */
    static String checkShape(GgmlType type, long[] shape) {
        if (shape.length < 1 || shape.length > 4) {
            return "has " + shape.length + " dimensions, expected 1 to 4";
        }
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] <= 0) {
                return "dimension " + i + " is " + shape[i] + ", expected > 0";
            }
            try {
                n = Math.multiplyExact(n, shape[i]);
            } catch (ArithmeticException e) {
                return "shape " + Arrays.toString(shape) + " has more than 2^63 - 1 elements";
            }
        }
        if (shape[0] % type.blockSize() != 0) {
            return "row of " + shape[0] + " elements is not a multiple of the " + type.ggmlName() + " block size "
                    + type.blockSize();
        }
        try {
            type.byteSize(n);
        } catch (ArithmeticException e) {
            return "byte size of shape " + Arrays.toString(shape) + " overflows a long";
        }
        return null;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** @return the tensor's name, e.g. {@code blk.0.attn_q.weight} */
    public String name() {
        return name;
    }

    /** @return the element type */
    public GgmlType type() {
        return type;
    }

    /** @return a copy of the shape in ggml order ({@code ne[0]} first), 1 to 4 positive dimensions */
    public long[] shape() {
        return shape.clone();
    }

    /** @return the number of dimensions, 1 to 4 */
    public int dimensions() {
        return shape.length;
    }

    /**
     * @param i a dimension index, 0 to {@link #dimensions()} - 1
     * @return {@code ne[i]}
     */
    public long dim(int i) {
        return shape[i];
    }

    /** @return byte offset of the data from the start of the data section */
    public long offset() {
        return offset;
    }

    /** @return the product of the dimensions */
    public long elementCount() {
        return elementCount;
    }

    /** @return bytes of data ({@code ggml_nbytes}): elements / block size * type size */
    public long byteSize() {
        return byteSize;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t
                && name.equals(t.name)
                && type == t.type
                && Arrays.equals(shape, t.shape)
                && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(shape), offset);
    }

    @Override
    public String toString() {
        return name + " " + type.ggmlName() + " " + Arrays.toString(shape) + " @" + offset + " (" + byteSize
                + " bytes)";
    }
}
