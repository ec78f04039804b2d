package dev.winnow.runtime.lab;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.Sampler;
import dev.winnow.runtime.SamplerOptions;
import dev.winnow.runtime.Taps;
import dev.winnow.runtime.TensorListener;
import dev.winnow.runtime.TensorSelector;
import dev.winnow.runtime.TensorView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Runs interpretability experiments on a loaded model: one context with taps on, flash attention off (so {@code
 * kq_soft_max-L} exists) and an F32 KV cache, in which every prompt is decoded alone in a fresh cache with every
 * position as an output (the last layer then keeps every row). One thread at a time, like a {@link Context}.
 *
 * <p>Each experiment is a number of plain forward passes of the prompt with taps (reads) or interventions (writes)
 * at llama.cpp tensor names; the Javadoc of each says how many. Prompts are token arrays ({@link #tokenize} adds
 * BOS as the model's vocabulary says), at most {@link #maxTokens()} long.
 */
public final class Lab implements AutoCloseable {
    /** The default bound of an {@link ActivationCache}: 1 GiB. */
    public static final long DEFAULT_CACHE_LIMIT = 1L << 30;

    private final Model model;
    private final Context ctx;
    private final Batch batch;
    private final int maxTokens;
    private final int nLayer;
    private final int nHead;
    private final int nEmbd;
    private long passes;

    private Lab(Model model, int maxTokens, int threads) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        this.model = model;
        this.maxTokens = maxTokens;
        this.nLayer = model.layerCount();
        this.nHead = model.headCount();
        this.nEmbd = model.embeddingSize();
        int nCtx = Math.max(256, (maxTokens + 255) / 256 * 256);
        this.ctx = model.newContext(ContextOptions.defaults()
                .withContextSize(nCtx)
                .withBatchSize(nCtx)
                .withUbatchSize(nCtx)
                .withFlashAttention(FlashAttention.DISABLED)
                .withKvTypes(GgmlType.F32, GgmlType.F32)
                .withThreads(threads)
                .withTaps(true));
        this.batch = Batch.allocate(maxTokens, 1);
    }

    /**
     * @param model a loaded model (decoder, llama.cpp graph with the llama tensor names: llama, qwen2, mistral, ...)
     * @param maxTokens the longest prompt
     * @param threads llama.cpp threads
     * @return a lab with its own context (close it before the model)
     */
    public static Lab open(Model model, int maxTokens, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        return new Lab(model, maxTokens, threads);
    }

    /**
     * Attaches a cancellation token to the lab's context: a cancelled token stops the decode in progress (llama.cpp's
     * abort callback) and the experiment ends with a {@link java.util.concurrent.CancellationException}.
     *
     * @param token the token, or null to remove it
     */
    public void cancellation(Cancellation token) {
        ctx.cancellation(token);
    }

    /**
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * @return the longest prompt the lab takes
     */
    public int maxTokens() {
        return maxTokens;
    }

    /**
     * @return forward passes run so far (for cost reports)
     */
    public long passes() {
        return passes;
    }

    /**
     * @param text prompt text
     * @return its tokens, BOS first when the vocabulary adds one
     */
    public int[] tokenize(String text) {
        return model.vocabulary().tokenize(text);
    }

    /**
     * @param text the text of one token, e.g. " cat"
     * @return its id
     * @throws IllegalArgumentException if the text is not exactly one token
     */
    public int token(String text) {
        var vocab = model.vocabulary();
        int[] t = vocab.tokenize(text, false, false);
        if (t.length == 1) {
            return t[0];
        }
        // SentencePiece vocabularies put a space before the text ("▁Tim"): look for the piece itself
        byte[] want = text.getBytes(StandardCharsets.UTF_8);
        for (int id = 0; id < vocab.size(); id++) {
            if (Arrays.equals(want, vocab.piece(id, false))) {
                return id;
            }
        }
        throw new IllegalArgumentException(
                "'" + text + "' is " + t.length + " tokens " + Arrays.toString(t) + ", not one token");
    }

    // ---------------------------------------------------------------- activation cache

    /**
     * Runs each prompt once and keeps the activations whose names match the globs ({@code "l_out-*"}, {@code
     * "kq_soft_max-3"}, {@code "ffn_swiglu-*"}; see {@link TensorSelector}). Views and copies llama.cpp names with a
     * suffix ({@code "Qcur-0 (view) (permuted)"}) are left out unless the glob itself has a parenthesis; a name that
     * several nodes compute keeps the last ({@code Qcur-L}: after RoPE). One forward pass per prompt.
     *
     * @param prompts token arrays
     * @param globs llama.cpp tensor name globs
     * @param limitBytes the most the cache may hold off-heap
     * @return the cache (close it)
     * @throws IllegalStateException if the activations pass the limit (the partial cache is freed)
     */
    public ActivationCache cache(List<int[]> prompts, List<String> globs, long limitBytes) {
        if (globs.isEmpty()) {
            throw new IllegalArgumentException("no tensor name globs to cache");
        }
        ActivationCache cache = new ActivationCache(limitBytes);
        try {
            for (int i = 0; i < prompts.size(); i++) {
                int[] tokens = prompts.get(i);
                check(tokens, "prompt " + i);
                int p = cache.beginPrompt(tokens);
                List<Sub> subs = new ArrayList<>();
                for (String g : globs) {
                    boolean views = g.contains("(");
                    subs.add(new Sub(
                            TensorSelector.name(g),
                            v -> {
                                if (views || !v.name().contains(" (")) {
                                    cache.store(p, v);
                                }
                            },
                            false));
                }
                run(tokens, subs);
            }
            return cache;
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- logit lens

    /**
     * The logit lens of a prompt: {@link #layers()} forward passes (one capturing {@code l_out-*}, then one per layer
     * but the last, each writing {@code l_out-L} into the last layer's output so llama.cpp's final norm and output
     * matrix read it).
     *
     * @param tokens the prompt
     * @param target a token to follow (rank, probability), or -1
     * @return the lens
     */
    public LogitLens logitLens(int[] tokens, int target) {
        check(tokens, "prompt");
        if (target < -1 || target >= model.vocabulary().size()) {
            throw new IllegalArgumentException("target token " + target + " outside the vocabulary [0, "
                    + model.vocabulary().size() + ") (or -1 for none)");
        }
        int n = tokens.length;
        float[][] resid = new float[nLayer][];
        float[][][] logits = new float[nLayer][][];
        run(
                tokens,
                List.of(new Sub(TensorSelector.name("l_out-*"), v -> resid[v.layer()] = dense(v, nEmbd, n), false)));
        logits[nLayer - 1] = allLogits(n);
        TensorSelector last = TensorSelector.name("l_out-" + (nLayer - 1));
        for (int l = 0; l < nLayer - 1; l++) {
            float[] src = resid[l];
            run(
                    tokens,
                    List.of(new Sub(
                            last,
                            v -> {
                                for (int p = 0; p < n; p++) {
                                    writeColumn(v, src, nEmbd, n, p, 0, nEmbd);
                                }
                            },
                            true)));
            logits[l] = allLogits(n);
        }
        return new LogitLens(tokens.clone(), target, logits, model.vocabulary());
    }

    // ---------------------------------------------------------------- patching

    /**
     * Activation patching from a clean into a corrupted prompt of the same token length. For {@link
     * PatchSite#RESIDUAL}, {@link PatchSite#ATTENTION} and {@link PatchSite#FFN}: {@code 2 + layers x positions}
     * forward passes, one site at one position each. For {@link PatchSite#HEAD}: {@code 2 + layers x heads}, one
     * head at every position each.
     *
     * @param clean the clean prompt
     * @param corrupt the corrupted prompt (same length)
     * @param target the token the clean prompt favours
     * @param distractor the token the corrupted prompt favours
     * @param site where to patch
     * @return LD and recovery per layer and position (or head)
     */
    public PatchingResult patch(int[] clean, int[] corrupt, int target, int distractor, PatchSite site) {
        check(clean, "clean prompt");
        check(corrupt, "corrupted prompt");
        if (clean.length != corrupt.length) {
            throw new IllegalArgumentException("clean prompt has " + clean.length + " tokens, corrupted prompt "
                    + corrupt.length + ": patching needs prompts of the same token length");
        }
        checkToken(target, "target");
        checkToken(distractor, "distractor");
        int n = clean.length;
        float[][] src = capture(clean, site);
        double ldClean = ld(n - 1, target, distractor);
        run(corrupt, List.of());
        double ldCorrupt = ld(n - 1, target, distractor);
        int cols = site == PatchSite.HEAD ? nHead : n;
        int hd = nEmbd / nHead;
        double[][] ld = new double[nLayer][cols];
        for (int l = 0; l < nLayer; l++) {
            TensorSelector sel = selector(site, l);
            float[] s = src[l];
            for (int c = 0; c < cols; c++) {
                int col = c;
                TensorListener edit = site == PatchSite.HEAD
                        ? v -> {
                            for (int p = 0; p < n; p++) {
                                writeColumn(v, s, nEmbd, n, p, col * hd, hd);
                            }
                        }
                        : v -> writeColumn(v, s, nEmbd, n, col, 0, nEmbd);
                run(corrupt, List.of(new Sub(sel, edit, true)));
                ld[l][c] = ld(n - 1, target, distractor);
            }
        }
        return new PatchingResult(site, target, distractor, ldClean, ldCorrupt, ld);
    }

    // ---------------------------------------------------------------- ablation

    /**
     * Ablates each head in turn (its {@code kqv_out-L} slice at every position) and measures the logit difference:
     * {@code 1 + layers x heads} forward passes, plus one per reference prompt for {@link AblationMode#MEAN}.
     *
     * @param tokens the prompt
     * @param target target token
     * @param distractor distractor token
     * @param mode zero or mean
     * @param reference prompts whose mean head outputs replace the head's ({@link AblationMode#MEAN}; ignored for
     *     ZERO)
     * @return LD per layer and head
     */
    public AblationResult ablateHeads(
            int[] tokens, int target, int distractor, AblationMode mode, List<int[]> reference) {
        check(tokens, "prompt");
        checkToken(target, "target");
        checkToken(distractor, "distractor");
        int n = tokens.length;
        float[][] means = new float[nLayer][nEmbd];
        if (mode == AblationMode.MEAN) {
            if (reference == null || reference.isEmpty()) {
                throw new IllegalArgumentException("mean ablation needs at least one reference prompt");
            }
            meanHeadOutputs(reference, means);
        }
        run(tokens, List.of());
        double ldClean = ld(n - 1, target, distractor);
        int hd = nEmbd / nHead;
        double[][] ld = new double[nLayer][nHead];
        for (int l = 0; l < nLayer; l++) {
            TensorSelector sel = TensorSelector.name("kqv_out-" + l);
            float[] m = means[l];
            for (int h = 0; h < nHead; h++) {
                int head = h;
                run(
                        tokens,
                        List.of(new Sub(
                                sel,
                                v -> {
                                    checkShape(v, nEmbd, n);
                                    for (int p = 0; p < n; p++) {
                                        for (int i = head * hd; i < (head + 1) * hd; i++) {
                                            v.set(i, p, 0, 0, m[i]);
                                        }
                                    }
                                },
                                true)));
                ld[l][h] = ld(n - 1, target, distractor);
            }
        }
        return new AblationResult(mode, ldClean, ld);
    }

    /**
     * The mean of every layer's {@code kqv_out-L} over every token of the reference prompts (what {@link
     * AblationMode#MEAN} writes).
     *
     * @param reference prompts
     * @return [layer][n_embd] means (heads concatenated)
     */
    public float[][] meanHeadOutputs(List<int[]> reference) {
        float[][] means = new float[nLayer][nEmbd];
        meanHeadOutputs(reference, means);
        return means;
    }

    private void meanHeadOutputs(List<int[]> reference, float[][] means) {
        double[][] sum = new double[nLayer][nEmbd];
        long count = 0;
        for (int r = 0; r < reference.size(); r++) {
            int[] ref = reference.get(r);
            check(ref, "reference prompt " + r);
            int rn = ref.length;
            run(
                    ref,
                    List.of(new Sub(
                            TensorSelector.name("kqv_out-*"),
                            v -> {
                                float[] d = dense(v, nEmbd, rn);
                                for (int p = 0; p < rn; p++) {
                                    for (int i = 0; i < nEmbd; i++) {
                                        sum[v.layer()][i] += d[p * nEmbd + i];
                                    }
                                }
                            },
                            false)));
            count += rn;
        }
        for (int l = 0; l < nLayer; l++) {
            for (int i = 0; i < nEmbd; i++) {
                means[l][i] = (float) (sum[l][i] / count);
            }
        }
    }

    // ---------------------------------------------------------------- induction heads

    /**
     * Induction-head scores on repeated random tokens (see {@link InductionResult}): per sequence one pass capturing
     * {@code kq_soft_max-*} and {@code layers x heads} passes with one head zero-ablated, so {@code sequences x (1 +
     * layers x heads)} forward passes.
     *
     * @param length T, tokens per copy (2 T + 1 with BOS must fit {@link #maxTokens()})
     * @param sequences how many random sequences to average over
     * @param seed the random seed (tokens are drawn uniformly from the non-control tokens)
     * @return the scores
     */
    public InductionResult induction(int length, int sequences, long seed) {
        if (length < 2 || sequences < 1) {
            throw new IllegalArgumentException("induction needs length >= 2 and sequences >= 1, got length " + length
                    + ", sequences " + sequences);
        }
        var vocab = model.vocabulary();
        int o = vocab.addsBos() && vocab.bos() >= 0 ? 1 : 0;
        int n = o + 2 * length;
        if (n > maxTokens) {
            throw new IllegalArgumentException("induction of length " + length + " needs " + n
                    + " tokens, more than this lab's maxTokens " + maxTokens);
        }
        List<Integer> pool = new ArrayList<>();
        for (int t = 0; t < vocab.size(); t++) {
            if (!vocab.isControl(t) && t != vocab.bos() && t != vocab.eos() && !vocab.isEndOfGeneration(t)) {
                pool.add(t);
            }
        }
        Random rnd = new Random(seed);
        int hd = nEmbd / nHead;
        double[][] prefix = new double[nLayer][nHead];
        double[][] copy = new double[nLayer][nHead];
        List<int[]> used = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            int[] tokens = new int[n];
            if (o == 1) {
                tokens[0] = vocab.bos();
            }
            for (int j = 0; j < length; j++) {
                tokens[o + j] = pool.get(rnd.nextInt(pool.size()));
                tokens[o + length + j] = tokens[o + j];
            }
            used.add(tokens);
            run(
                    tokens,
                    List.of(new Sub(
                            TensorSelector.name("kq_soft_max-*"),
                            v -> {
                                for (int h = 0; h < nHead; h++) {
                                    double sum = 0;
                                    for (int j = 0; j < length; j++) {
                                        int q = o + length + j;
                                        sum += v.get(q - length + 1, q, h, 0);
                                    }
                                    prefix[v.layer()][h] += sum / length / sequences;
                                }
                            },
                            false)));
            float[][] base = allLogits(n);
            for (int l = 0; l < nLayer; l++) {
                TensorSelector sel = TensorSelector.name("kqv_out-" + l);
                for (int h = 0; h < nHead; h++) {
                    int head = h;
                    run(
                            tokens,
                            List.of(new Sub(
                                    sel,
                                    v -> {
                                        checkShape(v, nEmbd, n);
                                        for (int p = 0; p < n; p++) {
                                            for (int i = head * hd; i < (head + 1) * hd; i++) {
                                                v.set(i, p, 0, 0, 0f);
                                            }
                                        }
                                    },
                                    true)));
                    double sum = 0;
                    for (int j = 0; j < length - 1; j++) {
                        int q = o + length + j;
                        int next = tokens[q + 1];
                        sum += (double) base[q][next] - ctx.logitsCopy(q)[next];
                    }
                    copy[l][h] += sum / (length - 1) / sequences;
                }
            }
        }
        return new InductionResult(length, used, prefix, copy);
    }

    // ---------------------------------------------------------------- steering

    /**
     * A steering direction from two prompt sets: per layer, the mean {@code l_out-L} at the last token of the positive
     * prompts minus that of the negative prompts. One forward pass per prompt.
     *
     * @param positive prompts showing the behaviour to add
     * @param negative prompts showing its opposite
     * @return the directions of every layer
     */
    public SteeringVector steeringVector(List<int[]> positive, List<int[]> negative) {
        if (positive.isEmpty() || negative.isEmpty()) {
            throw new IllegalArgumentException(
                    "steering needs positive and negative prompts, got " + positive.size() + " and " + negative.size());
        }
        double[][] pos = meanLastResidual(positive, "positive prompt ");
        double[][] neg = meanLastResidual(negative, "negative prompt ");
        float[][] dir = new float[nLayer][nEmbd];
        for (int l = 0; l < nLayer; l++) {
            for (int i = 0; i < nEmbd; i++) {
                dir[l][i] = (float) (pos[l][i] - neg[l][i]);
            }
        }
        return new SteeringVector(dir, model.architecture());
    }

    private double[][] meanLastResidual(List<int[]> prompts, String what) {
        double[][] sum = new double[nLayer][nEmbd];
        for (int k = 0; k < prompts.size(); k++) {
            int[] t = prompts.get(k);
            check(t, what + k);
            int n = t.length;
            run(
                    t,
                    List.of(new Sub(
                            TensorSelector.name("l_out-*"),
                            v -> {
                                float[] d = dense(v, nEmbd, n);
                                for (int i = 0; i < nEmbd; i++) {
                                    sum[v.layer()][i] += d[(n - 1) * nEmbd + i] / prompts.size();
                                }
                            },
                            false)));
        }
        return sum;
    }

    /**
     * The logits of every position with a control vector applied ({@code llama_set_adapter_cvec}, removed again
     * afterwards): one forward pass.
     *
     * @param tokens the prompt
     * @param controlVector n_embd x (n_layer - 1) floats, layer 1 first ({@link SteeringVector#controlVector})
     * @return [position][token] logits
     */
    public float[][] steeredLogits(int[] tokens, float[] controlVector) {
        check(tokens, "prompt");
        ctx.setControlVector(controlVector, 1, nLayer - 1);
        try {
            run(tokens, List.of());
            return allLogits(tokens.length);
        } finally {
            ctx.clearControlVector();
        }
    }

    // ---------------------------------------------------------------- output signatures

    /**
     * Generates from a prompt and records each step's output signature (top-k, entropy, the chosen token's rank): one
     * prompt pass, then one single-token decode per step in the same KV cache. Stops early at an end-of-generation
     * token (its step is recorded) or when the lab's {@link #maxTokens()} is reached.
     *
     * @param tokens the prompt
     * @param steps the most tokens to generate
     * @param k top tokens per step
     * @param sampling how to choose ({@link dev.winnow.runtime.SamplerOptions#greedy()} or {@code sampling(temp, seed)})
     * @return one signature per generated token
     */
    public List<OutputSignature> signatures(int[] tokens, int steps, int k, SamplerOptions sampling) {
        check(tokens, "prompt");
        if (steps < 1 || k < 1) {
            throw new IllegalArgumentException("signatures need steps >= 1 and k >= 1, got " + steps + ", " + k);
        }
        var vocab = model.vocabulary();
        List<OutputSignature> out = new ArrayList<>();
        try (Sampler sampler = new Sampler(model, sampling)) {
            run(tokens, List.of());
            int pos = tokens.length;
            int index = tokens.length - 1;
            for (int step = 0; step < steps; step++) {
                float[] logits = ctx.logitsCopy(index);
                int chosen = sampler.sample(ctx, index);
                double[] p = LogitLens.softmax(logits);
                double entropy = 0;
                for (double x : p) {
                    if (x > 0) {
                        entropy -= x * Math.log(x);
                    }
                }
                LogitLens one = new LogitLens(new int[] {chosen}, chosen, new float[][][] {{logits}}, vocab);
                out.add(new OutputSignature(
                        step,
                        pos,
                        chosen,
                        vocab.text(chosen),
                        one.rank(0, 0, chosen),
                        p[chosen],
                        entropy,
                        one.top(0, 0, k)));
                if (vocab.isEndOfGeneration(chosen) || pos >= maxTokens) {
                    break;
                }
                batch.clear();
                batch.add(chosen, pos, 0, true);
                ctx.decode(batch);
                passes++;
                pos++;
                index = 0;
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * @return the model's layers
     */
    public int layers() {
        return nLayer;
    }

    /**
     * @return the model's attention heads per layer
     */
    public int heads() {
        return nHead;
    }

    /**
     * Runs one plain forward pass and returns the logits of every position.
     *
     * @param tokens the prompt
     * @return [position][token] logits
     */
    public float[][] logits(int[] tokens) {
        check(tokens, "prompt");
        run(tokens, List.of());
        return allLogits(tokens.length);
    }

    /**
     * The model's top token after the prompt (one forward pass), e.g. a default target.
     *
     * @param tokens the prompt
     * @param except a token to pass over (the next best is returned instead), or -1
     * @return the token of highest logit at the last position
     */
    public int topToken(int[] tokens, int except) {
        float[] l = logits(tokens)[tokens.length - 1];
        int best = -1;
        for (int i = 0; i < l.length; i++) {
            if (i != except && (best < 0 || l[i] > l[best])) {
                best = i;
            }
        }
        return best;
    }

    private float[][] capture(int[] tokens, PatchSite site) {
        int n = tokens.length;
        float[][] out = new float[nLayer][];
        TensorSelector all = new TensorSelector(site.tensorName(0).replace("-0", "-*"), site.op());
        run(tokens, List.of(new Sub(all, v -> out[v.layer()] = dense(v, nEmbd, n), false)));
        for (int l = 0; l < nLayer; l++) {
            if (out[l] == null) {
                throw new IllegalStateException("model " + model.path().getFileName() + " computed no "
                        + site.tensorName(l) + " (not a llama-type graph?)");
            }
        }
        return out;
    }

    private static TensorSelector selector(PatchSite site, int layer) {
        return new TensorSelector(site.tensorName(layer), site.op());
    }

    private double ld(int position, int target, int distractor) {
        float[] l = ctx.logitsCopy(position);
        return (double) l[target] - l[distractor];
    }

    private float[][] allLogits(int n) {
        float[][] out = new float[n][];
        for (int p = 0; p < n; p++) {
            out[p] = ctx.logitsCopy(p);
        }
        return out;
    }

    private void check(int[] tokens, String what) {
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException(what + " is empty");
        }
        if (tokens.length > maxTokens) {
            throw new IllegalArgumentException(
                    what + " has " + tokens.length + " tokens, more than this lab's maxTokens " + maxTokens);
        }
    }

    private void checkToken(int token, String what) {
        int v = model.vocabulary().size();
        if (token < 0 || token >= v) {
            throw new IllegalArgumentException(what + " token " + token + " outside the vocabulary [0, " + v + ")");
        }
    }

    private record Sub(TensorSelector selector, TensorListener listener, boolean writable) {}

    /** One forward pass of tokens in a fresh cache, every position an output, with the given taps. */
    private void run(int[] tokens, List<Sub> subs) {
        ctx.kvCache().clear(false);
        batch.clear();
        for (int i = 0; i < tokens.length; i++) {
            batch.add(tokens[i], i, 0, true);
        }
        Taps taps = ctx.taps();
        List<Taps.Subscription> open = new ArrayList<>();
        try {
            for (Sub s : subs) {
                open.add(s.writable ? taps.intervene(s.selector, s.listener) : taps.tap(s.selector, s.listener));
            }
            ctx.decode(batch);
            passes++;
        } finally {
            for (Taps.Subscription s : open) {
                s.close();
            }
        }
    }

    static void checkShape(TensorView v, int dim, int n) {
        if (v.ne(0) != dim || v.ne(1) != n || v.ne(2) != 1 || v.ne(3) != 1) {
            throw new IllegalStateException("tensor " + v + " is not [" + dim + ", " + n + "] as the lab expects");
        }
    }

    /** A [dim, n] F32 tensor as a dense array, token-major (token p at [p * dim, (p + 1) * dim)). */
    static float[] dense(TensorView v, int dim, int n) {
        checkShape(v, dim, n);
        return v.toFloatArray();
    }

    /** Writes src's column (token) p, rows [from, from + len), into the [dim, n] view. */
    static void writeColumn(TensorView v, float[] src, int dim, int n, int p, int from, int len) {
        checkShape(v, dim, n);
        for (int i = from; i < from + len; i++) {
            v.set(i, p, 0, 0, src[p * dim + i]);
        }
    }

    /** Closes the lab's context. */
    @Override
    public void close() {
        try {
            batch.close();
        } finally {
            ctx.close();
        }
    }
}
