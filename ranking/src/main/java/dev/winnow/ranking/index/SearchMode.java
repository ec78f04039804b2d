package dev.winnow.ranking.index;

import java.util.Locale;

/** How {@link DocumentIndex#search} retrieves. */
public enum SearchMode {
    /** Lucene BM25 over the analysed title and text. */
    BM25,
    /** Approximate nearest neighbours over the HNSW graph of the document vectors (dot product of unit vectors). */
    DENSE,
    /** Exact nearest neighbours: every document vector scored, for checking {@link #DENSE}. */
    DENSE_EXACT,
    /** BM25 and dense lists fused (reciprocal rank fusion by default). */
    HYBRID;

    /**
     * Parses a mode name as the command line writes it: {@code bm25}, {@code dense}, {@code dense-exact}, {@code hybrid}.
     *
     * @param s the name (case-insensitive; {@code _} and {@code -} interchangeable)
     * @return the mode
     * @throws IllegalArgumentException when the name is unknown
     */
    public static SearchMode parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown search mode '" + s + "' (bm25, dense, dense-exact, hybrid)");
        }
    }

    /**
     * Returns the command-line name.
     *
     * @return e.g. {@code dense-exact}
     */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
