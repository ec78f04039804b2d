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

    @TempDir
    static Path tmp;

    static byte[] original() throws IOException {
        return Files.readAllBytes(TestModels.stories260K());
    }

    /** Offsets of the fields the corruption cases overwrite, found by an independent walk over stories260K. */
    record Offsets(
            long firstKeyLen,
            long firstTag,
            long stringValueLen,
            long tensorDims,
            long tensorType,
            long tensorOffset) {}

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
                "at byte 0: expected the magic 'GGUF' (47 47 55 46), found 74 68 69 73");
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
        // a field cut short, a count the remaining bytes cannot hold, or tensor data past the end
        assertTrue(
                e.getMessage().contains("but the file ends after")
                        || e.getMessage().contains("bytes left can hold")
                        || e.getMessage().contains("but the data section has"),
                e.getMessage());
    }

    @Test
    void corruptedMagic() throws IOException {
        byte[] b = original();
        b[1] = 'X';
        refused(write("magic.gguf", b), "at byte 0: expected the magic 'GGUF' (47 47 55 46), found 47 58 55 46");
    }

    @Test
    void corruptedVersion() throws IOException {
        refused(write("version.gguf", withU32(original(), 4, 99)), "at byte 4: expected GGUF version 2 or 3, found 99");
        refused(write("version1.gguf", withU32(original(), 4, 1)), "at byte 4: GGUF version 1 is not supported");
    }

    @Test
    void corruptedTensorCount() throws IOException {
        refused(
                write("tensors.gguf", withU64(original(), 8, 1L << 40)),
                "at byte 8: tensor count 1099511627776 is more than");
        // a count that fits in the file but makes the walk run into the data section
        Path f = write("tensors-more.gguf", withU64(original(), 8, 49));
        assertThrows(InvalidModelException.class, () -> GgufPrecheck.check(f));
    }

    @Test
    void corruptedKvCount() throws IOException {
        refused(
                write("kv.gguf", withU64(original(), 16, -1L)),
                "at byte 16: metadata count 18446744073709551615 is more than");
    }

    @Test
    void corruptedKeyLength() throws IOException {
        Offsets o = locate(original());
        refused(
                write("keylen.gguf", withU64(original(), o.firstKeyLen(), 1L << 33)),
                "at byte " + o.firstKeyLen() + ": length of metadata key 0 is 8589934592");
    }

    @Test
    void corruptedValueTypeTag() throws IOException {
        Offsets o = locate(original());
        refused(
                write("tag.gguf", withU32(original(), o.firstTag(), 77)),
                "at byte " + o.firstTag() + ": key 'tokenizer.ggml.tokens' has unknown value type 77");
    }

    @Test
    void corruptedStringLength() throws IOException {
        Offsets o = locate(original());
        refused(
                write("strlen.gguf", withU64(original(), o.stringValueLen(), 5_000_000)),
                "expected a string value of 'tokenizer.ggml.model' (5000000 bytes), but the file ends");
    }

    @Test
    void corruptedTensorDims() throws IOException {
        Offsets o = locate(original());
        refused(
                write("dims.gguf", withU32(original(), o.tensorDims(), 7)),
                "at byte " + o.tensorDims() + ": tensor 'token_embd.weight' has 7 dimensions");
    }

    @Test
    void corruptedTensorType() throws IOException {
        Offsets o = locate(original());
        refused(
                write("type.gguf", withU32(original(), o.tensorType(), 4)),
                "at byte " + o.tensorType() + ": tensor 'token_embd.weight' has unknown ggml type 4");
        refused(
                write("type99.gguf", withU32(original(), o.tensorType(), 99)),
                "at byte " + o.tensorType() + ": tensor 'token_embd.weight' has unknown ggml type 99");
    }

    @Test
    void corruptedTensorDataOffset() throws IOException {
        Offsets o = locate(original());
        refused(
                write("off-align.gguf", withU64(original(), o.tensorOffset(), 17)),
                "at byte " + o.tensorOffset()
                        + ": tensor 'token_embd.weight' has data offset 17, expected a non-negative multiple of the alignment 32");
        refused(
                write("off-far.gguf", withU64(original(), o.tensorOffset(), 1L << 30)),
                "at byte " + o.tensorOffset()
                        + ": tensor 'token_embd.weight' needs 131072 bytes at data offset 1073741824");
    }
}
