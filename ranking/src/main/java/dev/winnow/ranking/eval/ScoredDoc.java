package dev.winnow.ranking.eval;

import java.util.Comparator;

/**
 * One entry of a ranked list: a document id and its retrieval score (higher is better).
 *
 * @param docId the document id
 * @param score the score; any finite value
 */
public record ScoredDoc(String docId, double score) {

    /**
     * trec_eval's order: score descending, then document id descending (byte-wise string comparison), so that a run's
     * own rank column does not matter and ties are broken the same way everywhere.
     */
    public static final Comparator<ScoredDoc> TREC_ORDER = Comparator.comparingDouble(ScoredDoc::score)
            .reversed()
            .thenComparing(ScoredDoc::docId, Comparator.reverseOrder());
}
