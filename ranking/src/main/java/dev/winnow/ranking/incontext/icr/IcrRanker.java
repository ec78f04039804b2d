package dev.winnow.ranking.incontext.icr;

import dev.winnow.ranking.incontext.AbortCheck;
import dev.winnow.ranking.incontext.AttentionDetail;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.ranking.incontext.capture.FloatRows;
import dev.winnow.ranking.incontext.capture.QkCapture;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.ranking.incontext.score.IcrAttention;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Model;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * In-context re-ranking, ICR (Chen et al. 2024, "Attention in Large Language Models Yields Efficient Zero-Shot
 * Re-Rankers"), zero-shot: an ordinary causal prompt (instruction without the query, the documents, then the query
 * block), the attention from every query-block token to every document token summed over all layers and heads
 * (averaged over the query tokens), minus the same with the content-free query "N/A", which reuses the documents' KV
 * cache (the query's cells are removed and "N/A" decoded at the same positions); calibrated token scores below
 * mean - 2 std are dropped, a document scores the sum of the rest ({@link IcrAttention}).
 *
 * <p>Attention is computed Java-side from the post-RoPE Q and K of every layer captured while llama.cpp decodes with
 * flash attention as configured; the graph stops after the last layer's Q/K.
 *
 * <p>The abort check is polled before every decode of {@code batchTokens} tokens and each query block, and inside
 * decodes by llama.cpp; a cancelled call clears the KV cache and the captured rows.
 */
public final class IcrRanker implements InContextRanker {

    /** The content-free calibration query of ICR. */
    public static final String CONTENT_FREE_QUERY = "N/A";

    private final Model model;
    private final InContextOptions options;
    private final ModelTokenizer tokenizer;
    private final PromptBuilder prompts;
    private final int[] layers;
    private final boolean reuseDocumentCache;
    private Context context;
    private QkCapture capture;
    private Batch batch;

    /**
     * @param model   a causal language model with a Llama-type graph
     * @param options settings (scoring layer and signal tokens are not used: ICR reads every layer)
     */
    public IcrRanker(Model model, InContextOptions options) {
        this(model, options, true);
    }

    /**
     * @param reuseDocumentCache false re-decodes instruction and documents for the calibration query (two full
     *                           passes; for tests and comparison)
     */
    IcrRanker(Model model, InContextOptions options, boolean reuseDocumentCache) {
        this.model = model;
        this.options = options;
        this.tokenizer = new ModelTokenizer(model.vocabulary());
        PromptFamily family = options.family() != null ? options.family()
                : PromptFamily.detect(model.chatTemplate().orElse(null));
        this.prompts = new PromptBuilder(tokenizer, family, options.wording(), options.documentTokenBudget(),
                options.queryTokenBudget());
        this.layers = options.withSumOverLayers(true).layers(model.layerCount());
        this.reuseDocumentCache = reuseDocumentCache;
    }

    @Override
    public String name() {
        return "icr";
    }

    @Override
    public Ranking rank(String query, List<Candidate> candidates, BooleanSupplier abort) {
        AbortCheck check = new AbortCheck(abort);
        long start = System.nanoTime();
        List<Candidate> ordered = Rankings.canonicalOrder(candidates);
        PromptLayout layout = prompts.queryLast(query, ordered);
        PromptLayout.Block contentFree = prompts.queryBlock(CONTENT_FREE_QUERY);
        int prefix = layout.instruction().length() + layout.documentTokens();
        if (prefix + Math.max(layout.query().length(), contentFree.length()) > options.maxPromptCells()) {
            throw new IllegalArgumentException("ICR prompt of " + layout.totalTokens() + " tokens exceeds maxPromptCells "
                    + options.maxPromptCells() + ": rank fewer candidates or lower the document token budget");
        }
        int[] tokens = Arrays.copyOf(layout.instruction().tokens(), prefix);
        int[] docStart = new int[ordered.size()];
        int[] docLength = new int[ordered.size()];
        int at = layout.instruction().length();
        for (int d = 0; d < ordered.size(); d++) {
            int[] t = layout.documents().get(d).tokens();
            System.arraycopy(t, 0, tokens, at, t.length);
            docStart[d] = at;
            docLength[d] = t.length;
            at += t.length;
        }
        int batchTokens = Math.max(options.batchTokens(), Math.max(layout.query().length(), contentFree.length()));
        ensureContext(prefix + Math.max(layout.query().length(), contentFree.length()), batchTokens);
        check.attach(context);
        long before = context.evaluatedTokens();
        context.kvCache().clear(false);
        capture.clear();

        double[] real;
        double[] free;
        try {
            decodePrefix(tokens, batchTokens, check);
            check.throwIfAborted("before the query block");
            real = queryAttention(prefix, layout.query().tokens());
            if (reuseDocumentCache) {
                context.kvCache().removeSequence(0, prefix, -1);
                truncateKeys(prefix);
            } else {
                context.kvCache().clear(false);
                capture.clear();
                decodePrefix(tokens, batchTokens, check);
            }
            check.throwIfAborted("before the content-free query block");
            free = queryAttention(prefix, contentFree.tokens());
        } catch (CancellationException e) {
            context.kvCache().clear(false);
            capture.clear();
            throw e;
        } finally {
            AbortCheck.detach(context);
        }
        IcrAttention.Scores s = IcrAttention.calibrate(real, free, docStart, docLength);
        capture.clear();

        AttentionDetail[] details = new AttentionDetail[ordered.size()];
        for (int d = 0; d < details.length; d++) {
            int[] t = layout.documents().get(d).tokens();
            String[] pieces = new String[t.length];
            for (int i = 0; i < t.length; i++) {
                pieces[i] = tokenizer.piece(t[i]);
            }
            details[d] = new AttentionDetail(t, pieces, s.tokenWeights()[d]);
        }
        long evaluated = context.evaluatedTokens() - before;
        return new Ranking(query, name(), Rankings.assemble(ordered, s.scores(), details),
                new Ranking.Stats(evaluated, layout.totalTokens() + contentFree.length(), 1,
                        layout.truncatedDocuments(), System.nanoTime() - start));
    }

    private void decodePrefix(int[] tokens, int batchTokens, AbortCheck check) {
        for (int s = 0; s < tokens.length; s += batchTokens) {
            check.throwIfAborted("after " + s + " of " + tokens.length + " prompt tokens");
            int e = Math.min(tokens.length, s + batchTokens);
            batch.clear();
            batch.addSequence(Arrays.copyOfRange(tokens, s, e), s, 0, false);
            capture.begin(false, true, true);
            context.decode(batch);
            capture.end();
        }
    }

    /** Decodes a query block after the prefix; returns the attention per key summed over layers and heads. */
    private double[] queryAttention(int prefix, int[] queryTokens) {
        batch.clear();
        batch.addSequence(queryTokens, prefix, 0, false);
        capture.begin(true, true, true);
        context.decode(batch);
        capture.end();
        int nq = queryTokens.length;
        int[] qKey = new int[nq];
        for (int i = 0; i < nq; i++) {
            qKey[i] = prefix + i;
        }
        double[] into = new double[prefix + nq];
        for (int l = 0; l < layers.length; l++) {
            FloatRows k = capture.keys(l);
            IcrAttention.accumulate(capture.shape(l, capture), capture.queries(l).copyRows(0, nq), nq, qKey,
                    k.copyRows(0, k.rows()), into);
        }
        return into;
    }

    private void truncateKeys(int prefix) {
        for (int l = 0; l < layers.length; l++) {
            capture.keys(l).truncate(prefix);
            capture.queries(l).clear();
        }
    }

    private void ensureContext(int cells, int batchTokens) {
        if (context != null && context.contextSize() >= cells && context.batchSize() >= batchTokens) {
            return;
        }
        close();
        context = model.newContext(ContextOptions.defaults()
                .withContextSize((cells + 255) / 256 * 256)
                .withBatchSize(batchTokens)
                .withThreads(options.threads())
                .withFlashAttention(options.flashAttention() ? FlashAttention.ENABLED : FlashAttention.DISABLED)
                .withKvTypes(options.kvType(), options.kvType())
                .withTaps(true));
        capture = new QkCapture(context, layers);
        batch = Batch.allocate(batchTokens, 1);
    }

    @Override
    public void close() {
        if (capture != null) {
            capture.close();
            capture = null;
        }
        if (context != null) {
            context.close();
            context = null;
        }
        if (batch != null) {
            batch.close();
            batch = null;
        }
    }
}
