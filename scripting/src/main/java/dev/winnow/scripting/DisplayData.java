package dev.winnow.scripting;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A rich output as a MIME bundle, the shape Jupyter's {@code display_data} uses: MIME type to its representation,
 * most specific first. Text types ({@code text/plain}, {@code text/html}, {@code text/markdown}, {@code image/svg+xml},
 * {@code application/json}) hold the text itself; binary types ({@code image/png}, {@code image/jpeg}) hold the bytes
 * in base64 (RFC 4648, no line breaks). A bundle always has {@code text/plain}, the fallback that the command line
 * prints.
 *
 * @param mimeBundle MIME type to representation; copied, iteration order kept
 */
public record DisplayData(Map<String, String> mimeBundle) {

    /** The fallback type every bundle carries. */
    public static final String TEXT_PLAIN = "text/plain";

    /**
     * Checks and copies the bundle.
     *
     * @throws IllegalArgumentException if the bundle is empty, has no {@code text/plain}, or has a null or blank key or
     *     a null value
     */
    public DisplayData {
        if (mimeBundle == null || mimeBundle.isEmpty()) {
            throw new IllegalArgumentException("a display bundle needs at least one MIME type");
        }
        Map<String, String> copy = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : mimeBundle.entrySet()) {
            if (e.getKey() == null || e.getKey().isBlank() || !e.getKey().contains("/")) {
                throw new IllegalArgumentException("display bundle key '" + e.getKey() + "' is not a MIME type");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("display bundle value for " + e.getKey() + " is null");
            }
            copy.put(e.getKey(), e.getValue());
        }
        if (!copy.containsKey(TEXT_PLAIN)) {
            throw new IllegalArgumentException(
                    "a display bundle needs a text/plain fallback; it has only " + copy.keySet());
        }
        mimeBundle = Collections.unmodifiableMap(copy);
    }

    /**
     * A bundle holding only plain text.
     *
     * @param text the text
     * @return {@code {"text/plain": text}}
     */
    public static DisplayData text(String text) {
        return new DisplayData(Map.of(TEXT_PLAIN, text));
    }

    /**
     * A bundle with one rich representation and its plain-text fallback.
     *
     * @param mime the rich type, e.g. {@code text/html}
     * @param value its representation (base64 for binary types)
     * @param plain the fallback text
     * @return the bundle, {@code mime} first
     */
    public static DisplayData of(String mime, String value, String plain) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(mime, value);
        m.putIfAbsent(TEXT_PLAIN, plain);
        return new DisplayData(m);
    }

    /**
     * The plain-text fallback.
     *
     * @return the {@code text/plain} value
     */
    public String plainText() {
        return mimeBundle.get(TEXT_PLAIN);
    }
}
