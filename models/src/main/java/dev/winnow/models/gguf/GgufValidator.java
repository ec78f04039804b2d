package dev.winnow.models.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Metadata rules that llama.cpp enforces with {@code GGML_ASSERT} or {@code GGML_ABORT} (killing the process, and with
 * it the JVM) instead of returning an error. {@link GgufFile} checks the file's structure; call
 * {@link #checkForLlama(GgufFile)} too before handing a file to {@code llama_model_load_from_file}.
 *
 * <p>Each rule was reproduced against llama.cpp v0.5.0 (node-llama-cpp 3.22.1) by editing one key of
 * stories260K.gguf; the source of each check is given with it:
 *
 * <ul>
 *   <li>{@code <arch>.block_count} from 1 to {@value #MAX_LAYERS} ({@code GGML_ASSERT(hparams.n_layer_all > 0 &&
 *       hparams.n_layer_all <= LLAMA_MAX_LAYERS)} in {@code llama_model::load_hparams}), and
 *       {@code <arch>.nextn_predict_layers} at most the block count;
 *   <li>{@code <arch>.expert_count} at most {@value #MAX_EXPERTS} ({@code LLAMA_MAX_EXPERTS}), and
 *       {@code <arch>.expert_used_count} at most the expert count;
 *   <li>every float key ending in {@code epsilon} finite and non-negative ({@code GGML_ASSERT(eps >= 0.0f)} in the
 *       CPU norm kernels, hit at the first decode);
 *   <li>tokens of type BYTE (6) only with a tokenizer that can decode them ({@code llama}, {@code gpt2},
 *       {@code t5}, {@code gemma4}, {@code hybriddna}, {@code whitespace}; otherwise {@code token_to_byte} calls
 *       {@code GGML_ABORT}), and spelled {@code <0xHH>} (it reads the two hex digits at index 3 with
 *       {@code std::string::substr}, which throws through the C API on a shorter text);
 *   <li>every tensor's type accepted by the CPU kernel of its role ({@link TensorTypeRules}: integer or F64
 *       matrices crash {@code ggml_compute_forward_mul_mat}, an I8 {@code token_embd.weight} crashes
 *       {@code ggml_compute_forward_get_rows}, an F16 norm aborts in {@code binary_op});
 *   <li>the per-layer keys {@code <arch>.attention.head_count}, {@code <arch>.attention.head_count_kv},
 *       {@code <arch>.feed_forward_length} (a scalar or one entry per layer: {@code get_key_or_arr} in
 *       {@code llama-model-loader.cpp}): an array must hold INT32 or UINT32 values, one per block; head counts must be
 *       at least 1 in every layer of an architecture whose layers all have attention (a 0 in {@code head_count_kv}
 *       aborts with {@code GGML_ASSERT(a->ne[0] == b->ne[0])}, a 0 {@code head_count} divides by zero), the KV heads
 *       must divide the query heads (grouped-query attention broadcasts K/V over {@code head_count / head_count_kv}
 *       heads), and no entry may be negative (it is read as a huge unsigned count);
 *   <li>split models ({@code split.count} &gt; 1): see {@link #checkShards(GgufFile)}.
 * </ul>
 */
public final class GgufValidator {
    /** {@code LLAMA_MAX_LAYERS} of llama.cpp. */
    public static final int MAX_LAYERS = 512;
    /** {@code LLAMA_MAX_EXPERTS} of llama.cpp. */
    public static final int MAX_EXPERTS = 1024;

    private static final Set<String> BYTE_TOKEN_TOKENIZERS =
            Set.of("llama", "gpt2", "t5", "gemma4", "hybriddna", "whitespace");
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final int TOKEN_TYPE_BYTE = 6;

    /** Architectures with recurrent or mixed layers, where a head count of 0 marks a layer without attention. */
    private static final Set<String> RECURRENT_OR_HYBRID = Set.of(
            "mamba",
            "mamba2",
            "rwkv6",
            "rwkv6qwen2",
            "rwkv7",
            "arwkv7",
            "jamba",
            "falcon-h1",
            "plamo2",
            "granitehybrid",
            "lfm2",
            "lfm2moe",
            "nemotron_h",
            "nemotron_h_moe",
            "qwen3next",
            "kimi-linear",
            "bailingmoe3",
            "kimi-k3",
            "qwen35",
            "qwen35moe",
            "qwen4exp",
            "deepseek4",
            "minimax-01");
    /** Dense architectures whose every layer has a feed-forward block of {@code feed_forward_length} rows. */
    private static final Set<String> DENSE_FFN = Set.of(
            "llama",
            "qwen2",
            "qwen3",
            "bert",
            "nomic-bert",
            "jina-bert-v2",
            "gpt2",
            "gemma",
            "gemma2",
            "gemma3",
            "phi3",
            "mistral3",
            "starcoder",
            "granite");

    /** {@code split.count}: number of shards (UINT16). */
    public static final String SPLIT_COUNT = "split.count";
    /** {@code split.no}: this shard's index from 0 (UINT16, read with {@code gguf_get_val_u16}, which asserts). */
    public static final String SPLIT_NO = "split.no";
    /** {@code split.tensors.count}: tensors in all shards together (INT32), in the first shard. */
    public static final String SPLIT_TENSORS_COUNT = "split.tensors.count";

    private GgufValidator() {}

    /**
     * Checks the rules above.
     *
     * @param file a parsed file
     * @throws GgufFormatException naming the key's offset and the rule it breaks
     */
    public static void checkForLlama(GgufFile file) throws GgufFormatException {
        String source = file.path() == null ? "GGUF bytes" : file.path().toString();
        String arch = null;
        GgufValue archValue = file.metadata().get("general.architecture");
        if (archValue != null) {
            if (archValue.type() != GgufValueType.STRING) {
                throw new GgufFormatException(
                        source,
                        file.keyOffset("general.architecture"),
                        "'general.architecture' must be a STRING, found " + archValue.describeType());
            }
            arch = archValue.asString();
        }
        if (arch != null) {
            long layers = range(file, source, arch + ".block_count", 1, MAX_LAYERS);
            range(file, source, arch + ".nextn_predict_layers", 0, layers < 0 ? MAX_LAYERS : layers);
            long experts = range(file, source, arch + ".expert_count", 0, MAX_EXPERTS);
            // llama.cpp treats an expert count of 0 or 1 as no experts
            range(file, source, arch + ".expert_used_count", 0, experts <= 1 ? 0 : experts);
        }
        for (Map.Entry<String, GgufValue> e : file.metadata().entrySet()) {
            GgufValue v = e.getValue();
            if (e.getKey().endsWith("epsilon")
                    && (v.type() == GgufValueType.FLOAT32 || v.type() == GgufValueType.FLOAT64)) {
                double eps = v.asDouble();
                if (!(eps >= 0) || Double.isInfinite(eps)) {
                    throw new GgufFormatException(
                            source,
                            file.keyOffset(e.getKey()),
                            "'" + e.getKey() + "' is " + eps
                                    + ", expected a finite value >= 0 (llama.cpp asserts eps >= 0)");
                }
            }
        }
        checkByteTokens(file, source);
        if (arch != null) {
            checkPerLayer(file, source, arch);
        }
        // a split model's output.weight may be in a later shard: checkShards checks the tied case over all shards
        boolean split = file.value(SPLIT_COUNT)
                .filter(v -> v.type() == GgufValueType.UINT16 && v.asInt() > 1)
                .isPresent();
        checkTensorTypes(
                file, source, arch, split || file.tensor("output.weight").isPresent());
    }

    /**
     * Checks every tensor's type against {@link TensorTypeRules} (the architecture is read from {@code arch}; a shard
     * of a split model passes the first shard's).
     *
     * @param file a parsed file
     * @param source the name for messages
     * @param arch the model's architecture, or null
     * @param hasOutput whether the model (any shard) has {@code output.weight}
     * @throws GgufFormatException naming the first tensor of a type its kernel cannot compute
     */
    public static void checkTensorTypes(GgufFile file, String source, String arch, boolean hasOutput)
            throws GgufFormatException {
        for (GgufTensorInfo t : file.tensors()) {
            String problem = TensorTypeRules.problem(arch, t, hasOutput);
            if (problem != null) {
                throw new GgufFormatException(source, file.dataOffset() + t.offset(), problem);
            }
        }
    }

    private static void checkPerLayer(GgufFile f, String source, String arch) throws GgufFormatException {
        GgufValue blocks = f.metadata().get(arch + ".block_count");
        if (blocks == null || blocks.type() == GgufValueType.ARRAY || blocks.type() == GgufValueType.STRING) {
            return;
        }
        long layers = blocks.asLong();
        if (layers < 1 || layers > MAX_LAYERS) {
            return;
        }
        boolean allAttention = !RECURRENT_OR_HYBRID.contains(arch);
        long[] heads = perLayer(f, source, arch + ".attention.head_count", layers, allAttention);
        long[] kv = perLayer(f, source, arch + ".attention.head_count_kv", layers, allAttention);
        perLayer(f, source, arch + ".feed_forward_length", layers, DENSE_FFN.contains(arch));
        if (heads != null && kv != null) {
            for (int i = 0; i < layers; i++) {
                if (heads[i] > 0 && kv[i] > 0 && heads[i] % kv[i] != 0) {
                    String key = arch + ".attention.head_count_kv";
                    throw new GgufFormatException(
                            source,
                            f.keyOffset(key),
                            "layer " + i + " has " + heads[i]
                                    + " attention heads and " + kv[i] + " KV heads ('" + key
                                    + "'): the KV heads must divide the heads"
                                    + " (llama.cpp's grouped-query attention asserts this)");
                }
            }
        }
        GgufValue embdValue = f.metadata().get(arch + ".embedding_length");
        if (heads != null
                && embdValue != null
                && (embdValue.value() instanceof Integer || embdValue.value() instanceof Long)
                && embdValue.type() != GgufValueType.UINT64
                && heads[0] > 0) {
            // per-layer counts must match each layer's projections: llama.cpp aborts in the graph for a mismatch it
            // does
            // not catch at load (found by the fuzzer: head_count_kv [4,4,4,8,4] with 32-wide attn_k)
            long headDim = embdValue.asLong() / heads[0];
            for (int i = 0; i < layers; i++) {
                checkRows(
                        f,
                        source,
                        "blk." + i + ".attn_q.weight",
                        heads[i] * headDim,
                        arch + ".attention.head_count",
                        i);
                if (kv != null) {
                    checkRows(
                            f,
                            source,
                            "blk." + i + ".attn_k.weight",
                            kv[i] * headDim,
                            arch + ".attention.head_count_kv",
                            i);
                    checkRows(
                            f,
                            source,
                            "blk." + i + ".attn_v.weight",
                            kv[i] * headDim,
                            arch + ".attention.head_count_kv",
                            i);
                }
            }
        }
    }

    private static void checkRows(GgufFile f, String source, String tensor, long expected, String key, int layer)
            throws GgufFormatException {
        Optional<GgufTensorInfo> t = f.tensor(tensor);
        if (t.isPresent() && t.get().dimensions() >= 2 && t.get().dim(1) != expected) {
            throw new GgufFormatException(
                    source,
                    f.keyOffset(key),
                    "layer " + layer + ": '" + key + "' gives " + expected + " output rows for tensor '" + tensor
                            + "', which has " + t.get().dim(1));
        }
    }

    /**
     * Reads a scalar-or-per-layer key.
     *
     * @return one value per layer, or null when the key is absent or not an integer (llama.cpp refuses that itself)
     */
    private static long[] perLayer(GgufFile f, String source, String key, long layers, boolean positive)
            throws GgufFormatException {
        GgufValue v = f.metadata().get(key);
        if (v == null) {
            return null;
        }
        long[] out = new long[(int) layers];
        if (v.type() == GgufValueType.ARRAY) {
            if (v.elementType() != GgufValueType.INT32 && v.elementType() != GgufValueType.UINT32) {
                throw new GgufFormatException(
                        source,
                        f.keyOffset(key),
                        "'" + key + "' is an " + v.describeType()
                                + ", expected an INT32 or UINT32 value or array (one entry per layer)");
            }
            List<?> list = v.asList();
            if (list.size() != layers) {
                throw new GgufFormatException(
                        source,
                        f.keyOffset(key),
                        "'" + key + "' has " + list.size() + " entries, expected one per layer: " + layers
                                + " (block_count)");
            }
            for (int i = 0; i < layers; i++) {
                out[i] = ((Number) list.get(i)).longValue();
            }
        } else {
            try {
                Arrays.fill(out, v.asLong());
            } catch (IllegalStateException e) {
                return null;
            }
            if (v.type() == GgufValueType.UINT64 && out.length > 0 && out[0] < 0) {
                out[0] = Long.MAX_VALUE;
            }
        }
        for (int i = 0; i < layers; i++) {
            if (out[i] < 0 || out[i] > 0xFFFF_FFFFL || (positive && out[i] == 0)) {
                String where = v.type() == GgufValueType.ARRAY
                        ? "entry " + i + " (layer " + i + ") of '" + key + "'"
                        : "'" + key + "'";
                throw new GgufFormatException(
                        source,
                        f.keyOffset(key),
                        where + " is " + out[i] + ", expected " + (positive ? "1" : "0")
                                + " to 4294967295 (llama.cpp divides by it or sizes tensors with it and aborts)");
            }
        }
        return out;
    }

    /**
     * The shards of a split model: for a file without {@code split.count} (or with 1), an empty list; otherwise the
     * paths of shards 2 to N, named as llama.cpp derives them from the first shard's name
     * ({@code llama_split_path}: {@code <prefix>-%05d-of-%05d.gguf}), after checking the first shard's split keys
     * ({@code split.count} and {@code split.no} UINT16, {@code split.no} 0, {@code split.tensors.count} INT32).
     *
     * @param first the file given to llama.cpp (it must be the first shard)
     * @return the other shards' paths, in order
     * @throws GgufFormatException naming the key and the problem
     */
    public static List<Path> shardPaths(GgufFile first) throws GgufFormatException {
        String source = first.path() == null ? "GGUF bytes" : first.path().toString();
        GgufValue count = first.metadata().get(SPLIT_COUNT);
        if (count == null) {
            return List.of();
        }
        if (count.type() != GgufValueType.UINT16) {
            throw new GgufFormatException(
                    source,
                    first.keyOffset(SPLIT_COUNT),
                    "'" + SPLIT_COUNT + "' is a " + count.describeType() + ", expected UINT16");
        }
        int n = count.asInt();
        if (n <= 1) {
            return List.of();
        }
        requireType(first, source, SPLIT_NO, GgufValueType.UINT16);
        int no = first.metadata().get(SPLIT_NO).asInt();
        if (no != 0) {
            throw new GgufFormatException(
                    source,
                    first.keyOffset(SPLIT_NO),
                    "is shard " + (no + 1) + " of " + n + " ('" + SPLIT_NO + "' = " + no
                            + "): load a split model from its first shard");
        }
        requireType(first, source, SPLIT_TENSORS_COUNT, GgufValueType.INT32);
        if (first.path() == null) {
            throw new GgufFormatException(
                    source,
                    first.keyOffset(SPLIT_COUNT),
                    "is shard 1 of " + n + " but has no file name to find the other shards by");
        }
        String name = first.path().getFileName().toString();
        String suffix = String.format("-%05d-of-%05d.gguf", 1, n);
        if (!name.endsWith(suffix) || name.length() == suffix.length()) {
            throw new GgufFormatException(
                    source,
                    first.keyOffset(SPLIT_COUNT),
                    "is shard 1 of " + n
                            + " but its name does not end in '" + suffix
                            + "', so llama.cpp cannot find the other shards"
                            + " (it names them <prefix>-0000N-of-" + String.format("%05d", n) + ".gguf)");
        }
        String prefix = name.substring(0, name.length() - suffix.length());
        List<Path> out = new ArrayList<>();
        for (int i = 1; i < n; i++) {
            out.add(first.path().resolveSibling(String.format("%s-%05d-of-%05d.gguf", prefix, i + 1, n)));
        }
        return out;
    }

    /**
     * Checks shard {@code index} (from 0) of a split model: its {@code split.no} (present, UINT16, equal to
     * {@code index}: llama.cpp reads it with {@code gguf_get_val_u16}, which aborts on another type), {@code split.count}
     * when present (UINT16, the first shard's count), its tensors' types, and no tensor name seen in an earlier shard.
     *
     * @param shard the parsed shard
     * @param index its index, 1 or more
     * @param count the first shard's {@code split.count}
     * @param arch the first shard's architecture (may be null)
     * @param hasOutput whether any shard has {@code output.weight}
     * @param seen tensor names of the earlier shards; this shard's are added
     * @throws GgufFormatException naming the shard, the key or tensor and the problem
     */
    public static void checkShard(
            GgufFile shard, int index, int count, String arch, boolean hasOutput, Set<String> seen)
            throws GgufFormatException {
        String source = shard.path() == null ? "GGUF bytes" : shard.path().toString();
        GgufValue no = shard.metadata().get(SPLIT_NO);
        if (no == null) {
            throw new GgufFormatException(
                    source, 0, "shard " + (index + 1) + " of " + count + " has no '" + SPLIT_NO + "' key");
        }
        requireType(shard, source, SPLIT_NO, GgufValueType.UINT16);
        if (no.asInt() != index) {
            throw new GgufFormatException(
                    source,
                    shard.keyOffset(SPLIT_NO),
                    "'" + SPLIT_NO + "' is " + no.asInt() + ", expected " + index + " (this file is shard "
                            + (index + 1) + " of " + count + " by its name)");
        }
        GgufValue c = shard.metadata().get(SPLIT_COUNT);
        if (c != null) {
            requireType(shard, source, SPLIT_COUNT, GgufValueType.UINT16);
            if (c.asInt() != count) {
                throw new GgufFormatException(
                        source,
                        shard.keyOffset(SPLIT_COUNT),
                        "'" + SPLIT_COUNT + "' is " + c.asInt() + ", but the first shard says " + count);
            }
        }
        GgufValue tc = shard.metadata().get(SPLIT_TENSORS_COUNT);
        if (tc != null) {
            requireType(shard, source, SPLIT_TENSORS_COUNT, GgufValueType.INT32);
        }
        for (GgufTensorInfo t : shard.tensors()) {
            if (!seen.add(t.name())) {
                throw new GgufFormatException(
                        source,
                        shard.dataOffset() + t.offset(),
                        "tensor '" + t.name() + "' is also in an earlier shard");
            }
        }
        checkTensorTypes(shard, source, arch, hasOutput);
    }

    private static void requireType(GgufFile f, String source, String key, GgufValueType type)
            throws GgufFormatException {
        GgufValue v = f.metadata().get(key);
        if (v == null) {
            throw new GgufFormatException(
                    source, 0, "has no '" + key + "' key (a split model needs it in every shard)");
        }
        if (v.type() != type) {
            throw new GgufFormatException(
                    source,
                    f.keyOffset(key),
                    "'" + key + "' is a " + v.describeType() + ", expected " + type
                            + " (llama.cpp asserts the type of split keys)");
        }
    }

    /**
     * Opens and checks every other shard of a split model ({@link #shardPaths}, {@link #checkShard}; each with
     * {@link GgufFile#open}, the full structural validation) and the total tensor count against
     * {@code split.tensors.count}. Does nothing for a file that is not split.
     *
     * @param first the first shard, already checked with {@link #checkForLlama}
     * @throws GgufFormatException naming the shard and the problem
     * @throws java.io.IOException if a shard is missing or cannot be read
     */
    public static void checkShards(GgufFile first) throws IOException {
        List<Path> others = shardPaths(first);
        if (others.isEmpty()) {
            return;
        }
        String source = first.path().toString();
        int count = others.size() + 1;
        String arch = first.value("general.architecture")
                .filter(v -> v.type() == GgufValueType.STRING)
                .map(GgufValue::asString)
                .orElse(null);
        Set<String> seen = new HashSet<>();
        for (GgufTensorInfo t : first.tensors()) {
            seen.add(t.name());
        }
        List<GgufFile> opened = new ArrayList<>();
        try {
            boolean hasOutput = seen.contains("output.weight");
            for (int i = 0; i < others.size(); i++) {
                Path p = others.get(i);
                if (!Files.isRegularFile(p)) {
                    throw new GgufFormatException(
                            source,
                            first.keyOffset(SPLIT_COUNT),
                            "is shard 1 of " + count + " but shard " + (i + 2) + " (" + p
                                    + ") does not exist or is not a regular file");
                }
                GgufFile s = GgufFile.open(p);
                opened.add(s);
                hasOutput |= s.tensor("output.weight").isPresent();
            }
            for (int i = 0; i < opened.size(); i++) {
                checkShard(opened.get(i), i + 1, count, arch, hasOutput, seen);
            }
            checkTensorTypes(first, source, arch, hasOutput);
            long total = first.metadata().get(SPLIT_TENSORS_COUNT).asLong();
            if (total != seen.size()) {
                throw new GgufFormatException(
                        source,
                        first.keyOffset(SPLIT_TENSORS_COUNT),
                        "'" + SPLIT_TENSORS_COUNT + "' is " + total + " but the " + count + " shards hold "
                                + seen.size() + " tensors");
            }
        } finally {
            for (GgufFile s : opened) {
                s.close();
            }
        }
    }

    /**
     * The number of rows of the model's learned position table ({@code position_embd.weight}, {@code [n_embd, rows]}
     * in ggml order; bert's has {@code <arch>.context_length} rows): a token at a position past it makes
     * {@code ggml_get_rows} abort ({@code GGML_ASSERT(i01 >= 0 && i01 < ne01)}).
     *
     * @param file a parsed file
     * @return the rows, or -1 when the model has no position table (RoPE models)
     */
    public static long positionRows(GgufFile file) {
        return file.tensor("position_embd.weight")
                .filter(t -> t.dimensions() >= 2)
                .map(t -> t.dim(1))
                .orElse(-1L);
    }

    /** @return the key's value, or -1 when absent */
    private static long range(GgufFile f, String source, String key, long min, long max) throws GgufFormatException {
        GgufValue v = f.metadata().get(key);
        if (v == null) {
            return -1;
        }
        long n;
        try {
            n = v.asLong();
        } catch (IllegalStateException e) {
            if (v.type() == GgufValueType.ARRAY) {
                return -1;
            }
            throw new GgufFormatException(
                    source, f.keyOffset(key), "'" + key + "' must be an integer, found " + v.describeType());
        }
        boolean unsigned64 = v.type() == GgufValueType.UINT64 && n < 0;
        if (unsigned64 || n < min || n > max) {
            throw new GgufFormatException(
                    source,
                    f.keyOffset(key),
                    "'" + key + "' is "
                            + (unsigned64 ? Long.toUnsignedString(n) : Long.toString(n)) + ", expected " + min + " to "
                            + max
                            + " (llama.cpp asserts this)");
        }
        return n;
    }

    private static void checkByteTokens(GgufFile f, String source) throws GgufFormatException {
        GgufValue types = f.metadata().get("tokenizer.ggml.token_type");
        GgufValue tokens = f.metadata().get(GgufFile.TOKENS_KEY);
        if (types == null
                || tokens == null
                || types.elementType() != GgufValueType.INT32
                || tokens.elementType() != GgufValueType.STRING) {
            return;
        }
        String model = f.value("tokenizer.ggml.model")
                .filter(v -> v.type() == GgufValueType.STRING)
                .map(GgufValue::asString)
                .orElse("");
        List<?> t = types.asList();
        List<String> texts = tokens.asStringList();
        for (int i = 0; i < Math.min(t.size(), texts.size()); i++) {
            if ((Integer) t.get(i) != TOKEN_TYPE_BYTE) {
                continue;
            }
            if (!BYTE_TOKEN_TOKENIZERS.contains(model)) {
                throw new GgufFormatException(
                        source,
                        f.keyOffset("tokenizer.ggml.token_type"),
                        "token " + i + " has type BYTE, which tokenizer '" + model
                                + "' cannot decode (llama.cpp aborts)");
            }
            if (!BYTE_TOKEN.matcher(texts.get(i)).matches()) {
                throw new GgufFormatException(
                        source,
                        f.keyOffset(GgufFile.TOKENS_KEY),
                        "token " + i
                                + " has type BYTE but its text is not <0xHH> (llama.cpp reads the hex digits at index 3)");
            }
        }
    }
}
