package dev.winnow.ranking.incontext;

import dev.winnow.runtime.Context;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * The abort check of one {@link InContextRanker#rank(String, List, BooleanSupplier)} call. The ranker polls it on the
 * calling thread between windows and batches ({@link #throwIfAborted}) and hands it to every llama.cpp context it
 * decodes with ({@link #attach}, {@link Context#abortCheck}), where llama.cpp polls it between graph nodes from its
 * compute threads, so a decode in progress stops too. Either way the call ends with a {@link CancellationException}.
 *
 * <p>The supplier must be thread-safe and cheap (it runs once per graph node), and must not consult
 * {@link Thread#currentThread()}: read a volatile flag, or the interrupt status of a thread captured beforehand.
 */
public final class AbortCheck {

    private final BooleanSupplier check;

    /**
     * @param check returns true once the call should stop; non-null
     */
    public AbortCheck(BooleanSupplier check) {
        this.check = Objects.requireNonNull(check, "abort check");
    }

    /** True when the check asks to stop. */
    public boolean aborted() {
        return check.getAsBoolean();
    }

    /**
     * Throws when the check asks to stop.
     *
     * @param progress what the call has done so far, for the message (e.g. "after 3 of 10 document batches")
     * @throws CancellationException when {@link #aborted()}
     */
    public void throwIfAborted(String progress) {
        if (check.getAsBoolean()) {
            throw new CancellationException("ranking cancelled by its abort check " + progress);
        }
    }

    /** Makes llama.cpp poll this check during the context's decodes (until {@link #detach}). */
    public void attach(Context context) {
        context.abortCheck(check);
    }

    /** Removes any abort check from the context (and its per-node cost); a null context is skipped. */
    public static void detach(Context context) {
        if (context != null) {
            context.abortCheck(null);
        }
    }
}
