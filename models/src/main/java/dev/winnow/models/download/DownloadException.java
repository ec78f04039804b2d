package dev.winnow.models.download;

import java.io.IOException;

/**
 * A download failed: the server answered with an error status, could not be reached, or sent bytes whose checksum
 * does not match. The message names the URL and the problem.
 */
public final class DownloadException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param message what failed, with the URL
     * @param status the HTTP status code, or 0 when there was no HTTP answer (offline, checksum mismatch)
     * @param cause the underlying error, or null
     */
    public DownloadException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /**
     * @return the HTTP status code of the failed request, or 0 when the failure was not an HTTP error status
     */
    public int status() {
        return status;
    }
}
