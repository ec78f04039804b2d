package dev.winnow.ranking.incontext;

import dev.winnow.runtime.Cancellation;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * The skeleton of every {@link InContextRanker}: {@link #rank(String, List, Cancellation)} validates the query and the
 * candidates, puts the candidates in the canonical order ({@link Rankings#canonicalOrder}), times the call, hands the
 * ordered candidates to {@link #score}, lets the ranker clean up after a cancelled call ({@link #afterCancel}) and after
 * every call ({@link #afterCall}), and assembles the {@link Ranking} (best first, ties in canonical order) with its
 * {@link Ranking.Stats}. A ranker implements only its scoring.
 *
 * <p><b>Cancellation.</b> {@link #score} polls the call's token between its steps with {@link
 * #throwIfCancelled(Cancellation, String)} and attaches it to every llama.cpp context it decodes with ({@link
 * dev.winnow.runtime.Context#cancellation}), so a decode in progress stops too; either way a {@link
 * CancellationException} ends the call, after {@link #afterCancel} has cleared what the ranker keeps between calls (KV
 * caches, captured rows), so the next call ranks as a fresh ranker would.
 */
public abstract class AbstractInContextRanker implements InContextRanker {

    /** The prefix of the message of a {@link CancellationException} thrown by a ranker's own polls. */
    public static final String CANCELLED = "ranking cancelled by its abort check";

    private final String name;

    /**
     * @param name the ranker's name as the CLI spells it
     */
    protected AbstractInContextRanker(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * What {@link #score} found for the candidates of one call.
     *
     * @param scores             one score per candidate, in canonical order; higher is more relevant
     * @param details            per candidate its attention detail, or null for rankers that read no attention
     * @param tokensEvaluated    tokens the model evaluated
     * @param promptTokens       tokens of the prompt(s) as laid out
     * @param windows            prompts or passes the candidates were split into
     * @param truncatedDocuments documents cut to the token budget
     */
    public record Scores(
            double[] scores,
            AttentionDetail[] details,
            long tokensEvaluated,
            long promptTokens,
            int windows,
            int truncatedDocuments) {}

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final Ranking rank(String query, List<Candidate> candidates, Cancellation cancellation) {
        Objects.requireNonNull(cancellation, "cancellation");
        long start = System.nanoTime();
        Rankings.checkQuery(query);
        List<Candidate> ordered = Rankings.canonicalOrder(candidates);
        Scores s;
        try {
            s = score(query, ordered, cancellation);
        } catch (CancellationException e) {
            afterCancel();
            throw e;
        } finally {
            afterCall();
        }
        return new Ranking(
                query,
                name,
                Rankings.assemble(ordered, s.scores(), s.details()),
                new Ranking.Stats(
                        s.tokensEvaluated(),
                        s.promptTokens(),
                        s.windows(),
                        s.truncatedDocuments(),
                        System.nanoTime() - start));
    }

    /**
     * Scores the candidates.
     *
     * @param query        the query as given (non-blank)
     * @param ordered      the candidates in canonical order (non-empty, distinct docIds)
     * @param cancellation the call's token: poll it between steps, attach it to the contexts decoded with
     * @return the scores in canonical order and the call's costs
     * @throws CancellationException when the token is cancelled
     */
    protected abstract Scores score(String query, List<Candidate> ordered, Cancellation cancellation);

    /** Clears what a cancelled call left behind (KV caches, captured rows); runs before {@link #afterCall}. */
    protected void afterCancel() {}

    /** Runs after every call, also a failed one: detach the token from the contexts. */
    protected void afterCall() {}

    /**
     * Polls the token between steps.
     *
     * @param cancellation the call's token
     * @param progress     how far the call got, for the message (e.g. "after 3 of 10 documents")
     * @throws CancellationException starting with {@link #CANCELLED} when the token is cancelled
     */
    public static void throwIfCancelled(Cancellation cancellation, String progress) {
        cancellation.throwIfCancelled(CANCELLED + " " + progress);
    }
}
