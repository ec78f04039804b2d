package dev.winnow.ranking.incontext.blockrank;

import dev.winnow.ranking.incontext.AbortCheck;
import dev.winnow.ranking.incontext.AttentionDetail;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.ranking.incontext.capture.QkCapture;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.ranking.incontext.score.SignalAttention;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Full-attention listwise ranking: BlockRank's prompt with ordinary causal attention (every document sees the
 * instruction and all documents before it; cost grows quadratically with the number of documents) and BlockRank's
 * score (the signal token's attention at the scoring layer, renormalised over document tokens, averaged over heads,
 * summed per document). Flash attention and early exit as configured: it is the efficiency baseline of the BlockRank
 * benchmark. Candidates beyond {@code maxPromptCells} are ranked in windows merged as in {@link BlockRankRanker}.
 * The abort check is polled before every window and every decode of {@code batchTokens} tokens, and inside decodes
 * by llama.cpp; a cancelled call clears the KV cache and the captured rows.
 */
public final class ListwiseRanker implements InContextRanker {

    private final Model model;
    private final InContextOptions options;
    private final ModelTokenizer tokenizer;
    private final PromptBuilder prompts;
    private final int[] layers;
    private Context context;
    private QkCapture capture;
    private Batch batch;

    /**
     * @param model   a causal language model with a Llama-type graph
     * @param options settings
     */
    public ListwiseRanker(Model model, InContextOptions options) {
        this.model = model;
        this.options = options;
        this.tokenizer = new ModelTokenizer(model.vocabulary());
        PromptFamily family = options.family() != null ? options.family()
                : PromptFamily.detect(model.chatTemplate().orElse(null));
        this.prompts = new PromptBuilder(tokenizer, family, options.wording(), options.documentTokenBudget(),
                options.queryTokenBudget());
        this.layers = options.layers(model.layerCount());
    }

    @Override
    public String name() {
        return "listwise";
    }

    @Override
    public Ranking rank(String query, List<Candidate> candidates, BooleanSupplier abort) {
        AbortCheck check = new AbortCheck(abort);
        long start = System.nanoTime();
        List<Candidate> ordered = Rankings.canonicalOrder(candidates);
        PromptLayout full = prompts.blockRank(query, ordered);
        int n = ordered.size();
        List<List<SignalAttention.DocumentLogits>> perLayer = new ArrayList<>();
        for (int l = 0; l < layers.length; l++) {
            perLayer.add(new ArrayList<>(Arrays.asList(new SignalAttention.DocumentLogits[n])));
        }
        int fixed = full.instruction().length() + full.query().length();
        long evaluated = 0;
        int windows = 0;
        int first = 0;
        while (first < n) {
            int last = first;
            int used = fixed;
            while (last < n && used + full.documents().get(last).length() <= options.maxPromptCells()) {
                used += full.documents().get(last).length();
                last++;
            }
            if (last == first) {
                throw new IllegalArgumentException("document " + (first + 1) + " does not fit maxPromptCells "
                        + options.maxPromptCells() + " beside instruction and query (" + fixed + " tokens)");
            }
            check.throwIfAborted("after " + first + " of " + n + " documents");
            try {
                evaluated += runWindow(full, first, last, perLayer, check);
            } catch (CancellationException e) {
                context.kvCache().clear(false);
                capture.clear();
                throw e;
            } finally {
                AbortCheck.detach(context);
            }
            windows++;
            first = last;
        }
        double[] scores = new double[n];
        float[][] weights = new float[n][];
        for (int l = 0; l < layers.length; l++) {
            SignalAttention.Scores s = SignalAttention.combine(perLayer.get(l));
            for (int d = 0; d < n; d++) {
                scores[d] += s.scores()[d];
                if (weights[d] == null) {
                    weights[d] = s.tokenWeights()[d];
                } else {
                    for (int t = 0; t < weights[d].length; t++) {
                        weights[d][t] += s.tokenWeights()[d][t];
                    }
                }
            }
        }
        AttentionDetail[] details = new AttentionDetail[n];
        for (int d = 0; d < n; d++) {
            details[d] = detail(full.documents().get(d).tokens(), weights[d]);
        }
        return new Ranking(query, name(), Rankings.assemble(ordered, scores, details),
                new Ranking.Stats(evaluated, full.totalTokens(), windows, full.truncatedDocuments(),
                        System.nanoTime() - start));
    }

    private AttentionDetail detail(int[] tokens, float[] weights) {
        String[] pieces = new String[tokens.length];
        for (int t = 0; t < tokens.length; t++) {
            pieces[t] = tokenizer.piece(tokens[t]);
        }
        return new AttentionDetail(tokens, pieces, weights);
    }

    /** One causal prompt: instruction, documents [first, last), query. */
    private long runWindow(PromptLayout full, int first, int last,
                           List<List<SignalAttention.DocumentLogits>> perLayer, AbortCheck check) {
        int instruction = full.instruction().length();
        int prefix = instruction;
        for (int d = first; d < last; d++) {
            prefix += full.documents().get(d).length();
        }
        int[] tokens = new int[prefix];
        System.arraycopy(full.instruction().tokens(), 0, tokens, 0, instruction);
        int at = instruction;
        for (int d = first; d < last; d++) {
            int[] t = full.documents().get(d).tokens();
            System.arraycopy(t, 0, tokens, at, t.length);
            at += t.length;
        }
        int batchTokens = Math.max(options.batchTokens(), full.query().length());
        ensureContext(prefix + full.query().length(), batchTokens);
        check.attach(context);
        long before = context.evaluatedTokens();
        context.kvCache().clear(false);
        capture.clear();
        for (int s = 0; s < prefix; s += batchTokens) {
            check.throwIfAborted("after " + s + " of " + prefix + " prompt tokens of a window");
            int e = Math.min(prefix, s + batchTokens);
            batch.clear();
            batch.addSequence(Arrays.copyOfRange(tokens, s, e), s, 0, false);
            capture.begin(false, true, options.earlyExit());
            context.decode(batch);
            capture.end();
        }
        check.throwIfAborted("before the query block");
        batch.clear();
        batch.addSequence(full.query().tokens(), prefix, 0, false);
        capture.begin(true, false, options.earlyExit());
        context.decode(batch);
        capture.end();
        int rows = options.signalTokens();
        int qLen = full.query().length();
        for (int l = 0; l < layers.length; l++) {
            List<float[]> docKeys = new ArrayList<>();
            int off = instruction;
            for (int d = first; d < last; d++) {
                int len = full.documents().get(d).length();
                docKeys.add(capture.keys(l).copyRows(off, off + len));
                off += len;
            }
            float[] signal = capture.queries(l).copyRows(qLen - rows, qLen);
            SignalAttention.DocumentLogits[] logits = SignalAttention.logits(capture.shape(l, capture), signal, rows,
                    docKeys);
            for (int d = first; d < last; d++) {
                perLayer.get(l).set(d, logits[d - first]);
            }
        }
        capture.clear();
        return context.evaluatedTokens() - before;
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
