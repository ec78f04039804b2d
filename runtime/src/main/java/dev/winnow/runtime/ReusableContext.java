package dev.winnow.runtime;

import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A {@link Context} and a token {@link Batch} that a component (a ranker, an embedder) keeps across its calls and
 * replaces, larger, when a call needs more than the current pair holds. Each call states what it needs with {@link
 * #ensure}: when no context exists yet or the current one does not fit, the pair is closed and a new context is
 * created with the given factory, with a new batch of {@code batchTokens} entries (one sequence id each).
 *
 * <pre>{@code
 * ReusableContext slot = new ReusableContext();
 * slot.ensure(c -> c.batchSize() >= tokens, () -> model.newContext(options.withBatchSize(tokens)), tokens);
 * slot.batch().clear();
 * ...
 * slot.context().decode(slot.batch());
 * }</pre>
 *
 * <p>Confined to one thread at a time, like the context it holds.
 */
public final class ReusableContext implements AutoCloseable {

    private Context context;
    private Batch batch;

    /** An empty holder: the first {@link #ensure} creates the context. */
    public ReusableContext() {}

    /**
     * Makes sure a context that {@code fits} is held, creating one with {@code create} (and a batch of {@code
     * batchTokens} entries) when none is held or the held one does not fit; the old pair is closed first.
     *
     * @param fits whether the held context is large enough for the call
     * @param create creates a new context (called at most once per call)
     * @param batchTokens entries of the new batch, {@code >= 1}
     * @return true when a new context was created (state kept with the old one, such as taps or KV cells, is gone)
     * @throws IllegalArgumentException when {@code batchTokens < 1}
     */
    public boolean ensure(Predicate<Context> fits, Supplier<Context> create, int batchTokens) {
        Objects.requireNonNull(fits, "fits");
        Objects.requireNonNull(create, "create");
        if (batchTokens < 1) {
            throw new IllegalArgumentException("batchTokens must be >= 1, got " + batchTokens);
        }
        if (context != null && fits.test(context)) {
            return false;
        }
        close();
        context = Objects.requireNonNull(create.get(), "the context factory returned null");
        batch = Batch.allocate(batchTokens, 1);
        return true;
    }

    /**
     * The held context.
     *
     * @return the context, or null before the first {@link #ensure} and after {@link #close}
     */
    public Context context() {
        return context;
    }

    /**
     * The held batch.
     *
     * @return the batch, or null before the first {@link #ensure} and after {@link #close}
     */
    public Batch batch() {
        return batch;
    }

    /**
     * Attaches a cancellation token to the held context (see {@link Context#cancellation(Cancellation)}); null detaches.
     * Does nothing when no context is held.
     *
     * @param token the token, or null
     */
    public void cancellation(Cancellation token) {
        if (context != null) {
            context.cancellation(token);
        }
    }

    /** Frees the context and the batch; a later {@link #ensure} creates new ones. */
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
