package dev.winnow.ranking.incontext.embedding;

import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.incontext.AbstractInContextRanker;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * Bi-encoder re-ranking: the query and each document (title and text) are embedded separately with an embedding
 * model and a document scores the cosine with the query. Embedding goes through the same path as the index's
 * vectors ({@link LlamaEmbedder}: the model's pooling and instructions, e.g. bge's query instruction, the
 * {@value LlamaEmbedder#DEFAULT_MAX_TOKENS}-token budget with truncation counted, the same batching and
 * normalisation), and the cosine is taken between {@link Embedder#unitLength} copies as the index stores and searches
 * them, so a document scores what dense search over an index embedded by the same model would give it. Of the {@link
 * InContextOptions}, only the threads apply (the token budgets, batch size and parallel sequences are the embedder's).
 * The cancellation token is polled before every batch and inside it by llama.cpp.
 */
public final class EmbeddingRanker extends AbstractInContextRanker {

    private final LlamaEmbedder embedder;

    /**
     * @param model   an embedding model (BERT-like encoder or a decoder with pooling)
     * @param options settings (threads)
     */
    public EmbeddingRanker(Model model, InContextOptions options) {
        super("embedding");
        this.embedder = LlamaEmbedder.overUnhashed(
                model, LlamaEmbedder.Options.defaults().withThreads(options.threads()));
    }

    /**
     * Embeds texts as the index does, unit length; interrupting the calling thread cancels.
     *
     * @param texts the texts
     * @param role  queries or documents
     * @return one unit vector (n_embd floats) per text, equal to the vector the index stores (documents) or searches
     *         with (queries) for the same text and model
     * @throws CancellationException when the calling thread is interrupted
     */
    public float[][] embed(List<String> texts, Embedder.Role role) {
        return embed(texts, role, Cancellation.onInterrupt(Thread.currentThread()));
    }

    private float[][] embed(List<String> texts, Embedder.Role role, Cancellation cancellation) {
        float[][] v = embedder.embed(texts, role, cancellation);
        for (int i = 0; i < v.length; i++) {
            v[i] = Embedder.unitLength(v[i]);
        }
        return v;
    }

    /**
     * @return the embedder this ranker embeds with (its counts: texts truncated, tokens embedded)
     */
    public LlamaEmbedder embedder() {
        return embedder;
    }

    @Override
    protected Scores score(String query, List<Candidate> ordered, Cancellation cancellation) {
        throwIfCancelled(cancellation, "before embedding");
        List<String> texts = new ArrayList<>(ordered.size());
        for (Candidate c : ordered) {
            texts.add(c.content());
        }
        long tokensBefore = embedder.tokenCount();
        long truncatedBefore = embedder.truncatedCount();
        float[] q = embed(List.of(query), Embedder.Role.QUERY, cancellation)[0];
        float[][] e = embed(texts, Embedder.Role.DOCUMENT, cancellation);
        double[] scores = new double[ordered.size()];
        for (int d = 0; d < scores.length; d++) {
            double dot = 0;
            for (int i = 0; i < q.length; i++) {
                dot += q[i] * e[d][i];
            }
            scores[d] = dot;
        }
        long tokens = embedder.tokenCount() - tokensBefore;
        int truncated = (int) (embedder.truncatedCount() - truncatedBefore);
        return new Scores(scores, null, tokens, tokens, 1, truncated);
    }

    @Override
    public void close() {
        embedder.close();
    }
}
