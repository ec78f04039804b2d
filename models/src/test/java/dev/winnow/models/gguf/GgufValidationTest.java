package dev.winnow.models.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** One crafted file per rule of the validator: each must fail with the offset and the problem named. */
class GgufValidationTest {

    /** Little-endian GGUF bytes written by hand, so that invalid files can be built. */
    static final class Raw {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw u8(int v) {
            out.write(v);
            return this;
        }

        Raw u32(long v) {
            out.writeBytes(ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt((int) v)
                    .array());
            return this;
        }

        Raw u64(long v) {
            out.writeBytes(ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(v)
                    .array());
            return this;
        }

        Raw str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).bytes(b);
        }

        Raw bytes(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Raw header(int version, long nTensors, long nKv) {
            return u32(GgufFile.MAGIC).u32(version).u64(nTensors).u64(nKv);
        }

        Raw kvU32(String key, long v) {
            return str(key).u32(GgufValueType.UINT32.id()).u32(v);
        }

        Raw tensor(String name, int type, long offset, long... dims) {
            str(name).u32(dims.length);
            for (long d : dims) {
                u64(d);
            }
            return u32(type).u64(offset);
        }

        Raw padTo(int alignment) {
            while (out.size() % alignment != 0) {
                out.write(0);
            }
            return this;
        }

        Raw zeros(int n) {
            out.writeBytes(new byte[n]);
            return this;
        }

        int size() {
            return out.size();
        }

        byte[] toBytes() {
            return out.toByteArray();
        }

        GgufFile parse() throws GgufFormatException {
            return GgufFile.parse(MemorySegment.ofArray(toBytes()), "crafted.gguf");
        }
    }

    private static GgufFormatException fails(Raw raw, long offset, String fragment) {
        GgufFormatException e = assertThrows(GgufFormatException.class, raw::parse);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        assertTrue(e.getMessage().startsWith("crafted.gguf: at byte "), e.getMessage());
        if (offset >= 0) {
            assertEquals(offset, e.offset(), e.getMessage());
        }
        return e;
    }

    /** A valid file: one f32 tensor [8] and one q8_0 tensor [32, 2]. */
    private static Raw twoTensors(long secondOffset) {
        Raw r = new Raw().header(3, 2, 1).kvU32("x.count", 7);
        r.tensor("a", GgmlType.F32.id(), 0, 8)
                .tensor("b", GgmlType.Q8_0.id(), secondOffset, 32, 2)
                .padTo(32);
        return r.zeros(32 + 68);
    }

    @Test
    void validCraftedFileParses() throws Exception {
        try (GgufFile f = twoTensors(32).parse()) {
            assertEquals(2, f.tensors().size());
            assertEquals(68, f.tensor("b").orElseThrow().byteSize());
            assertEquals(7, f.requireLong("x.count"));
        }
    }

    @Test
    void version2HasTheSameLayout() throws Exception {
        try (GgufFile f = new Raw().header(2, 0, 1).kvU32("a", 5).parse()) {
            assertEquals(2, f.version());
            assertEquals(5, f.requireLong("a"));
        }
    }

    @Test
    void magicAndVersion() {
        fails(new Raw().u32(0x46554746).u32(3).u64(0).u64(0), 0, "expected the magic 'GGUF'");
        fails(new Raw().header(1, 0, 0), 4, "version 1 is not supported");
        fails(new Raw().header(4, 0, 0), 4, "expected GGUF version 2 or 3, found 4");
        fails(new Raw().header(0x03000000, 0, 0), 4, "big-endian");
        fails(new Raw().u32(GgufFile.MAGIC).u32(3).u32(0), 8, "the file ends");
        fails(new Raw(), 0, "the file ends after 0 more bytes");
    }

    @Test
    void countsAgainstFileSize() {
        fails(new Raw().header(3, 0, 1L << 40), 16, "metadata count 1099511627776 is more than");
        fails(new Raw().header(3, -1, 0), 8, "tensor count 18446744073709551615");
        fails(new Raw().header(3, 1, 0).zeros(20), 8, "tensor count 1 is more than");
        Raw hugeString = new Raw()
                .header(3, 0, 1)
                .str("k")
                .u32(GgufValueType.STRING.id())
                .u64(1L << 62)
                .zeros(8);
        fails(hugeString, 24 + 9 + 4, "length of a string value of 'k' is 4611686018427387904");
        Raw shortString = new Raw()
                .header(3, 0, 1)
                .str("k")
                .u32(GgufValueType.STRING.id())
                .u64(100)
                .zeros(8);
        fails(shortString, 24 + 9 + 4 + 8, "the file ends after 8 more bytes");
        Raw hugeArray = new Raw()
                .header(3, 0, 1)
                .str("k")
                .u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.INT32.id())
                .u64(1000)
                .zeros(40);
        fails(hugeArray, 24 + 9 + 4 + 4, "array 'k' claims 1000 elements of INT32");
        Raw hugeKey = new Raw().header(3, 0, 1).u64(70_000).zeros(70_010);
        fails(hugeKey, 24, "expected at most 65535");
    }

    @Test
    void metadataRules() {
        Raw dup = new Raw().header(3, 0, 2).kvU32("a", 1).kvU32("a", 2);
        fails(dup, 24 + 17, "duplicate metadata key 'a'");
        fails(new Raw().header(3, 0, 1).kvU32("", 1).zeros(4), 24, "is empty");
        fails(new Raw().header(3, 0, 1).str("k").u32(13).u32(0), 24 + 9, "unknown value type 13");
        fails(
                new Raw()
                        .header(3, 0, 1)
                        .str("k")
                        .u32(GgufValueType.BOOL.id())
                        .u8(2)
                        .zeros(20),
                24 + 13,
                "bool value of 'k' is 2");
        Raw badUtf8 = new Raw()
                .header(3, 0, 1)
                .str("k")
                .u32(GgufValueType.STRING.id())
                .u64(2)
                .bytes(new byte[] {(byte) 0xC3, (byte) 0x28});
        fails(badUtf8, -1, "is not valid UTF-8");
        Raw deep = new Raw().header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < 20; i++) {
            deep.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        deep.zeros(16);
        fails(deep, -1, "nest deeper than 8");
        Raw badArrayType = new Raw()
                .header(3, 0, 1)
                .str("k")
                .u32(GgufValueType.ARRAY.id())
                .u32(99)
                .u64(0);
        fails(badArrayType, -1, "unknown element type 99");
    }

    private static Raw vocabulary(String... tokens) {
        Raw r = new Raw()
                .header(3, 0, 1)
                .str("tokenizer.ggml.tokens")
                .u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.STRING.id())
                .u64(tokens.length);
        for (String t : tokens) {
            r.str(t);
        }
        return r;
    }

    @Test
    void duplicateTokensThatAbortLlamaCpp() throws Exception {
        try (GgufFile f = vocabulary("a", "b", "").parse()) {
            assertEquals(
                    3, f.value("tokenizer.ggml.tokens").orElseThrow().asList().size());
        }
        long third = 24 + 8 + 21 + 4 + 4 + 8 + 9 + 9;
        fails(
                vocabulary("a", "b", "a"),
                third,
                "token 2 of 'tokenizer.ggml.tokens' has the same text as token 0 ('a')");
        // llama.cpp renames an empty token "[EMPTY_<id>]", which can collide with a real token
        fails(vocabulary("[EMPTY_1]", ""), 24 + 8 + 21 + 4 + 4 + 8 + 17, "same text as token 0 ('[EMPTY_1]')");
        // llama.cpp reads a token text as a C string: it ends at the first NUL, so these two are one text there
        fails(
                vocabulary("ab\0x", "ab\0y"),
                24 + 8 + 21 + 4 + 4 + 8 + 12,
                "token 1 of 'tokenizer.ggml.tokens' has the same text as token 0 ('ab', texts read up to their first NUL byte");
        fails(vocabulary("a", "a\0b"), -1, "token 1 of 'tokenizer.ggml.tokens' has the same text as token 0 ('a'");
        // a text that starts with NUL is empty there, so it is renamed "[EMPTY_<id>]" as an empty one
        fails(vocabulary("[EMPTY_1]", "\0z"), -1, "same text as token 0 ('[EMPTY_1]'");
        try (GgufFile f = vocabulary("a\0x", "b\0x").parse()) {
            assertEquals(
                    2, f.value("tokenizer.ggml.tokens").orElseThrow().asList().size());
        }
        // other string arrays may repeat values
        Raw merges = new Raw()
                .header(3, 0, 1)
                .str("tokenizer.ggml.merges")
                .u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.STRING.id())
                .u64(2)
                .str("a b")
                .str("a b");
        try (GgufFile f = merges.parse()) {
            assertEquals(
                    2, f.value("tokenizer.ggml.merges").orElseThrow().asList().size());
        }
    }

    @Test
    void alignmentKey() {
        Raw wrongType = new Raw()
                .header(3, 0, 1)
                .str("general.alignment")
                .u32(GgufValueType.UINT64.id())
                .u64(32);
        fails(wrongType, 24, "'general.alignment' must be UINT32, found UINT64");
        fails(new Raw().header(3, 0, 1).kvU32("general.alignment", 48), 24, "is 48, expected a power of two");
        fails(new Raw().header(3, 0, 1).kvU32("general.alignment", 0), 24, "is 0, expected a power of two");
    }

    @Test
    void customAlignmentIsHonoured() throws Exception {
        Raw r = new Raw().header(3, 2, 1).kvU32("general.alignment", 64);
        r.tensor("a", GgmlType.F32.id(), 0, 8)
                .tensor("b", GgmlType.F32.id(), 64, 8)
                .padTo(64)
                .zeros(96);
        try (GgufFile f = r.parse()) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataOffset() % 64);
        }
        Raw misaligned = new Raw().header(3, 2, 1).kvU32("general.alignment", 64);
        misaligned
                .tensor("a", GgmlType.F32.id(), 0, 8)
                .tensor("b", GgmlType.F32.id(), 32, 8)
                .padTo(64)
                .zeros(96);
        fails(misaligned, -1, "tensor 'b' has data offset 32, expected a non-negative multiple of the alignment 64");
    }

    @Test
    void tensorInfoRules() {
        int f32 = GgmlType.F32.id();
        fails(
                new Raw()
                        .header(3, 2, 0)
                        .tensor("t", f32, 0, 8)
                        .tensor("t", f32, 32, 8)
                        .padTo(32)
                        .zeros(64),
                -1,
                "duplicate tensor name 't' (tensors 0 and 1)");
        fails(
                new Raw()
                        .header(3, 1, 0)
                        .tensor("n".repeat(64), f32, 0, 8)
                        .padTo(32)
                        .zeros(64),
                24,
                "length of the name of tensor 0 is 64, expected at most 63");
        fails(new Raw().header(3, 1, 0).tensor("", f32, 0, 8).padTo(32).zeros(64), 24, "tensor 0 has an empty name");
        fails(
                new Raw().header(3, 1, 0).tensor("t", f32, 0).padTo(32).zeros(64),
                33,
                "has 0 dimensions, expected 1 to 4");
        fails(
                new Raw()
                        .header(3, 1, 0)
                        .tensor("t", f32, 0, 1, 1, 1, 1, 1)
                        .padTo(32)
                        .zeros(64),
                33,
                "has 5 dimensions");
        fails(
                new Raw().header(3, 1, 0).tensor("t", f32, 0, 8, 0).padTo(32).zeros(64),
                45,
                "dimension 1 of tensor 't' is 0");
        fails(new Raw().header(3, 1, 0).tensor("t", f32, 0, -8).padTo(32).zeros(64), 37, "is -8, expected > 0");
        fails(
                new Raw()
                        .header(3, 1, 0)
                        .tensor("t", f32, 0, 1L << 32, 1L << 32)
                        .padTo(32)
                        .zeros(64),
                33,
                "more than 2^63 - 1 elements");
        fails(new Raw().header(3, 1, 0).tensor("t", f32, 0, 1L << 62).padTo(32).zeros(64), 33, "overflows a long");
        fails(new Raw().header(3, 1, 0).tensor("t", 4, 0, 8).padTo(32).zeros(64), 45, "unknown ggml type 4");
        fails(new Raw().header(3, 1, 0).tensor("t", 43, 0, 8).padTo(32).zeros(64), 45, "unknown ggml type 43");
        fails(
                new Raw()
                        .header(3, 1, 0)
                        .tensor("t", GgmlType.Q8_0.id(), 0, 33)
                        .padTo(32)
                        .zeros(64),
                33,
                "row of 33 elements is not a multiple of the q8_0 block size 32");
    }

    @Test
    void dataRanges() {
        Raw outside = new Raw()
                .header(3, 1, 0)
                .tensor("t", GgmlType.F32.id(), 0, 100)
                .padTo(32)
                .zeros(64);
        fails(outside, 49, "tensor 't' needs 400 bytes at data offset 0, but the data section has 64 bytes");
        Raw noData = new Raw().header(3, 1, 0).tensor("t", GgmlType.F32.id(), 0, 1);
        fails(noData, -1, "expected the data section at byte 64");
        fails(twoTensors(0), -1, "tensor 'b' at data offset 0 overlaps tensor 'a' (bytes 0 to 32)");
        Raw gap = new Raw().header(3, 2, 1).kvU32("x.count", 7);
        gap.tensor("a", GgmlType.F32.id(), 0, 8)
                .tensor("b", GgmlType.Q8_0.id(), 64, 32, 2)
                .padTo(32)
                .zeros(200);
        fails(gap, -1, "tensor 'b' has data offset 64, expected 32 (llama.cpp needs tensors in file order");
        Raw swapped = new Raw().header(3, 2, 0);
        swapped.tensor("a", GgmlType.F32.id(), 32, 8)
                .tensor("b", GgmlType.F32.id(), 0, 8)
                .padTo(32)
                .zeros(64);
        fails(swapped, -1, "tensor 'a' has data offset 32, expected 0");
    }

    @Test
    void offsetTooLargeDoesNotOverflow() {
        Raw r = new Raw()
                .header(3, 1, 0)
                .tensor("t", GgmlType.F32.id(), Long.MAX_VALUE - 30, 8)
                .padTo(32)
                .zeros(64);
        fails(r, 49, "expected a non-negative multiple of the alignment");
        Raw r2 = new Raw()
                .header(3, 1, 0)
                .tensor("t", GgmlType.F32.id(), Long.MAX_VALUE & -32L, 8)
                .padTo(32)
                .zeros(64);
        fails(r2, 49, "needs 32 bytes at data offset 9223372036854775776");
    }
}
