package dev.winnow.bindings;

import dev.winnow.bindings.llama.ggml_h;
import dev.winnow.bindings.llama.ggml_log_callback;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes llama.cpp's and ggml's log ({@code llama_log_set}, which also sets ggml's logger) to the SLF4J logger
 * {@code dev.winnow.llama}, installed by {@link LlamaNative#load()}. Levels: GGML_LOG_LEVEL_ERROR to ERROR, WARN to
 * WARN, INFO to DEBUG (llama.cpp is chatty at INFO: quiet by default), DEBUG to TRACE. llama.cpp sends a line in pieces
 * (GGML_LOG_LEVEL_CONT continues the previous piece), so pieces are joined per thread and one SLF4J event is logged per
 * complete line.
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
    private static final ThreadLocal<ArrayDeque<String>> ERRORS =
            ThreadLocal.withInitial(ArrayDeque::new);

    private NativeLogBridge() {
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
