package dev.winnow.webui.cli;

import dev.winnow.models.ProgressListener;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Draws the {@link ProgressListener} calls of a library task as a console bar: the one place where Winnow renders
 * progress (library code only reports it). On a terminal the bar is redrawn in place ({@code \r}) at most every {@code
 * interval}; elsewhere (a pipe, a CI log) a line is printed at most every {@code interval}. The last call of a task
 * ({@code done == total}) is always drawn and ends the line. Counts in "bytes" are shown in MiB.
 *
 * <pre>
 * indexing [##########----------]  50% 2592/5183 documents
 * </pre>
 *
 * <p>Like any listener it is called by one task at a time; a task that starts over (a smaller {@code done}, or another
 * total or unit) starts a new line.
 */
public final class ConsoleProgress implements ProgressListener {
    private static final int WIDTH = 20;

    private final PrintStream out;
    private final String label;
    private final boolean inPlace;
    private final long intervalNanos;
    private long lastDrawn = Long.MIN_VALUE;
    private long lastDone = -1;
    private long lastTotal;
    private String lastUnit;
    private boolean lineOpen;

    /**
     * @param out where to draw
     * @param label the task's name, first on the line
     * @param inPlace redraw one line with {@code \r} (a terminal) rather than print lines
     * @param interval the least time between two drawings (the final one excepted)
     */
    public ConsoleProgress(PrintStream out, String label, boolean inPlace, Duration interval) {
        this.out = Objects.requireNonNull(out, "out");
        this.label = Objects.requireNonNull(label, "label");
        this.inPlace = inPlace;
        this.intervalNanos = interval.toNanos();
    }

    /**
     * A bar on standard error: redrawn in place every 0.2 s on a terminal, a line every 10 s otherwise.
     *
     * @param label the task's name
     * @return the renderer
     */
    public static ConsoleProgress stderr(String label) {
        boolean terminal = System.console() != null;
        return new ConsoleProgress(System.err, label, terminal, Duration.ofMillis(terminal ? 200 : 10_000));
    }

    @Override
    public synchronized void onProgress(long done, long total, String unit) {
        boolean restart = done < lastDone || total != lastTotal || !Objects.equals(unit, lastUnit);
        if (restart && lineOpen) {
            out.println();
            lineOpen = false;
            lastDrawn = Long.MIN_VALUE;
        }
        lastDone = done;
        lastTotal = total;
        lastUnit = unit;
        boolean last = total >= 0 && done >= total;
        long now = System.nanoTime();
        if (!last && lastDrawn != Long.MIN_VALUE && now - lastDrawn < intervalNanos) {
            return;
        }
        lastDrawn = now;
        String line = line(label, done, total, unit);
        if (inPlace) {
            out.print("\r" + line);
            lineOpen = !last;
            if (last) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** One drawing of the bar, without line ends. */
    static String line(String label, long done, long total, String unit) {
        boolean bytes = "bytes".equals(unit);
        String count = bytes ? mib(done) : Long.toString(done);
        if (total < 0) {
            return label + " " + count + " " + (bytes ? "MiB" : unit);
        }
        double f = total == 0 ? 1 : Math.min(1, Math.max(0, done / (double) total));
        int filled = (int) Math.floor(f * WIDTH);
        String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
        String of = bytes ? mib(done) + "/" + mib(total) + " MiB" : done + "/" + total + " " + unit;
        return String.format(Locale.ROOT, "%s [%s] %3d%% %s", label, bar, (int) Math.floor(f * 100), of);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }
}
