package dev.winnow.models.onnx;

import java.io.IOException;

/**
 * An ONNX file cannot be read, or its graph does not have the shape a conversion expects: the message names the file
 * and what was expected (a tensor, a node, a data type) and what was found.
 */
public final class OnnxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source the file name or other description of the input, used in the message
     * @param problem what was expected and what was found
     */
    public OnnxFormatException(String source, String problem) {
        super(source + ": " + problem);
    }

    /**
     * @param source the file name or other description of the input, used in the message
     * @param problem what was expected and what was found
     * @param cause the underlying parse error
     */
    public OnnxFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
