package dev.winnow.models.gguf;

import java.io.IOException;

/**
 * A GGUF file is malformed or would be refused (or crash) llama.cpp: the message names the file, the byte offset where
 * the problem was found and what was expected there.
 */
public final class GgufFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long offset;
    private final String problem;

    /**
     * @param source the file name or other description of the input, used in the message
     * @param offset byte offset from the start of the file where the problem was found (0 or more)
     * @param problem what was expected and what was found
     */
    public GgufFormatException(String source, long offset, String problem) {
        super(source + ": at byte " + offset + ": " + problem);
        this.offset = offset;
        this.problem = problem;
    }

    /**
     * @return byte offset from the start of the file where the problem was found
     */
    public long offset() {
        return offset;
    }

    /**
     * @return the problem without the file name and offset
     */
    public String problem() {
        return problem;
    }
}
