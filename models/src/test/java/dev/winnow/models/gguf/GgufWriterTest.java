package dev.winnow.models.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWriterTest {
    @TempDir
    Path tmp;

    @Test
    void everyValueTypeRoundTrips() throws Exception {
        GgufValue nested = GgufValue.array(
                GgufValueType.ARRAY, List.of(GgufValue.int32Array(1, 2), GgufValue.stringArray(List.of("x"))));
        GgufWriter w = new GgufWriter()
                .put("u8", GgufValue.uint8(255))
                .put("i8", GgufValue.int8(-128))
                .put("u16", GgufValue.uint16(65535))
                .put("i16", GgufValue.int16(-32768))
                .putUint32("u32", 0xFFFF_FFFFL)
                .putInt32("i32", Integer.MIN_VALUE)
                .putFloat32("f32", -1.5f)
                .putBool("bool", true)
                .putString("str", "héllo ✓")
                .putUint64("u64", -1L)
                .put("i64", GgufValue.int64(Long.MIN_VALUE))
                .put("f64", GgufValue.float64(Math.PI))
                .put("nested", nested)
                .put("empty", GgufValue.array(GgufValueType.FLOAT64, List.of()))
                .putUint32("general.alignment", 64);
        float[] values = new float[64];
        for (int i = 0; i < values.length; i++) {
            values[i] = i - 32;
        }
        w.addTensor("t.f32", GgmlType.F32, new long[] {16, 4}, values);
        w.addTensor("t.q8", GgmlType.Q8_0, new long[] {32, 2}, values);
        ByteBuffer i32 = ByteBuffer.allocate(16)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(7)
                .putInt(-1)
                .putInt(0)
                .putInt(Integer.MAX_VALUE)
                .flip();
        w.addTensor("t.i32", GgmlType.I32, new long[] {4}, i32);
        Path out = tmp.resolve("all.gguf");
        w.write(out);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(w.metadata(), f.metadata());
            assertEquals(64, f.alignment());
            assertEquals(
                    "18446744073709551615",
                    Long.toUnsignedString(f.value("u64").orElseThrow().asLong()));
            assertEquals(
                    List.of(1, 2),
                    ((GgufValue) f.value("nested").orElseThrow().asList().get(0)).asList());
            assertArrayEquals(values, f.readFloats(f.tensor("t.f32").orElseThrow()));
            assertEquals(256, f.tensor("t.q8").orElseThrow().offset());
            float[] q = f.readFloats(f.tensor("t.q8").orElseThrow());
            for (int i = 0; i < 64; i++) {
                assertEquals(values[i], q[i], 0.13f, "q8_0 value " + i);
            }
            assertEquals(f.fileSize(), f.dataOffset() + 256 + 128 + 64);
            var seg = f.tensorData(f.tensor("t.i32").orElseThrow());
            assertEquals(Integer.MAX_VALUE, seg.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 12));
            assertEquals(-1, seg.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 4));
        }
    }

    @Test
    void putKeepsPositionAndReplacesValue() {
        GgufWriter w = new GgufWriter().putInt32("a", 1).putInt32("b", 2).putString("a", "x");
        assertEquals(List.of("a", "b"), List.copyOf(w.metadata().keySet()));
        assertEquals("x", w.metadata().get("a").asString());
    }

    @Test
    void rejectsInvalidTensorsAndValues() {
        GgufWriter w = new GgufWriter();
        assertThrows(
                IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.Q8_0, new long[] {33}, new float[33]));
        assertThrows(
                IllegalArgumentException.class,
                () -> w.addTensor("x".repeat(64), GgmlType.F32, new long[] {1}, new float[1]));
        assertThrows(
                IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {2, 0}, new float[0]));
        assertThrows(
                IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {4}, new float[3]));
        assertThrows(
                IllegalArgumentException.class,
                () -> w.addTensor("t", GgmlType.F32, new long[] {4}, TensorData.of(new byte[15])));
        w.addTensor("t", GgmlType.F32, new long[] {1}, new float[1]);
        assertThrows(
                IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.putUint32("general.alignment", 24));
        assertThrows(IllegalArgumentException.class, () -> w.putInt32("general.alignment", 32));
        assertThrows(IllegalArgumentException.class, () -> w.putInt32("", 1));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint8(256));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint32(-1));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.array(GgufValueType.INT32, List.of(1L)));
    }

    @Test
    void failedWriteLeavesTargetUntouchedAndNoTempFile() throws Exception {
        Path out = tmp.resolve("model.gguf");
        Files.writeString(out, "previous");
        TensorData broken = new TensorData() {
            @Override
            public long byteSize() {
                return 64;
            }

            @Override
            public void writeTo(WritableByteChannel ch) throws IOException {
                ch.write(ByteBuffer.allocate(10));
                throw new IOException("disk full (simulated)");
            }
        };
        GgufWriter w = new GgufWriter().putString("general.architecture", "llama");
        w.addTensor("t", GgmlType.F32, new long[] {16}, broken);
        IOException e = assertThrows(IOException.class, () -> w.write(out));
        assertEquals("disk full (simulated)", e.getMessage());
        assertEquals("previous", Files.readString(out));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList());
        }
        TensorData shortData = new TensorData() {
            @Override
            public long byteSize() {
                return 64;
            }

            @Override
            public void writeTo(WritableByteChannel ch) throws IOException {
                ch.write(ByteBuffer.allocate(60));
            }
        };
        GgufWriter w2 = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {16}, shortData);
        IOException e2 = assertThrows(IOException.class, () -> w2.write(out));
        assertTrue(e2.getMessage().contains("wrote 60 bytes, expected 64"), e2.getMessage());
        assertEquals("previous", Files.readString(out));
    }

    @Test
    void q8_0ErrorIsWithinHalfAStepAndMatchesReference() {
        Random rnd = new Random(7);
        float[] x = new float[32 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * (1 + i / 32));
        }
        var seg = java.lang.foreign.MemorySegment.ofArray(new byte[(int) GgmlType.Q8_0.byteSize(x.length)]);
        GgmlCodec.encode(GgmlType.Q8_0, x, 0, x.length, seg, 0);
        float[] y = new float[x.length];
        GgmlCodec.decode(GgmlType.Q8_0, seg, 0, y, 0, y.length);
        for (int b = 0; b < x.length / 32; b++) {
            float amax = 0;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(x[32 * b + i]));
            }
            float d = amax / 127;
            // f16 rounding of d adds a relative error of at most 2^-11 per unit of q (|q| <= 127)
            float bound = d / 2 + 127 * d * 0x1p-11f + 1e-6f;
            for (int i = 0; i < 32; i++) {
                assertTrue(Math.abs(x[32 * b + i] - y[32 * b + i]) <= bound, "block " + b + " value " + i);
            }
            // the largest magnitude is stored as +-127
            assertEquals(127, Math.abs(maxAbsQuant(seg, b)));
        }
    }

    private static int maxAbsQuant(java.lang.foreign.MemorySegment seg, int block) {
        int m = 0;
        for (int i = 0; i < 32; i++) {
            m = Math.max(m, Math.abs(seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 34L * block + 2 + i)));
        }
        return m;
    }

    @Test
    void f16AndBf16Conversions() {
        float[] x = {0f, 1f, -2.5f, 65504f, 1e-8f, 3.14159f};
        var seg = java.lang.foreign.MemorySegment.ofArray(new byte[12]);
        GgmlCodec.encode(GgmlType.F16, x, 0, 6, seg, 0);
        float[] y = new float[6];
        GgmlCodec.decode(GgmlType.F16, seg, 0, y, 0, 6);
        assertArrayEquals(new float[] {0f, 1f, -2.5f, 65504f, 0f, 3.140625f}, y);
        GgmlCodec.encode(GgmlType.BF16, x, 0, 6, seg, 0);
        GgmlCodec.decode(GgmlType.BF16, seg, 0, y, 0, 6);
        assertEquals(3.140625f, y[5]);
        assertEquals(65536f, y[3]);
        assertFalse(Float.isNaN(y[4]));
    }
}
