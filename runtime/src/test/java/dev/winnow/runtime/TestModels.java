package dev.winnow.runtime;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where tests find the shared real model files (system property {@code winnow.shared.dir}, set by Surefire). */
public final class TestModels {
    private TestModels() {}

    /**
     * @return ../shared beside the repository
     */
    public static Path sharedDir() {
        String dir = System.getProperty("winnow.shared.dir");
        if (dir == null) {
            throw new IllegalStateException("system property winnow.shared.dir is not set (Surefire sets it)");
        }
        return Path.of(dir);
    }

    /**
     * @return the real stories260K.gguf (5 layers, n_embd 64, 8 heads, vocab 512)
     */
    public static Path stories260K() {
        Path p = sharedDir().resolve("models/stories260K.gguf");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("missing test model " + p);
        }
        return p;
    }
}
