package dev.winnow.scripting;

/**
 * Where a running cell's output goes, as it is produced: text the script writes to standard output and standard error
 * (decoded as UTF-8, in the chunks the script flushed, never split inside a character) and rich outputs from
 * {@code display(...)}.
 *
 * <p>Methods are called on the thread that runs the cell, in the order the script produced the output; an
 * implementation that hands the output to another thread (a WebSocket) must not block for long. An exception thrown
 * by a sink is logged and the output dropped; it does not fail the cell.
 */
public interface OutputSink {

    /**
     * Text written to standard output ({@code console.log}, {@code print}).
     *
     * @param text one or more characters, line breaks included as written
     */
    void stdout(String text);

    /**
     * Text written to standard error ({@code console.error}, {@code print(..., file=sys.stderr)}, warnings).
     *
     * @param text one or more characters, line breaks included as written
     */
    void stderr(String text);

    /**
     * A rich output: a {@code display(value, mime?)} call.
     *
     * @param data the MIME bundle to show
     */
    void display(DisplayData data);

    /**
     * A sink that drops everything (for cells whose output nobody reads).
     *
     * @return a sink that ignores its input
     */
    static OutputSink discard() {
        return new OutputSink() {
            @Override
            public void stdout(String text) {}

            @Override
            public void stderr(String text) {}

            @Override
            public void display(DisplayData data) {}
        };
    }
}
