package dev.winnow.scripting;

/**
 * A cell whose script asked to end the program: Python's {@code sys.exit(n)}, {@code os._exit(n)} or an uncaught
 * {@code SystemExit}. Only the cell's language context ends (it is rebuilt for the next cell, so that language's
 * variables are gone); the JVM, the session and its other language keep running. A notebook kernel reports it and
 * carries on, as Jupyter does for {@code sys.exit}; {@code winnow run} ends with {@link #exitStatus()} as its own exit
 * code.
 */
public final class ScriptExited extends ScriptFailure {
    private static final long serialVersionUID = 1L;

    private final int exitStatus;

    /**
     * Creates the failure.
     *
     * @param language the cell's language
     * @param exitStatus the status the script exited with ({@code 0} for {@code sys.exit()})
     * @param sourceName the source name of the innermost script frame, or {@code null}
     * @param line that frame's line, or {@code -1}
     */
    public ScriptExited(Language language, int exitStatus, String sourceName, int line) {
        super(
                language,
                "SystemExit",
                "the script exited with status " + exitStatus + "; the " + language.displayName()
                        + " context was reset (its variables are gone), Winnow keeps running",
                sourceName,
                line,
                null,
                false);
        this.exitStatus = exitStatus;
    }

    /**
     * The status the script exited with.
     *
     * @return e.g. {@code 3} for {@code sys.exit(3)}, {@code 0} for {@code sys.exit()}
     */
    public int exitStatus() {
        return exitStatus;
    }

    @Override
    public boolean exited() {
        return true;
    }
}
