package dev.winnow.ranking.incontext;

/**
 * One re-ranked document.
 *
 * @param candidate the input candidate
 * @param rank      1-based rank after re-ranking
 * @param score     the ranker's score: higher is more relevant. Its unit depends on the ranker: attention mass in
 *                  [0, 1] for BlockRank and listwise (the scores of one call sum to 1), calibrated attention for ICR
 *                  (any sign), log-probability (<= 0) for pointwise, cosine in [-1, 1] for the embedding ranker
 * @param detail    per-token attention of this document (for heatmaps), or {@code null} for rankers that do not
 *                  read attention (pointwise, embedding)
 */
public record RankedDocument(Candidate candidate, int rank, double score, AttentionDetail detail) {

    /** The candidate's document id. */
    public String docId() {
        return candidate.docId();
    }
}
