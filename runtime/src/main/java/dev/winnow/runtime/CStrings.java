package dev.winnow.runtime;

/**
 * Checks text that goes to llama.cpp as a C string: a NUL character would end it there and silently drop the rest,
 * so one inside is an error naming the parameter.
 */
public final class CStrings {
    private CStrings() {}

    /**
     * @param text the text (null passes: the caller decides about null)
     * @param parameter what it is, for the message ("grammar", "chat template", "model path")
     * @return the text
     * @throws IllegalArgumentException if it contains a NUL character
     */
    public static String check(String text, String parameter) {
        if (text == null) {
            return null;
        }
        int at = text.indexOf('\0');
        if (at >= 0) {
            throw new IllegalArgumentException(
                    parameter + " contains a NUL character (U+0000) at index " + at + " of " + text.length()
                            + ": llama.cpp reads it as a C string, which ends there, so the text after it would be silently dropped");
        }
        return text;
    }
}
