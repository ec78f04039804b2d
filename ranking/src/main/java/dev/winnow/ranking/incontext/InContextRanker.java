package dev.winnow.ranking.incontext;

import dev.winnow.ranking.incontext.blockrank.BlockRankRanker;
import dev.winnow.ranking.incontext.blockrank.ListwiseRanker;
import dev.winnow.ranking.incontext.embedding.EmbeddingRanker;
import dev.winnow.ranking.incontext.encoder.EncoderInContextRanker;
import dev.winnow.ranking.incontext.encoder.EncoderRankerOptions;
import dev.winnow.ranking.incontext.icr.IcrRanker;
import dev.winnow.ranking.incontext.pointwise.PointwiseRanker;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Model;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * Re-ranks first-stage candidates with a language model. Create one with a factory ({@link #blockRank},
 * {@link #icr}, {@link #listwise}, {@link #pointwise}, {@link #embedding}), call {@link #rank} per query, close it
 * before the model. A ranker owns llama.cpp contexts and is confined to one thread at a time. Implementations extend
 * {@link AbstractInContextRanker}, which owns validation, ordering, timing and statistics.
 *
 * <pre>{@code
 * try (Model model = Llama.load().loadModel(path);
 *      InContextRanker ranker = InContextRanker.blockRank(model, InContextOptions.defaults())) {
 *     Ranking r = ranker.rank("what causes tides", candidates);
 *     r.documents().forEach(d -> System.out.println(d.rank() + " " + d.docId() + " " + d.score()));
 * }
 * }</pre>
 */
public interface InContextRanker extends AutoCloseable {

    /**
     * Ranks the candidates for the query; interrupting the calling thread cancels the call. Same as
     * {@code rank(query, candidates, Cancellation.onInterrupt(Thread.currentThread()))} (the thread is captured here,
     * since llama.cpp polls the token from its own compute threads). The interrupt status is left set.
     *
     * @param query      the query; non-blank
     * @param candidates one or more candidates with distinct docIds (their order does not matter)
     * @return the documents best first, with scores and attention detail where the ranker reads attention
     * @throws IllegalArgumentException for a blank query, no candidates, or duplicate docIds
     * @throws CancellationException    when the calling thread was interrupted before or during the call
     */
    default Ranking rank(String query, List<Candidate> candidates) {
        return rank(query, candidates, Cancellation.onInterrupt(Thread.currentThread()));
    }

    /**
     * Ranks the candidates for the query, stopping early once {@code cancellation} is cancelled. The token is polled
     * on the calling thread before every window and batch of documents (and every query, for rankers that decode
     * several), and by llama.cpp between the graph nodes of every decode of every context the ranker uses, so a
     * cancelled call returns within about one graph node's time.
     *
     * <p>A cancelled call throws {@link CancellationException} and leaves the ranker usable: its KV caches and captured
     * queries/keys are cleared, and the next call ranks as a fresh ranker would.
     *
     * @param query        the query; non-blank
     * @param candidates   one or more candidates with distinct docIds (their order does not matter)
     * @param cancellation the call's token ({@link Cancellation#none()} for a call that is never cancelled); non-null
     * @return the documents best first, with scores and attention detail where the ranker reads attention
     * @throws IllegalArgumentException for a blank query, no candidates, or duplicate docIds
     * @throws CancellationException    when the token was cancelled before the ranking was complete
     */
    Ranking rank(String query, List<Candidate> candidates, Cancellation cancellation);

    /** The ranker's name as the CLI spells it ("blockrank", "icr", "listwise", "pointwise", "embedding", "encoder"). */
    String name();

    /** Frees the ranker's contexts. */
    @Override
    void close();

    /**
     * BlockRank (Gupta et al. 2025): structured attention through llama.cpp sequences, linear in the number of
     * documents; score = the signal token's attention on each document at the scoring layer.
     *
     * @param model   a causal language model with a Llama-type graph (Qcur/Kcur ROPE nodes)
     * @param options settings
     */
    static InContextRanker blockRank(Model model, InContextOptions options) {
        return new BlockRankRanker(model, options);
    }

    /**
     * ICR (Chen et al. 2024): zero-shot, causal prompt, query-span attention over all layers and heads calibrated
     * with the content-free query "N/A".
     *
     * @param model   a causal language model with a Llama-type graph
     * @param options settings
     */
    static InContextRanker icr(Model model, InContextOptions options) {
        return new IcrRanker(model, options);
    }

    /**
     * Full-attention listwise: BlockRank's prompt and score with ordinary causal attention (the efficiency baseline).
     *
     * @param model   a causal language model with a Llama-type graph
     * @param options settings
     */
    static InContextRanker listwise(Model model, InContextOptions options) {
        return new ListwiseRanker(model, options);
    }

    /**
     * Pointwise: log-probability of " yes" after a relevance question, one prompt per document.
     *
     * @param model   a causal language model
     * @param options settings
     */
    static InContextRanker pointwise(Model model, InContextOptions options) {
        return new PointwiseRanker(model, options);
    }

    /**
     * Bi-encoder: cosine between the query's and each document's embedding.
     *
     * @param embeddingModel an embedding model (e.g. all-MiniLM-L6-v2 converted to GGUF)
     * @param options        settings
     */
    static InContextRanker embedding(Model embeddingModel, InContextOptions options) {
        return new EmbeddingRanker(embeddingModel, options);
    }

    /** The rankers {@link #byName} knows, in the order the CLI lists them. */
    List<String> NAMES = List.of("blockrank", "icr", "listwise", "pointwise", "embedding", "encoder");

    /**
     * Checks a ranker name before anything expensive (loading a model) happens.
     *
     * @param name a name given by a user
     * @return the name
     * @throws IllegalArgumentException naming the unknown ranker and the known ones
     */
    static String checkName(String name) {
        if (name == null || !NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown ranker \"" + name + "\": expected " + String.join(", ", NAMES));
        }
        return name;
    }

    /**
     * A ranker by its CLI name.
     *
     * @param name    blockrank, icr, listwise, pointwise, embedding or encoder
     * @param model   the model (an embedding model for "embedding", a BERT-type encoder for "encoder")
     * @param options settings
     * @throws IllegalArgumentException for an unknown name
     */
    static InContextRanker byName(String name, Model model, InContextOptions options) {
        return switch (checkName(name)) {
            case "blockrank" -> blockRank(model, options);
            case "icr" -> icr(model, options);
            case "listwise" -> listwise(model, options);
            case "pointwise" -> pointwise(model, options);
            case "embedding" -> embedding(model, options);
            // encoder in-context ranker (a BERT-type model): layer 1 and 128-token documents, tuned on SciFact train
            case "encoder" ->
                new EncoderInContextRanker(
                        model,
                        EncoderRankerOptions.defaults()
                                .withLayer(1)
                                .withDocumentTokenBudget(Math.min(128, options.documentTokenBudget()))
                                .withThreads(options.threads()));
            default -> throw new IllegalStateException("ranker " + name + " is in NAMES but byName cannot build it");
        };
    }
}
