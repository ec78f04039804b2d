package dev.winnow.webui.notebook.security;

/**
 * A request the notebook server refuses: carries the HTTP status to answer with and a message that names the input and
 * the problem. Thrown by the access checks and by request handlers; the server turns it into a JSON body
 * {@code {"error": message}} with that status.
 */
public final class Refusal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * Creates a refusal.
     *
     * @param status the HTTP status, 400 to 499
     * @param message what was refused and why
     */
    public Refusal(int status, String message) {
        super(message);
        if (status < 400 || status > 499) {
            throw new IllegalArgumentException("a refusal needs a 4xx status, got " + status);
        }
        this.status = status;
    }

    /**
     * The HTTP status to answer with.
     *
     * @return 400 to 499
     */
    public int status() {
        return status;
    }
}
