package dev.winnow.scripting;

/**
 * A cell that did not complete: a guest exception that reached the top of the cell, a Winnow error raised by the host
 * API and not caught, a syntax error, an exceeded statement limit, (subclass {@link ScriptInterrupted}) an
 * interrupt, or (subclass {@link ScriptExited}) a script that exited ({@code sys.exit}, {@code os._exit}).
 *
 * <p>{@link #getMessage()} is the script-level message, e.g. {@code "ValueError: k must be positive"} or
 * {@code "WinnowError: no index at /ws/idx"}; {@link #sourceName()} and {@link #line()} locate the innermost frame of
 * the script (not of Winnow's own preludes); {@link #traceback()} is the guest stack in the language's own format
 * (Python's {@code Traceback (most recent call last):} or JavaScript's {@code Error.stack}).
 */
public class ScriptFailure extends Exception {
    private static final long serialVersionUID = 1L;

    private final Language language;
    private final String errorType;
    private final String sourceName;
    private final int line;
    private final String traceback;
    private final boolean resourceExhausted;

    /**
     * Creates a failure.
     *
     * @param language the cell's language
     * @param errorType the guest exception's type name ({@code TypeError}, {@code WinnowError}, ...), or a kind such as
     *     {@code Interrupted}
     * @param message the message without the type
     * @param sourceName the script's source name of the innermost script frame, or {@code null} when unknown
     * @param line that frame's 1-based line, or {@code -1} when unknown
     * @param traceback the formatted guest stack (never null; may be just the message)
     * @param resourceExhausted whether the cell was stopped by the statement limit
     */
    public ScriptFailure(
            Language language,
            String errorType,
            String message,
            String sourceName,
            int line,
            String traceback,
            boolean resourceExhausted) {
        super(errorType == null || errorType.isEmpty() ? message : errorType + ": " + message);
        this.language = language;
        this.errorType = errorType;
        this.sourceName = sourceName;
        this.line = line;
        this.traceback = traceback == null ? getMessage() : traceback;
        this.resourceExhausted = resourceExhausted;
    }

    /**
     * The cell's language.
     *
     * @return JS or PYTHON
     */
    public Language language() {
        return language;
    }

    /**
     * The guest exception's type name.
     *
     * @return e.g. {@code "ReferenceError"}, {@code "WinnowError"}, {@code "Interrupted"}
     */
    public String errorType() {
        return errorType;
    }

    /**
     * The source name of the innermost script frame.
     *
     * @return the name passed to {@link ScriptSession#run}, or {@code null} when unknown
     */
    public String sourceName() {
        return sourceName;
    }

    /**
     * The 1-based line of the innermost script frame.
     *
     * @return the line, or {@code -1} when unknown
     */
    public int line() {
        return line;
    }

    /**
     * The guest stack trace in the language's own format, ending with the message.
     *
     * @return the traceback text
     */
    public String traceback() {
        return traceback;
    }

    /**
     * Whether the cell was stopped by an interrupt.
     *
     * @return {@code true} for {@link ScriptInterrupted}
     */
    public boolean interrupted() {
        return false;
    }

    /**
     * Whether the script asked to end the program ({@code sys.exit}, {@code os._exit}): only its language context ended.
     *
     * @return {@code true} for {@link ScriptExited}
     */
    public boolean exited() {
        return false;
    }

    /**
     * Whether the cell was stopped by the sandbox's statement limit (its language's context was then recreated).
     *
     * @return {@code true} if the statement limit was exceeded
     */
    public boolean resourceExhausted() {
        return resourceExhausted;
    }
}
