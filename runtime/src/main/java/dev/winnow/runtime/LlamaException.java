package dev.winnow.runtime;

/** llama.cpp reported a failure (a NULL handle or an error code); the message says which call and why if known. */
public class LlamaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed
     */
    public LlamaException(String message) {
        super(message);
    }

    /**
     * @param message what failed
     * @param cause the underlying exception
     */
    public LlamaException(String message, Throwable cause) {
        super(message, cause);
    }
}
