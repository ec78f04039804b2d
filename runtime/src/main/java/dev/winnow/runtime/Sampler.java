package dev.winnow.runtime;

import dev.winnow.bindings.llama.llama_h;
import dev.winnow.bindings.llama.llama_logit_bias;
import dev.winnow.bindings.llama.llama_token_data;
import dev.winnow.bindings.llama.llama_token_data_array;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;

/**
 * A llama.cpp sampler chain ({@code llama_sampler_chain_init} + {@code llama_sampler_init_*}) built from {@link
 * SamplerOptions}. Stateful (penalties and grammar remember accepted tokens): use one per generation, confined to one
 * thread.
 *
 * <p>Sampling runs llama.cpp's samplers over candidates built in Java from the context's logits (read under the
 * context's confinement, checked for NaN/infinity) in three stages: logit bias and penalties, the grammar, then
 * truncation and the draw. Between the grammar and the draw it checks that some token is still allowed: llama.cpp
 * would otherwise accept a token the grammar refused and abort the process with an uncaught C++ exception. A grammar
 * is also checked when the sampler is built: at least one token must be acceptable as its first token.
 */
public final class Sampler implements AutoCloseable {
    private final NativeHandle pre;
    private final NativeHandle post;
    private final NativeHandle grammar;
    private final Model model;
    private final Vocabulary vocabulary;
    private final SamplerOptions options;
    private final int nVocab;
    private final Arena candidates = Arena.ofAuto();
    private final MemorySegment data;
    private final MemorySegment array;
    private boolean preEmpty = true;
    private MemorySegment penalties = MemorySegment.NULL;

    /**
     * @param model the model (for the vocabulary size and the grammar's tokens)
     * @param options the chain's settings
     * @throws IllegalArgumentException if a logit-bias token is outside the vocabulary, the grammar does not parse, or
     *     no token of the vocabulary can start the grammar
     */
    public Sampler(Model model, SamplerOptions options) {
        this.model = model;
        this.vocabulary = model.vocabulary();
        this.options = options;
        this.nVocab = vocabulary.size();
        for (int t : options.logitBias().keySet()) {
            if (t < 0 || t >= nVocab) {
                throw new IllegalArgumentException(
                        "logit bias token " + t + " is outside the vocabulary [0, " + nVocab + ")");
            }
        }
        this.data = llama_token_data.allocateArray(nVocab, candidates);
        this.array = llama_token_data_array.allocate(candidates);
        NativeHandle p = null;
        NativeHandle q = null;
        NativeHandle g = null;
        try {
            // each chain owns (and frees) the samplers added to it
            p = new NativeHandle(this, "sampler", newChain(), llama_h::llama_sampler_free);
            q = new NativeHandle(this, "sampler", newChain(), llama_h::llama_sampler_free);
            buildPre(p.get());
            if (options.grammar() != null) {
                g = new NativeHandle(
                        this, "grammar sampler", model.use(m -> initGrammar()), llama_h::llama_sampler_free);
                checkFirstToken(model, g.get());
            }
            buildPost(q.get());
        } catch (RuntimeException e) {
            for (NativeHandle h : new NativeHandle[] {p, q, g}) {
                if (h != null) {
                    h.close();
                }
            }
            throw e;
        }
        this.pre = p;
        this.post = q;
        this.grammar = g;
    }

    private static MemorySegment newChain() {
        try (Arena arena = Arena.ofConfined()) {
            return llama_h.llama_sampler_chain_init(llama_h.llama_sampler_chain_default_params(arena));
        }
    }

