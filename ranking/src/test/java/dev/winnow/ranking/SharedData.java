package dev.winnow.ranking;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared/data (system property {@code winnow.shared.dir}, set by surefire). */
public final class SharedData {

    private SharedData() {}

    /**
     * Returns a collection directory under shared/data, failing clearly when it is missing.
     *
     * @param name e.g. {@code scifact}
     * @return the directory
     */
    public static Path collection(String name) {
        String shared = System.getProperty("winnow.shared.dir", "../shared");
        Path p = Path.of(shared, "data", name);
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("test collection not found: " + p.toAbsolutePath());
        }
        return p;
    }

    /**
     * Returns a model file under shared/models, failing clearly when it is missing.
     *
     * @param name e.g. {@code stories260K.gguf}
     * @return the file
     */
    public static Path model(String name) {
        Path p = Path.of(System.getProperty("winnow.shared.dir", "../shared"), "models", name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("test model not found: " + p.toAbsolutePath());
        }
        return p;
    }
}
