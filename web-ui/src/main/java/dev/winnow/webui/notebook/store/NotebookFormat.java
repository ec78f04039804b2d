package dev.winnow.webui.notebook.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.scripting.Language;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Jupyter's notebook format, version 4.5 (nbformat 4, minor 5: every cell has an {@code id}): building new notebooks
 * and checking documents before they are written.
 *
 * <p>Winnow's conventions inside the format: {@code metadata.kernelspec} and {@code metadata.language_info} name the
 * notebook's default language ({@code winnow-js} / {@code javascript} or {@code winnow-python} / {@code python}); a
 * code cell in another language carries {@code metadata.winnow.language} ({@code "js"} or {@code "python"}).
 */
public final class NotebookFormat {
    /** The major version written. */
    public static final int NBFORMAT = 4;
    /** The minor version written (cell ids). */
    public static final int NBFORMAT_MINOR = 5;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Set<String> CELL_TYPES = Set.of("code", "markdown", "raw");
    private static final Set<String> OUTPUT_TYPES = Set.of("stream", "display_data", "execute_result", "error");

    private NotebookFormat() {}

    /**
     * A notebook with one empty code cell.
     *
     * @param language the default language
     * @return the nbformat 4.5 document
     */
    public static ObjectNode empty(Language language) {
        ObjectNode nb = F.objectNode();
        nb.put("nbformat", NBFORMAT);
        nb.put("nbformat_minor", NBFORMAT_MINOR);
        nb.set("metadata", metadata(language));
        ArrayNode cells = nb.putArray("cells");
        cells.add(codeCell("", null));
        return nb;
    }

    /**
     * The notebook-level metadata for a default language.
     *
     * @param language the language
     * @return {@code {"kernelspec": {...}, "language_info": {...}}}
     */
    public static ObjectNode metadata(Language language) {
        ObjectNode m = F.objectNode();
        ObjectNode ks = m.putObject("kernelspec");
        ks.put("name", language == Language.JS ? "winnow-js" : "winnow-python");
        ks.put("display_name", language.displayName() + " (Winnow)");
        ks.put("language", language == Language.JS ? "javascript" : "python");
        ObjectNode li = m.putObject("language_info");
        li.put("name", language == Language.JS ? "javascript" : "python");
        li.put("file_extension", language == Language.JS ? ".js" : ".py");
        return m;
    }

    /**
     * A code cell with a fresh id and no outputs.
     *
     * @param source the code
     * @param language the cell's language when it differs from the notebook's, else {@code null}
     * @return the cell
     */
    public static ObjectNode codeCell(String source, Language language) {
        ObjectNode c = F.objectNode();
        c.put("id", newCellId());
        c.put("cell_type", "code");
        ObjectNode md = c.putObject("metadata");
        if (language != null) {
            md.putObject("winnow").put("language", language.id());
        }
        c.put("source", source);
        c.putArray("outputs");
        c.putNull("execution_count");
        return c;
    }

    /**
     * A fresh cell id: 8 hexadecimal characters (nbformat allows 1-64 of {@code [a-zA-Z0-9-_]}).
     *
     * @return the id
     */
    public static String newCellId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * The default language of a notebook, from {@code metadata.kernelspec.language} or {@code
     * metadata.language_info.name}; JavaScript when neither is set.
     *
     * @param notebook the document
     * @return the language
     * @throws IllegalArgumentException when the metadata names another language
     */
    public static Language defaultLanguage(JsonNode notebook) {
        JsonNode md = notebook.path("metadata");
        String name = md.path("kernelspec").path("language").asText("");
        if (name.isEmpty()) {
            name = md.path("language_info").path("name").asText("");
        }
        return name.isEmpty() ? Language.JS : Language.fromId(name);
    }

    /**
     * Checks a document against nbformat 4.5 and completes what a 4.x reader may omit: {@code nbformat_minor} raised to
     * 5, missing or duplicate cell ids replaced, multi-line sources and stream texts (lists of strings) joined, missing
     * {@code metadata}/{@code outputs}/{@code execution_count} added.
     *
     * @param doc the parsed JSON
     * @return {@code doc}, completed in place
     * @throws IllegalArgumentException naming the first offending field when the document is not an nbformat 4
     *     notebook
     */
    public static ObjectNode normalise(JsonNode doc) {
        if (!(doc instanceof ObjectNode nb)) {
            throw new IllegalArgumentException("a notebook must be a JSON object");
        }
        if (nb.path("nbformat").asInt(-1) != NBFORMAT) {
            throw new IllegalArgumentException("nbformat must be 4, got " + nb.get("nbformat"));
        }
        nb.put(
                "nbformat_minor",
                Math.max(NBFORMAT_MINOR, nb.path("nbformat_minor").asInt(0)));
        if (!nb.path("metadata").isObject()) {
            nb.set("metadata", metadata(Language.JS));
        }
        defaultLanguage(nb);
        JsonNode cells = nb.get("cells");
        if (cells == null || !cells.isArray()) {
            throw new IllegalArgumentException("notebook 'cells' must be an array");
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < cells.size(); i++) {
            if (!(cells.get(i) instanceof ObjectNode cell)) {
                throw new IllegalArgumentException("cells[" + i + "] is not an object");
            }
            String type = cell.path("cell_type").asText("");
            if (!CELL_TYPES.contains(type)) {
                throw new IllegalArgumentException(
                        "cells[" + i + "].cell_type '" + type + "' is not code, markdown or raw");
            }
            String id = cell.path("id").asText("");
            if (!id.matches("[a-zA-Z0-9_-]{1,64}") || !ids.add(id)) {
                id = newCellId();
                ids.add(id);
                cell.put("id", id);
            }
            if (!cell.path("metadata").isObject()) {
                cell.putObject("metadata");
            }
            cell.put("source", joined(cell.get("source"), "cells[" + i + "].source"));
            joinAttachments(cell.get("attachments"), "cells[" + i + "].attachments");
            if (type.equals("code")) {
                String lang =
                        cell.path("metadata").path("winnow").path("language").asText("");
                if (!lang.isEmpty()) {
                    Language.fromId(lang);
                }
                if (!cell.path("outputs").isArray()) {
                    cell.putArray("outputs");
                }
                JsonNode count = cell.get("execution_count");
                if (count == null || !(count.isNull() || count.isInt())) {
                    cell.putNull("execution_count");
                }
                ArrayNode outs = (ArrayNode) cell.get("outputs");
                for (int j = 0; j < outs.size(); j++) {
                    normaliseOutput(outs.get(j), "cells[" + i + "].outputs[" + j + "]");
                }
            } else {
                cell.remove("outputs");
                cell.remove("execution_count");
            }
        }
        return nb;
    }

