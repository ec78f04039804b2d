package dev.winnow.ranking.dense;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What made an index's vectors, as structured facts an index records beside them: the engine, the model file's
 * SHA-256 and size, pooling, normalisation, token budget, dimension and the query and document instructions. Two
 * embedders make the same document vectors when {@link #sameVectors} says so; where the model file lies is recorded
 * only as a hint for finding it again ({@link #modelFile()}), never compared, so moving a model file does not orphan
 * an index.
 *
 * @param engine {@code llama.cpp}, {@code hashed-bow}, or another engine's name; {@value #OPAQUE} for an embedder
 *     known only by its {@link Embedder#describe()} text
 * @param model the model's name (e.g. GGUF {@code general.name}), or null
 * @param modelSha256 the model file's SHA-256 in lower-case hex, or null for a model-free embedder
 * @param tokenizerSha256 the SHA-256 of a tokenizer file kept apart from the model (ONNX's {@code tokenizer.json}), or
 *     null when the model file holds its tokenizer
 * @param modelBytes the model file's size in bytes, or -1 when not known (indexes written before this record)
 * @param modelFile where the model file was when the vectors were made (a hint), or null
 * @param pooling how token states are pooled ({@code mean}, {@code cls}, ...), or null
 * @param normalized whether vectors are L2-normalised to unit length before they are stored
 * @param maxTokens the token budget per text, special tokens included, or 0 for none
 * @param dimension the vector size, or 0 when not known
 * @param queryInstruction the text put before every query, or null when not known (it changes no document vector)
 * @param documentInstruction the text put before every document ({@code ""} for none)
 * @param description the embedder's {@link Embedder#describe()} text, for provenance
 */
public record EmbedderIdentity(
        String engine,
        String model,
        String modelSha256,
        String tokenizerSha256,
        long modelBytes,
        String modelFile,
        String pooling,
        boolean normalized,
        int maxTokens,
        int dimension,
        String queryInstruction,
        String documentInstruction,
        String description) {

    /** The engine of an embedder known only by its description. */
    public static final String OPAQUE = "opaque";

    private static final Pattern LLAMA_DESCRIPTION =
            Pattern.compile("llama\\.cpp model=(.+) sha256=([0-9a-f]{64}) pooling=([a-z]+) maxTokens=(\\d+)"
                    + "(?: documentInstruction=(\\S+))?");
    private static final Pattern HASHED_DESCRIPTION = Pattern.compile("hashed-bag-of-words dim=(\\d{1,4}) .*");

    /** @throws IllegalArgumentException when the engine is missing or a bound is negative */
    public EmbedderIdentity {
        if (engine == null || engine.isBlank()) {
            throw new IllegalArgumentException("an embedder identity needs an engine");
        }
        if (maxTokens < 0 || dimension < 0) {
            throw new IllegalArgumentException(
                    "embedder identity: maxTokens and dimension must be >= 0, got " + maxTokens + " and " + dimension);
        }
        documentInstruction = documentInstruction == null ? "" : documentInstruction;
    }

    /**
     * The identity of an embedder known only by its description (the default of {@link Embedder#embedderIdentity()}).
     *
     * @param description the {@link Embedder#describe()} text
     * @param dimension the vector size
     * @return an identity whose {@link #sameVectors} compares descriptions
     */
    public static EmbedderIdentity opaque(String description, int dimension) {
        return new EmbedderIdentity(
                OPAQUE, null, null, null, -1, null, null, true, 0, dimension, null, "", description);
    }

    /**
     * Reads the identity out of a description that indexes recorded before identities existed ({@code llama.cpp
     * model=FILE sha256=HEX pooling=NAME maxTokens=N [documentInstruction=URL-ENCODED]} or the hashed bag of words').
     *
     * @param description the recorded {@link Embedder#describe()} text
     * @param dimension the recorded vector size (0 when not known)
     * @return the identity: structured for the two known forms, {@link #opaque} otherwise
     */
    public static EmbedderIdentity fromDescription(String description, int dimension) {
        Objects.requireNonNull(description, "description");
        Matcher l = LLAMA_DESCRIPTION.matcher(description);
        if (l.matches()) {
            String doc = l.group(5) == null ? "" : URLDecoder.decode(l.group(5), StandardCharsets.UTF_8);
            return new EmbedderIdentity(
                    "llama.cpp",
                    null,
                    l.group(2),
                    null,
                    -1,
                    l.group(1),
                    l.group(3),
                    true,
                    Integer.parseInt(l.group(4)),
                    dimension,
                    null,
                    doc,
                    description);
        }
        Matcher h = HASHED_DESCRIPTION.matcher(description);
        if (h.matches()) {
            return new EmbedderIdentity(
                    "hashed-bow",
                    null,
                    null,
                    null,
                    -1,
                    null,
                    null,
                    true,
                    0,
                    Integer.parseInt(h.group(1)),
                    "",
                    "",
                    description);
        }
        return opaque(description, dimension);
    }

    /**
     * Says whether an embedder with this identity makes the same document vectors as one with {@code other}: same
     * engine, model content (SHA-256, and the tokenizer's when it is a file of its own), pooling, normalisation, token budget, dimension (when both know it) and document
     * instruction. The model file's place, its name and the query instruction are not compared. Opaque identities
     * compare their descriptions.
     *
     * @param other the other identity
     * @return whether their document vectors agree
     */
    public boolean sameVectors(EmbedderIdentity other) {
        if (other == null) {
            return false;
        }
        if (engine.equals(OPAQUE) || other.engine.equals(OPAQUE)) {
            return Objects.equals(description, other.description);
        }
        return engine.equals(other.engine)
                && Objects.equals(modelSha256, other.modelSha256)
                && Objects.equals(tokenizerSha256, other.tokenizerSha256)
                && Objects.equals(pooling, other.pooling)
                && normalized == other.normalized
                && maxTokens == other.maxTokens
                && (dimension == 0 || other.dimension == 0 || dimension == other.dimension)
                && documentInstruction.equals(other.documentInstruction);
    }

    /**
     * The content key of these vectors: the facts {@link #sameVectors} compares, as one line (for cache keys).
     *
     * @return e.g. {@code llama.cpp sha256=... pooling=mean normalized=true maxTokens=256 dimension=384
     *     documentInstruction=}
     */
    public String contentKey() {
        if (engine.equals(OPAQUE)) {
            return "opaque " + description;
        }
        return engine + " sha256=" + modelSha256 + (tokenizerSha256 == null ? "" : " tokenizer=" + tokenizerSha256)
                + " pooling=" + pooling + " normalized=" + normalized + " maxTokens="
                + maxTokens + " dimension=" + dimension + " documentInstruction="
                + URLEncoder.encode(documentInstruction, StandardCharsets.UTF_8);
    }

    /**
     * Returns a copy with another model file hint (e.g. where the model was found again).
     *
     * @param file the file's path as text
     * @return the copy
     */
    public EmbedderIdentity withModelFile(String file) {
        return new EmbedderIdentity(
                engine,
                model,
                modelSha256,
                tokenizerSha256,
                modelBytes,
                file,
                pooling,
                normalized,
                maxTokens,
                dimension,
                queryInstruction,
                documentInstruction,
                description);
    }

    /**
     * Returns the facts as a map, for provenance records and the index's settings.
     *
     * @return field name to value, nulls left out
     */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("engine", engine);
        putIfSet(m, "model", model);
        putIfSet(m, "modelSha256", modelSha256);
        putIfSet(m, "tokenizerSha256", tokenizerSha256);
        if (modelBytes >= 0) {
            m.put("modelBytes", modelBytes);
        }
        putIfSet(m, "modelFile", modelFile);
        putIfSet(m, "pooling", pooling);
        m.put("normalized", normalized);
        m.put("maxTokens", maxTokens);
        m.put("dimension", dimension);
        putIfSet(m, "queryInstruction", queryInstruction);
        m.put("documentInstruction", documentInstruction);
        putIfSet(m, "description", description);
        return m;
    }

    private static void putIfSet(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }
}
