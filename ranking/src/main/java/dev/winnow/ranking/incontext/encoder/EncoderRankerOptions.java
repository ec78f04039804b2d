package dev.winnow.ranking.incontext.encoder;

/**
 * Settings of the {@link EncoderInContextRanker}. Start from {@link #defaults()}.
 *
 * @param layer               0-based layer whose attention is read; -1 means the last layer
 * @param sumOverLayers       sum the per-layer scores of layers 0..{@code layer} instead of reading one layer
 * @param source              which prefix rows are the attention's source: the query's tokens or [CLS]
 * @param documentTokenBudget most content tokens kept per document (further cut so that the prefix plus the document
 *                            fit in the model's positions), >= 1
 * @param queryTokenBudget    most tokens kept of the query, >= 1
 * @param windowTokens        most tokens in one encoder pass (prefix plus the documents of one window), >= 64;
 *                            candidates that do not fit are ranked in further windows (see the ranker's merge)
 * @param countSeparator      count each document's closing [SEP] in its attention mass (BERT heads park attention on
 *                            [SEP], which carries no content), or leave it out
 * @param threads             CPU threads for llama.cpp, >= 1
 */
public record EncoderRankerOptions(
        int layer,
        boolean sumOverLayers,
        Source source,
        int documentTokenBudget,
        int queryTokenBudget,
        int windowTokens,
        boolean countSeparator,
        int threads) {

    /** The prefix rows whose attention is read. */
    public enum Source {
        /** The query's word-piece tokens (between [CLS] and the first [SEP]), averaged. */
        QUERY_TOKENS,
        /** The [CLS] token alone. */
        CLS
    }

    /** Validates. @throws IllegalArgumentException naming the field and its range */
    public EncoderRankerOptions {
        if (layer < -1) {
            throw new IllegalArgumentException("layer must be -1 (last) or a 0-based layer: " + layer);
        }
        if (source == null) {
            throw new IllegalArgumentException("source is null");
        }
        if (documentTokenBudget < 1 || queryTokenBudget < 1) {
            throw new IllegalArgumentException(
                    "token budgets must be >= 1: document " + documentTokenBudget + ", query " + queryTokenBudget);
        }
        if (windowTokens < 64) {
            throw new IllegalArgumentException("windowTokens must be >= 64: " + windowTokens);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1: " + threads);
        }
    }

    /**
     * Last layer, query-token source, 128-token documents, 64-token queries, 2048-token windows, [SEP] left out,
     * all cores.
     */
    public static EncoderRankerOptions defaults() {
        return new EncoderRankerOptions(
                -1,
                false,
                Source.QUERY_TOKENS,
                128,
                64,
                2048,
                false,
                Runtime.getRuntime().availableProcessors());
    }

    /** @return a copy reading this 0-based layer (-1 = last) */
    public EncoderRankerOptions withLayer(int l) {
        return new EncoderRankerOptions(
                l, sumOverLayers, source, documentTokenBudget, queryTokenBudget, windowTokens, countSeparator, threads);
    }

    /** @return a copy summing over layers 0..layer (or not) */
    public EncoderRankerOptions withSumOverLayers(boolean on) {
        return new EncoderRankerOptions(
                layer, on, source, documentTokenBudget, queryTokenBudget, windowTokens, countSeparator, threads);
    }

    /** @return a copy with this source */
    public EncoderRankerOptions withSource(Source s) {
        return new EncoderRankerOptions(
                layer, sumOverLayers, s, documentTokenBudget, queryTokenBudget, windowTokens, countSeparator, threads);
    }

    /** @return a copy with this document budget in tokens */
    public EncoderRankerOptions withDocumentTokenBudget(int n) {
        return new EncoderRankerOptions(
                layer, sumOverLayers, source, n, queryTokenBudget, windowTokens, countSeparator, threads);
    }

    /** @return a copy with this window size in tokens */
    public EncoderRankerOptions withWindowTokens(int n) {
        return new EncoderRankerOptions(
                layer, sumOverLayers, source, documentTokenBudget, queryTokenBudget, n, countSeparator, threads);
    }

    /** @return a copy counting the documents' [SEP] (or not) */
    public EncoderRankerOptions withCountSeparator(boolean on) {
        return new EncoderRankerOptions(
                layer, sumOverLayers, source, documentTokenBudget, queryTokenBudget, windowTokens, on, threads);
    }

    /** @return a copy with this many threads */
    public EncoderRankerOptions withThreads(int n) {
        return new EncoderRankerOptions(
                layer, sumOverLayers, source, documentTokenBudget, queryTokenBudget, windowTokens, countSeparator, n);
    }
}
