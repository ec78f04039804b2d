package dev.winnow.bindings;

/**
 * The llama.cpp native library could not be found, fetched or loaded, or lacks a symbol the bindings need. The message
 * names every path that was tried and how to fix the problem (for example by setting {@code WINNOW_LLAMA_LIB_DIR}).
 */
public class NativeLibraryException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, the paths tried and the fix
     */
    public NativeLibraryException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause (typically an {@link UnsatisfiedLinkError} or an {@link java.io.IOException}).
     *
     * @param message what failed, the paths tried and the fix
     * @param cause the underlying error
     */
    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
