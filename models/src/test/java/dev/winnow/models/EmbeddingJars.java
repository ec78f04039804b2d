package dev.winnow.models;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/**
 * The langchain4j embedding jars that Maven put on the test class path (test-scoped dependencies of this module):
 * their entries as streams, and where the local Maven repository holding them is.
 */
public final class EmbeddingJars {
    /** all-MiniLM-L6-v2's tokenizer.json entry. */
    public static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    /** all-MiniLM-L6-v2's ONNX entry. */
    public static final String MINILM_ONNX = "all-minilm-l6-v2.onnx";
    /** bge-small-en-v1.5's tokenizer.json entry. */
    public static final String BGE_TOKENIZER = "bge-small-en-v1.5-tokenizer.json";

    private EmbeddingJars() {}

    /** @return a stream over a jar entry found on the class path */
    public static InputStream open(String entry) throws IOException {
        InputStream in = EmbeddingJars.class.getClassLoader().getResourceAsStream(entry);
        if (in == null) {
            throw new IOException(
                    entry + " is not on the test class path: is the langchain4j test dependency resolved?");
        }
        return in;
    }

    /** @return the jar file that holds {@code entry} */
    public static Path jarOf(String entry) throws IOException {
        URL url = EmbeddingJars.class.getClassLoader().getResource(entry);
        if (url == null || !url.getProtocol().equals("jar")) {
            throw new IOException(entry + " is not inside a jar on the test class path");
        }
        try {
            return Path.of(
                    ((JarURLConnection) url.openConnection()).getJarFileURL().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    /**
     * @param entry an entry of a jar in a Maven repository layout
     * @param jarPath that jar's path inside the repository ({@code g/r/o/u/p/artifact/version/artifact-version.jar})
     * @return the repository's root directory
     */
    public static Path repositoryOf(String entry, String jarPath) throws IOException {
        Path jar = jarOf(entry);
        Path root = jar;
        for (int i = 0; i < Path.of(jarPath).getNameCount(); i++) {
            root = root.getParent();
        }
        if (!root.resolve(jarPath).equals(jar)) {
            throw new IOException(jar + " is not in a Maven repository layout for " + jarPath);
        }
        return root;
    }
}
