package dev.winnow.webui.demo;

/**
 * A problem the user can fix (a missing file, a wrong path): the message says what is wrong and what to do, and the
 * command line prints it without a stack trace.
 */
public final class DemoException extends RuntimeException {

    /**
     * @param message what is wrong and what to do
     */
    public DemoException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and what to do
     * @param cause the underlying failure
     */
    public DemoException(String message, Throwable cause) {
        super(message, cause);
    }
}
