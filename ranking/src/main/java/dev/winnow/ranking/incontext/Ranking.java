package dev.winnow.ranking.incontext;

import java.util.List;

/**
 * The result of one {@link InContextRanker#rank} call.
 *
 * @param query     the query as given
 * @param ranker    the ranker's name ("blockrank", "icr", "listwise", "pointwise", "embedding")
 * @param documents the documents, best first (rank 1 first)
 * @param stats     what the call cost
 */
public record Ranking(String query, String ranker, List<RankedDocument> documents, Stats stats) {

    /**
     * Costs of one call.
     *
     * @param tokensEvaluated    tokens the model evaluated (decode/encode batch sizes summed over all contexts)
     * @param promptTokens       tokens of the prompt(s) as laid out (for BlockRank: instruction + documents + query,
     *                           each counted once)
     * @param windows            prompts the candidates were split into (1 when they all fit)
     * @param truncatedDocuments documents whose content was cut to the token budget
     * @param nanos              wall time of the call in nanoseconds
     */
    public record Stats(long tokensEvaluated, long promptTokens, int windows, int truncatedDocuments, long nanos) {}

    /** Document ids, best first. */
    public List<String> docIds() {
        return documents.stream().map(RankedDocument::docId).toList();
    }
}
