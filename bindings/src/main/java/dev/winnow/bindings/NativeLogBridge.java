package dev.winnow.bindings;

import dev.winnow.bindings.llama.ggml_h;
import dev.winnow.bindings.llama.ggml_log_callback;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes llama.cpp's and ggml's log ({@code llama_log_set}, which also sets ggml's logger) to the SLF4J logger
 * {@code dev.winnow.llama}, installed by {@link LlamaNative#load()}. Levels: GGML_LOG_LEVEL_ERROR to ERROR, WARN to
 * WARN, INFO to DEBUG (llama.cpp is chatty at INFO: quiet by default), DEBUG to TRACE. llama.cpp sends a line in pieces
 * (GGML_LOG_LEVEL_CONT continues the previous piece), so pieces are joined per thread and one SLF4J event is logged per
 * complete line.
 *
 * <p>Applications that print results (the {@code winnow} command line) send the lines elsewhere so that none lands
 * between their output: {@link #logToFile} appends every INFO, WARN and ERROR line to a file instead (ERROR lines
 * still also reach SLF4J), and {@link #logToStderr} prints them on standard error ({@code --verbose}).
 *
 * <p>Many llama.cpp calls fail by returning NULL or 0 and say why only in the log. So that a caller can put the reason
 * into its exception, the WARN and ERROR lines logged <em>on the calling thread</em> are also kept (the last
 * {@value #KEPT_LINES}) until {@link #clearErrors()}: clear, make the call, then read {@link #errors()} or
 * {@link #lastError()}. Messages llama.cpp writes straight to stderr (for example the grammar parser's) are not seen.
 */
public final class NativeLogBridge {

    /** How many WARN/ERROR lines are kept per thread. */
    public static final int KEPT_LINES = 16;

    static final String LOGGER_NAME = "dev.winnow.llama";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);
    private static final ThreadLocal<Pending> PENDING = ThreadLocal.withInitial(Pending::new);
    private static final ThreadLocal<ArrayDeque<String>> ERRORS = ThreadLocal.withInitial(ArrayDeque::new);

    private static volatile Path logFile;
    private static volatile boolean toStderr;
    private static Writer fileWriter;
    private static volatile boolean fileWritten;
    private static final AtomicLong FILE_WARNINGS = new AtomicLong();

    private NativeLogBridge() {}

    /**
     * Sends llama.cpp's INFO, WARN and ERROR lines to a file (appended, created with its directories at the first
     * line, each line stamped with the time and level) instead of the SLF4J logger; ERROR lines also still go to
     * SLF4J. Replaces an earlier {@link #logToStderr}.
     *
     * @param file the log file
     */
    public static synchronized void logToFile(Path file) {
        closeFile();
        logFile = file;
        toStderr = false;
    }

    /** Prints llama.cpp's INFO, WARN and ERROR lines on standard error ({@code --verbose}); no log file. */
    public static synchronized void logToStderr() {
        closeFile();
        logFile = null;
        toStderr = true;
    }

    /** Back to the default: lines go to the SLF4J logger {@code dev.winnow.llama} (INFO at DEBUG level). */
    public static synchronized void logToSlf4j() {
        closeFile();
        logFile = null;
        toStderr = false;
    }

    /**
     * The file llama.cpp's lines go to.
     *
     * @return the file set by {@link #logToFile}, or empty
     */
    public static Optional<Path> logFile() {
        return Optional.ofNullable(logFile);
    }

    /**
     * Counts the WARN and ERROR lines written to the log file since {@link #logToFile}.
     *
     * @return the count
     */
    public static long fileWarnings() {
        return FILE_WARNINGS.get();
    }

    /**
     * Says whether a line has been written to the log file since {@link #logToFile}.
     *
     * @return true once the file holds a line from this process
     */
    public static boolean logFileWritten() {
        return fileWritten;
    }

    private static void closeFile() {
        if (fileWriter != null) {
            try {
                fileWriter.close();
            } catch (IOException ignored) {
                // nothing to do: the next line opens it again
            }
            fileWriter = null;
        }
        fileWritten = false;
        FILE_WARNINGS.set(0);
    }

    /** Writes one line to the file or stderr; false when neither is chosen (or the file cannot be written). */
    private static boolean redirect(int level, String line) {
        Path file = logFile;
        if (file == null && !toStderr) {
            return false;
        }
        String name = level == ggml_h.GGML_LOG_LEVEL_ERROR()
                ? "ERROR"
                : level == ggml_h.GGML_LOG_LEVEL_WARN()
                        ? "WARN"
                        : level == ggml_h.GGML_LOG_LEVEL_INFO() ? "INFO" : "DEBUG";
        if (toStderr) {
            PrintStream err = System.err;
            err.println("llama.cpp " + name + " " + line);
            return true;
        }
        synchronized (NativeLogBridge.class) {
            try {
                if (fileWriter == null) {
                    if (file.getParent() != null) {
                        Files.createDirectories(file.getParent());
                    }
                    fileWriter = Files.newBufferedWriter(
                            file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
                fileWriter.write(LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME) + " " + name + " "
                        + line + "\n");
                fileWriter.flush();
                fileWritten = true;
                if (level == ggml_h.GGML_LOG_LEVEL_WARN() || level == ggml_h.GGML_LOG_LEVEL_ERROR()) {
                    FILE_WARNINGS.incrementAndGet();
                }
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /**
     * The upcall stub to hand to {@code llama_log_set}; it lives in the global arena because llama.cpp keeps the
     * pointer for ever.
     */
    static MemorySegment upcallStub() {
        return ggml_log_callback.allocate(NativeLogBridge::onLog, Arena.global());
    }

    /** Forgets the WARN/ERROR lines kept for the calling thread (call before the llama.cpp call to diagnose). */
    public static void clearErrors() {
        ERRORS.get().clear();
        Pending p = PENDING.get();
        if (p.level == ggml_h.GGML_LOG_LEVEL_WARN() || p.level == ggml_h.GGML_LOG_LEVEL_ERROR()) {
            p.text.setLength(0);
        }
    }

    /**
     * The WARN and ERROR lines llama.cpp logged on the calling thread since {@link #clearErrors()}, oldest first (at
     * most the last {@value #KEPT_LINES}; a last line still waiting for its newline is included).
     *
     * @return the lines, without trailing newlines; empty when there were none
     */
    public static List<String> errors() {
        List<String> out = new ArrayList<>(ERRORS.get());
        Pending p = PENDING.get();
        if ((p.level == ggml_h.GGML_LOG_LEVEL_WARN() || p.level == ggml_h.GGML_LOG_LEVEL_ERROR())
                && !p.text.toString().isBlank()) {
            out.add(p.text.toString().strip());
        }
        return List.copyOf(out);
    }

    /**
     * The last WARN or ERROR line llama.cpp logged on the calling thread since {@link #clearErrors()}.
     *
     * @return the line, or empty when there was none
     */
    public static Optional<String> lastError() {
        List<String> all = errors();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
    }

    private static void onLog(int level, MemorySegment text, MemorySegment userData) {
        try {
            Pending p = PENDING.get();
            if (level != ggml_h.GGML_LOG_LEVEL_CONT()) {
                if (!p.text.isEmpty()) {
                    emit(p.level, p.text.toString());
                    p.text.setLength(0);
                }
                p.level = level;
            }
            p.text.append(text.equals(MemorySegment.NULL) ? "" : text.getString(0));
            int nl;
            while ((nl = p.text.indexOf("\n")) >= 0) {
                emit(p.level, p.text.substring(0, nl));
                p.text.delete(0, nl + 1);
            }
        } catch (Throwable t) {
            // an exception escaping an upcall would end the JVM: never let one through
            try {
                LOG.warn("failed to log a llama.cpp message", t);
            } catch (Throwable ignored) {
                // nothing left to report it with
            }
        }
    }

    private static void emit(int level, String line) {
        if (line.isEmpty()) {
            return;
        }
        if (level == ggml_h.GGML_LOG_LEVEL_ERROR() || level == ggml_h.GGML_LOG_LEVEL_WARN()) {
            ArrayDeque<String> kept = ERRORS.get();
            if (kept.size() == KEPT_LINES) {
                kept.removeFirst();
            }
            kept.addLast(line.strip());
        }
        if (level != ggml_h.GGML_LOG_LEVEL_DEBUG() && redirect(level, line)) {
            if (level == ggml_h.GGML_LOG_LEVEL_ERROR() && logFile != null) {
                LOG.error(line);
            }
            return;
        }
        if (level == ggml_h.GGML_LOG_LEVEL_ERROR()) {
            LOG.error(line);
        } else if (level == ggml_h.GGML_LOG_LEVEL_WARN()) {
            LOG.warn(line);
        } else if (level == ggml_h.GGML_LOG_LEVEL_INFO()) {
            LOG.debug(line);
        } else {
            LOG.trace(line);
        }
    }

    private static final class Pending {
        private final StringBuilder text = new StringBuilder();
        private int level = 2;
    }
}
