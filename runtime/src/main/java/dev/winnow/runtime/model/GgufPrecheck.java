package dev.winnow.runtime.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A small, self-contained walk over a GGUF file's header that refuses, with a clear {@link InvalidModelException},
 * what would make llama.cpp fail or abort: a missing path, a directory, an empty file, a wrong magic, an unsupported
 * version, counts and lengths that cannot fit in the file, unknown value type tags, a tensor with more than 4
 * dimensions or an unknown ggml type, tensor data that lies (partly) outside the file or off its alignment, and the
 * hyperparameters llama.cpp asserts on while loading ({@code <arch>.block_count} in [1, 512], {@code
 * <arch>.expert_count} at most 1024), since a failed GGML_ASSERT aborts the whole JVM.
 *
 * <p>The layout checked is GGUF version 2 and 3 as read by llama.cpp's {@code gguf_init_from_file_impl} (gguf.cpp):
 * magic {@code GGUF}, u32 version, u64 tensor count, u64 key/value count, the key/value pairs (u64-length string key,
 * u32 type tag, value), the tensor infos (name, u32 n_dims, n_dims i64 sizes, u32 ggml type, u64 data offset), then
 * the data section at the next multiple of {@code general.alignment} (default 32). All integers are little-endian.
 * The full validator (every key, tensor contents) is the models module's job; this check only reads the header and
 * does not read tensor data.
 */
public final class GgufPrecheck {

  /** GGUF's magic, the bytes {@code G G U F} read as a little-endian u32. */
  static final int MAGIC = 0x46554747;

  /** llama.cpp's limit on n_dims (GGML_MAX_DIMS). */
  static final int MAX_DIMS = 4;

  /** LLAMA_MAX_LAYERS of llama-hparams.h: a larger block count aborts llama.cpp. */
  static final long MAX_LAYERS = 512;

  /** LLAMA_MAX_EXPERTS of llama-hparams.h. */
  static final long MAX_EXPERTS = 1024;

  /** GGUF_DEFAULT_ALIGNMENT of gguf.h. */
  static final long DEFAULT_ALIGNMENT = 32;

  /** Value type tags of gguf.h ({@code enum gguf_type}). */
  private static final int T_UINT8 = 0;
  private static final int T_INT8 = 1;
  private static final int T_UINT16 = 2;
  private static final int T_INT16 = 3;
  private static final int T_UINT32 = 4;
  private static final int T_INT32 = 5;
  private static final int T_FLOAT32 = 6;
  private static final int T_BOOL = 7;
  private static final int T_STRING = 8;
  private static final int T_ARRAY = 9;
  private static final int T_UINT64 = 10;
  private static final int T_INT64 = 11;
  private static final int T_FLOAT64 = 12;

  /**
   * Block size (elements) and type size (bytes per block) of every ggml type of llama.cpp v0.5.0, indexed by
   * {@code enum ggml_type}; {0, 0} marks removed types (as ggml_blck_size / ggml_type_size report them).
   */
  private static final int[][] GGML_TYPES = {
    {1, 4}, {1, 2}, {32, 18}, {32, 20}, {0, 0}, {0, 0}, {32, 22}, {32, 24}, {32, 34}, {32, 36},
    {256, 84}, {256, 110}, {256, 144}, {256, 176}, {256, 210}, {256, 292}, {256, 66}, {256, 74}, {256, 98},
    {256, 50}, {32, 18}, {256, 110}, {256, 82}, {256, 136}, {1, 1}, {1, 2}, {1, 4}, {1, 8}, {1, 8}, {256, 56},
    {1, 2}, {0, 0}, {0, 0}, {0, 0}, {256, 54}, {256, 66}, {0, 0}, {0, 0}, {0, 0}, {32, 17}, {64, 36},
    {128, 18}, {64, 18},
  };

  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final Path file;
  private final MemorySegment data;
  private final long size;
  private long pos;

  private GgufPrecheck(Path file, MemorySegment data) {
    this.file = file;
    this.data = data;
    this.size = data.byteSize();
  }

  /**
   * What the header walk found, for callers that want the figures.
   *
   * @param version GGUF version (2 or 3)
   * @param tensorCount number of tensors
   * @param kvCount number of key/value pairs
   * @param dataOffset absolute file offset of the data section
   * @param dataBytes bytes from the data section start to the end of the last tensor
   */
  public record Summary(int version, long tensorCount, long kvCount, long dataOffset, long dataBytes) {}

