package dev.winnow.ranking.incontext.pointwise;

import dev.winnow.ranking.incontext.AbstractInContextRanker;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.ReusableContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Pointwise relevance: one prompt per (query, document) — the document, the query, the question "Is the document
 * relevant to the query? Answer yes or no." and the answer prefix {@code Answer:} — and the score is the
 * log-probability of the answer token " yes" after it (log-softmax over the vocabulary of the last token's logits).
 * Prompts are decoded side by side, one sequence each, up to {@code parallelSequences} and {@code batchTokens} per
 * decode; every sequence attends only to itself. The cancellation token is polled before every decode and inside it
 * by llama.cpp; a cancelled call clears the KV cache.
 */
public final class PointwiseRanker extends AbstractInContextRanker {

    /** The relevance question. */
    public static final String QUESTION = "Is the document relevant to the query? Answer yes or no.";

    private final Model model;
    private final InContextOptions options;
    private final PromptBuilder prompts;
    private final int yesToken;
    private final ReusableContext slot = new ReusableContext();

    /**
     * @param model   a causal language model
     * @param options settings (budgets, batch size, parallel sequences, threads)
     */
    public PointwiseRanker(Model model, InContextOptions options) {
        super("pointwise");
        this.model = model;
        this.options = options;
        ModelTokenizer tokenizer = new ModelTokenizer(model.vocabulary());
        this.prompts = PromptBuilder.forModel(tokenizer, model, options);
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
    protected Scores score(String query, List<Candidate> ordered, Cancellation check) {
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
        Context context = slot.context();
        Batch batch = slot.batch();
        context.cancellation(check);
        long before = context.evaluatedTokens();
        double[] scores = new double[n];
        int next = 0;
        int truncated = 0;
        while (next < n) {
            throwIfCancelled(check, "after " + next + " of " + n + " documents");
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
        for (Candidate c : ordered) {
            if (this.prompts.truncates(c)) {
                truncated++;
            }
        }
        return new Scores(scores, null, context.evaluatedTokens() - before, promptTokens, 1, truncated);
    }

    /** A cancelled call leaves no KV cells behind. */
    @Override
    protected void afterCancel() {
        if (slot.context() != null) {
            slot.context().kvCache().clear(false);
        }
    }

    @Override
    protected void afterCall() {
        slot.cancellation(null);
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
        slot.ensure(
                c -> c.batchSize() >= batchTokens && c.maxSequences() >= parallel,
                () -> model.newContext(ContextOptions.defaults()
                        .withContextSize((batchTokens + 255) / 256 * 256)
                        .withBatchSize(batchTokens)
                        .withMaxSequences(parallel)
                        .withThreads(options.threads())
                        .withFlashAttention(options.flashAttention() ? FlashAttention.ENABLED : FlashAttention.DISABLED)
                        .withKvTypes(options.kvType(), options.kvType())),
                batchTokens);
    }

    @Override
    public void close() {
        slot.close();
    }
}
