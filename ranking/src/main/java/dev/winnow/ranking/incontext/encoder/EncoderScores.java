package dev.winnow.ranking.incontext.encoder;

import dev.winnow.ranking.incontext.Candidate;
import java.util.List;

/**
 * Every score one {@link EncoderInContextRanker} pass yields, for tuning: per source (query tokens, [CLS]), per layer
 * 0..L (L the ranker's layer), per document, the prefix-relative attention mass (see the ranker).
 *
 * @param documents      the documents in the canonical order the scores follow
 * @param queryTokens    {@code [layer][document]} scores with the query's tokens as the source
 * @param cls            {@code [layer][document]} scores with [CLS] as the source
 * @param windows        encoder passes used
 * @param tokens         tokens encoded, summed over passes
 * @param truncated      documents cut to their token budget
 */
public record EncoderScores(
        List<Candidate> documents, double[][] queryTokens, double[][] cls, int windows, long tokens, int truncated) {

    /**
     * The score of each document for a source and layer choice.
     *
     * @param source        rows read
     * @param layer         0-based layer, at most the ranker's layer
     * @param sumOverLayers sum layers 0..layer instead
     * @return one score per document, in {@link #documents()} order
     * @throws IllegalArgumentException for a layer that was not computed
     */
    public double[] select(EncoderRankerOptions.Source source, int layer, boolean sumOverLayers) {
        double[][] bySource = source == EncoderRankerOptions.Source.CLS ? cls : queryTokens;
        if (layer < 0 || layer >= bySource.length) {
            throw new IllegalArgumentException("layer " + layer + " not computed: 0.." + (bySource.length - 1));
        }
        double[] out = new double[documents.size()];
        for (int l = sumOverLayers ? 0 : layer; l <= layer; l++) {
            for (int d = 0; d < out.length; d++) {
                out[d] += bySource[l][d];
            }
        }
        return out;
    }
}