  /**
   * Checks that {@code file} is a GGUF file llama.cpp can parse without reading past its end.
   *
   * @param file the model path
   * @return the figures read from the header
   * @throws InvalidModelException naming the file and the problem, for every refused input
   */
  public static Summary check(Path file) {
    Path abs = file.toAbsolutePath();
    if (!Files.exists(abs)) {
      throw new InvalidModelException(abs, "does not exist");
    }
    if (Files.isDirectory(abs)) {
      throw new InvalidModelException(abs, "is a directory, not a GGUF file");
    }
    if (!Files.isRegularFile(abs)) {
      throw new InvalidModelException(abs, "is not a regular file");
    }
    if (!Files.isReadable(abs)) {
      throw new InvalidModelException(abs, "is not readable");
    }
    try (FileChannel ch = FileChannel.open(abs, StandardOpenOption.READ);
        Arena arena = Arena.ofConfined()) {
      long n = ch.size();
      if (n == 0) {
        throw new InvalidModelException(abs, "is empty (0 bytes)");
      }
      MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, n, arena);
      return new GgufPrecheck(abs, seg).walk();
    } catch (IOException e) {
      throw new InvalidModelException(abs, "cannot be read: " + e.getMessage());
    }
  }

  private Summary walk() {
    if (size < 4) {
      throw fail("is not a GGUF file: " + size + " bytes, too short for the 4-byte magic");
    }
    int magic = data.get(U32, 0);
    if (magic != MAGIC) {
      throw fail(
          "is not a GGUF file: magic is "
              + describeMagic()
              + " at offset 0, expected 'GGUF' (47 47 55 46)");
    }
    pos = 4;
    int version = u32("the GGUF version");
    if (version == 1) {
      throw fail("GGUF version 1 is not supported by llama.cpp (needs 2 or 3)");
    }
    if (version < 2 || version > 3) {
      throw fail("unsupported GGUF version " + Integer.toUnsignedString(version) + " at offset 4 (expected 2 or 3)");
    }
    long tensorCount = u64("the tensor count");
    long kvCount = u64("the key/value count");
    // Lower bounds on the bytes each entry takes, to refuse absurd counts before looping over them.
    long remain = size - pos;
    if (kvCount < 0 || kvCount > remain / 13) {
      throw fail(
          "key/value count "
              + Long.toUnsignedString(kvCount)
              + " at offset 16 cannot fit in the "
              + remain
              + " bytes that follow (each pair takes at least 13 bytes)");
    }
    if (tensorCount < 0 || tensorCount > remain / 24) {
      throw fail(
          "tensor count "
              + Long.toUnsignedString(tensorCount)
              + " at offset 8 cannot fit in the "
              + remain
              + " bytes that follow (each tensor info takes at least 24 bytes)");
    }
    long alignment = DEFAULT_ALIGNMENT;
    String architecture = null;
    java.util.Map<String, Long> counts = new java.util.HashMap<>();
    for (long i = 0; i < kvCount; i++) {
      long keyAt = pos;
      String key = string("the key of key/value pair " + i);
      if (key.isEmpty()) {
        throw fail("key/value pair " + i + " at offset " + keyAt + " has an empty key");
      }
      long tagAt = pos;
      int type = u32("the value type of key '" + key + "'");
      if (key.equals("general.alignment")) {
        if (type != T_UINT32) {
          throw fail("key 'general.alignment' at offset " + tagAt + " has type " + type + ", expected u32 (4)");
        }
        long a = Integer.toUnsignedLong(u32("the value of 'general.alignment'"));
        if (a == 0 || (a & (a - 1)) != 0) {
          throw fail("general.alignment " + a + " is not a power of 2");
        }
        alignment = a;
      } else if (key.equals("general.architecture") && type == T_STRING) {
        architecture = string("the value of 'general.architecture'");
      } else if ((key.endsWith(".block_count") || key.endsWith(".expert_count")) && width(type) >= 4
          && type != T_FLOAT32 && type != T_FLOAT64) {
        long at = pos;
        value(key, type, tagAt, false);
        long v = width(type) == 4 ? Integer.toUnsignedLong(data.get(U32, at)) : data.get(U64, at);
        counts.put(key, v);
      } else {
        value(key, type, tagAt, false);
      }
    }
    // limits llama.cpp asserts (GGML_ASSERT aborts the process) while reading hyperparameters (llama-model.cpp)
    if (architecture != null) {
      Long layers = counts.get(architecture + ".block_count");
      if (layers != null && (layers < 1 || layers > MAX_LAYERS)) {
        throw fail(
            "'" + architecture + ".block_count' is " + Long.toUnsignedString(layers) + ", outside [1, " + MAX_LAYERS
                + "] (LLAMA_MAX_LAYERS)");
      }
      Long experts = counts.get(architecture + ".expert_count");
      if (experts != null && (experts < 0 || experts > MAX_EXPERTS)) {
        throw fail(
            "'" + architecture + ".expert_count' is " + Long.toUnsignedString(experts) + ", above " + MAX_EXPERTS
                + " (LLAMA_MAX_EXPERTS)");
      }
    }
    long[] offsets = new long[(int) tensorCount];
    long[] nbytes = new long[(int) tensorCount];
    String[] names = new String[(int) tensorCount];
    for (int t = 0; t < tensorCount; t++) {
      String name = string("the name of tensor " + t);
      names[t] = name;
      if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= 64) {
        throw fail("tensor " + t + " name '" + name + "' is longer than 63 bytes (GGML_MAX_NAME)");
      }
      long dimsAt = pos;
      int nDims = u32("the dimension count of tensor '" + name + "'");
      if (nDims < 0 || nDims > MAX_DIMS) {
        throw fail(
            "tensor '"
                + name
                + "' has "
                + Integer.toUnsignedString(nDims)
                + " dimensions at offset "
                + dimsAt
                + " (at most "
                + MAX_DIMS
                + ")");
      }
      long elements = 1;
      long ne0 = 1;
      for (int d = 0; d < nDims; d++) {
        long ne = u64("dimension " + d + " of tensor '" + name + "'");
        if (ne < 0) {
          throw fail("tensor '" + name + "' dimension " + d + " has a negative size " + ne);
        }
        if (d == 0) {
          ne0 = ne;
        }
        if (ne != 0 && elements > Long.MAX_VALUE / ne) {
          throw fail("tensor '" + name + "' has more elements than fit in 63 bits");
        }
        elements *= ne;
      }
      long typeAt = pos;
      int type = u32("the ggml type of tensor '" + name + "'");
      if (type < 0 || type >= GGML_TYPES.length || GGML_TYPES[type][0] == 0) {
        throw fail(
            "tensor '"
                + name
                + "' has unknown ggml type "
                + Integer.toUnsignedString(type)
                + " at offset "
                + typeAt
                + " (known: 0.."
                + (GGML_TYPES.length - 1)
                + " except removed ones)");
      }
      int block = GGML_TYPES[type][0];
      int typeSize = GGML_TYPES[type][1];
      if (ne0 % block != 0) {
        throw fail(
            "tensor '" + name + "' has " + ne0 + " elements per row, not a multiple of its type's block size " + block);
      }
      long blocks = elements / block;
      if (blocks > Long.MAX_VALUE / typeSize) {
        throw fail("tensor '" + name + "' is larger than 2^63 bytes");
      }
      nbytes[t] = blocks * typeSize;
      long offsetAt = pos;
      long offset = u64("the data offset of tensor '" + name + "'");
      if (offset < 0 || offset % alignment != 0) {
        throw fail(
            "tensor '"
                + name
                + "' data offset "
                + Long.toUnsignedString(offset)
                + " at offset "
                + offsetAt
                + " is not a multiple of the alignment "
                + alignment);
      }
      offsets[t] = offset;
    }
    long dataStart = tensorCount == 0 ? pos : (pos + alignment - 1) / alignment * alignment;
    long dataAvail = Math.max(0, size - dataStart);
    long end = 0;
    for (int t = 0; t < tensorCount; t++) {
      // llama.cpp (gguf.cpp) requires tensors to be laid out in order, each at the padded end of the previous one
      if (offsets[t] != end) {
        throw fail(
            "tensor '"
                + names[t]
                + "' has data offset "
                + Long.toUnsignedString(offsets[t])
                + ", expected "
                + end
                + " (tensors must follow each other in order, padded to "
                + alignment
                + " bytes)");
      }
      if (offsets[t] > dataAvail || nbytes[t] > dataAvail - offsets[t]) {
        throw fail(
            "tensor '"
                + names[t]
                + "' data ["
                + Long.toUnsignedString(offsets[t])
                + ", +"
                + nbytes[t]
                + ") lies outside the data section of "
                + dataAvail
                + " bytes (file truncated or data offset corrupted)");
      }
      end = offsets[t] + (nbytes[t] + alignment - 1) / alignment * alignment;
    }
    long last = tensorCount == 0 ? 0 : offsets[(int) tensorCount - 1] + nbytes[(int) tensorCount - 1];
    return new Summary(version, tensorCount, kvCount, dataStart, last);
  }

  private void value(String key, int type, long tagAt, boolean inArray) {
    switch (type) {
      case T_UINT8, T_INT8, T_BOOL -> skip(1, key);
      case T_UINT16, T_INT16 -> skip(2, key);
      case T_UINT32, T_INT32, T_FLOAT32 -> skip(4, key);
      case T_UINT64, T_INT64, T_FLOAT64 -> skip(8, key);
      case T_STRING -> skipString("the value of key '" + key + "'");
      case T_ARRAY -> {
        if (inArray) {
          throw fail("key '" + key + "' holds an array of arrays, which GGUF does not allow");
        }
        long elemAt = pos;
        int elem = u32("the element type of array '" + key + "'");
        long n = u64("the length of array '" + key + "'");
        int width = width(elem);
        if (width < 0 && elem != T_STRING) {
          throw fail(
              "array '" + key + "' has unknown element type tag " + Integer.toUnsignedString(elem) + " at offset "
                  + elemAt);
        }
        long minEach = elem == T_STRING ? 8 : width;
        if (n < 0 || n > (size - pos) / minEach) {
          throw fail(
              "array '"
                  + key
                  + "' declares "
                  + Long.toUnsignedString(n)
                  + " elements, more than the "
                  + (size - pos)
                  + " remaining bytes can hold");
        }
        if (elem == T_STRING) {
          for (long i = 0; i < n; i++) {
            skipString("element " + i + " of array '" + key + "'");
          }
        } else {
          skip(n * width, key);
        }
      }
      default ->
          throw fail(
              "key '"
                  + key
                  + "' has unknown value type tag "
                  + Integer.toUnsignedString(type)
                  + " at offset "
                  + tagAt
                  + " (known: 0..12)");
    }
  }

  private static int width(int type) {
    return switch (type) {
      case T_UINT8, T_INT8, T_BOOL -> 1;
      case T_UINT16, T_INT16 -> 2;
      case T_UINT32, T_INT32, T_FLOAT32 -> 4;
      case T_UINT64, T_INT64, T_FLOAT64 -> 8;
      default -> -1;
    };
  }

  private void need(long n, String what) {
    if (n < 0 || n > size - pos) {
      throw fail(
          "truncated or corrupted: "
              + what
              + " needs "
              + (n < 0 ? Long.toUnsignedString(n) : Long.toString(n))
              + " bytes at offset "
              + pos
              + " but the file has "
              + size
              + " bytes");
    }
  }

  private int u32(String what) {
    need(4, what);
    int v = data.get(U32, pos);
    pos += 4;
    return v;
  }

  private long u64(String what) {
    need(8, what);
    long v = data.get(U64, pos);
    pos += 8;
    return v;
  }

  private void skip(long n, String key) {
    need(n, "the value of key '" + key + "'");
    pos += n;
  }

  private String string(String what) {
    long lenAt = pos;
    long len = u64("the length of " + what);
    if (len < 0 || len > size - pos) {
      throw fail(
          "the length of "
              + what
              + " is "
              + Long.toUnsignedString(len)
              + " at offset "
              + lenAt
              + ", beyond the end of the file ("
              + size
              + " bytes)");
    }
    byte[] b = data.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
    pos += len;
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }

  private void skipString(String what) {
    long lenAt = pos;
    long len = u64("the length of " + what);
    if (len < 0 || len > size - pos) {
      throw fail(
          "the string length of "
              + what
              + " is "
              + Long.toUnsignedString(len)
              + " at offset "
              + lenAt
              + ", beyond the end of the file ("
              + size
              + " bytes)");
    }
    pos += len;
  }

  private String describeMagic() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      sb.append(String.format("%02x", data.get(ValueLayout.JAVA_BYTE, i) & 0xff));
      if (i < 3) {
        sb.append(' ');
      }
    }
    return sb.toString();
  }

  private InvalidModelException fail(String problem) {
    return new InvalidModelException(file, problem);
  }
}
