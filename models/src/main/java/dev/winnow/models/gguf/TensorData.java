package dev.winnow.models.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;

/**
 * The bytes of one tensor for {@link GgufWriter}, produced when the file is written (so a model larger than the heap
 * can be written row by row).
 */
public interface TensorData {

    /** @return the number of bytes {@link #writeTo} writes; must equal the tensor's {@code ggml_nbytes} */
    long byteSize();

    /**
     * Writes exactly {@link #byteSize()} bytes.
     *
     * @param out the file being written, positioned at this tensor's data
     * @throws IOException if writing fails
     */
    void writeTo(WritableByteChannel out) throws IOException;

    /**
     * Produces the values of one row (the {@code ne[0]} contiguous elements) of a tensor.
     */
    @FunctionalInterface
    interface RowSource {
        /**
         * @param row row index, 0 to (elements / ne[0]) - 1, called in increasing order
         * @param values receives the row's {@code ne[0]} values
         */
        void fill(long row, float[] values);
    }

    /**
     * @param segment bytes already in the tensor's layout (e.g. a slice of another GGUF file); read when written
     * @return data writing the whole segment
     */
    static TensorData of(MemorySegment segment) {
        return new TensorData() {
            @Override
            public long byteSize() {
                return segment.byteSize();
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                long chunk = 1 << 20;
                for (long o = 0; o < segment.byteSize(); o += chunk) {
                    ByteBuffer b = segment.asSlice(o, Math.min(chunk, segment.byteSize() - o))
                            .asByteBuffer();
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                }
            }
        };
    }

    /**
     * @param bytes bytes already in the tensor's layout (not copied: do not change them before writing)
     * @return data writing the array
     */
    static TensorData of(byte[] bytes) {
        return of(MemorySegment.ofArray(bytes));
    }

    /**
     * @param buffer bytes from its position to its limit, in the tensor's layout (not copied, position unchanged)
     * @return data writing those bytes
     */
    static TensorData of(ByteBuffer buffer) {
        return of(MemorySegment.ofBuffer(buffer.slice()));
    }

    /**
     * Values encoded into a type's layout when written (see {@link GgmlCodec}).
     *
     * @param type F32, F16, BF16 or Q8_0
     * @param values the values in ggml order; their count must be a multiple of the type's block size
     * @return data of {@code type.byteSize(values.length)} bytes
     * @throws IllegalArgumentException for an unsupported type or a count that is not a whole number of blocks
     */
    static TensorData encode(GgmlType type, float[] values) {
        return generate(
                type, new long[] {values.length}, (row, dst) -> System.arraycopy(values, 0, dst, 0, dst.length));
    }

    /**
     * Values produced row by row and encoded into a type's layout as they are written: only one row is on the heap.
     *
     * @param type F32, F16, BF16 or Q8_0
     * @param shape the tensor's shape in ggml order ({@code shape[0]} = row length, a multiple of the block size)
     * @param rows fills each row
     * @return data of the tensor's byte size
     * @throws IllegalArgumentException for an unsupported type or an invalid shape
     */
    static TensorData generate(GgmlType type, long[] shape, RowSource rows) {
        if (!GgmlCodec.supports(type)) {
            throw new IllegalArgumentException("cannot encode floats as " + type.ggmlName());
        }
        String problem = GgufTensorInfo.checkShape(type, shape);
        if (problem != null) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " " + problem);
        }
        if (shape[0] > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("row of " + shape[0] + " elements is too long");
        }
        int rowLen = (int) shape[0];
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        long nRows = n / rowLen;
        long rowBytes = type.byteSize(rowLen);
        long total = type.byteSize(n);
        return new TensorData() {
            @Override
            public long byteSize() {
                return total;
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                float[] row = new float[rowLen];
                int rowsPerChunk = (int) Math.max(1, Math.min(nRows, (1 << 20) / rowBytes));
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(rowBytes * rowsPerChunk);
                    for (long r = 0; r < nRows; ) {
                        int k = (int) Math.min(rowsPerChunk, nRows - r);
                        for (int j = 0; j < k; j++) {
                            rows.fill(r + j, row);
                            GgmlCodec.encode(type, row, 0, rowLen, buf, j * rowBytes);
                        }
                        ByteBuffer b = buf.asSlice(0, k * rowBytes).asByteBuffer();
                        while (b.hasRemaining()) {
                            out.write(b);
                        }
                        r += k;
                    }
                }
            }
        };
    }
}
