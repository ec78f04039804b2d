package dev.winnow.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.runtime.TestModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GgufPrecheckTest {

  @TempDir static Path tmp;

  static byte[] original() throws IOException {
    return Files.readAllBytes(TestModels.stories260K());
  }

  /** Offsets of the fields the corruption cases overwrite, found by an independent walk over stories260K. */
  record Offsets(long firstKeyLen, long firstTag, long stringValueLen, long tensorDims, long tensorType, long tensorOffset) {}

  /** A deliberately plain second reader (arrays of fixed-width or string elements only), to find field offsets. */
  static Offsets locate(byte[] b) {
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int p = 16;
    long kv = bb.getLong(p);
    p = 24;
    long firstKeyLen = p;
    long firstTag = -1;
    long stringValueLen = -1;
    for (long i = 0; i < kv; i++) {
      long klen = bb.getLong(p);
      p += 8 + (int) klen;
      if (firstTag < 0) {
        firstTag = p;
      }
      int type = bb.getInt(p);
      p += 4;
      if (type == 8) {
        if (stringValueLen < 0) {
          stringValueLen = p;
        }
        p += 8 + (int) bb.getLong(p);
      } else if (type == 9) {
        int et = bb.getInt(p);
        long n = bb.getLong(p + 4);
        p += 12;
        for (long j = 0; j < n; j++) {
          p += et == 8 ? 8 + (int) bb.getLong(p) : (et == 6 || et == 4 || et == 5 ? 4 : 1);
        }
      } else {
        p += type == 6 || type == 4 || type == 5 ? 4 : type <= 1 || type == 7 ? 1 : type <= 3 ? 2 : 8;
      }
    }
    long nameLen = bb.getLong(p);
    p += 8 + (int) nameLen;
    long dims = p;
    int nDims = bb.getInt(p);
    p += 4 + 8 * nDims;
    return new Offsets(firstKeyLen, firstTag, stringValueLen, dims, p, p + 4);
  }

  static Path write(String name, byte[] bytes) throws IOException {
    Path f = tmp.resolve(name);
    Files.write(f, bytes);
    return f;
  }

  static byte[] withU32(byte[] b, long at, int v) {
    byte[] c = b.clone();
    ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt((int) at, v);
    return c;
  }

  static byte[] withU64(byte[] b, long at, long v) {
    byte[] c = b.clone();
    ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong((int) at, v);
    return c;
  }

  static InvalidModelException refused(Path f, String expectedPhrase) {
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> GgufPrecheck.check(f));
    assertTrue(e.getMessage().contains(f.toAbsolutePath().toString()), e.getMessage());
    assertTrue(e.getMessage().contains(expectedPhrase), "expected '" + expectedPhrase + "' in: " + e.getMessage());
    assertEquals(f.toAbsolutePath(), e.file());
    return e;
  }

  @Test
  void acceptsStories260KWithTheFiguresGgufReports() {
    // figures from llama.cpp's own gguf_init_from_file on the same file: version 3, 48 tensors, 19 keys,
    // data offset 14176, last tensor ends at 1171200 (= file size - data offset).
    GgufPrecheck.Summary s = GgufPrecheck.check(TestModels.stories260K());
    assertEquals(new GgufPrecheck.Summary(3, 48, 19, 14176, 1_171_200), s);
  }

  @Test
  void missingPath() {
    refused(tmp.resolve("no-such-model.gguf"), "does not exist");
  }

  @Test
  void directory() throws IOException {
    refused(Files.createDirectories(tmp.resolve("a-dir.gguf")), "is a directory");
  }

  @Test
  void emptyFile() throws IOException {
    refused(write("empty.gguf", new byte[0]), "is empty (0 bytes)");
  }

  @Test
  void notGguf() throws IOException {
    refused(
        write("text.gguf", "this is a plain text file, not a model\n".getBytes(StandardCharsets.UTF_8)),
        "is not a GGUF file: magic is 74 68 69 73");
  }

  static LongStream truncationOffsets() throws IOException {
    long end = original().length;
    // inside the magic, version, counts, first key, the vocabulary array, the tensor infos, and the data section
    return LongStream.of(2, 6, 13, 20, 30, 200, 5000, 14000, 600_000, end - 1);
  }

  @ParameterizedTest
  @MethodSource("truncationOffsets")
  void truncated(long at) throws IOException {
    Path f = write("trunc-" + at + ".gguf", Arrays.copyOf(original(), (int) at));
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> GgufPrecheck.check(f));
    assertTrue(e.getMessage().startsWith("model file " + f.toAbsolutePath() + ": "), e.getMessage());
    assertTrue(
        e.getMessage().contains("truncated")
            || e.getMessage().contains("too short")
            || e.getMessage().contains("beyond the end of the file")
            || e.getMessage().contains("cannot fit"),
        e.getMessage());
  }

  @Test
  void corruptedMagic() throws IOException {
    byte[] b = original();
    b[1] = 'X';
    refused(write("magic.gguf", b), "magic is 47 58 55 46");
  }

  @Test
  void corruptedVersion() throws IOException {
    refused(write("version.gguf", withU32(original(), 4, 99)), "unsupported GGUF version 99");
    refused(write("version1.gguf", withU32(original(), 4, 1)), "GGUF version 1 is not supported");
  }

  @Test
  void corruptedTensorCount() throws IOException {
    refused(write("tensors.gguf", withU64(original(), 8, 1L << 40)), "tensor count 1099511627776");
    // a count that fits in the file but makes the walk run into the data section
    Path f = write("tensors-more.gguf", withU64(original(), 8, 49));
    assertThrows(InvalidModelException.class, () -> GgufPrecheck.check(f));
  }

  @Test
  void corruptedKvCount() throws IOException {
    refused(write("kv.gguf", withU64(original(), 16, -1L)), "key/value count 18446744073709551615");
  }

  @Test
  void corruptedKeyLength() throws IOException {
    Offsets o = locate(original());
    refused(write("keylen.gguf", withU64(original(), o.firstKeyLen(), 1L << 33)), "the length of the key of key/value pair 0");
  }

  @Test
  void corruptedValueTypeTag() throws IOException {
    Offsets o = locate(original());
    refused(write("tag.gguf", withU32(original(), o.firstTag(), 77)), "unknown value type tag 77");
  }

  @Test
  void corruptedStringLength() throws IOException {
    Offsets o = locate(original());
    refused(
        write("strlen.gguf", withU64(original(), o.stringValueLen(), 5_000_000)),
        "the string length of the value of key 'tokenizer.ggml.model' is 5000000");
  }

  @Test
  void corruptedTensorDims() throws IOException {
    Offsets o = locate(original());
    refused(write("dims.gguf", withU32(original(), o.tensorDims(), 7)), "tensor 'token_embd.weight' has 7 dimensions");
  }

  @Test
  void corruptedTensorType() throws IOException {
    Offsets o = locate(original());
    refused(write("type.gguf", withU32(original(), o.tensorType(), 4)), "unknown ggml type 4");
    refused(write("type99.gguf", withU32(original(), o.tensorType(), 99)), "unknown ggml type 99");
  }

  @Test
  void corruptedTensorDataOffset() throws IOException {
    Offsets o = locate(original());
    refused(write("off-align.gguf", withU64(original(), o.tensorOffset(), 17)), "is not a multiple of the alignment 32");
    refused(write("off-far.gguf", withU64(original(), o.tensorOffset(), 1L << 30)), "data offset 1073741824, expected 0");
  }
}
