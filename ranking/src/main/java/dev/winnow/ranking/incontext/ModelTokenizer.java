package dev.winnow.ranking.incontext;

import dev.winnow.ranking.incontext.prompt.PromptTokenizer;
import dev.winnow.runtime.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;

/** {@link PromptTokenizer} over the runtime's {@link Vocabulary} (llama_tokenize / llama_token_to_piece). */
public final class ModelTokenizer implements PromptTokenizer {

    private final Vocabulary vocabulary;

    /** @param vocabulary the model's vocabulary */
    public ModelTokenizer(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
    }

    @Override
    public int[] tokenize(String text, boolean parseSpecial) {
        if (text.isEmpty()) {
            return new int[0];
        }
        return vocabulary.tokenize(text, false, parseSpecial);
    }

    @Override
    public OptionalInt bos() {
        int bos = vocabulary.bos();
        return vocabulary.addsBos() && bos >= 0 ? OptionalInt.of(bos) : OptionalInt.empty();
    }

    @Override
    public String piece(int token) {
        return new String(vocabulary.piece(token, true), StandardCharsets.UTF_8);
    }
}
