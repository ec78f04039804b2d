package dev.winnow.ranking.collection;

/**
 * A query (topic) of a collection.
 *
 * @param id the id that qrels and runs use (for Cranfield: the position 1..225, not the {@code .I} number)
 * @param text the query text used for retrieval (for TREC topics: the title)
 */
public record Query(String id, String text) {

    /**
     * Validates.
     *
     * @throws IllegalArgumentException when the id is empty or the text null
     */
    public Query {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("query id is empty");
        }
        if (text == null) {
            throw new IllegalArgumentException("query " + id + " has no text");
        }
    }
}
