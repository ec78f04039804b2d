package dev.winnow.models.gguf.fuzz;

import dev.winnow.models.gguf.GgmlCodec;
import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufTensorInfo;
import dev.winnow.models.gguf.GgufValidator;
import dev.winnow.models.gguf.GgufValue;
import dev.winnow.models.gguf.GgufWriter;
import dev.winnow.models.gguf.TensorData;
import dev.winnow.models.synth.SyntheticBert;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Minimal reproductions of the model files that used to kill the process inside llama.cpp although Winnow's checks
 * passed them, written from a small valid llama model (stories260K) by editing one thing. Each is refused by
 * {@link GgufValidator} now; the regression tests load each through the real runtime in a worker JVM. The same edits,
 * with random choices, are the structure-aware mutations of {@link StructuralMutator}.
 */
public final class CrashCorpus {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private CrashCorpus() {}

    /**
     * Writes a copy of {@code base} with one tensor's type changed, its data converted from F32 (integers are the
     * values rounded; I8 and I16 saturate).
     *
     * @param base a model whose tensor {@code tensor} is F32
     * @param tensor the tensor to change
     * @param type its new type (F32, F16, BF16, Q8_0, I8, I16, I32, I64 or F64)
     * @param out the file to write
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if the tensor is missing or not F32
     */
    public static void retype(GgufFile base, String tensor, GgmlType type, Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        base.metadata().forEach(w::put);
        for (GgufTensorInfo t : base.tensors()) {
            if (t.name().equals(tensor)) {
                if (t.type() != GgmlType.F32) {
                    throw new IllegalArgumentException(
                            "tensor '" + tensor + "' is " + t.type().ggmlName() + ", expected f32");
                }
                w.addTensor(t.name(), type, t.shape(), TensorData.of(convert(base.readFloats(t), type)));
            } else {
                w.addTensor(t.name(), t.type(), t.shape(), TensorData.of(base.tensorData(t)));
            }
        }
        if (base.tensor(tensor).isEmpty()) {
            throw new IllegalArgumentException("no tensor '" + tensor + "' in " + base.path());
        }
        w.write(out);
    }

