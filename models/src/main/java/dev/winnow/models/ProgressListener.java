package dev.winnow.models;

/**
 * The one progress-listener type of Winnow's API: long library calls (loading a model, indexing, embedding, re-ranking
 * a run, downloading) report how far they got through it, and never draw anything themselves. The command line
 * renders a console bar from these calls ({@code dev.winnow.webui.cli.ConsoleProgress}); the notebook and scripts turn
 * them into progress messages. It lives in {@code models}, the lowest module with a long call (the downloader), so
 * every module can take one.
 *
 * <p><b>Units.</b> {@code done} and {@code total} count the same unit, named by {@code unit} in the plural ("documents",
 * "queries", "bytes", "millionths" for a fraction reported in millionths of the whole, as model loading does). {@code
 * done} does not decrease within one task and is at most {@code total}; {@code total} is {@link #UNKNOWN} when the size
 * is not known up front. A task that completes reports {@code done == total} last.
 *
 * <p><b>Threads.</b> A listener is called on the thread doing the work (for model loading, llama.cpp's loading thread),
 * never concurrently by one task; it must be quick and must not call back into the object reporting. An exception it
 * throws ends the call that reports (model loading turns it into a {@code LlamaException} whose cause it is).
 */
@FunctionalInterface
public interface ProgressListener {

    /** A {@code total} that is not known. */
    long UNKNOWN = -1;

    /** A listener that ignores every call. */
    ProgressListener NONE = (done, total, unit) -> {};

    /**
     * Reports progress.
     *
     * @param done units done so far, {@code 0 <= done <= total} (when the total is known)
     * @param total units in all, or {@link #UNKNOWN}
     * @param unit what is counted, in the plural
     */
    void onProgress(long done, long total, String unit);

    /**
     * The listener, or {@link #NONE} for null.
     *
     * @param listener a listener or null
     * @return never null
     */
    static ProgressListener orNone(ProgressListener listener) {
        return listener == null ? NONE : listener;
    }
}
