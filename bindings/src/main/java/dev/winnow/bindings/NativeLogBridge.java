package dev.winnow.bindings;

import dev.winnow.bindings.llama.ggml_h;
import dev.winnow.bindings.llama.ggml_log_callback;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes llama.cpp's and ggml's log ({@code llama_log_set}, which also sets ggml's logger) to the SLF4J logger
 * {@code dev.winnow.llama}. Levels: GGML_LOG_LEVEL_ERROR to ERROR, WARN to WARN, INFO to DEBUG (llama.cpp is chatty at
 * INFO: quiet by default), DEBUG to TRACE. llama.cpp sends a line in pieces (GGML_LOG_LEVEL_CONT continues the previous
 * piece), so pieces are joined per thread and one SLF4J event is logged per complete line.
 */
final class NativeLogBridge {

    static final String LOGGER_NAME = "dev.winnow.llama";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER_NAME);
    private static final ThreadLocal<Pending> PENDING = ThreadLocal.withInitial(Pending::new);

    private NativeLogBridge() {
    }

    /**
     * The upcall stub to hand to {@code llama_log_set}; it lives in the global arena because llama.cpp keeps the
     * pointer for ever.
     */
    static MemorySegment upcallStub() {
        return ggml_log_callback.allocate(NativeLogBridge::onLog, Arena.global());
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