    /**
     * @param values floats
     * @param type a plain type or Q8_0, F16, BF16
     * @return the values in {@code type}'s layout
     */
    static byte[] convert(float[] values, GgmlType type) {
        int n = values.length;
        ByteBuffer b = ByteBuffer.allocate((int) type.byteSize(n)).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case I8 -> {
                for (float v : values) {
                    b.put((byte) Math.max(-128, Math.min(127, Math.round(v))));
                }
            }
            case I16 -> {
                for (float v : values) {
                    b.putShort((short) Math.max(-32768, Math.min(32767, Math.round(v))));
                }
            }
            case I32 -> {
                for (float v : values) {
                    b.putInt(Math.round(v));
                }
            }
            case I64 -> {
                for (float v : values) {
                    b.putLong(Math.round((double) v));
                }
            }
            case F64 -> {
                for (float v : values) {
                    b.putDouble(v);
                }
            }
            default -> {
                MemorySegment seg = MemorySegment.ofArray(b.array());
                GgmlCodec.encode(type, values, 0, n, seg, 0);
            }
        }
        return b.array();
    }

    /**
     * Writes a copy of {@code base} with some metadata replaced (tensors unchanged).
     *
     * @param base a model
     * @param edits keys and their new values
     * @param out the file to write
     * @throws IOException if writing fails
     */
    public static void withMetadata(GgufFile base, Map<String, GgufValue> edits, Path out) throws IOException {
        GgufWriter w = GgufWriter.copyOf(base);
        edits.forEach(w::put);
        w.write(out);
    }

    /**
     * Writes a copy of {@code base} with value {@code index} of F32 tensor {@code tensor} replaced.
     *
     * @param base a model
     * @param tensor an F32 tensor
     * @param index the element to change
     * @param value the new value (NaN, an infinity)
     * @param out the file to write
     * @throws IOException if writing fails
     */
    public static void withWeight(GgufFile base, String tensor, long index, float value, Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        base.metadata().forEach(w::put);
        for (GgufTensorInfo t : base.tensors()) {
            MemorySegment data = base.tensorData(t);
            if (t.name().equals(tensor)) {
                if (t.type() != GgmlType.F32) {
                    throw new IllegalArgumentException(
                            "tensor '" + tensor + "' is " + t.type().ggmlName() + ", expected f32");
                }
                byte[] copy = data.toArray(ValueLayout.JAVA_BYTE);
                MemorySegment.ofArray(copy).set(F32, 4 * index, value);
                w.addTensor(t.name(), t.type(), t.shape(), TensorData.of(copy));
            } else {
                w.addTensor(t.name(), t.type(), t.shape(), TensorData.of(data));
            }
        }
        w.write(out);
    }

    /**
     * Splits {@code base} into {@code shards} files named as llama.cpp expects ({@code <prefix>-0000N-of-0000M.gguf}):
     * the first holds all metadata and the first tensors, each later one only its split keys and its tensors.
     * {@code shardEdits} replace keys of shard {@code i} (index from 0) after the split keys are written, so a test can
     * give a shard a wrong {@code split.no} type or value.
     *
     * @param base a model
     * @param dir the directory
     * @param prefix the file name prefix
     * @param shards 2 or more
     * @param shardEdits per shard index, keys to replace (may be empty)
     * @return the shard paths, the first one first
     * @throws IOException if writing fails
     */
    public static List<Path> split(
            GgufFile base, Path dir, String prefix, int shards, Map<Integer, Map<String, GgufValue>> shardEdits)
            throws IOException {
        List<GgufTensorInfo> tensors = base.tensors();
        List<Path> out = new ArrayList<>();
        int per = (tensors.size() + shards - 1) / shards;
        Files.createDirectories(dir);
        for (int s = 0; s < shards; s++) {
            GgufWriter w = new GgufWriter();
            if (s == 0) {
                base.metadata().forEach(w::put);
            }
            w.put(GgufValidator.SPLIT_NO, GgufValue.uint16(s));
            w.put(GgufValidator.SPLIT_COUNT, GgufValue.uint16(shards));
            w.put(GgufValidator.SPLIT_TENSORS_COUNT, GgufValue.int32(tensors.size()));
            for (Map.Entry<String, GgufValue> e :
                    shardEdits.getOrDefault(s, Map.of()).entrySet()) {
                if (e.getValue() == null) {
                    w.remove(e.getKey());
                } else {
                    w.put(e.getKey(), e.getValue());
                }
            }
            for (int i = s * per; i < Math.min(tensors.size(), (s + 1) * per); i++) {
                GgufTensorInfo t = tensors.get(i);
                w.addTensor(t.name(), t.type(), t.shape(), TensorData.of(base.tensorData(t)));
            }
            Path p = dir.resolve(String.format("%s-%05d-of-%05d.gguf", prefix, s + 1, shards));
            w.write(p);
            out.add(p);
        }
        return out;
    }

    /**
     * Writes the regression corpus: one file (or, for split models, one set of shards) per crash class, each named after
     * what it reproduces.
     *
     * @param llama a small llama model (stories260K: 5 layers, F32 weights)
     * @param dir where to write
     * @return file name to path of the file to load (the first shard of a split model), in a fixed order
     * @throws IOException if reading or writing fails
     */
    public static Map<String, Path> write(Path llama, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Path> out = new LinkedHashMap<>();
        try (GgufFile base = GgufFile.open(llama)) {
            for (GgmlType t : List.of(GgmlType.I32, GgmlType.F64)) {
                Path p = dir.resolve("attn_q-" + t.ggmlName() + ".gguf");
                retype(base, "blk.0.attn_q.weight", t, p);
                out.put(p.getFileName().toString(), p);
            }
            Path embd = dir.resolve("token_embd-i8.gguf");
            retype(base, "token_embd.weight", GgmlType.I8, embd);
            out.put(embd.getFileName().toString(), embd);
            Path norm = dir.resolve("attn_norm-f16.gguf");
            retype(base, "blk.0.attn_norm.weight", GgmlType.F16, norm);
            out.put(norm.getFileName().toString(), norm);
            String arch = base.requireString("general.architecture");
            int layers = (int) base.requireLong(arch + ".block_count");
            int kv = (int) base.requireLong(arch + ".attention.head_count_kv");
            int[] kvs = new int[layers];
            Arrays.fill(kvs, kv);
            kvs[1] = 0;
            Path kv0 = dir.resolve("head_count_kv-zero-entry.gguf");
            withMetadata(base, Map.of(arch + ".attention.head_count_kv", GgufValue.int32Array(kvs)), kv0);
            out.put(kv0.getFileName().toString(), kv0);
            Path shortArr = dir.resolve("head_count-short-array.gguf");
            int heads = (int) base.requireLong(arch + ".attention.head_count");
            int[] hs = new int[layers - 1];
            Arrays.fill(hs, heads);
            withMetadata(base, Map.of(arch + ".attention.head_count", GgufValue.int32Array(hs)), shortArr);
            out.put(shortArr.getFileName().toString(), shortArr);
            List<Path> split = split(
                    base,
                    dir.resolve("split-wrong-type"),
                    "model",
                    2,
                    Map.of(1, Map.of(GgufValidator.SPLIT_NO, GgufValue.uint32(1))));
            out.put("split-second-shard-split.no-uint32", split.get(0));
            Path nan = dir.resolve("nan-weight.gguf");
            withWeight(base, "blk.0.attn_q.weight", 5, Float.NaN, nan);
            out.put(nan.getFileName().toString(), nan);
        }
        Path bert = dir.resolve("bert-512-positions.gguf");
        SyntheticBert.writer(2, 32, 2, 64, 512, 7).write(bert);
        out.put(bert.getFileName().toString(), bert);
        return out;
    }
}
