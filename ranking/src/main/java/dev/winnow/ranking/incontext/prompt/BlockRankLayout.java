package dev.winnow.ranking.incontext.prompt;

import java.util.Locale;
import java.util.Map;

/**
 * How BlockRank's prompt is worded, tokenized and placed.
 *
 * <ul>
 *   <li>{@link #REFERENCE}: as the paper's reference code (nilesh2797/BlockRank) builds a prompt for evaluation, so that
 *       a checkpoint fine-tuned with that code sees what it was trained on. Its wording (task statement, documents
 *       numbered from 0, {@code Final Answer: [}); the chat template around the user turn; each block's text
 *       tokenized in one piece (document and query blocks after the first start with a newline), the answer's
 *       {@code [} as a piece of its own; every block cut to the document token budget (384 at evaluation) in tokens;
 *       the query block at the fixed position {@value PromptLayout#REFERENCE_QUERY_POSITION}; two signal rows: the
 *       {@code [} and the token before it.</li>
 *   <li>{@link #COMPACT}: Winnow's own layout: its wording ({@link PromptWording}), template pieces and text tokenized
 *       separately (query and document text never parse control tokens), document content cut to the budget with the
 *       block's frame kept, the query block right after the longest document, the signal rows the last
 *       {@code signalTokens} tokens of the query block. It needs no position gap, so the query's KV cells and
 *       positions stay small, and the frame of a cut document stays whole; an untuned model ranks with either, but a
 *       BlockRank checkpoint was trained on the reference layout only.</li>
 * </ul>
 */
public enum BlockRankLayout {
    /** The reference code's layout (nilesh2797/BlockRank, evaluation). */
    REFERENCE,
    /** Winnow's compact layout (the query right after the longest document). */
    COMPACT;

    /** The GGUF key that names a model's BlockRank layout ({@code reference} or {@code compact}). */
    public static final String METADATA_KEY = "winnow.blockrank.layout";

    /**
     * The layout a model asks for: the value of {@link #METADATA_KEY} when the file has it; else {@link #REFERENCE}
     * when a name in the file's {@code general.*} metadata (name, basename, finetune, base model names and repos)
     * contains "blockrank", that is a checkpoint fine-tuned with the reference code; else {@link #COMPACT} (an
     * untuned model was not trained on either, and the compact layout keeps positions and KV cells small).
     *
     * @param metadata the model's GGUF metadata (string values)
     * @throws IllegalArgumentException when {@link #METADATA_KEY} holds neither value
     */
    public static BlockRankLayout detect(Map<String, String> metadata) {
        String declared = metadata.get(METADATA_KEY);
        if (declared != null) {
            return parse(declared, "GGUF key " + METADATA_KEY);
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            String key = e.getKey();
            boolean naming = key.equals("general.name")
                    || key.equals("general.basename")
                    || key.equals("general.finetune")
                    || key.startsWith("general.base_model.");
            if (naming
                    && e.getValue() != null
                    && e.getValue().toLowerCase(Locale.ROOT).contains("blockrank")) {
                return REFERENCE;
            }
        }
        return COMPACT;
    }

    /**
     * Parses {@code reference} or {@code compact} (any case).
     *
     * @param value the name
     * @param what  what the value is, for the error message (e.g. "--layout")
     * @throws IllegalArgumentException naming the input and the accepted values
     */
    public static BlockRankLayout parse(String value, String what) {
        if (value != null) {
            switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "reference" -> {
                    return REFERENCE;
                }
                case "compact" -> {
                    return COMPACT;
                }
                default -> {}
            }
        }
        throw new IllegalArgumentException(
                what + ": unknown BlockRank layout '" + value + "', expected reference or compact");
    }

    /** The lower-case name used on the command line and in scripts. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
