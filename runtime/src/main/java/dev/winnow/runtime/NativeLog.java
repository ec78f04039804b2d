package dev.winnow.runtime;

import dev.winnow.bindings.NativeLogBridge;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where llama.cpp's and ggml's own log lines go ({@code llama_log_set}). By default they reach the SLF4J logger
 * {@code dev.winnow.llama} (INFO at DEBUG level, so a library user sees only warnings and errors through their SLF4J
 * provider). Applications that print results, such as the {@code winnow} command line, send them to a file or to
 * standard error instead, so that no llama.cpp line lands between their output. Process-wide; thread-safe.
 */
public final class NativeLog {

    private NativeLog() {}

    /**
     * Appends llama.cpp's INFO, WARN and ERROR lines to {@code file} (created with its directories at the first line,
     * each line stamped with time and level); ERROR lines also still reach SLF4J.
     *
     * @param file the log file
     */
    public static void toFile(Path file) {
        NativeLogBridge.logToFile(file);
    }

    /** Prints llama.cpp's INFO, WARN and ERROR lines on standard error (a {@code --verbose} switch); no log file. */
    public static void toStderr() {
        NativeLogBridge.logToStderr();
    }

    /** Back to the default: lines go to the SLF4J logger {@code dev.winnow.llama}. */
    public static void toSlf4j() {
        NativeLogBridge.logToSlf4j();
    }

    /**
     * @return the file set by {@link #toFile}, or empty
     */
    public static Optional<Path> file() {
        return NativeLogBridge.logFile();
    }

    /**
     * @return the WARN and ERROR lines written to the log file since {@link #toFile}
     */
    public static long fileWarnings() {
        return NativeLogBridge.fileWarnings();
    }
}
