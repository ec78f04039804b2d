package dev.winnow.webui.serve;

/**
 * A refusal of an API request: the HTTP status and the OpenAI-style error body ({@code {"error": {"message", "type",
 * "param", "code"}}}) the server answers with.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    /**
     * @param status the HTTP status (4xx or 5xx)
     * @param type the error type ({@code invalid_request_error}, {@code authentication_error},
     *     {@code rate_limit_error}, {@code server_error})
     * @param param the request field at fault, or {@code null}
     * @param code a machine-readable code ({@code model_not_found}, {@code too_many_documents}, ...), or {@code null}
     * @param message what is wrong, naming the field
     */
    public ApiException(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /**
     * A 400 for a bad request field.
     *
     * @param param the field
     * @param message what is wrong with it
     * @return the exception
     */
    public static ApiException badField(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message);
    }

    /**
     * @return the HTTP status
     */
    public int status() {
        return status;
    }

    /**
     * @return the error type
     */
    public String type() {
        return type;
    }

    /**
     * @return the field at fault, or {@code null}
     */
    public String param() {
        return param;
    }

    /**
     * @return the machine-readable code, or {@code null}
     */
    public String code() {
        return code;
    }
}
