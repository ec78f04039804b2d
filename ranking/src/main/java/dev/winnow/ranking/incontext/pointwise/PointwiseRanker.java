package dev.winnow.ranking.incontext.pointwise;

import dev.winnow.ranking.incontext.AbortCheck;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Pointwise relevance: one prompt per (query, document) — the document, the query, the question "Is the document
 * relevant to the query? Answer yes or no." and the answer prefix {@code Answer:} — and the score is the
 * log-probability of the answer token " yes" after it (log-softmax over the vocabulary of the last token's logits).
 * Prompts are decoded side by side, one sequence each, up to {@code parallelSequences} and {@code batchTokens} per
 * decode; every sequence attends only to itself. The abort check is polled before every decode and inside it by
 * llama.cpp; a cancelled call clears the KV cache.
 */
public final class PointwiseRanker implements InContextRanker {

    /** The relevance question. */
    public static final String QUESTION = "Is the document relevant to the query? Answer yes or no.";

    private final Model model;
    private final InContextOptions options;
    private final PromptBuilder prompts;
    private final int yesToken;
    private Context context;
    private Batch batch;

    /**
     * @param model   a causal language model
     * @param options settings (budgets, batch size, parallel sequences, threads)
     */
    public PointwiseRanker(Model model, InContextOptions options) {
        this.model = model;
        this.options = options;
        ModelTokenizer tokenizer = new ModelTokenizer(model.vocabulary());
        PromptFamily family = options.family() != null ? options.family()
                : PromptFamily.detect(model.chatTemplate().orElse(null));
        this.prompts = new PromptBuilder(tokenizer, family, options.wording(), options.documentTokenBudget(),
                options.queryTokenBudget());
        this.yesToken = continuationToken(tokenizer, "Answer:", "Answer: yes");
    }

    /** The first token of {@code full} after the tokens it shares with {@code prefix} (how "yes" follows "Answer:"). */
    static int continuationToken(ModelTokenizer tokenizer, String prefix, String full) {
        int[] a = tokenizer.tokenize(prefix, false);
        int[] b = tokenizer.tokenize(full, false);
        int i = 0;
        while (i < a.length && i < b.length && a[i] == b[i]) {
            i++;
        }
        if (i >= b.length) {
            throw new IllegalStateException("\"" + full + "\" adds no token to \"" + prefix + "\"");
        }
        return b[i];
    }

    /** The answer token whose log-probability is the score. */
    public int answerToken() {
        return yesToken;
    }

    @Override
    public String name() {
        return "pointwise";
    }

    @Override
    public Ranking rank(String query, List<Candidate> candidates, BooleanSupplier abort) {
        AbortCheck check = new AbortCheck(abort);
        long start = System.nanoTime();
        List<Candidate> ordered = Rankings.canonicalOrder(candidates);
        int n = ordered.size();
        int[][] prompts = new int[n][];
        int longest = 0;
        long promptTokens = 0;
        for (int i = 0; i < n; i++) {
            prompts[i] = this.prompts.pointwise(query, ordered.get(i), QUESTION);
            longest = Math.max(longest, prompts[i].length);
            promptTokens += prompts[i].length;
        }
        int batchTokens = Math.max(options.batchTokens(), longest);
        int parallel = Math.min(options.parallelSequences(), ContextOptions.MAX_SEQUENCES);
        ensureContext(batchTokens, parallel);
        check.attach(context);
        long before = context.evaluatedTokens();
        double[] scores = new double[n];
        int next = 0;
        int truncated = 0;
        try {
            while (next < n) {
                check.throwIfAborted("after " + next + " of " + n + " documents");
                batch.clear();
                context.kvCache().clear(false);
                int first = next;
                int[] lastIndex = new int[parallel];
                while (next < n && next - first < parallel && batch.size() + prompts[next].length <= batchTokens) {
                    batch.addSequence(prompts[next], 0, next - first, true);
                    lastIndex[next - first] = batch.size() - 1;
                    next++;
                }
                context.decode(batch);
                for (int i = first; i < next; i++) {
                    scores[i] = logSoftmax(context.logits(lastIndex[i - first]), yesToken);
                }
            }
        } catch (CancellationException e) {
            context.kvCache().clear(false);
            throw e;
        } finally {
            AbortCheck.detach(context);
        }
        for (Candidate c : ordered) {
            if (this.prompts.truncates(c)) {
                truncated++;
            }
        }
        return new Ranking(query, name(), Rankings.assemble(ordered, scores, null),
                new Ranking.Stats(context.evaluatedTokens() - before, promptTokens, 1, truncated,
                        System.nanoTime() - start));
    }

    private static double logSoftmax(MemorySegment logits, int token) {
        long n = logits.byteSize() / 4;
        double max = Double.NEGATIVE_INFINITY;
        for (long i = 0; i < n; i++) {
            max = Math.max(max, logits.getAtIndex(ValueLayout.JAVA_FLOAT, i));
        }
        double z = 0;
        for (long i = 0; i < n; i++) {
            z += Math.exp(logits.getAtIndex(ValueLayout.JAVA_FLOAT, i) - max);
        }
        return logits.getAtIndex(ValueLayout.JAVA_FLOAT, token) - max - Math.log(z);
    }

    private void ensureContext(int batchTokens, int parallel) {
        if (context != null && context.batchSize() >= batchTokens && context.maxSequences() >= parallel) {
            return;
        }
        close();
        context = model.newContext(ContextOptions.defaults()
                .withContextSize((batchTokens + 255) / 256 * 256)
                .withBatchSize(batchTokens)
                .withMaxSequences(parallel)
                .withThreads(options.threads())
                .withFlashAttention(options.flashAttention() ? FlashAttention.ENABLED : FlashAttention.DISABLED)
                .withKvTypes(options.kvType(), options.kvType()));
        batch = Batch.allocate(batchTokens, 1);
    }

    @Override
    public void close() {
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
