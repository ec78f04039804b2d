package dev.winnow.webui.notebook.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a notebook the way Jupyter's own writer does ({@code nbformat.write}, nbformat 5.x), so that a notebook
 * Jupyter wrote and Winnow saves unchanged is the same file byte for byte, and a one-cell edit is a one-cell diff:
 *
 * <ul>
 *   <li>multi-line text as lists of lines ({@code split_lines}): cell sources, stream texts, and in output and
 *       attachment MIME bundles the {@code text/*}, {@code application/javascript} and {@code image/svg+xml} values;
 *       lines end where Python's {@code str.splitlines(True)} ends them, endings kept;
 *   <li>transient fields dropped ({@code strip_transient}): {@code metadata.orig_nbformat}, {@code
 *       orig_nbformat_minor}, {@code signature}, each cell's {@code metadata.trusted};
 *   <li>JSON as Python's {@code json.dumps(nb, indent=1, sort_keys=True, separators=(",", ": "),
 *       ensure_ascii=False)}: keys sorted by code point, one space of indent per level, {@code []} and {@code {}} for
 *       empty containers, non-ASCII text kept as UTF-8, control characters escaped as Python escapes them, numbers as
 *       Python's {@code repr} writes them ({@code 1.0}, {@code 1e-05}, {@code 1e+16});
 *   <li>a final newline.
 * </ul>
 *
 * <p>The notebook given is not changed. Its text values are expected joined (as {@link NotebookFormat#normalise}
 * leaves them); lists are written as they are.
 */
public final class NbformatWriter {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Set<String> SPLIT_NON_TEXT_MIMES = Set.of("application/javascript", "image/svg+xml");

    private NbformatWriter() {}

    /**
     * Serialises a notebook as Jupyter's writer does.
     *
     * @param notebook an nbformat 4 document
     * @return the file's bytes (UTF-8, ending with a newline)
     */
    public static byte[] write(ObjectNode notebook) {
        ObjectNode nb = notebook.deepCopy();
        stripTransient(nb);
        splitLines(nb);
        StringBuilder out = new StringBuilder(4096);
        value(nb, 0, out);
        out.append('\n');
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void stripTransient(ObjectNode nb) {
        if (nb.get("metadata") instanceof ObjectNode md) {
            md.remove(List.of("orig_nbformat", "orig_nbformat_minor", "signature"));
        }
        for (JsonNode cell : nb.path("cells")) {
            if (cell.get("metadata") instanceof ObjectNode md) {
                md.remove("trusted");
            }
        }
    }

    private static void splitLines(ObjectNode nb) {
        for (JsonNode c : nb.path("cells")) {
            if (!(c instanceof ObjectNode cell)) {
                continue;
            }
            if (cell.get("source") != null && cell.get("source").isTextual()) {
                cell.set("source", lines(cell.get("source").asText()));
            }
            if (cell.get("attachments") instanceof ObjectNode attachments) {
                for (JsonNode bundle : attachments) {
                    splitBundle(bundle);
                }
            }
            if (!"code".equals(cell.path("cell_type").asText())) {
                continue;
            }
            for (JsonNode o : cell.path("outputs")) {
                if (!(o instanceof ObjectNode output)) {
                    continue;
                }
                String type = output.path("output_type").asText();
                if (type.equals("execute_result") || type.equals("display_data")) {
                    splitBundle(output.get("data"));
                } else if (type.equals("stream")
                        && output.get("text") != null
                        && output.get("text").isTextual()) {
                    output.set("text", lines(output.get("text").asText()));
                }
            }
        }
    }

    private static void splitBundle(JsonNode node) {
        if (!(node instanceof ObjectNode data)) {
            return;
        }
        Iterator<Map.Entry<String, JsonNode>> it = data.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String mime = e.getKey();
            if (e.getValue().isTextual() && (mime.startsWith("text/") || SPLIT_NON_TEXT_MIMES.contains(mime))) {
                e.setValue(lines(e.getValue().asText()));
            }
        }
    }

    /** Python's {@code str.splitlines(True)}: the pieces with their line endings; none for the empty string. */
    static ArrayNode lines(String s) {
        ArrayNode out = F.arrayNode();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char ch = s.charAt(i);
            int end;
            if (ch == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                end = i + 2;
            } else if (isLineBoundary(ch)) {
                end = i + 1;
            } else {
                i++;
                continue;
            }
            out.add(s.substring(start, end));
            start = end;
            i = end;
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** The characters Python's {@code str.splitlines} ends a line at. */
    private static boolean isLineBoundary(char c) {
        return switch (c) {
            case '\n', '\r', '\u000b', '\u000c', '\u001c', '\u001d', '\u001e', '\u0085', '\u2028', '\u2029' -> true;
            default -> false;
        };
    }

    private static void value(JsonNode v, int depth, StringBuilder out) {
        if (v.isObject()) {
            if (v.isEmpty()) {
                out.append("{}");
                return;
            }
            List<String> keys = new ArrayList<>();
            v.fieldNames().forEachRemaining(keys::add);
            keys.sort(NbformatWriter::compareCodePoints);
            out.append('{');
            boolean first = true;
            for (String k : keys) {
                out.append(first ? "\n" : ",\n");
                first = false;
                indent(depth + 1, out);
                string(k, out);
                out.append(": ");
                value(v.get(k), depth + 1, out);
            }
            out.append('\n');
            indent(depth, out);
            out.append('}');
        } else if (v.isArray()) {
            if (v.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            for (JsonNode e : v) {
                out.append(first ? "\n" : ",\n");
                first = false;
                indent(depth + 1, out);
                value(e, depth + 1, out);
            }
            out.append('\n');
            indent(depth, out);
            out.append(']');
        } else if (v.isTextual()) {
            string(v.asText(), out);
        } else if (v.isBoolean()) {
            out.append(v.booleanValue() ? "true" : "false");
        } else if (v.isNull() || v.isMissingNode()) {
            out.append("null");
        } else if (v.isIntegralNumber()) {
            out.append(v.bigIntegerValue());
        } else if (v.isNumber()) {
            out.append(pythonRepr(v.doubleValue()));
        } else {
            // binary or POJO nodes never come from parsing a file or the page's JSON
            throw new IllegalArgumentException("notebook holds a value JSON cannot write: " + v.getNodeType());
        }
    }

    private static void indent(int depth, StringBuilder out) {
        for (int i = 0; i < depth; i++) {
            out.append(' ');
        }
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** A JSON string as Python's json module writes it with {@code ensure_ascii=False}. */
    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * A double as Python's {@code repr} (and so its json module) writes it: the shortest digits that read back to the
     * same double, in fixed notation for decimal exponents -4 to 15 (always with a fractional part, {@code 1.0}), else
     * in scientific notation with a signed two-digit-or-more exponent ({@code 1e-05}, {@code 1.5e+16}).
     */
    static String pythonRepr(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        // Double.toString gives the shortest round-tripping digits since JDK 19 (JDK-4511638)
        BigDecimal b = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        if (b.precision() == 2) {
            // Java prints at least two significant digits (4.9E-324); Python the shortest, which may be one (5e-324)
            BigDecimal one = new BigDecimal(Math.abs(d)).round(new MathContext(1, RoundingMode.HALF_EVEN));
            if (one.doubleValue() == Math.abs(d)) {
                b = one.stripTrailingZeros();
            }
        }
        String digits = b.unscaledValue().toString();
        int exponent = digits.length() - 1 - b.scale(); // d = digits[0].digits[1..] x 10^exponent
        StringBuilder out = new StringBuilder();
        if (d < 0) {
            out.append('-');
        }
        if (exponent < -4 || exponent >= 16) {
            out.append(digits.charAt(0));
            if (digits.length() > 1) {
                out.append('.').append(digits, 1, digits.length());
            }
            out.append('e').append(exponent < 0 ? '-' : '+');
            String e = Integer.toString(Math.abs(exponent));
            if (e.length() < 2) {
                out.append('0');
            }
            out.append(e);
        } else if (exponent < 0) {
            out.append("0.");
            out.append("0".repeat(-exponent - 1));
            out.append(digits);
        } else if (digits.length() <= exponent + 1) {
            out.append(digits)
                    .append("0".repeat(exponent + 1 - digits.length()))
                    .append(".0");
        } else {
            out.append(digits, 0, exponent + 1).append('.').append(digits, exponent + 1, digits.length());
        }
        return out.toString();
    }
}
