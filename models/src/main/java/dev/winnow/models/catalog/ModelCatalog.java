package dev.winnow.models.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The catalog of recommended models: the built-in resource {@code dev/winnow/models/catalog/catalog.json}, or any
 * file of the same form ({@code {"models": [{name, role, description, url | maven, file, approxSize, sizeBytes,
 * sha256, licence}, ...]}}).
 */
public final class ModelCatalog {
    private static final String RESOURCE = "/dev/winnow/models/catalog/catalog.json";

    private final List<CatalogEntry> entries;

    /**
     * @param entries the models; names must be unique
     * @throws IllegalArgumentException if a name or file appears twice
     */
    public ModelCatalog(List<CatalogEntry> entries) {
        Set<String> names = new HashSet<>();
        Set<String> files = new HashSet<>();
        for (CatalogEntry e : entries) {
            if (!names.add(e.name())) {
                throw new IllegalArgumentException("catalog: model name '" + e.name() + "' appears twice");
            }
            if (!files.add(e.file())) {
                throw new IllegalArgumentException("catalog: file '" + e.file() + "' appears twice");
            }
        }
        this.entries = List.copyOf(entries);
    }

    /**
     * @return the catalog shipped with Winnow
     * @throws IllegalStateException if the resource is missing or malformed (a build error)
     */
    public static ModelCatalog builtIn() {
        try (InputStream in = ModelCatalog.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            return read(in, RESOURCE);
        } catch (IOException e) {
            throw new IllegalStateException(RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a catalog.
     *
     * @param in the JSON text; not closed
     * @param source a description of the input for error messages
     * @return the catalog
     * @throws IOException if the text is not JSON or an entry is invalid (the message names the entry)
     */
    public static ModelCatalog read(InputStream in, String source) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IOException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode models = root.path("models");
        if (!models.isArray()) {
            throw new IOException(source + ": expected an array 'models'");
        }
        List<CatalogEntry> out = new ArrayList<>();
        int i = 0;
        for (JsonNode m : models) {
            try {
                out.add(new CatalogEntry(
                        required(m, "name"),
                        CatalogEntry.Role.valueOf(required(m, "role").toUpperCase(Locale.ROOT)),
                        m.path("description").asText(""),
                        m.hasNonNull("url") ? URI.create(m.get("url").asText()) : null,
                        m.hasNonNull("maven") ? m.get("maven").asText() : null,
                        required(m, "file"),
                        m.path("approxSize").asText("unknown"),
                        m.hasNonNull("sizeBytes") ? m.get("sizeBytes").asLong() : null,
                        m.hasNonNull("sha256") ? m.get("sha256").asText() : null,
                        m.path("licence").asText("unknown")));
            } catch (IllegalArgumentException e) {
                throw new IOException(source + ": model #" + i + ": " + e.getMessage(), e);
            }
            i++;
        }
        try {
            return new ModelCatalog(out);
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": " + e.getMessage(), e);
        }
    }

    private static String required(JsonNode m, String field) {
        if (!m.hasNonNull(field) || m.get(field).asText().isBlank()) {
            throw new IllegalArgumentException("missing '" + field + "'");
        }
        return m.get(field).asText();
    }

    /**
     * @return the models in catalog order
     */
    public List<CatalogEntry> entries() {
        return entries;
    }

    /**
     * @param name a model name
     * @return its entry
     * @throws IllegalArgumentException naming the known models if there is none
     */
    public CatalogEntry get(String name) {
        for (CatalogEntry e : entries) {
            if (e.name().equalsIgnoreCase(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("no model '" + name + "' in the catalog; known: "
                + entries.stream().map(CatalogEntry::name).collect(Collectors.joining(", ")));
    }
}
