package dev.winnow.ranking.incontext.prompt;

import java.util.OptionalInt;

/**
 * What prompt layout needs from a model's vocabulary. {@code dev.winnow.ranking.incontext.ModelTokenizer} adapts the
 * runtime's {@code Vocabulary} to it.
 */
public interface PromptTokenizer {

    /**
     * Tokenizes a piece of text without adding BOS or EOS.
     *
     * @param text         the text (may be empty: returns an empty array)
     * @param parseSpecial whether special-token text such as {@code <|im_start|>} becomes the special token (true for
     *                     template text, false for user content so that documents cannot inject control tokens)
     * @return the token ids
     */
    int[] tokenize(String text, boolean parseSpecial);

    /** The beginning-of-sequence token, when the model's vocabulary asks for one to be added. */
    OptionalInt bos();

    /** The text a token stands for (its piece), for heatmaps and checks. */
    String piece(int token);
}
