package dev.winnow.models.gguf.fuzz;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufTensorInfo;
import dev.winnow.models.gguf.GgufValidator;
import dev.winnow.models.gguf.GgufValue;
import dev.winnow.models.gguf.GgufValueType;
import dev.winnow.models.synth.SyntheticBert;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The structure-aware mutations of {@link GgufFuzzer}: valid files with one semantic defect of the kinds that crashed
 * llama.cpp (see {@link CrashCorpus}), chosen at random, and harmless variants of the same kinds (so the fuzzer checks
 * both that the defects are refused and that what is accepted loads and decodes).
 */
final class StructuralMutator {
    private static final GgmlType[] TYPES = {
        GgmlType.I8,
        GgmlType.I16,
        GgmlType.I32,
        GgmlType.I64,
        GgmlType.F64,
        GgmlType.F16,
        GgmlType.BF16,
        GgmlType.Q8_0,
        GgmlType.F32
    };
    private static final int[] CONTEXTS = {0, 128, 256, 511, 512, 513, 1024, 2048};
    private static final int[] TOKENS = {1, 8, 255, 300, 511, 512, 513, 600, 1000};

    private final GgufFile base;
    private final String arch;
    private final int layers;

    /** @param base the valid model to mutate (a llama model with F32 weights) */
    StructuralMutator(GgufFile base) {
        this.base = base;
        this.arch = base.requireString("general.architecture");
        this.layers = (int) base.requireLong(arch + ".block_count");
    }

    /**
     * Writes one variant under {@code dir}.
     *
     * @return the case (file to load, context size, tokens to decode, what was done)
     */
    GgufFuzzer.FuzzCase write(long index, Mutation kind, Random rnd, Path dir) throws IOException {
        Path file = dir.resolve("case-" + index + ".gguf");
        return switch (kind) {
            case TENSOR_TYPE -> {
                List<GgufTensorInfo> ts = base.tensors();
                GgufTensorInfo t = ts.get(rnd.nextInt(ts.size()));
                GgmlType type = TYPES[rnd.nextInt(TYPES.length)];
                if (type == GgmlType.Q8_0 && t.dim(0) % 32 != 0) {
                    type = GgmlType.F16;
                }
                CrashCorpus.retype(base, t.name(), type, file);
                yield new GgufFuzzer.FuzzCase(index, kind, file, 0, 0, t.name() + " as " + type.ggmlName());
            }
            case PER_LAYER_ARRAY -> {
                String[] keys = {".attention.head_count", ".attention.head_count_kv", ".feed_forward_length"};
                String key = arch + keys[rnd.nextInt(keys.length)];
                long v = base.value(key).map(GgufValue::asLong).orElse(1L);
                int len = switch (rnd.nextInt(6)) {
                    case 0 -> layers - 1;
                    case 1 -> layers + 1;
                    case 2 -> 0;
                    default -> layers;
                };
                int[] values = new int[len];
                Arrays.fill(values, (int) v);
                String what;
                int pick = rnd.nextInt(5);
                if (len > 0 && pick < 4) {
                    int at = rnd.nextInt(len);
                    int[] choices = {0, -1, (int) v * 2, Math.max(1, (int) v / 2), 3, Integer.MIN_VALUE};
                    values[at] = choices[rnd.nextInt(choices.length)];
                    what = key + " array of " + len + ", entry " + at + " = " + values[at];
                } else {
                    what = key + " array of " + len + " unchanged entries";
                }
                GgufValue value = rnd.nextInt(8) == 0 ? floatArray(values) : GgufValue.int32Array(values);
                CrashCorpus.withMetadata(base, Map.of(key, value), file);
                yield new GgufFuzzer.FuzzCase(index, kind, file, 0, 0, what);
            }
            case SPLIT_SHARDS -> {
                int shards = 2 + rnd.nextInt(2);
                int victim = rnd.nextInt(shards);
                Map<Integer, Map<String, GgufValue>> edits = new HashMap<>();
                Map<String, GgufValue> e = new HashMap<>();
                String what;
                switch (rnd.nextInt(8)) {
                    case 0 -> {
                        e.put(GgufValidator.SPLIT_NO, GgufValue.uint32(victim));
                        what = "split.no of shard " + victim + " as UINT32";
                    }
                    case 1 -> {
                        e.put(GgufValidator.SPLIT_NO, GgufValue.string("x"));
                        what = "split.no of shard " + victim + " as STRING";
                    }
                    case 2 -> {
                        e.put(GgufValidator.SPLIT_NO, GgufValue.uint16((victim + 1) % shards));
                        what = "split.no of shard " + victim + " off by one";
                    }
                    case 3 -> {
                        e.put(GgufValidator.SPLIT_COUNT, GgufValue.int32(shards));
                        what = "split.count of shard " + victim + " as INT32";
                    }
                    case 4 -> {
                        e.put(
                                GgufValidator.SPLIT_TENSORS_COUNT,
                                GgufValue.uint64(base.tensors().size()));
                        what = "split.tensors.count of shard " + victim + " as UINT64";
                    }
                    case 5 -> {
                        e.put(GgufValidator.SPLIT_NO, null);
                        what = "split.no removed from shard " + victim;
                    }
                    default -> what = "valid split into " + shards;
                }
                edits.put(victim, e);
                Path d = dir.resolve("case-" + index);
                List<Path> paths = CrashCorpus.split(base, d, "model", shards, edits);
                if (rnd.nextInt(10) == 0) {
                    Files.delete(paths.get(shards - 1));
                    what += ", last shard missing";
                }
                yield new GgufFuzzer.FuzzCase(index, kind, paths.get(0), 0, 0, what);
            }
            case NON_FINITE_WEIGHT -> {
                List<GgufTensorInfo> ts = base.tensors();
                GgufTensorInfo t = ts.get(rnd.nextInt(ts.size()));
                float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                float value = bad[rnd.nextInt(bad.length)];
                long at = (long) (rnd.nextDouble() * t.elementCount());
                CrashCorpus.withWeight(base, t.name(), at, value, file);
                yield new GgufFuzzer.FuzzCase(index, kind, file, 0, 0, t.name() + "[" + at + "] = " + value);
            }
            case BERT_POSITIONS -> {
                int positions = rnd.nextBoolean() ? 512 : 256 + rnd.nextInt(300);
                Path bert = dir.resolve("bert-" + positions + ".gguf");
                if (!Files.exists(bert)) {
                    SyntheticBert.writer(1, 16, 2, 32, positions, 3).write(bert);
                }
                int ctx = CONTEXTS[rnd.nextInt(CONTEXTS.length)];
                int tokens = TOKENS[rnd.nextInt(TOKENS.length)];
                yield new GgufFuzzer.FuzzCase(
                        index,
                        kind,
                        bert,
                        ctx,
                        tokens,
                        positions + " positions, n_ctx " + ctx + ", " + tokens + " tokens");
            }
            default -> throw new IllegalArgumentException(kind + " is not a structural mutation");
        };
    }

    private static GgufValue floatArray(int[] values) {
        List<Object> l = new ArrayList<>();
        for (int v : values) {
            l.add((float) v);
        }
        return GgufValue.array(GgufValueType.FLOAT32, l);
    }
}
