package dev.winnow.models.synth;

import dev.winnow.models.gguf.GgmlType;
import java.util.List;
import java.util.Locale;

/**
 * The shape and storage of a synthetic model.
 *
 * @param arch llama.cpp architecture
 * @param layers transformer blocks ({@code block_count}), 1 to 1,024
 * @param embd width of the residual stream ({@code embedding_length}), a multiple of {@code heads}
 * @param heads query heads ({@code attention.head_count}); the head size {@code embd / heads} must be even (RoPE)
 * @param kvHeads key/value heads ({@code attention.head_count_kv}), dividing {@code heads}
 * @param ff feed-forward width ({@code feed_forward_length})
 * @param vocabSize tokens; 0 takes the vocabulary file's size, larger values pad it with synthetic tokens
 * @param type storage of the weight matrices (norms and biases are always F32): F32, F16, BF16 or Q8_0; Q8_0 needs
 *     {@code embd} and {@code ff} to be multiples of 32
 * @param seed seed of the random weights: the same spec and seed give the same bytes
 * @param contextLength training context recorded in {@code context_length}
 * @param tiedEmbeddings true to omit {@code output.weight} (llama.cpp then uses {@code token_embd.weight} for the
 *     output, as Qwen2.5-0.5B does)
 */
public record SynthSpec(
        Architecture arch,
        int layers,
        int embd,
        int heads,
        int kvHeads,
        int ff,
        int vocabSize,
        GgmlType type,
        long seed,
        int contextLength,
        boolean tiedEmbeddings) {

    /**
     * Checks the shape.
     *
     * @throws IllegalArgumentException naming the parameter that is out of range
     */
    public SynthSpec {
        if (arch == null || type == null) {
            throw new IllegalArgumentException("arch and type are required");
        }
        check(layers >= 1 && layers <= 1024, "layers " + layers + ": expected 1 to 1024");
        check(embd >= 1 && embd <= 65_536, "embd " + embd + ": expected 1 to 65536");
        check(heads >= 1 && embd % heads == 0, "heads " + heads + ": expected a divisor of embd " + embd);
        check(
                (embd / Math.max(heads, 1)) % 2 == 0,
                "head size embd/heads = " + embd / Math.max(heads, 1) + " must be even for RoPE");
        check(kvHeads >= 1 && heads % kvHeads == 0, "kv-heads " + kvHeads + ": expected a divisor of heads " + heads);
        check(ff >= 1 && ff <= 1 << 20, "ff " + ff + ": expected 1 to 1048576");
        check(vocabSize >= 0, "vocab size " + vocabSize + " is negative");
        check(contextLength >= 1, "context length " + contextLength + ": expected at least 1");
        check(
                type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16 || type == GgmlType.Q8_0,
                "type " + type.ggmlName() + ": expected f32, f16, bf16 or q8_0");
        if (type == GgmlType.Q8_0) {
            check(
                    embd % 32 == 0 && ff % 32 == 0,
                    "q8_0 needs embd and ff to be multiples of 32 (rows are blocks of 32), got " + embd + " and " + ff);
        }
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** @return the size of one attention head, {@code embd / heads} */
    public int headDim() {
        return embd / heads;
    }

    /**
     * A preset shape: {@code tiny-4l} (llama, 4 layers, 256 wide, 8 heads, 4 KV heads, ff 1024, the vocabulary file's
     * tokens), {@code wide-8l} (llama, 8 layers, 512, 8 heads, 4 KV heads, ff 2048, the vocabulary file's tokens) and
     * {@code qwen2.5-0.5b-shape} (qwen2, 24 layers, 896, 14 heads, 2 KV heads, ff 4864, 151,936 tokens, tied
     * embeddings, context 32,768: the shape of Qwen2.5-0.5B) and {@code mistral-7b-shape} (llama, 32 layers, 4096,
     * 32 heads, 8 KV heads, ff 14,336, 32,000 tokens, untied output, context 32,768: the shape of Mistral-7B, the
     * BlockRank paper's model; about 14.5 GB in F16).
     *
     * @param name a preset name
     * @param type weight storage
     * @param seed weight seed
     * @return the spec
     * @throws IllegalArgumentException for unknown names
     */
    public static SynthSpec preset(String name, GgmlType type, long seed) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny-4l" -> new SynthSpec(Architecture.LLAMA, 4, 256, 8, 4, 1024, 0, type, seed, 4096, false);
            case "wide-8l" -> new SynthSpec(Architecture.LLAMA, 8, 512, 8, 4, 2048, 0, type, seed, 4096, false);
            case "qwen2.5-0.5b-shape" ->
                new SynthSpec(Architecture.QWEN2, 24, 896, 14, 2, 4864, 151_936, type, seed, 32_768, true);
            case "mistral-7b-shape" ->
                new SynthSpec(Architecture.LLAMA, 32, 4096, 32, 8, 14_336, 32_000, type, seed, 32_768, false);
            default ->
                throw new IllegalArgumentException(
                        "unknown preset '" + name + "', expected one of " + String.join(", ", PRESETS));
        };
    }

    /** The preset names {@link #preset} knows. */
    public static final List<String> PRESETS = List.of("tiny-4l", "wide-8l", "qwen2.5-0.5b-shape", "mistral-7b-shape");
}
