package dev.winnow.ranking.incontext.embedding;

import dev.winnow.models.convert.Pooling;
import dev.winnow.ranking.incontext.AbstractInContextRanker;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.Vocabulary;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * Bi-encoder re-ranking: the query and each document (title and text) are embedded separately with an embedding
 * model (the model's own pooling, e.g. mean for all-MiniLM-L6-v2, CLS for bge-small; mean for a model that names
 * none), L2-normalised, and a document
 * scores the cosine with the query. Texts are cut to {@code min(documentTokenBudget, n_ctx_train)} tokens, keeping the
 * closing special token ([SEP]) when the vocabulary adds one. Documents are embedded side by side, one sequence each.
 * The cancellation token is polled before every batch and inside it by llama.cpp; a cancelled call clears the KV
 * cache.
 */
public final class EmbeddingRanker extends AbstractInContextRanker {

    private final Model model;
    private final InContextOptions options;
    private final Vocabulary vocabulary;
    private final int maxTokens;
    private Context context;
    private Batch batch;

    /**
     * @param model   an embedding model (BERT-like encoder or a decoder with pooling)
     * @param options settings (document budget, batch size, parallel sequences, threads)
     */
    public EmbeddingRanker(Model model, InContextOptions options) {
        super("embedding");
        this.model = model;
        this.options = options;
        this.vocabulary = model.vocabulary();
        this.maxTokens = Math.min(options.documentTokenBudget(), model.trainingContextSize());
    }

    /** Tokens of a text as the model embeds it: with its special tokens, cut to the budget. */
    int[] tokens(String text) {
        int[] t = vocabulary.tokenize(text.isBlank() ? " " : text, true, false);
        if (t.length <= maxTokens) {
            return t;
        }
        int[] cut = Arrays.copyOf(t, maxTokens);
        if (vocabulary.addsEos()) {
            cut[maxTokens - 1] = t[t.length - 1];
        }
        return cut;
    }

    /**
     * Embeds texts, L2-normalised; interrupting the calling thread cancels.
     *
     * @param texts the texts
     * @return one unit vector (n_embd floats) per text
     * @throws CancellationException when the calling thread is interrupted
     */
    public float[][] embed(List<String> texts) {
        Thread caller = Thread.currentThread();
        return embed(texts, Cancellation.onInterrupt(caller));
    }

    private float[][] embed(List<String> texts, Cancellation check) {
        int[][] tokens = new int[texts.size()][];
        int longest = 0;
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = tokens(texts.get(i));
            longest = Math.max(longest, tokens[i].length);
        }
        int batchTokens = Math.max(options.batchTokens(), longest);
        int parallel = Math.min(options.parallelSequences(), ContextOptions.MAX_SEQUENCES);
        ensureContext(batchTokens, parallel);
        context.cancellation(check);
        boolean encoderOnly = model.hasEncoder() && !model.hasDecoder();
        float[][] out = new float[tokens.length][];
        int next = 0;
        try {
            while (next < tokens.length) {
                throwIfCancelled(check, "after embedding " + next + " of " + tokens.length + " texts");
                batch.clear();
                context.kvCache().clear(false);
                int first = next;
                while (next < tokens.length && next - first < parallel
                        && batch.size() + tokens[next].length <= batchTokens) {
                    // pooling reads every token of the sequence: all are outputs
                    for (int t = 0; t < tokens[next].length; t++) {
                        batch.add(tokens[next][t], t, next - first, true);
                    }
                    next++;
                }
                if (encoderOnly) {
                    context.encode(batch);
                } else {
                    context.decode(batch);
                }
                for (int i = first; i < next; i++) {
                    out[i] = context.sequenceEmbeddingCopy(i - first, true);
                }
            }
        } catch (CancellationException e) {
            context.kvCache().clear(false);
            throw e;
        } finally {
            context.cancellation(null);
        }
        return out;
    }

    @Override
    protected Scores score(String query, List<Candidate> ordered, Cancellation check) {
        List<String> texts = new java.util.ArrayList<>(ordered.size() + 1);
        texts.add(query.strip());
        int truncated = 0;
        long promptTokens = 0;
        for (Candidate c : ordered) {
            texts.add(c.content());
        }
        for (String t : texts) {
            int full = vocabulary.tokenize(t.isBlank() ? " " : t, true, false).length;
            promptTokens += Math.min(full, maxTokens);
            if (full > maxTokens) {
                truncated++;
            }
        }
        long before = context == null ? 0 : context.evaluatedTokens();
        float[][] e = embed(texts, check);
        double[] scores = new double[ordered.size()];
        for (int d = 0; d < scores.length; d++) {
            double dot = 0;
            for (int i = 0; i < e[0].length; i++) {
                dot += e[0][i] * e[d + 1][i];
            }
            scores[d] = dot;
        }
        return new Scores(scores, null, context.evaluatedTokens() - before, promptTokens, 1, truncated);
    }

    private void ensureContext(int batchTokens, int parallel) {
        if (context != null && context.batchSize() >= batchTokens && context.maxSequences() >= parallel) {
            return;
        }
        close();
        ContextOptions o = ContextOptions.defaults()
                .withContextSize((batchTokens + 255) / 256 * 256)
                .withBatchSize(batchTokens)
                .withMaxSequences(parallel)
                .withThreads(options.threads());
        context = model.newContext(o.withEmbeddings(true, Pooling.MODEL));
        if (context.pooling() == Pooling.NONE) {
            // a model without its own pooling (a plain language model): mean over the tokens
            context.close();
            context = model.newContext(o.withEmbeddings(true, Pooling.MEAN));
        }
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