    private static void normaliseOutput(JsonNode node, String where) {
        if (!(node instanceof ObjectNode out)) {
            throw new IllegalArgumentException(where + " is not an object");
        }
        String type = out.path("output_type").asText("");
        if (!OUTPUT_TYPES.contains(type)) {
            throw new IllegalArgumentException(where + ".output_type '" + type + "' is not a Jupyter output type");
        }
        switch (type) {
            case "stream" -> {
                String name = out.path("name").asText("");
                if (!name.equals("stdout") && !name.equals("stderr")) {
                    throw new IllegalArgumentException(where + ".name must be stdout or stderr, got '" + name + "'");
                }
                out.put("text", joined(out.get("text"), where + ".text"));
            }
            case "display_data", "execute_result" -> {
                if (!(out.get("data") instanceof ObjectNode data)) {
                    throw new IllegalArgumentException(where + ".data must be a MIME bundle object");
                }
                Iterator<Map.Entry<String, JsonNode>> it = data.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getKey().contains("/")) {
                        throw new IllegalArgumentException(where + ".data key '" + e.getKey() + "' is not a MIME type");
                    }
                    if (!isJsonMime(e.getKey()) && allStrings(e.getValue())) {
                        e.setValue(F.textNode(joined(e.getValue(), where + ".data." + e.getKey())));
                    }
                }
                if (!out.path("metadata").isObject()) {
                    out.putObject("metadata");
                }
                if (type.equals("execute_result")
                        && !out.path("execution_count").isInt()) {
                    out.putNull("execution_count");
                }
            }
            default -> {
                if (!out.path("traceback").isArray()) {
                    throw new IllegalArgumentException(where + ".traceback must be an array of strings");
                }
                out.put("ename", out.path("ename").asText(""));
                out.put("evalue", out.path("evalue").asText(""));
            }
        }
    }

    /** nbformat's rule: a JSON MIME type's value is data, never lines to join. */
    private static boolean isJsonMime(String mime) {
        return mime.equals("application/json") || (mime.startsWith("application/") && mime.endsWith("+json"));
    }

    private static boolean allStrings(JsonNode v) {
        if (!v.isArray()) {
            return false;
        }
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                return false;
            }
        }
        return true;
    }

    /** Joins the line lists of an attachments object's MIME bundles ({@code {"name.png": {"image/png": ...}}}). */
    private static void joinAttachments(JsonNode attachments, String where) {
        if (attachments == null || attachments.isNull()) {
            return;
        }
        if (!attachments.isObject()) {
            throw new IllegalArgumentException(where + " must be an object of MIME bundles");
        }
        Iterator<Map.Entry<String, JsonNode>> it = attachments.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> a = it.next();
            if (!(a.getValue() instanceof ObjectNode bundle)) {
                throw new IllegalArgumentException(where + "." + a.getKey() + " must be a MIME bundle object");
            }
            Iterator<Map.Entry<String, JsonNode>> mimes = bundle.fields();
            while (mimes.hasNext()) {
                Map.Entry<String, JsonNode> e = mimes.next();
                if (!isJsonMime(e.getKey()) && allStrings(e.getValue())) {
                    e.setValue(F.textNode(joined(e.getValue(), where + "." + a.getKey() + "." + e.getKey())));
                }
            }
        }
    }

    private static String joined(JsonNode text, String where) {
        if (text == null || text.isNull()) {
            return "";
        }
        if (text.isTextual()) {
            return text.asText();
        }
        if (text.isArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonNode part : text) {
                if (!part.isTextual()) {
                    throw new IllegalArgumentException(where + " must be a string or a list of strings");
                }
                b.append(part.asText());
            }
            return b.toString();
        }
        throw new IllegalArgumentException(where + " must be a string or a list of strings");
    }
}
