package dev.winnow.runtime;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * The one cancellation token of Winnow's API: whoever starts a long call (a generation, a ranking, an embedding run, a
 * script cell) hands the callee a token, and cancels it from any thread to stop the call. Callees poll {@link
 * #isCancelled()} (or {@link #throwIfCancelled(String)}) between their steps, and a {@link Context} polls it between the
 * graph nodes of every decode while it is attached with {@link Context#cancellation(Cancellation)}, so even one long
 * {@code llama_decode} stops within about one graph node's time. A cancelled call throws {@link CancellationException}.
 *
 * <p>A token is cancelled when any of these holds:
 *
 * <ul>
 *   <li>{@link #cancel(String)} was called (it stays cancelled until {@link #reset()});
 *   <li>it was made with {@link #onInterrupt(Thread)} and that thread's interrupt status is set (the status is read, not
 *       cleared);
 *   <li>it was made with {@link #polling(BooleanSupplier)} and that condition returns true (for flags owned elsewhere).
 * </ul>
 *
 * <p><b>Thread-safety.</b> Every method may be called from any thread. {@link #isCancelled()} is cheap (volatile reads)
 * and never consults {@link Thread#currentThread()}, because llama.cpp calls it from its own compute threads.
 *
 * <pre>{@code
 * Cancellation token = new Cancellation();
 * executor.submit(() -> ranker.rank(query, candidates, token));
 * ...
 * token.cancel("user pressed stop"); // the rank call throws CancellationException
 * }</pre>
 */
public final class Cancellation {

    private static final Cancellation NONE = new Cancellation(null, null, false);

    private final Thread interruptOf;
    private final BooleanSupplier condition;
    private final boolean cancellable;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile String reason;

    /** A handle on an action registered with {@link #onCancel}; {@link #close()} removes it. */
    public interface Registration extends AutoCloseable {
        /** Removes the action. */
        @Override
        void close();
    }

    /** A token that is cancelled only by {@link #cancel(String)}. */
    public Cancellation() {
        this(null, null, true);
    }

    private Cancellation(Thread interruptOf, BooleanSupplier condition, boolean cancellable) {
        this.interruptOf = interruptOf;
        this.condition = condition;
        this.cancellable = cancellable;
    }

    /**
     * A token that is never cancelled (for callers that do not cancel); {@link #cancel(String)} on it throws.
     *
     * @return the shared never-cancelled token
     */
    public static Cancellation none() {
        return NONE;
    }

    /**
     * A token that is also cancelled while {@code thread}'s interrupt status is set: the Java idiom of cancelling by
     * interrupting, captured as a token (capture the thread up front: llama.cpp polls from other threads).
     *
     * @param thread the thread whose interrupt cancels, usually the caller's
     * @return a new token linked to the thread's interrupt status
     */
    public static Cancellation onInterrupt(Thread thread) {
        return new Cancellation(Objects.requireNonNull(thread, "thread"), null, true);
    }

    /**
     * A token that is also cancelled whenever {@code condition} returns true, for a flag owned elsewhere (a request that
     * was closed, a test that cancels at a chosen poll). The condition is polled by {@link #isCancelled()}, from any
     * thread and once per graph node during a decode: it must be thread-safe and cheap, and must not consult {@link
     * Thread#currentThread()}.
     *
     * @param condition returns true once the call should stop
     * @return a new token
     */
    public static Cancellation polling(BooleanSupplier condition) {
        return new Cancellation(null, Objects.requireNonNull(condition, "condition"), true);
    }

    /**
     * Cancels: every later {@link #isCancelled()} returns true, and the actions registered with {@link #onCancel} run,
     * on this thread. Cancelling again replaces the reason and runs the actions again.
     *
     * @param why the reason, reported in the {@link CancellationException}s (null: "cancelled")
     * @throws IllegalStateException on {@link #none()}
     */
    public void cancel(String why) {
        if (!cancellable) {
            throw new IllegalStateException("Cancellation.none() cannot be cancelled");
        }
        reason = why == null ? "cancelled" : why;
        for (Runnable r : listeners) {
            r.run();
        }
    }

    /** Same as {@code cancel("cancelled")}. */
    public void cancel() {
        cancel(null);
    }

    /**
     * Whether the call should stop: {@link #cancel} was called, the linked thread is interrupted, or the polled
     * condition is true. Cheap and thread-safe.
     *
     * @return true once cancelled
     */
    public boolean isCancelled() {
        return reason != null
                || (interruptOf != null && interruptOf.isInterrupted())
                || (condition != null && condition.getAsBoolean());
    }

    /**
     * Why the token is cancelled.
     *
     * @return the reason given to {@link #cancel}, "interrupted" or "cancelled" for a linked thread or condition, or
     *     null while not cancelled
     */
    public String reason() {
        String r = reason;
        if (r != null) {
            return r;
        }
        if (interruptOf != null && interruptOf.isInterrupted()) {
            return "interrupted";
        }
        if (condition != null && condition.getAsBoolean()) {
            return "cancelled";
        }
        return null;
    }

    /**
     * Throws when cancelled; long loops call it between steps.
     *
     * @throws CancellationException whose message is the reason
     */
    public void throwIfCancelled() {
        String r = reason();
        if (r != null) {
            throw new CancellationException(r);
        }
    }

    /**
     * Throws when cancelled, saying how far the call got.
     *
     * @param what what stopped and where, e.g. "ranking cancelled after 3 of 10 document batches"
     * @throws CancellationException with message {@code what + ": " + reason}
     */
    public void throwIfCancelled(String what) {
        String r = reason();
        if (r != null) {
            throw new CancellationException(what + ": " + r);
        }
    }

    /**
     * Registers an action to run when {@link #cancel} is called (for example closing a socket a call blocks on), on the
     * cancelling thread; runs it at once when already cancelled by {@link #cancel}. Actions do not see a linked thread's
     * interrupt or a polled condition (nothing calls them then).
     *
     * @param action the action
     * @return a handle whose {@code close()} removes it
     */
    public Registration onCancel(Runnable action) {
        Objects.requireNonNull(action, "action");
        if (!cancellable) {
            return () -> {};
        }
        listeners.add(action);
        if (reason != null) {
            action.run();
        }
        return () -> listeners.remove(action);
    }

    /**
     * Clears a {@link #cancel} request so the token can serve the next run of its owner (a script session reuses one
     * token for its cells). Only the owner that cancels should reset; calls in progress see the reset at their next
     * poll.
     */
    public void reset() {
        reason = null;
    }

    @Override
    public String toString() {
        String r = reason();
        return r == null ? "Cancellation[active]" : "Cancellation[cancelled: " + r + "]";
    }
}
