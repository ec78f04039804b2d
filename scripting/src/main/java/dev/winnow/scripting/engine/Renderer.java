package dev.winnow.scripting.engine;

import dev.winnow.scripting.DisplayData;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.host.Displayable;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.graalvm.polyglot.Value;

/**
 * Turns guest values into MIME bundles: host objects that are {@link Displayable} show their own bundle; a value with
 * an explicit MIME type is taken as that representation (a string, or bytes for binary types, encoded base64);
 * anything else goes through the guest prelude's renderer (Python: {@code _repr_html_} and the other Jupyter
 * {@code _repr_*_} methods plus {@code repr}; JavaScript: JSON for plain objects and arrays) with the polyglot text
 * form as the plain-text fallback.
 */
public final class Renderer {
    private Renderer() {}

    /**
     * Renders a value.
     *
     * @param guest the context the value belongs to
     * @param value the value ({@code null}, {@code undefined} and {@code None} render to nothing)
     * @param mime the requested MIME type, or {@code null} to choose from the value
     * @return the bundle, or {@code null} when there is nothing to show
     * @throws IllegalArgumentException when the value cannot be shown as the requested type
     */
    public static DisplayData render(GuestContext guest, Value value, String mime) {
        if (value == null || value.isNull() || isPythonMainModule(guest, value)) {
            return null;
        }
        if (value.isHostObject() && value.asHostObject() instanceof Displayable d) {
            DisplayData data = d.toDisplayData();
            if (mime == null || !data.mimeBundle().containsKey(mime)) {
                return data;
            }
            return DisplayData.of(mime, data.mimeBundle().get(mime), data.plainText());
        }
        if (mime != null) {
            return withMime(value, mime);
        }
        Value bundle = guest.renderer().execute(value);
        Map<String, String> map = new LinkedHashMap<>();
        if (bundle != null && !bundle.isNull()) {
            if (bundle.hasHashEntries()) {
                Value it = bundle.getHashEntriesIterator();
                while (it.hasIteratorNextElement()) {
                    Value entry = it.getIteratorNextElement();
                    map.put(
                            entry.getArrayElement(0).asString(),
                            entry.getArrayElement(1).asString());
                }
            } else {
                for (String key : bundle.getMemberKeys()) {
                    map.put(key, bundle.getMember(key).asString());
                }
            }
        }
        map.putIfAbsent(DisplayData.TEXT_PLAIN, value.toString());
        return new DisplayData(map);
    }

    private static boolean isPythonMainModule(GuestContext guest, Value value) {
        // GraalPy's eval returns the __main__ module when a cell does not end with an expression of non-None value.
        return guest.language() == Language.PYTHON
                && value.getMetaObject() != null
                && "module".equals(value.getMetaObject().getMetaSimpleName())
                && "<module '__main__'>".equals(value.toString());
    }

    private static DisplayData withMime(Value value, String mime) {
        if (!mime.contains("/")) {
            throw new IllegalArgumentException(
                    "display: '" + mime + "' is not a MIME type (like text/html or image/png)");
        }
        boolean binary = isBinary(mime);
        if (value.isString()) {
            String s = value.asString();
            return DisplayData.of(mime, s, binary ? "<" + mime + ">" : s);
        }
        if (binary && (value.hasArrayElements() || value.hasBufferElements())) {
            return DisplayData.of(mime, Base64.getEncoder().encodeToString(bytes(value)), "<" + mime + ">");
        }
        throw new IllegalArgumentException("display(value, '"
                + mime
                + "') needs a string"
                + (binary ? " (base64) or bytes" : "")
                + ", got "
                + (value.getMetaObject() == null
                        ? value.toString()
                        : value.getMetaObject().getMetaQualifiedName()));
    }

    /**
     * Whether a MIME type is binary (its bundle value is base64).
     *
     * @param mime the type
     * @return {@code true} for images other than SVG, audio, video and octet streams
     */
    public static boolean isBinary(String mime) {
        return (mime.startsWith("image/") && !mime.equals("image/svg+xml"))
                || mime.startsWith("audio/")
                || mime.startsWith("video/")
                || mime.equals("application/octet-stream")
                || mime.equals("application/pdf");
    }

    private static byte[] bytes(Value value) {
        if (value.hasBufferElements()) {
            long n = value.getBufferSize();
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("display: " + n + " bytes is too large to show");
            }
            byte[] out = new byte[(int) n];
            value.readBuffer(0, out, 0, out.length);
            return out;
        }
        long n = value.getArraySize();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("display: " + n + " bytes is too large to show");
        }
        byte[] out = new byte[(int) n];
        for (int i = 0; i < out.length; i++) {
            int v = value.getArrayElement(i).asInt();
            if (v < -128 || v > 255) {
                throw new IllegalArgumentException("display: element " + i + " = " + v + " is not a byte");
            }
            out[i] = (byte) v;
        }
        return out;
    }
}
