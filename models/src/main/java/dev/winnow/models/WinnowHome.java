package dev.winnow.models;

import java.nio.file.Path;

/**
 * Where Winnow keeps what it downloads and converts: {@code $WINNOW_HOME} (environment variable, or the system
 * property {@code winnow.home}), by default {@code ~/.cache/winnow}. The llama.cpp libraries live under
 * {@code llama.cpp/}, models under {@code models/}, artifacts fetched from a Maven repository under {@code maven/}.
 */
public final class WinnowHome {
    private WinnowHome() {}

    /**
     * @return the Winnow home directory (not created)
     */
    public static Path dir() {
        String p = System.getProperty("winnow.home");
        if (p == null || p.isBlank()) {
            p = System.getenv("WINNOW_HOME");
        }
        if (p == null || p.isBlank()) {
            return Path.of(System.getProperty("user.home"), ".cache", "winnow");
        }
        return Path.of(p);
    }

    /**
     * @return {@code $WINNOW_HOME/models}, where converted and downloaded GGUF files go (not created)
     */
    public static Path modelsDir() {
        return dir().resolve("models");
    }
}
