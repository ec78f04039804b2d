package dev.winnow.scripting.host;

import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.SamplerOptions;
import dev.winnow.runtime.Taps;
import dev.winnow.runtime.TensorSelector;
import dev.winnow.runtime.generate.Generation;
import dev.winnow.runtime.generate.GenerationOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

/**
 * A GGUF model loaded by {@code winnow.loadModel(path)}: generation (whole or streamed), tokenization, embeddings and
 * attention maps. Work runs on llama.cpp contexts this object creates on first use; an interrupt of the cell stops
 * a decode through llama.cpp's abort callback.
 */
public final class ScriptModel implements AutoCloseable {
    private static final int DEFAULT_MAX_TOKENS = 64;
    private final HostEnvironment env;
    private final Model model;
    private final int threads;
    private Context generation;
    private LlamaEmbedder embedder;

    ScriptModel(HostEnvironment env, Model model, int threads) {
        this.env = env;
        this.model = model;
        this.threads = threads;
    }

    Model model() {
        return model;
    }

    int threads() {
        return threads;
    }

    private ContextOptions contextOptions() {
        return ContextOptions.defaults().withThreads(threads);
    }

    /**
     * Generates text greedily, 64 tokens at most.
     *
     * @param prompt the prompt
     * @return the generated text (without the prompt)
     */
    @HostAccess.Export
    public String generate(String prompt) {
        return generate(prompt, null);
    }

    /**
     * Generates text.
     *
     * @param prompt the prompt
     * @param options {@code maxTokens} (default 64, 0..4096), {@code temperature} (0 = greedy, the default),
     *     {@code seed}, {@code stop} (list of stop strings); a JS object or Python dict, or null
     * @return the generated text
     */
    @HostAccess.Export
    public String generate(String prompt, Value options) {
        return stream(prompt, options, null);
    }

    /**
     * Generates text and calls {@code onPiece(piece)} for each piece as it is produced.
     *
     * @param prompt the prompt
     * @param options as for {@link #generate(String, Value)}
     * @param onPiece a guest function of one string, or null
     * @return the whole generated text
     */
    @HostAccess.Export
    public String stream(String prompt, Value options, Value onPiece) {
        return Verbs.call(env, () -> {
            if (onPiece != null && !onPiece.isNull() && !onPiece.canExecute()) {
                throw new IllegalArgumentException("stream: onPiece must be a function");
            }
            GenerationOptions go = generationOptions(options);
            Context ctx = generationContext();
            // the cell's token stops the generation, mid-decode included
            try (Generation g = Generation.start(ctx, prompt, go, env.cancellation())) {
                while (g.hasNext()) {
                    env.cancellation().throwIfCancelled();
                    String piece = g.next();
                    if (onPiece != null && !onPiece.isNull()) {
                        onPiece.executeVoid(piece);
                    }
                }
                env.cancellation().throwIfCancelled();
                return g.text();
            }
        });
    }

    /**
     * Tokenizes text with the model's vocabulary (adding BOS when the model does).
     *
     * @param text the text
     * @return token ids
     */
    @HostAccess.Export
    public int[] tokenize(String text) {
        return Verbs.call(env, () -> model.vocabulary().tokenize(text, true, false));
    }

    /**
     * The text of tokens.
     *
     * @param tokens token ids (a JS array or Python list of integers)
     * @return the text, special tokens removed
     */
    @HostAccess.Export
    public String detokenize(Value tokens) {
        return Verbs.call(env, () -> model.vocabulary().detokenize(ints(tokens), true, false));
    }

    /**
     * The embedding of a document text, as the index and the embedding re-ranker compute it: {@code embed(text,
     * {role: 'document'})}.
     *
     * @param text the text
     * @return a unit tensor of shape {@code [n_embd]}
     */
    @HostAccess.Export
    public ScriptTensor embed(String text) {
        return embed(text, null);
    }

