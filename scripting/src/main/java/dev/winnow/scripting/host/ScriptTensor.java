package dev.winnow.scripting.host;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.proxy.ProxyArray;

/**
 * A float32 tensor in off-heap memory (row-major, last dimension fastest), shown to scripts without copying:
 * JavaScript wraps {@link #buffer()} in a typed array ({@code new Float32Array(t.buffer())}); Python reads
 * {@link #values()}, a sequence view ({@code len(v)}, {@code v[i]}, iteration), and copies it into a list with the
 * builtin {@code tolist(t.values())} where a list is wanted (GraalPy 25.0 has no memoryview over host buffers).
 */
public final class ScriptTensor {
    private final MemorySegment data;
    private final long[] shape;

    /**
     * Wraps memory that stays valid as long as this object is reachable.
     *
     * @param data {@code product(shape)} floats, little-endian
     * @param shape the dimensions, outermost first
     */
    ScriptTensor(MemorySegment data, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape");
            }
            n *= d;
        }
        if (n * Float.BYTES != data.byteSize()) {
            throw new IllegalArgumentException(
                    "tensor of " + n + " floats does not match " + data.byteSize() + " bytes of memory");
        }
        this.data = data;
        this.shape = shape.clone();
    }

    /**
     * Copies floats into a new off-heap tensor (freed by the garbage collector).
     *
     * @param values the values
     * @param shape the dimensions
     * @return the tensor
     */
    static ScriptTensor of(float[] values, long... shape) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * Float.BYTES, Float.BYTES);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
        return new ScriptTensor(seg, shape);
    }

    /**
     * The dimensions.
     *
     * @return e.g. {@code [64]} for an embedding, {@code [heads, queries, keys]} for attention
     */
    @HostAccess.Export
    public long[] shape() {
        return shape.clone();
    }

    /**
     * The number of elements.
     *
     * @return the product of the shape
     */
    @HostAccess.Export
    public long size() {
        return data.byteSize() / Float.BYTES;
    }

    /**
     * One element by flat index.
     *
     * @param i 0..size()-1
     * @return the value
     * @throws IndexOutOfBoundsException when i is out of range
     */
    @HostAccess.Export
    public float get(long i) {
        if (i < 0 || i >= size()) {
            throw new IndexOutOfBoundsException("tensor index " + i + " out of range [0, " + size() + ")");
        }
        return data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
    }

    /**
     * The memory as a little-endian byte buffer (no copy): in JavaScript {@code new Float32Array(t.buffer())}.
     *
     * @return a direct buffer of {@code 4 * size()} bytes
     */
    @HostAccess.Export
    public ByteBuffer buffer() {
        return data.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A read-only sequence view of the elements (no copy); in Python {@code tolist(t.values())} copies it.
     *
     * @return the view
     */
    @HostAccess.Export
    public Object values() {
        return new ProxyArray() {
            @Override
            public Object get(long index) {
                return (double) ScriptTensor.this.get(index);
            }

            @Override
            public void set(long index, Value value) {
                throw new UnsupportedOperationException("tensor views are read-only");
            }

            @Override
            public long getSize() {
                return size();
            }
        };
    }

    /**
     * A copy of the elements.
     *
     * @return the floats
     */
    public float[] toFloatArray() {
        return data.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
    }

    @HostAccess.Export
    @Override
    public String toString() {
        return "tensor" + Arrays.toString(shape);
    }
}
