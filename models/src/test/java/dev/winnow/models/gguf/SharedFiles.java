package dev.winnow.models.gguf;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared test files (system property {@code winnow.shared.dir}, set by surefire). */
public final class SharedFiles {
    private SharedFiles() {}

    /** @return ../shared/models/stories260K.gguf; fails the test when the shared directory is missing */
    public static Path stories260K() {
        String dir = System.getProperty("winnow.shared.dir", "../shared");
        Path p = Path.of(dir, "models", "stories260K.gguf");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(
                    "test model missing: " + p.toAbsolutePath() + " (set -Dwinnow.shared.dir to the shared directory)");
        }
        return p;
    }
}
