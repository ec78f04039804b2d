package dev.winnow.ranking.index;

/**
 * One retrieved document.
 *
 * @param id the document id
 * @param score the retrieval score: BM25 score, {@code (1 + cos) / 2} for dense (Lucene's DOT_PRODUCT score), or the
 *     fused score for hybrid
 * @param rank the 1-based rank in the result list
 * @param title the stored title
 * @param text the stored text
 */
public record Hit(String id, double score, int rank, String title, String text) {}
