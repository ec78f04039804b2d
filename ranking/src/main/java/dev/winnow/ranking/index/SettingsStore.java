package dev.winnow.ranking.index;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.ranking.dense.EmbedderIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;

/**
 * The one place that reads and writes an index's {@link IndexSettings}: a JSON object under {@value #KEY} in the user
 * data of every Lucene commit. Reading validates, and every error names the index directory.
 *
 * <p>The embedder is recorded twice: {@code embedder}, its description (as indexes always recorded it), and {@code
 * embedderIdentity}, an object of structured facts ({@link EmbedderIdentity}: model SHA-256 and size, pooling,
 * normalisation, token budget, instructions). Indexes written before the object existed have only the description;
 * their identity is read out of it.
 */
final class SettingsStore {

    /** The commit user-data key. */
    static final String KEY = "winnow.settings";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SettingsStore() {}

    /**
     * Reads the settings of the last commit.
     *
     * @param directory the index's Lucene directory
     * @param path the index directory, for messages
     * @return the validated settings
     * @throws IOException when there is no commit, no settings in it, or the settings are unreadable or invalid
     */
    static IndexSettings read(Directory directory, Path path) throws IOException {
        if (!DirectoryReader.indexExists(directory)) {
            throw new IOException("no index at " + path
                    + ": the directory holds no Lucene index (no commit found; build one with winnow" + " index)");
        }
        String json = SegmentInfos.readLatestCommit(directory).getUserData().get(KEY);
        if (json == null) {
            throw new IOException("the index at " + path + " has no Winnow settings in its commit data (no '" + KEY
                    + "' entry): it was not" + " written by Winnow");
        }
        return parse(json, path);
    }

    /**
     * Parses and validates stored settings.
     *
     * @param json the stored JSON
     * @param path the index directory, for messages
     * @return the settings
     * @throws IOException naming the directory when the JSON is malformed, lacks a field, or holds an invalid value
     */
    static IndexSettings parse(String json, Path path) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IOException(
                    "the index at " + path + " has unreadable Winnow settings ('" + KEY + "' is not JSON: "
                            + e.getOriginalMessage() + ")",
                    e);
        }
        if (n == null || !n.isObject()) {
            throw new IOException("the index at " + path + " has unreadable Winnow settings ('" + KEY
                    + "' is not a JSON" + " object: " + json + ")");
        }
        try {
            return IndexSettings.builder()
                    .analyzer(text(n, "analyzer", path, false))
                    .bm25(number(n, "k1", path), number(n, "b", path))
                    .vectors(n.path("vectorDimension").asInt(0), text(n, "embedder", path, true))
                    .identity(identity(n.get("embedderIdentity"), path))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new IOException("the index at " + path + " has invalid Winnow settings: " + e.getMessage(), e);
        }
    }

    private static EmbedderIdentity identity(JsonNode o, Path path) throws IOException {
        if (o == null || o.isNull()) {
            return null;
        }
        if (!o.isObject()) {
            throw new IOException(
                    "the index at " + path + " has invalid Winnow settings: 'embedderIdentity' is not an object: " + o);
        }
        String engine = text(o, "engine", path, false);
        return new EmbedderIdentity(
                engine,
                text(o, "model", path, true),
                text(o, "modelSha256", path, true),
                text(o, "tokenizerSha256", path, true),
                o.path("modelBytes").asLong(-1),
                text(o, "modelFile", path, true),
                text(o, "pooling", path, true),
                o.path("normalized").asBoolean(true),
                o.path("maxTokens").asInt(0),
                o.path("dimension").asInt(0),
                text(o, "queryInstruction", path, true),
                text(o, "documentInstruction", path, true),
                text(o, "description", path, true));
    }

    private static float number(JsonNode n, String field, Path path) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) {
            throw new IOException("the index at " + path + " has invalid Winnow settings: '" + field + "' is "
                    + (v == null ? "missing" : "not a number: " + v));
        }
        return v.floatValue();
    }

    private static String text(JsonNode n, String field, Path path, boolean optional) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (optional) {
                return null;
            }
            throw new IOException("the index at " + path + " has invalid Winnow settings: '" + field + "' is missing");
        }
        if (!v.isTextual()) {
            throw new IOException(
                    "the index at " + path + " has invalid Winnow settings: '" + field + "' is not a string: " + v);
        }
        return v.asText();
    }

    /**
     * The commit user data that records {@code settings}.
     *
     * @param settings the settings
     * @return the user data to commit with
     */
    static Map<String, String> commitData(IndexSettings settings) {
        ObjectNode o = JSON.createObjectNode();
        o.put("analyzer", settings.analyzer());
        o.put("k1", settings.k1());
        o.put("b", settings.b());
        o.put("vectorDimension", settings.vectorDimension());
        o.put("embedder", settings.embedder());
        if (settings.embedderIdentity() != null) {
            o.set(
                    "embedderIdentity",
                    JSON.valueToTree(settings.embedderIdentity().asMap()));
        }
        try {
            return Map.of(KEY, JSON.writeValueAsString(o));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
