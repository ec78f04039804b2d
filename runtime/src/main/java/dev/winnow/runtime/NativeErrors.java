package dev.winnow.runtime;

import dev.winnow.bindings.NativeLogBridge;
import java.util.List;

/**
 * llama.cpp's own reason for a failure: many calls return NULL or 0 and explain only in the log. {@link #clear()}
 * before such a call, then {@link #reason(String)} gives the WARN/ERROR lines logged on this thread since then.
 */
final class NativeErrors {
    private NativeErrors() {}

    static void clear() {
        NativeLogBridge.clearErrors();
    }

    /**
     * @param fallback what to say when llama.cpp logged nothing
     * @return " (llama.cpp: line1 / line2)" or " (fallback)"
     */
    static String reason(String fallback) {
        List<String> lines = NativeLogBridge.errors();
        return lines.isEmpty() ? " (" + fallback + ")" : " (llama.cpp: " + String.join(" / ", lines) + ")";
    }
}