    /**
     * The embedding of a text through the one embedding path ({@link LlamaEmbedder}, as the index's vectors and the
     * embedding re-ranker): the model's pooling (mean for a model that names none), its instruction for the role (bge:
     * the query instruction before queries), cut to {@value LlamaEmbedder#DEFAULT_MAX_TOKENS} tokens (counted: see
     * {@link #embeddingStats()}), L2-normalised.
     *
     * @param text the text
     * @param options {@code {role: 'document' | 'query'}} (default document), or null
     * @return a unit tensor of shape {@code [n_embd]}
     */
    @HostAccess.Export
    public ScriptTensor embed(String text, Value options) {
        return Verbs.call(env, () -> {
            Embedder.Role role = role(options);
            env.cancellation().throwIfCancelled();
            float[] v = embedder().embed(List.of(text == null ? "" : text), role, env.cancellation())[0];
            return ScriptTensor.of(v, v.length);
        });
    }

    /**
     * What {@link #embed} has done so far.
     *
     * @return maxTokens (the token budget), truncated (texts cut to it), embedded (texts embedded), pooling,
     *     queryInstruction
     */
    @HostAccess.Export
    public Map<String, Object> embeddingStats() {
        return Verbs.call(env, () -> {
            LlamaEmbedder e = embedder();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("maxTokens", e.maxTokens());
            m.put("truncated", e.truncatedCount());
            m.put("embedded", e.embeddedCount());
            m.put("pooling", e.pooling().name().toLowerCase(Locale.ROOT));
            m.put("queryInstruction", e.queryInstruction());
            return m;
        });
    }

    private static Embedder.Role role(Value options) {
        Value r = options == null || options.isNull() ? null : option(options, "role");
        if (r == null) {
            return Embedder.Role.DOCUMENT;
        }
        String name = r.isString() ? r.asString() : String.valueOf(r);
        return switch (name) {
            case "document" -> Embedder.Role.DOCUMENT;
            case "query" -> Embedder.Role.QUERY;
            default -> throw new IllegalArgumentException("embed: role must be 'document' or 'query', got " + r);
        };
    }

    /**
     * The attention probabilities of one layer over a prompt, as llama.cpp computes them ({@code kq_soft_max-L}, in a
     * context with flash attention off and the eval callback on).
     *
     * @param text the prompt (at most 512 tokens)
     * @param layer the layer, 0..layerCount-1
     * @return the attention map, probabilities of shape {@code [heads, tokens, tokens]}
     */
    @HostAccess.Export
    public AttentionMap attention(String text, int layer) {
        return Verbs.call(env, () -> {
            if (layer < 0 || layer >= model.layerCount()) {
                throw new IllegalArgumentException(
                        "attention: layer must be in [0, " + model.layerCount() + "), got " + layer);
            }
            int[] tokens = model.vocabulary().tokenize(text, true, false);
            int n = tokens.length;
            int heads = model.headCount();
            MemorySegment out = Arena.ofAuto().allocate((long) heads * n * n * Float.BYTES, Float.BYTES);
            boolean[] seen = new boolean[1];
            ContextOptions opts = contextOptions()
                    .withContextSize(512)
                    .withFlashAttention(FlashAttention.DISABLED)
                    .withTaps(true);
            try (Context ctx = model.newContext(opts);
                    Batch b = Batch.allocate(Math.max(1, n), 1)) {
                checkLength(tokens, ctx);
                Taps taps = ctx.taps();
                Taps.Subscription sub = taps.tap(TensorSelector.name("kq_soft_max-" + layer), view -> {
                    // ne = [n_kv, n_tokens, n_head]: row = query token, column = KV cell (cell i holds token i)
                    for (int h = 0; h < heads; h++) {
                        for (int q = 0; q < n; q++) {
                            for (int k = 0; k < n; k++) {
                                out.setAtIndex(
                                        ValueLayout.JAVA_FLOAT_UNALIGNED,
                                        ((long) h * n + q) * n + k,
                                        view.get(k, q, h, 0));
                            }
                        }
                    }
                    seen[0] = true;
                });
                try {
                    ctx.cancellation(env.cancellation());
                    b.addSequence(tokens, 0, 0, true);
                    ctx.decode(b);
                } finally {
                    sub.close();
                }
            }
            if (!seen[0]) {
                throw new IllegalStateException("the model's graph has no kq_soft_max-" + layer
                        + " tensor (architecture " + model.architecture() + ")");
            }
            List<String> pieces = new ArrayList<>(n);
            for (int t : tokens) {
                pieces.add(new String(model.vocabulary().piece(t, true), StandardCharsets.UTF_8));
            }
            return new AttentionMap(layer, pieces, new ScriptTensor(out, new long[] {heads, n, n}));
        });
    }