    private void buildPre(MemorySegment chain) {
        SamplerOptions o = options;
        if (!o.logitBias().isEmpty()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment arr = llama_logit_bias.allocateArray(o.logitBias().size(), arena);
                int i = 0;
                for (Map.Entry<Integer, Float> e : o.logitBias().entrySet()) {
                    MemorySegment el = llama_logit_bias.asSlice(arr, i++);
                    llama_logit_bias.token(el, e.getKey());
                    llama_logit_bias.bias(el, e.getValue());
                }
                add(
                        chain,
                        llama_h.llama_sampler_init_logit_bias(
                                nVocab, o.logitBias().size(), arr));
                preEmpty = false;
            }
        }
        if (o.penaltyLastN() != 0
                && (o.repeatPenalty() != 1 || o.frequencyPenalty() != 0 || o.presencePenalty() != 0)) {
            penalties = llama_h.llama_sampler_init_penalties(
                    nVocab, o.penaltyLastN(), o.repeatPenalty(), o.frequencyPenalty(), o.presencePenalty());
            add(chain, penalties);
            preEmpty = false;
        }
    }

    private MemorySegment initGrammar() {
        SamplerOptions o = options;
        try (Arena arena = Arena.ofConfined()) {
            NativeErrors.clear();
            MemorySegment g = llama_h.llama_sampler_init_grammar(
                    vocabulary.pointerForSampler(),
                    arena.allocateFrom(o.grammar()),
                    arena.allocateFrom(o.grammarRoot()));
            if (g.equals(MemorySegment.NULL)) {
                throw new IllegalArgumentException("GBNF grammar does not parse or has no rule '" + o.grammarRoot()
                        + "'" + NativeErrors.reason("the parser's message went to stderr"));
            }
            return g;
        }
    }

    /** Refuses a grammar that no token of the vocabulary can start (llama.cpp would throw from its accept). */
    private void checkFirstToken(Model model, MemorySegment g) {
        for (int k = 0; k < nVocab; k++) {
            fill(k, 0f);
        }
        resetArray(nVocab);
        model.use(m -> {
            llama_h.llama_sampler_apply(g, array);
            return null;
        });
        if (firstAllowed() < 0) {
            String text = options.grammar();
            throw new IllegalArgumentException("GBNF grammar accepts no token of model "
                    + model.path().getFileName() + "'s vocabulary (" + nVocab
                    + " tokens) as its first token: no token's text can start rule '" + options.grammarRoot() + "' of "
                    + (text.length() > 120 ? text.substring(0, 120) + "..." : text).strip());
        }
    }

    private void buildPost(MemorySegment chain) {
        SamplerOptions o = options;
        if (o.temperature() == 0) {
            add(chain, llama_h.llama_sampler_init_greedy());
            return;
        }
        if (o.topK() > 0) {
            add(chain, llama_h.llama_sampler_init_top_k(o.topK()));
        }
        if (o.typicalP() < 1) {
            add(chain, llama_h.llama_sampler_init_typical(o.typicalP(), 1));
        }
        if (o.topP() < 1) {
            add(chain, llama_h.llama_sampler_init_top_p(o.topP(), 1));
        }
        if (o.minP() > 0) {
            add(chain, llama_h.llama_sampler_init_min_p(o.minP(), 1));
        }
        add(chain, llama_h.llama_sampler_init_temp(o.temperature()));
        add(chain, llama_h.llama_sampler_init_dist(o.seed()));
    }

    private static void add(MemorySegment chain, MemorySegment sampler) {
        if (sampler.equals(MemorySegment.NULL)) {
            throw new LlamaException("llama.cpp could not create a sampler");
        }
        llama_h.llama_sampler_chain_add(chain, sampler);
    }

    private static final long ENTRY = llama_token_data.sizeof();
    private static final long LOGIT = llama_token_data.logit$offset();
    private static final long P = llama_token_data.p$offset();
    private static final long ID = llama_token_data.id$offset();

    private void fill(int k, float logit) {
        long base = k * ENTRY;
        data.set(ValueLayout.JAVA_INT, base + ID, k);
        data.set(ValueLayout.JAVA_FLOAT, base + LOGIT, logit);
        data.set(ValueLayout.JAVA_FLOAT, base + P, 0f);
    }

    private void resetArray(long size) {
        llama_token_data_array.data(array, data);
        llama_token_data_array.size(array, size);
        llama_token_data_array.selected(array, -1);
        llama_token_data_array.sorted(array, false);
    }

    /** @return the index of a candidate whose logit is not -infinity, or -1 */
    private long firstAllowed() {
        long size = llama_token_data_array.size(array);
        MemorySegment d = llama_token_data_array.data(array).reinterpret(size * ENTRY);
        for (long k = 0; k < size; k++) {
            if (d.get(ValueLayout.JAVA_FLOAT, k * ENTRY + LOGIT) != Float.NEGATIVE_INFINITY) {
                return k;
            }
        }
        return -1;
    }

    /**
     * Samples the next token from the logits of an output entry of the context's last decode and accepts it into the
     * chain's state (as llama_sampler_sample).
     *
     * @param context the context that decoded
     * @param batchIndex the entry (negative counts from the end)
     * @return the chosen token id
     * @throws NoAcceptableTokenException if the grammar (with the logit bias) allows no token; nothing is accepted
     * @throws IllegalStateException if the context is in use by another thread, closed, or has no logits there
     * @throws LlamaException if the logits hold NaN or an infinity
     */
    public int sample(Context context, int batchIndex) {
        handle();
        if (context.model() != model) {
            throw new IllegalArgumentException(
                    "the context belongs to model " + context.model().path().getFileName() + ", this sampler to "
                            + model.path().getFileName());
        }
        return context.withLogits(batchIndex, (i, row) -> {
            for (int k = 0; k < nVocab; k++) {
                float v = row.getAtIndex(ValueLayout.JAVA_FLOAT, k);
                if (!Float.isFinite(v)) {
                    throw context.nonFinite("logit", v, k, i);
                }
                fill(k, v);
            }
            resetArray(nVocab);
            if (!preEmpty) {
                llama_h.llama_sampler_apply(pre.get(), array);
            }
            if (grammar != null) {
                llama_h.llama_sampler_apply(grammar.get(), array);
            }
            if (firstAllowed() < 0) {
                throw new NoAcceptableTokenException(
                        grammar != null
                                ? "the grammar accepts no further token (its end is reached, or it needs text no token of the"
                                        + " vocabulary spells)" + (preEmpty ? "" : " among those the logit bias allows")
                                : "the logit bias forbids every token");
            }
            llama_h.llama_sampler_apply(post.get(), array);
            long size = llama_token_data_array.size(array);
            long sel = llama_token_data_array.selected(array);
            if (sel < 0 || sel >= size) {
                throw new LlamaException("the sampler chain selected no token (selected " + sel + " of " + size + ")");
            }
            MemorySegment d = llama_token_data_array.data(array).reinterpret(size * llama_token_data.sizeof());
            MemorySegment chosen = llama_token_data.asSlice(d, sel);
            if (llama_token_data.logit(chosen) == Float.NEGATIVE_INFINITY) {
                throw new NoAcceptableTokenException(
                        "the sampler chain chose a token that the grammar or bias forbids");
            }
            int token = llama_token_data.id(chosen);
            llama_h.llama_sampler_accept(pre.get(), token);
            if (grammar != null) {
                llama_h.llama_sampler_accept(grammar.get(), token);
            }
            llama_h.llama_sampler_accept(post.get(), token);
            return token;
        });
    }

    private void handle() {
        pre.get(); // throws if closed
    }

    /**
     * Tells the penalties a token is part of the recent text without having been sampled here (the prompt). Only the
     * penalty stage sees it: a grammar accepts only tokens it allowed (llama.cpp's grammar throws a C++ exception, which
     * aborts the process, on any other token), and it sees every token {@link #sample} returns.
     *
     * @param token the token
     */
    public void accept(int token) {
        vocabulary.checkToken(token);
        handle();
        if (!penalties.equals(MemorySegment.NULL)) {
            llama_h.llama_sampler_accept(penalties, token);
        }
    }

    /** Forgets accepted tokens (penalties, grammar state). */
    public void reset() {
        llama_h.llama_sampler_reset(pre.get());
        llama_h.llama_sampler_reset(post.get());
        if (grammar != null) {
            // the grammar's reset parses it again against the vocabulary: the model must stay open meanwhile
            model.use(m -> {
                llama_h.llama_sampler_reset(grammar.get());
                return null;
            });
        }
    }

    /**
     * @return the options it was built from
     */
    public SamplerOptions options() {
        return options;
    }

    /** Frees the chain; idempotent. */
    @Override
    public void close() {
        if (pre.isClosed()) {
            return;
        }
        pre.close();
        post.close();
        if (grammar != null) {
            grammar.close();
        }
    }
}
