package dev.winnow.models.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a GGUF file: metadata in insertion order, then tensor infos and tensor data in the order added, laid out as
 * llama.cpp writes and requires (each tensor's data at the previous one's end padded with zeros to the alignment,
 * the last one padded too).
 *
 * <p>The alignment is 32 unless the metadata holds {@code general.alignment} (a {@code UINT32} power of two). The file
 * is written to a temporary file in the target's directory and renamed over the target only once complete, so a
 * failure never leaves a half-written file under the target name. Tensor data is pulled from each
 * {@link TensorData} while writing; nothing is buffered beyond one chunk.
 *
 * <pre>{@code
 * new GgufWriter()
 *     .putString("general.architecture", "llama")
 *     .putUint32("llama.block_count", 4)
 *     .addTensor("output_norm.weight", GgmlType.F32, new long[] {256}, ones)
 *     .write(Path.of("model.gguf"));
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class GgufWriter {
    private record PendingTensor(String name, GgmlType type, long[] shape, TensorData data) {}

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Map<String, Integer> tensorIndex = new LinkedHashMap<>();
    private int version = 3;

    /** An empty GGUF v3 file: no metadata, no tensors. */
    public GgufWriter() {}

    /**
     * A writer holding all metadata (in order) and all tensors of {@code file}, the data read from its mapping when
     * written: writing it unchanged reproduces a file written by llama.cpp or this class byte for byte. Keep
     * {@code file} open until {@link #write} returns.
     *
     * @param file a parsed GGUF file
     * @return a writer that can be changed before writing
     */
    public static GgufWriter copyOf(GgufFile file) {
        GgufWriter w = new GgufWriter().version(file.version());
        file.metadata().forEach(w::put);
        for (GgufTensorInfo t : file.tensors()) {
            w.addTensor(t.name(), t.type(), t.shape(), TensorData.of(file.tensorData(t)));
        }
        return w;
    }

    /**
     * @param version 2 or 3 (same layout; 3 is what llama.cpp writes)
     * @return this writer
     * @throws IllegalArgumentException for other versions
     */
    public GgufWriter version(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version " + version + " cannot be written, expected 2 or 3");
        }
        this.version = version;
        return this;
    }

    /**
     * Sets a metadata value; a key already present keeps its position and gets the new value.
     *
     * @param key 1 to 65,535 bytes of UTF-8
     * @param value the value; for {@code general.alignment} a {@code UINT32} power of two up to 2^30
     * @return this writer
     * @throws IllegalArgumentException for an empty or too long key or an invalid alignment
     */
    public GgufWriter put(String key, GgufValue value) {
        int len = key.getBytes(StandardCharsets.UTF_8).length;
        if (len == 0 || len > GgufFile.MAX_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "metadata key of " + len + " bytes, expected 1 to " + GgufFile.MAX_KEY_BYTES);
        }
        if (key.equals(GgufFile.ALIGNMENT_KEY)) {
            if (value.type() != GgufValueType.UINT32) {
                throw new IllegalArgumentException(
                        GgufFile.ALIGNMENT_KEY + " must be UINT32, got " + value.describeType());
            }
            long a = value.asLong();
            if (a == 0 || (a & (a - 1)) != 0 || a > (1L << 30)) {
                throw new IllegalArgumentException(
                        GgufFile.ALIGNMENT_KEY + " " + a + " is not a power of two up to 2^30");
            }
        }
        metadata.put(key, value);
        return this;
    }

    /** @param key key @param v text @return this writer */
    public GgufWriter putString(String key, String v) {
        return put(key, GgufValue.string(v));
    }

    /** @param key key @param v 0 to 2^32 - 1 @return this writer */
    public GgufWriter putUint32(String key, long v) {
        return put(key, GgufValue.uint32(v));
    }

    /** @param key key @param v value @return this writer */
    public GgufWriter putInt32(String key, int v) {
        return put(key, GgufValue.int32(v));
    }

    /** @param key key @param v raw 64 bits @return this writer */
    public GgufWriter putUint64(String key, long v) {
        return put(key, GgufValue.uint64(v));
    }

    /** @param key key @param v value @return this writer */
    public GgufWriter putFloat32(String key, float v) {
        return put(key, GgufValue.float32(v));
    }

    /** @param key key @param v value @return this writer */
    public GgufWriter putBool(String key, boolean v) {
        return put(key, GgufValue.bool(v));
    }

    /** @param key key @param v strings @return this writer */
    public GgufWriter putStringArray(String key, List<String> v) {
        return put(key, GgufValue.stringArray(v));
    }

    /** @param key key @param v values @return this writer */
    public GgufWriter putInt32Array(String key, int... v) {
        return put(key, GgufValue.int32Array(v));
    }

    /** @param key key @param v values @return this writer */
    public GgufWriter putFloat32Array(String key, float... v) {
        return put(key, GgufValue.float32Array(v));
    }

    /**
     * @param key a metadata key
     * @return this writer, without that key (no effect when absent)
     */
    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** @return the metadata set so far, in order (unmodifiable view) */
    public Map<String, GgufValue> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /** @return the alignment the file will use: {@code general.alignment} or 32 */
    public int alignment() {
        GgufValue a = metadata.get(GgufFile.ALIGNMENT_KEY);
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : (int) a.asLong();
    }

    /**
     * Adds a tensor after those added before.
     *
     * @param name 1 to 63 bytes of UTF-8, unique in the file
     * @param type element type
     * @param shape ggml order ({@code ne[0]} first), 1 to 4 positive dimensions, {@code ne[0]} a multiple of the type's
     *     block size
     * @param data exactly {@code ggml_nbytes} bytes in the type's layout
     * @return this writer
     * @throws IllegalArgumentException for a bad name, a duplicate, a bad shape, or data of the wrong size
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorData data) {
        int len = name.getBytes(StandardCharsets.UTF_8).length;
        if (len == 0 || len > GgufFile.MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' has " + len + " bytes, expected 1 to "
                    + GgufFile.MAX_TENSOR_NAME_BYTES);
        }
        if (tensorIndex.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        GgufTensorInfo info = new GgufTensorInfo(name, type, shape, 0);
        if (data.byteSize() != info.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type.ggmlName() + " and shape "
                    + Arrays.toString(shape) + " needs " + info.byteSize() + " bytes, data has " + data.byteSize());
        }
        tensorIndex.put(name, tensors.size());
        tensors.add(new PendingTensor(name, type, shape.clone(), data));
        return this;
    }

    /**
     * @param name tensor name
     * @param type element type
     * @param shape ggml order
     * @param data bytes in the type's layout (read when written)
     * @return this writer
     * @see #addTensor(String, GgmlType, long[], TensorData)
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        return addTensor(name, type, shape, TensorData.of(data));
    }

    /**
     * @param name tensor name
     * @param type element type
     * @param shape ggml order
     * @param data bytes from position to limit in the type's layout (not copied: read when written)
     * @return this writer
     * @see #addTensor(String, GgmlType, long[], TensorData)
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, ByteBuffer data) {
        return addTensor(name, type, shape, TensorData.of(data));
    }

    /**
     * @param name tensor name
     * @param type F32, F16, BF16 or Q8_0: the values are converted when written
     * @param shape ggml order; its element count must equal {@code values.length}
     * @param values the values in ggml order
     * @return this writer
     * @see #addTensor(String, GgmlType, long[], TensorData)
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, float[] values) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "' shape " + Arrays.toString(shape) + " has " + n
                    + " elements, got " + values.length);
        }
        return addTensor(name, type, shape, TensorData.encode(type, values));
    }

    /** @return the tensors added so far, with the offsets they will have in the data section */
    public List<GgufTensorInfo> tensors() {
        List<GgufTensorInfo> out = new ArrayList<>();
        long offset = 0;
        for (PendingTensor t : tensors) {
            GgufTensorInfo info = new GgufTensorInfo(t.name, t.type, t.shape, offset);
            out.add(info);
            offset += GgufFile.pad(info.byteSize(), alignment());
        }
        return out;
    }

    /**
     * Writes the file: to a temporary file beside {@code target}, then renamed onto it (atomically where the file
     * system allows). On failure the temporary file is removed and {@code target} is left as it was.
     *
     * @param target the output path; its directory must exist; an existing file is replaced
     * @throws IOException if writing fails or a {@link TensorData} writes a different number of bytes than it declared
     */
    public void write(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch =
                    FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private void writeTo(FileChannel ch) throws IOException {
        int alignment = alignment();
        List<GgufTensorInfo> infos = tensors();
        Header h = new Header();
        h.u32(GgufFile.MAGIC);
        h.u32(version);
        h.u64(infos.size());
        h.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            h.string(e.getKey());
            h.u32(e.getValue().type().id());
            h.value(e.getValue());
        }
        for (GgufTensorInfo t : infos) {
            h.string(t.name());
            h.u32(t.dimensions());
            for (long d : t.shape()) {
                h.u64(d);
            }
            h.u32(t.type().id());
            h.u64(t.offset());
        }
        h.padTo(alignment);
        h.flush(ch);
        for (int i = 0; i < infos.size(); i++) {
            GgufTensorInfo t = infos.get(i);
            long before = ch.position();
            tensors.get(i).data.writeTo(new UnclosableChannel(ch));
            long written = ch.position() - before;
            if (written != t.byteSize()) {
                throw new IOException(
                        "tensor '" + t.name() + "': its data wrote " + written + " bytes, expected " + t.byteSize());
            }
            long padding = GgufFile.pad(written, alignment) - written;
            ByteBuffer zeros = ByteBuffer.allocate((int) padding);
            while (zeros.hasRemaining()) {
                ch.write(zeros);
            }
        }
    }

    /** Passes writes through to the file; closing it does not close the file. */
    private record UnclosableChannel(FileChannel ch) implements WritableByteChannel {
        @Override
        public int write(ByteBuffer src) throws IOException {
            return ch.write(src);
        }

        @Override
        public boolean isOpen() {
            return ch.isOpen();
        }

        @Override
        public void close() {}
    }

    /** A growable little-endian buffer for the header. */
    private static final class Header {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(long n) {
            if (buf.remaining() < n) {
                long cap = Math.max((long) buf.capacity() * 2, buf.position() + n);
                if (cap > Integer.MAX_VALUE - 8) {
                    throw new IllegalStateException("GGUF header larger than 2 GiB");
                }
                ByteBuffer b = ByteBuffer.allocate((int) cap).order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                b.put(buf);
                buf = b;
            }
        }

        void u8(int v) {
            ensure(1);
            buf.put((byte) v);
        }

        void u16(int v) {
            ensure(2);
            buf.putShort((short) v);
        }

        void u32(long v) {
            ensure(4);
            buf.putInt((int) v);
        }

        void u64(long v) {
            ensure(8);
            buf.putLong(v);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            ensure(b.length);
            buf.put(b);
        }

        void value(GgufValue v) {
            if (v.type() == GgufValueType.ARRAY) {
                u32(v.elementType().id());
                List<?> list = v.asList();
                u64(list.size());
                for (Object e : list) {
                    if (v.elementType() == GgufValueType.ARRAY) {
                        value((GgufValue) e);
                    } else {
                        scalar(v.elementType(), e);
                    }
                }
            } else {
                scalar(v.type(), v.value());
            }
        }

        void scalar(GgufValueType type, Object o) {
            switch (type) {
                case UINT8, INT8 -> u8((Integer) o);
                case UINT16, INT16 -> u16((Integer) o);
                case UINT32 -> u32((Long) o);
                case INT32 -> u32((Integer) o);
                case FLOAT32 -> u32(Float.floatToRawIntBits((Float) o));
                case BOOL -> u8((Boolean) o ? 1 : 0);
                case STRING -> string((String) o);
                case UINT64, INT64 -> u64((Long) o);
                case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) o));
                case ARRAY -> throw new IllegalStateException("nested arrays are written by value()");
            }
        }

        void padTo(int alignment) {
            int pad = (int) (GgufFile.pad(buf.position(), alignment) - buf.position());
            ensure(pad);
            buf.put(new byte[pad]);
        }

        void flush(FileChannel ch) throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }
}