    /**
     * The model's facts.
     *
     * @return architecture, layers, heads, headsKv, embeddingSize, contextSize, parameters, sizeBytes, vocabularySize,
     *     path, threads
     */
    @HostAccess.Export
    public Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architecture", model.architecture());
        m.put("layers", model.layerCount());
        m.put("heads", model.headCount());
        m.put("headsKv", model.headCountKv());
        m.put("embeddingSize", model.embeddingSize());
        m.put("contextSize", model.trainingContextSize());
        m.put("parameters", model.parameterCount());
        m.put("sizeBytes", model.sizeBytes());
        m.put("vocabularySize", model.vocabulary().size());
        m.put("path", model.path().toString());
        m.put("threads", threads);
        return m;
    }

    /** Frees the model and its contexts (also done when the session closes). */
    @HostAccess.Export
    @Override
    public void close() {
        if (generation != null) {
            generation.close();
            generation = null;
        }
        if (embedder != null) {
            embedder.close();
            embedder = null;
        }
        model.close();
    }

    @HostAccess.Export
    @Override
    public String toString() {
        return model.description();
    }

    private Context generationContext() {
        if (generation == null) {
            generation = model.newContext(contextOptions());
        }
        return generation;
    }

    private LlamaEmbedder embedder() {
        if (embedder == null) {
            embedder = LlamaEmbedder.overUnhashed(
                    model, LlamaEmbedder.Options.defaults().withThreads(threads));
        }
        return embedder;
    }

    private static void checkLength(int[] tokens, Context ctx) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("the text has no tokens");
        }
        if (tokens.length > Math.min(ctx.contextSize(), ctx.batchSize())) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; at most "
                    + Math.min(ctx.contextSize(), ctx.batchSize()) + " fit");
        }
    }

    private static GenerationOptions generationOptions(Value options) {
        int maxTokens = DEFAULT_MAX_TOKENS;
        double temperature = 0;
        int seed = 0;
        List<String> stop = List.of();
        if (options != null && !options.isNull()) {
            Value v;
            if ((v = option(options, "maxTokens")) != null) {
                maxTokens = v.asInt();
                if (maxTokens < 0 || maxTokens > 4096) {
                    throw new IllegalArgumentException("maxTokens must be in [0, 4096], got " + maxTokens);
                }
            }
            if ((v = option(options, "temperature")) != null) {
                temperature = v.asDouble();
                if (!(temperature >= 0) || temperature > 10) {
                    throw new IllegalArgumentException("temperature must be in [0, 10], got " + temperature);
                }
            }
            if ((v = option(options, "seed")) != null) {
                seed = v.asInt();
            }
            if ((v = option(options, "stop")) != null) {
                List<String> s = new ArrayList<>();
                for (long i = 0; i < v.getArraySize(); i++) {
                    s.add(v.getArrayElement(i).asString());
                }
                stop = s;
            }
        }
        SamplerOptions sampling =
                temperature == 0 ? SamplerOptions.greedy() : SamplerOptions.sampling((float) temperature, seed);
        return GenerationOptions.greedy(maxTokens).withSampling(sampling).withStopStrings(stop);
    }

    /** A member of a JS object or a key of a Python dict, or null when absent. */
    static Value option(Value options, String key) {
        Value v = null;
        if (options.hasHashEntries()) {
            v = options.getHashValue(key);
        } else if (options.hasMember(key)) {
            v = options.getMember(key);
        }
        return v == null || v.isNull() ? null : v;
    }

    private static int[] ints(Value tokens) {
        if (tokens == null || !tokens.hasArrayElements()) {
            throw new IllegalArgumentException("expected a list of token ids");
        }
        int[] out = new int[(int) tokens.getArraySize()];
        for (int i = 0; i < out.length; i++) {
            out[i] = tokens.getArrayElement(i).asInt();
        }
        return out;
    }
}
