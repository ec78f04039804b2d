package dev.winnow.models.convert;

import dev.winnow.models.tokenizer.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's form of a WordPiece vocabulary (its {@code convert_hf_to_gguf.py}, BertModel.set_vocab): the "phantom
 * space" convention, where a word-initial piece carries a leading U+2581 and a continuation loses its {@code ##}.
 *
 * <p>Per token id: a special added token of tokenizer.json ([PAD], [UNK], [CLS], [SEP], [MASK]) is stored unchanged
 * with type CONTROL (3); {@code ##x} is stored as {@code x}, and every other token {@code t} as {@code "\u2581" + t},
 * both with type NORMAL (1). So {@code [unused0]}, which is not an added token, becomes {@code "\u2581[unused0]"}.
 *
 * @param tokens the token texts by id
 * @param types the GGUF token types by id (1 normal, 3 control)
 */
public record BertVocabulary(List<String> tokens, int[] types) {
    /** GGUF token type of an ordinary token ({@code LLAMA_TOKEN_TYPE_NORMAL}). */
    public static final int NORMAL = 1;

    /** GGUF token type of a control token ({@code LLAMA_TOKEN_TYPE_CONTROL}). */
    public static final int CONTROL = 3;

    /** The word-boundary marker llama.cpp's WPM tokenizer expects in front of word-initial pieces. */
    public static final String PHANTOM_SPACE = "\u2581";

    /**
     * @param tokenizer a WordPiece tokenizer
     * @return its vocabulary in llama.cpp's form
     */
    public static BertVocabulary of(WordPieceTokenizer tokenizer) {
        int n = tokenizer.vocabularySize();
        List<String> tokens = new ArrayList<>(n);
        int[] types = new int[n];
        for (int id = 0; id < n; id++) {
            String t = tokenizer.token(id);
            if (tokenizer.isSpecial(id)) {
                tokens.add(t);
                types[id] = CONTROL;
            } else {
                tokens.add(t.startsWith("##") ? t.substring(2) : PHANTOM_SPACE + t);
                types[id] = NORMAL;
            }
        }
        return new BertVocabulary(List.copyOf(tokens), types);
    }

    /**
     * @return a copy of the token types by id
     */
    @Override
    public int[] types() {
        return types.clone();
    }
}
