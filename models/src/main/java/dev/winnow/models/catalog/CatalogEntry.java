package dev.winnow.models.catalog;

import java.net.URI;
import java.util.Objects;

/**
 * One recommended model of the {@link ModelCatalog}.
 *
 * @param name the name {@code winnow models pull} takes, e.g. {@code qwen2.5-0.5b-instruct-q8_0}
 * @param role what Winnow uses it for
 * @param description one line: family, size, shape, quantisation
 * @param url where the GGUF file is downloaded from (https; plain http only from 127.0.0.1), or null for a model converted from Maven Central
 * @param maven the {@code convert-onnx --from-maven} name for a converted model, or null for a download
 * @param file the file name in the model directory
 * @param approxSize a human-readable size, saying whether it was measured or is unverified
 * @param sizeBytes the exact size in bytes where known, else null
 * @param sha256 the file's SHA-256 (64 lowercase hex digits) where known, else null (then a pull must be allowed
 *     explicitly)
 * @param licence the model's licence (SPDX id)
 */
public record CatalogEntry(
        String name,
        Role role,
        String description,
        URI url,
        String maven,
        String file,
        String approxSize,
        Long sizeBytes,
        String sha256,
        String licence) {

    /** What a model is for. */
    public enum Role {
        /** A generative model used for in-context ranking (BlockRank, ICR, listwise, pointwise). */
        RANKER,
        /** An encoder that maps text to a vector (dense retrieval). */
        EMBEDDING
    }

    /**
     * @throws IllegalArgumentException if the entry has neither or both of a URL and a Maven source, a URL that is not
     *     https (http is allowed on 127.0.0.1 only),
     *     a malformed sha256, or a file name with a path separator
     */
    public CatalogEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(file, "file");
        if ((url == null) == (maven == null)) {
            throw new IllegalArgumentException(name + ": give exactly one of url and maven");
        }
        if (url != null && !"https".equals(url.getScheme()) && !isLoopbackHttp(url)) {
            throw new IllegalArgumentException(
                    name + ": url must be https (or http on 127.0.0.1 for a local mirror), got " + url);
        }
        if (sha256 != null && !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException(name + ": sha256 must be 64 lowercase hex digits, got " + sha256);
        }
        if (file.contains("/") || file.contains("\\") || file.startsWith(".") || !file.endsWith(".gguf")) {
            throw new IllegalArgumentException(name + ": file must be a plain NAME.gguf, got " + file);
        }
    }

    private static boolean isLoopbackHttp(URI u) {
        return "http".equals(u.getScheme()) && ("127.0.0.1".equals(u.getHost()) || "localhost".equals(u.getHost()));
    }

    /**
     * @return whether a download is checked against a known SHA-256
     */
    public boolean verified() {
        return sha256 != null;
    }
}
