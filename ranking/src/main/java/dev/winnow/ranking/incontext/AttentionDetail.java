package dev.winnow.ranking.incontext;

import dev.winnow.ranking.incontext.prompt.PromptTokenizer;

/**
 * The attention a ranker read on one document's tokens, for heatmaps.
 *
 * @param tokens  the document block's token ids, in prompt order (the block's framing such as {@code ID: 3 |}
 *                included)
 * @param pieces  the text of each token (same length as {@code tokens})
 * @param weights the weight of each token (same length): for BlockRank and listwise the signal token's attention
 *                renormalised over all document tokens of the call and averaged over heads (and signal rows), so that
 *                the weights of one document sum to its score; for ICR the calibrated attention per token, with the
 *                tokens the 2-sigma filter dropped set to 0
 */
public record AttentionDetail(int[] tokens, String[] pieces, float[] weights) {

    /** Checks that the three arrays have the same length. */
    public AttentionDetail {
        if (tokens.length != pieces.length || tokens.length != weights.length) {
            throw new IllegalArgumentException("attention detail arrays differ in length: tokens " + tokens.length
                    + ", pieces " + pieces.length + ", weights " + weights.length);
        }
    }

    /**
     * The detail of a document block, each token's piece from the tokenizer.
     *
     * @param tokens    the block's token ids
     * @param weights   one weight per token
     * @param tokenizer the model's tokenizer
     * @throws IllegalArgumentException when the lengths differ
     */
    public static AttentionDetail of(int[] tokens, float[] weights, PromptTokenizer tokenizer) {
        String[] pieces = new String[tokens.length];
        for (int t = 0; t < tokens.length; t++) {
            pieces[t] = tokenizer.piece(tokens[t]);
        }
        return new AttentionDetail(tokens, pieces, weights);
    }
}
