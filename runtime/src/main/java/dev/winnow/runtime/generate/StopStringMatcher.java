package dev.winnow.runtime.generate;

import java.util.List;

/**
 * Watches streamed text for stop strings. Text that could still be the start of a stop string is held back, so a
 * caller never prints part of a stop string; once one appears, the text before it is released and the stream ends.
 *
 * <p>Not thread-safe. An empty list of stop strings lets all text through at once.
 */
public final class StopStringMatcher {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private String matched;

    /**
     * @param stops the stop strings; none may be empty
     * @throws IllegalArgumentException if a stop string is empty or null
     */
    public StopStringMatcher(List<String> stops) {
        for (String s : stops) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must be non-empty, got " + stops);
            }
        }
        this.stops = List.copyOf(stops);
    }

    /**
     * Adds text and returns what is now safe to emit.
     *
     * @param text the next decoded text
     * @return text that is before any stop string and cannot be the start of one
     * @throws IllegalStateException if a stop string was already matched
     */
    public String feed(String text) {
        if (matched != null) {
            throw new IllegalStateException("stop string already matched: " + matched);
        }
        held.append(text);
        int first = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
                matched = s;
            }
        }
        if (first >= 0) {
            String out = held.substring(0, first);
            held.setLength(0);
            return out;
        }
        int keep = 0;
        String h = held.toString();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, h.length()); k > keep; k--) {
                if (h.regionMatches(h.length() - k, s, 0, k)) {
                    keep = k;
                    break;
                }
            }
        }
        // never hold back half of a surrogate pair's split: keep whole code points
        int cut = held.length() - keep;
        if (cut > 0 && cut < held.length() && Character.isHighSurrogate(held.charAt(cut - 1))) {
            cut--;
        }
        String out = held.substring(0, cut);
        held.delete(0, cut);
        return out;
    }

    /**
     * @return the stop string that ended the stream, or null while none has
     */
    public String matched() {
        return matched;
    }

    /**
     * Ends the stream without a stop: releases the held-back text.
     *
     * @return held text (empty after a match)
     */
    public String finish() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }
}
