package dev.winnow.scripting;

/**
 * A cell stopped by {@link ScriptSession#interrupt()} or by its deadline, including one stopped inside a long host
 * call (generation, ranking, indexing) that observed the cancellation. The session stays usable.
 */
public final class ScriptInterrupted extends ScriptFailure {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the failure.
     *
     * @param language the cell's language
     * @param message why: {@code "interrupted"} or {@code "deadline of 2000 ms exceeded"}
     * @param sourceName the source name of the innermost script frame, or {@code null}
     * @param line that frame's line, or {@code -1}
     * @param traceback the guest stack when known, else the message
     */
    public ScriptInterrupted(Language language, String message, String sourceName, int line, String traceback) {
        super(language, "Interrupted", message, sourceName, line, traceback, false);
    }

    @Override
    public boolean interrupted() {
        return true;
    }
}
