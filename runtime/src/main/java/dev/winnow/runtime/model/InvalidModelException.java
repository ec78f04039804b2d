package dev.winnow.runtime.model;

import java.nio.file.Path;

/**
 * A model file that Winnow refuses to hand to llama.cpp: missing, not a regular file, empty, not GGUF, truncated, or
 * with a header field out of range. The message names the file and the problem.
 */
public final class InvalidModelException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The file that was refused. */
    private final transient Path file;

    /**
     * @param file the refused file
     * @param problem what is wrong with it, as a phrase ("is empty (0 bytes)")
     */
    public InvalidModelException(Path file, String problem) {
        super("model file " + file + ": " + problem);
        this.file = file;
    }

    /**
     * @return the refused file
     */
    public Path file() {
        return file;
    }
}
