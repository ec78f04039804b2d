package dev.winnow.webui.cli;

import dev.winnow.models.WinnowHome;
import dev.winnow.runtime.NativeLog;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Where the command line sends llama.cpp's own log lines (model loading, context creation, warnings): never between
 * a command's results. By default they go to {@code $WINNOW_HOME/logs/llama.log} (the system property {@code
 * winnow.log.file} names another file: the build's tests use it); {@code --verbose} (where a command has it) or {@code
 * WINNOW_VERBOSE=1} prints them on standard error instead.
 */
final class NativeLogs {

    private NativeLogs() {}

    /**
     * The log file llama.cpp's lines go to.
     *
     * @return {@code $WINNOW_HOME/logs/llama.log}, or the file the system property {@code winnow.log.file} names
     */
    static Path file() {
        String override = System.getProperty("winnow.log.file");
        return override != null && !override.isBlank()
                ? Path.of(override)
                : WinnowHome.dir().resolve("logs").resolve("llama.log");
    }

    /**
     * Routes llama.cpp's lines: to standard error when {@code verbose} or {@code WINNOW_VERBOSE=1}, else to {@link
     * #file()}.
     *
     * @param verbose the command's {@code --verbose}
     * @return the log file, or null when lines go to standard error
     */
    static Path configure(boolean verbose) {
        if (verbose || "1".equals(System.getenv("WINNOW_VERBOSE"))) {
            NativeLog.toStderr();
            return null;
        }
        Path f = file();
        if (!NativeLog.file().map(f::equals).orElse(false)) {
            NativeLog.toFile(f);
        }
        return f;
    }

    /**
     * After a command: when llama.cpp warned into the log file, says so once on {@code err} (after the results).
     *
     * @param err the command's error stream
     */
    static void reportWarnings(PrintWriter err) {
        long n = NativeLog.fileWarnings();
        if (n > 0 && NativeLog.file().isPresent()) {
            err.printf(
                    "winnow: llama.cpp logged %d warning line%s to %s (WINNOW_VERBOSE=1 prints them here)%n",
                    n, n == 1 ? "" : "s", NativeLog.file().get());
            err.flush();
        }
    }
}
