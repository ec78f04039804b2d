package dev.winnow.models.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed and validated GGUF file (versions 2 and 3, little-endian): metadata, tensor infos and memory-mapped tensor
 * data.
 *
 * <p>{@link #open(Path)} maps the whole file read-only and parses the header in place; tensor data is never copied
 * onto the heap: {@link #tensorData(GgufTensorInfo)} returns a slice of the mapping. Parsing is also the validation
 * that must pass before a file reaches llama.cpp: it follows the checks of {@code gguf_init_from_file_impl} in
 * llama.cpp's {@code gguf.cpp} and is stricter where llama.cpp would misbehave. Every problem is a
 * {@link GgufFormatException} naming the byte offset and what was expected:
 *
 * <ul>
 *   <li>magic {@code GGUF}; version 2 or 3 (1 is refused, as llama.cpp does);
 *   <li>every count and length checked against the bytes left in the file before anything is allocated (a count of
 *       key/value pairs, tensors or array elements that those bytes cannot hold is refused), integer overflow;
 *   <li>keys: 1 to 65,535 bytes of UTF-8, no duplicates; value type known; booleans 0 or 1; strings valid UTF-8;
 *       arrays nested at most {@value #MAX_ARRAY_NESTING} deep, at most 2^30 elements (llama.cpp's limit);
 *   <li>{@code general.alignment}: a {@code UINT32} power of two (default {@value #DEFAULT_ALIGNMENT});
 *   <li>tensors: names 1 to {@value #MAX_TENSOR_NAME_BYTES} bytes ({@code GGML_MAX_NAME} - 1), no duplicates; 1 to 4
 *       dimensions, each positive; a known ggml type; a row ({@code ne[0]}) a multiple of the type's block size; byte
 *       size without overflow;
 *   <li>data: every tensor's offset aligned, its bytes inside the file, no two tensors overlapping, and the layout
 *       llama.cpp requires (tensors in file order, each at the previous one's end padded to the alignment);
 *   <li>what makes llama.cpp abort rather than fail: two tokens of {@code tokenizer.ggml.tokens} with the same text
 *       (found by fuzzing: {@code GGML_ASSERT(id_to_token.size() == token_to_id.size())} in {@code llama-vocab.cpp}).
 * </ul>
 *
 * <p>Instances are safe to read from several threads. Close to unmap; slices returned earlier are invalid after that.
 */
public final class GgufFile implements AutoCloseable {
    /** The magic at byte 0: the ASCII bytes {@code GGUF}, read as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    /** Alignment of tensor data when {@code general.alignment} is absent ({@code GGUF_DEFAULT_ALIGNMENT}). */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** The metadata key that sets the alignment. */
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** Longest tensor name in bytes: {@code GGML_MAX_NAME} (64) minus the terminating zero. */
    public static final int MAX_TENSOR_NAME_BYTES = 63;
    /** Longest metadata key in bytes (the GGUF specification's limit). */
    public static final int MAX_KEY_BYTES = 65_535;
    /** Longest string value in bytes ({@code GGUF_MAX_STRING_LENGTH} of llama.cpp). */
    public static final long MAX_STRING_BYTES = 1L << 30;
    /** Most elements in one array ({@code GGUF_MAX_ARRAY_ELEMENTS} of llama.cpp). */
    public static final long MAX_ARRAY_ELEMENTS = 1L << 30;
    /** The vocabulary key: its strings must be distinct (llama.cpp aborts on a duplicate token text). */
    public static final String TOKENS_KEY = "tokenizer.ggml.tokens";
    /** Deepest nesting of arrays in arrays that is accepted. */
    public static final int MAX_ARRAY_NESTING = 8;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
    private static final int MIN_KV_BYTES = 8 + 1 + 4 + 1;

    private final Path path;
    private final Arena arena;
    private final MemorySegment bytes;
    private final int version;
    private final int alignment;
    private final Map<String, GgufValue> metadata;
    private final Map<String, Long> keyOffsets;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment bytes, Parser p) {
        this.path = path;
        this.arena = arena;
        this.bytes = bytes;
        this.version = p.version;
        this.alignment = p.alignment;
        this.metadata = Collections.unmodifiableMap(p.metadata);
        this.keyOffsets = p.keyOffsets;
        this.tensors = List.copyOf(p.tensors);
        Map<String, GgufTensorInfo> byName = new HashMap<>();
        for (GgufTensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = byName;
        this.dataOffset = p.dataOffset;
    }

    /**
     * Memory-maps and parses a GGUF file, validating it completely (see the class comment).
     *
     * @param path the file
     * @return the parsed file; close it to unmap
     * @throws GgufFormatException if the file is not a valid GGUF file
     * @throws IOException if the file cannot be opened or mapped
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0
                    ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Parser p = new Parser(seg, path.toString());
            p.parse();
            return new GgufFile(path, arena, seg, p);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses and validates GGUF bytes already in memory (the fuzzer uses this). The segment is not copied: it must
     * stay readable while the result is used, and {@link #close()} leaves it alone.
     *
     * @param bytes the whole file
     * @param source a name for the input, used in exception messages
     * @return the parsed file; {@link #path()} is null
     * @throws GgufFormatException if the bytes are not a valid GGUF file
     */
    public static GgufFile parse(MemorySegment bytes, String source) throws GgufFormatException {
        Parser p = new Parser(bytes, source);
        p.parse();
        return new GgufFile(null, null, bytes, p);
    }

    /** @return the file this was opened from, or null for {@link #parse(MemorySegment, String)} */
    public Path path() {
        return path;
    }

    /** @return the GGUF version, 2 or 3 */
    public int version() {
        return version;
    }

    /** @return the data alignment in bytes, a power of two ({@code general.alignment} or 32) */
    public int alignment() {
        return alignment;
    }

    /** @return the file's size in bytes */
    public long fileSize() {
        return bytes.byteSize();
    }

    /** @return every metadata key and value, in file order (unmodifiable) */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    /**
     * @param key a metadata key such as {@code llama.block_count}
     * @return its value, or empty when the file has no such key
     */
    public Optional<GgufValue> value(String key) {
        return Optional.ofNullable(metadata.get(key));
    }

    /**
     * @param key a metadata key
     * @return the byte offset where the key/value pair starts in the file, or -1 when the file has no such key
     */
    public long keyOffset(String key) {
        return keyOffsets.getOrDefault(key, -1L);
    }

    /**
     * @param key a metadata key
     * @return its value as a long (integer types only)
     * @throws IllegalArgumentException if the key is absent or not an integer
     */
    public long requireLong(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) {
            throw new IllegalArgumentException(describe() + ": no metadata key '" + key + "'");
        }
        try {
            return v.asLong();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(
                    describe() + ": key '" + key + "' is " + v.describeType() + ", not an integer", e);
        }
    }

    /**
     * @param key a metadata key
     * @return its value as a string
     * @throws IllegalArgumentException if the key is absent or not a string
     */
    public String requireString(String key) {
        GgufValue v = metadata.get(key);
        if (v == null || v.type() != GgufValueType.STRING) {
            throw new IllegalArgumentException(describe() + ": "
                    + (v == null ? "no metadata key '" + key + "'" : "key '" + key + "' is not a string"));
        }
        return v.asString();
    }

    /** @return the tensor infos in file order (unmodifiable) */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /**
     * @param name a tensor name
     * @return its info, or empty when the file has no such tensor
     */
    public Optional<GgufTensorInfo> tensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** @return byte offset of the data section from the start of the file (tensor offsets are relative to it) */
    public long dataOffset() {
        return dataOffset;
    }

    /**
     * The bytes of one tensor, read-only, sliced from the mapping (nothing is copied).
     *
     * @param tensor a tensor info of this file
     * @return a read-only segment of {@link GgufTensorInfo#byteSize()} bytes
     * @throws IllegalArgumentException if the tensor is not one of this file's
     */
    public MemorySegment tensorData(GgufTensorInfo tensor) {
        if (!tensor.equals(tensorsByName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor + " is not in " + describe());
        }
        return bytes.asSlice(dataOffset + tensor.offset(), tensor.byteSize()).asReadOnly();
    }

    /**
     * Decodes a tensor's values into a new float array (on the heap: for small tensors, tests and conversion).
     *
     * @param tensor a tensor of this file of type F32, F16, BF16 or Q8_0, with at most 2^31 - 1 elements
     * @return its values in ggml order ({@code ne[0]} fastest)
     * @throws IllegalArgumentException for other types or larger tensors
     */
    public float[] readFloats(GgufTensorInfo tensor) {
        if (tensor.elementCount() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + tensor.name() + " has too many elements for an array");
        }
        float[] out = new float[(int) tensor.elementCount()];
        GgmlCodec.decode(tensor.type(), tensorData(tensor), 0, out, 0, out.length);
        return out;
    }

    /** Unmaps the file (no effect for {@link #parse(MemorySegment, String)}). */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    private String describe() {
        return path == null ? "GGUF bytes" : path.toString();
    }

    @Override
    public String toString() {
        return "GgufFile[" + describe() + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size()
                + " tensors]";
    }

    /** The header parser: a cursor over the bytes with a bounds check on every read. */
    private static final class Parser {
        private final MemorySegment seg;
        private final String source;
        private final long size;
        private long pos;

        int version;
        int alignment = DEFAULT_ALIGNMENT;
        final Map<String, GgufValue> metadata = new LinkedHashMap<>();
        final Map<String, Long> keyOffsets = new HashMap<>();
        final List<GgufTensorInfo> tensors = new ArrayList<>();
        long dataOffset;

        Parser(MemorySegment seg, String source) {
            this.seg = seg;
            this.source = source;
            this.size = seg.byteSize();
        }

        private GgufFormatException error(long at, String problem) {
            return new GgufFormatException(source, at, problem);
        }

        private void need(long n, String what) throws GgufFormatException {
            if (n < 0 || n > size - pos) {
                throw error(
                        pos,
                        "expected " + what + " (" + Long.toUnsignedString(n) + " bytes), but the file ends after "
                                + (size - pos) + " more bytes");
            }
        }

        private int u8(String what) throws GgufFormatException {
            need(1, what);
            return Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, pos++));
        }

        private int u16(String what) throws GgufFormatException {
            need(2, what);
            int v = Short.toUnsignedInt(seg.get(U16, pos));
            pos += 2;
            return v;
        }

        private int u32(String what) throws GgufFormatException {
            need(4, what);
            int v = seg.get(U32, pos);
            pos += 4;
            return v;
        }

        private long u64(String what) throws GgufFormatException {
            need(8, what);
            long v = seg.get(U64, pos);
            pos += 8;
            return v;
        }

        private String string(String what, long maxBytes) throws GgufFormatException {
            long at = pos;
            long len = u64("the length of " + what);
            if (len < 0 || len > maxBytes) {
                throw error(
                        at,
                        "length of " + what + " is " + Long.toUnsignedString(len) + ", expected at most " + maxBytes);
            }
            need(len, what);
            ByteBuffer buf = seg.asSlice(pos, len).asByteBuffer();
            try {
                String s = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(buf)
                        .toString();
                pos += len;
                return s;
            } catch (CharacterCodingException e) {
                throw error(pos, what + " is not valid UTF-8");
            }
        }

        void parse() throws GgufFormatException {
            int magic = u32("the magic 'GGUF'");
            if (magic != MAGIC) {
                throw error(
                        0,
                        String.format(
                                "expected the magic 'GGUF' (47 47 55 46), found %02x %02x %02x %02x",
                                magic & 0xFF, (magic >>> 8) & 0xFF, (magic >>> 16) & 0xFF, magic >>> 24));
            }
            version = u32("the version");
            if (version == 1) {
                throw error(4, "GGUF version 1 is not supported (llama.cpp refuses it), expected 2 or 3");
            }
            if (version != 2 && version != 3) {
                throw error(
                        4,
                        "expected GGUF version 2 or 3, found " + Integer.toUnsignedString(version)
                                + ((version & 0xFFFF) == 0 ? " (a big-endian file?)" : ""));
            }
            long countAt = pos;
            long nTensors = u64("the tensor count");
            long nKv = u64("the metadata key/value count");
            if (nKv < 0 || nKv > (size - pos) / MIN_KV_BYTES) {
                throw error(
                        countAt + 8,
                        "metadata count " + Long.toUnsignedString(nKv) + " is more than the " + (size - pos)
                                + " bytes left can hold (at least " + MIN_KV_BYTES + " bytes each)");
            }
            if (nTensors < 0 || nTensors > (size - pos) / MIN_TENSOR_INFO_BYTES) {
                throw error(
                        countAt,
                        "tensor count " + Long.toUnsignedString(nTensors) + " is more than the " + (size - pos)
                                + " bytes left can hold (at least " + MIN_TENSOR_INFO_BYTES + " bytes each)");
            }
            for (long i = 0; i < nKv; i++) {
                long keyAt = pos;
                String key = string("metadata key " + i, MAX_KEY_BYTES);
                if (key.isEmpty()) {
                    throw error(keyAt, "metadata key " + i + " is empty, expected a name");
                }
                if (metadata.containsKey(key)) {
                    throw error(keyAt, "duplicate metadata key '" + key + "'");
                }
                GgufValue v = value(key, 0);
                metadata.put(key, v);
                keyOffsets.put(key, keyAt);
            }
            GgufValue align = metadata.get(ALIGNMENT_KEY);
            if (align != null) {
                if (align.type() != GgufValueType.UINT32) {
                    throw error(countAt + 16, "'" + ALIGNMENT_KEY + "' must be UINT32, found " + align.describeType());
                }
                long a = align.asLong();
                if (a == 0 || (a & (a - 1)) != 0 || a > (1L << 30)) {
                    throw error(
                            countAt + 16, "'" + ALIGNMENT_KEY + "' is " + a + ", expected a power of two up to 2^30");
                }
                alignment = (int) a;
            }
            if (nTensors > (size - pos) / MIN_TENSOR_INFO_BYTES) {
                throw error(
                        countAt,
                        "tensor count " + nTensors + " is more than the " + (size - pos)
                                + " bytes left after the metadata can hold");
            }
            Map<String, Long> names = new HashMap<>();
            long[] offsetFieldAt = new long[(int) nTensors];
            for (int i = 0; i < nTensors; i++) {
                long nameAt = pos;
                String name = string("the name of tensor " + i, MAX_TENSOR_NAME_BYTES);
                if (name.isEmpty()) {
                    throw error(nameAt, "tensor " + i + " has an empty name");
                }
                if (names.putIfAbsent(name, (long) i) != null) {
                    throw error(
                            nameAt,
                            "duplicate tensor name '" + name + "' (tensors " + names.get(name) + " and " + i + ")");
                }
                long dimsAt = pos;
                int nDims = u32("the dimension count of tensor '" + name + "'");
                if (nDims < 1 || nDims > 4) {
                    throw error(
                            dimsAt,
                            "tensor '" + name + "' has " + Integer.toUnsignedString(nDims)
                                    + " dimensions, expected 1 to 4");
                }
                long[] shape = new long[nDims];
                for (int d = 0; d < nDims; d++) {
                    long at = pos;
                    shape[d] = u64("dimension " + d + " of tensor '" + name + "'");
                    if (shape[d] <= 0) {
                        throw error(
                                at, "dimension " + d + " of tensor '" + name + "' is " + shape[d] + ", expected > 0");
                    }
                }
                long typeAt = pos;
                int typeId = u32("the type of tensor '" + name + "'");
                GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId))
                        .orElseThrow(() -> error(
                                typeAt,
                                "tensor '" + name + "' has unknown ggml type " + Integer.toUnsignedString(typeId)
                                        + ", expected one of " + knownTypeIds()));
                String problem = GgufTensorInfo.checkShape(type, shape);
                if (problem != null) {
                    throw error(dimsAt, "tensor '" + name + "' " + problem);
                }
                long offAt = pos;
                long offset = u64("the data offset of tensor '" + name + "'");
                if (offset < 0 || offset % alignment != 0) {
                    throw error(
                            offAt,
                            "tensor '" + name + "' has data offset " + Long.toUnsignedString(offset)
                                    + ", expected a non-negative multiple of the alignment " + alignment);
                }
                offsetFieldAt[i] = offAt;
                tensors.add(new GgufTensorInfo(name, type, shape, offset));
            }
            long padded = pad(pos, alignment);
            dataOffset = padded;
            if (tensors.isEmpty()) {
                return;
            }
            if (padded > size) {
                throw error(
                        pos,
                        "expected the data section at byte " + padded + " (aligned to " + alignment
                                + "), but the file has " + size + " bytes");
            }
            long dataBytes = size - padded;
            for (int i = 0; i < tensors.size(); i++) {
                GgufTensorInfo t = tensors.get(i);
                if (t.byteSize() > dataBytes || t.offset() > dataBytes - t.byteSize()) {
                    throw error(
                            offsetFieldAt[i],
                            "tensor '" + t.name() + "' needs " + t.byteSize() + " bytes at data offset " + t.offset()
                                    + ", but the data section has " + dataBytes + " bytes");
                }
            }
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < tensors.size(); i++) {
                order.add(i);
            }
            order.sort((a, b) ->
                    Long.compare(tensors.get(a).offset(), tensors.get(b).offset()));
            for (int k = 1; k < order.size(); k++) {
                GgufTensorInfo prev = tensors.get(order.get(k - 1));
                GgufTensorInfo cur = tensors.get(order.get(k));
                if (cur.offset() < prev.offset() + prev.byteSize()) {
                    throw error(
                            offsetFieldAt[order.get(k)],
                            "tensor '" + cur.name() + "' at data offset " + cur.offset()
                                    + " overlaps tensor '" + prev.name() + "' (bytes " + prev.offset() + " to "
                                    + (prev.offset() + prev.byteSize()) + ")");
                }
            }
            long expected = 0;
            for (int i = 0; i < tensors.size(); i++) {
                GgufTensorInfo t = tensors.get(i);
                if (t.offset() != expected) {
                    throw error(
                            offsetFieldAt[i],
                            "tensor '" + t.name() + "' has data offset " + t.offset() + ", expected " + expected
                                    + " (llama.cpp needs tensors in file order, each padded to the alignment "
                                    + alignment + ")");
                }
                expected += pad(t.byteSize(), alignment);
            }
        }

        private static String abbreviate(String s) {
            return s.length() <= 40 ? "'" + s + "'" : "'" + s.substring(0, 40) + "...'";
        }

        private static String knownTypeIds() {
            StringBuilder b = new StringBuilder();
            for (GgmlType t : GgmlType.values()) {
                b.append(b.isEmpty() ? "" : ",").append(t.id());
            }
            return "{" + b + "}";
        }

        private GgufValue value(String key, int depth) throws GgufFormatException {
            long typeAt = pos;
            int typeId = u32("the value type of '" + key + "'");
            GgufValueType type = GgufValueType.byId(Integer.toUnsignedLong(typeId))
                    .orElseThrow(() -> error(
                            typeAt,
                            "key '" + key + "' has unknown value type " + Integer.toUnsignedString(typeId)
                                    + ", expected 0 to 12"));
            if (type != GgufValueType.ARRAY) {
                return new GgufValue(type, null, scalar(type, key));
            }
            return array(key, depth);
        }

        private GgufValue array(String key, int depth) throws GgufFormatException {
            long at = pos;
            if (depth >= MAX_ARRAY_NESTING) {
                throw error(at, "arrays of '" + key + "' nest deeper than " + MAX_ARRAY_NESTING);
            }
            int etId = u32("the element type of array '" + key + "'");
            GgufValueType et = GgufValueType.byId(Integer.toUnsignedLong(etId))
                    .orElseThrow(() -> error(
                            at,
                            "array '" + key + "' has unknown element type " + Integer.toUnsignedString(etId)
                                    + ", expected 0 to 12"));
            long countAt = pos;
            long n = u64("the length of array '" + key + "'");
            if (n < 0 || n > MAX_ARRAY_ELEMENTS || n > (size - pos) / et.minEncodedSize()) {
                throw error(
                        countAt,
                        "array '" + key + "' claims " + Long.toUnsignedString(n) + " elements of " + et
                                + ", more than the " + (size - pos) + " bytes left can hold (or over 2^30)");
            }
            List<Object> list = new ArrayList<>((int) n);
            boolean vocabulary = depth == 0 && et == GgufValueType.STRING && key.equals(TOKENS_KEY);
            Map<String, Long> seen = vocabulary ? new HashMap<>() : null;
            for (long i = 0; i < n; i++) {
                long elementAt = pos;
                if (et == GgufValueType.ARRAY) {
                    list.add(array(key, depth + 1));
                } else {
                    list.add(scalar(et, key));
                }
                if (vocabulary) {
                    // llama_vocab::impl::load maps each text to its id and aborts (GGML_ASSERT) when two tokens share a
                    // text; it renames empty tokens "[EMPTY_<id>]" first, so those names can collide too. It reads each
                    // text
                    // as a C string (std::string from gguf_get_arr_str's char pointer), so a text ends at its first NUL
                    // byte:
                    // "a\0x" and "a\0y" are both "a" there (fuzz case 1656 of seed 1 aborted that way)
                    String text = (String) list.getLast();
                    int nul = text.indexOf('\0');
                    String cText = nul < 0 ? text : text.substring(0, nul);
                    String effective = cText.isEmpty() ? "[EMPTY_" + i + "]" : cText;
                    Long previous = seen.putIfAbsent(effective, i);
                    if (previous != null) {
                        throw error(
                                elementAt,
                                "token " + i + " of '" + key + "' has the same text as token " + previous + " ("
                                        + abbreviate(effective)
                                        + (nul < 0 && ((String) list.get((int) (long) previous)).indexOf('\0') < 0
                                                ? ""
                                                : ", texts read up to their first NUL byte as llama.cpp does")
                                        + "): llama.cpp aborts on duplicate tokens");
                    }
                }
            }
            return new GgufValue(GgufValueType.ARRAY, et, list);
        }

        private Object scalar(GgufValueType type, String key) throws GgufFormatException {
            String what = "a " + type + " value of '" + key + "'";
            return switch (type) {
                case UINT8 -> u8(what);
                case INT8 -> (int) (byte) u8(what);
                case UINT16 -> u16(what);
                case INT16 -> (int) (short) u16(what);
                case UINT32 -> Integer.toUnsignedLong(u32(what));
                case INT32 -> u32(what);
                case FLOAT32 -> Float.intBitsToFloat(u32(what));
                case BOOL -> {
                    long at = pos;
                    int b = u8(what);
                    if (b > 1) {
                        throw error(at, "bool value of '" + key + "' is " + b + ", expected 0 or 1");
                    }
                    yield b == 1;
                }
                case STRING -> string("a string value of '" + key + "'", MAX_STRING_BYTES);
                case UINT64, INT64 -> u64(what);
                case FLOAT64 -> Double.longBitsToDouble(u64(what));
                case ARRAY -> throw new IllegalStateException("arrays are read by array()");
            };
        }
    }

    /**
     * @param n a byte count or offset, non-negative
     * @param alignment a power of two
     * @return {@code n} rounded up to a multiple of {@code alignment} ({@code GGML_PAD})
     */
    static long pad(long n, long alignment) {
        return (n + alignment - 1) & -alignment;
    }
}
