package dev.winnow.ranking.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run: for each query id, a ranked list of scored documents, as a retrieval method produced it.
 *
 * <p>Lists are kept in trec_eval's order ({@link ScoredDoc#TREC_ORDER}: score descending, ties by document id
 * descending), which is also the order every metric reads. A document appears at most once per query (a repeat keeps
 * the higher score). Immutable; build with {@link Builder}.
 */
public final class Run {

    private final String name;
    private final Map<String, List<ScoredDoc>> lists;

    private Run(String name, Map<String, List<ScoredDoc>> lists) {
        this.name = name;
        this.lists = lists;
    }

    /**
     * Returns the run's name (the TREC run tag).
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the ids of the queries that have a list, in insertion order.
     *
     * @return an unmodifiable set
     */
    public Set<String> queryIds() {
        return lists.keySet();
    }

    /**
     * Returns one query's ranked list in trec_eval order.
     *
     * @param queryId the query id
     * @return the list (unmodifiable; empty when the query has none)
     */
    public List<ScoredDoc> ranking(String queryId) {
        return lists.getOrDefault(queryId, List.of());
    }

    /**
     * Returns a copy cut to the first {@code depth} documents of every query.
     *
     * @param depth the number of documents to keep per query, {@code >= 1}
     * @return the cut run, same name
     */
    public Run cut(int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be >= 1, got " + depth);
        }
        Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
        lists.forEach((q, l) -> out.put(q, l.size() <= depth ? l : List.copyOf(l.subList(0, depth))));
        return new Run(name, Collections.unmodifiableMap(out));
    }

    /**
     * Returns a copy holding only the given queries.
     *
     * @param queryIds the ids to keep
     * @return the restricted run, same name
     */
    public Run restrictTo(Set<String> queryIds) {
        Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
        lists.forEach((q, l) -> {
            if (queryIds.contains(q)) {
                out.put(q, l);
            }
        });
        return new Run(name, Collections.unmodifiableMap(out));
    }

    /**
     * Returns a copy under another name.
     *
     * @param newName the new run tag (no whitespace)
     * @return the renamed run
     */
    public Run withName(String newName) {
        return new Run(checkName(newName), lists);
    }

    private static String checkName(String name) {
        if (name == null || name.isEmpty() || name.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("run name must be non-empty without whitespace: '" + name + "'");
        }
        return name;
    }

    /** Collects scored documents per query; {@link #build()} sorts each list into trec_eval order. */
    public static final class Builder {
        private final String name;
        private final Map<String, Map<String, Double>> scores = new LinkedHashMap<>();

        /**
         * Starts a run.
         *
         * @param name the run tag (non-empty, no whitespace)
         */
        public Builder(String name) {
            this.name = checkName(name);
        }

        /**
         * Adds a scored document to a query's list; a repeated document keeps its higher score.
         *
         * @param queryId the query id
         * @param docId the document id
         * @param score the score (finite)
         * @return this builder
         * @throws IllegalArgumentException when the score is NaN or infinite
         */
        public Builder add(String queryId, String docId, double score) {
            if (!Double.isFinite(score)) {
                throw new IllegalArgumentException(
                        "run " + name + ": score of " + docId + " for query " + queryId + " is " + score);
            }
            scores.computeIfAbsent(queryId, k -> new LinkedHashMap<>()).merge(docId, score, Math::max);
            return this;
        }

        /**
         * Makes sure a query has a list, even an empty one.
         *
         * @param queryId the query id
         * @return this builder
         */
        public Builder addQuery(String queryId) {
            scores.computeIfAbsent(queryId, k -> new LinkedHashMap<>());
            return this;
        }

        /**
         * Builds the run.
         *
         * @return the run, each list sorted in trec_eval order
         */
        public Run build() {
            Map<String, List<ScoredDoc>> out = new LinkedHashMap<>();
            scores.forEach((q, m) -> {
                List<ScoredDoc> l = new ArrayList<>(m.size());
                m.forEach((d, s) -> l.add(new ScoredDoc(d, s)));
                l.sort(ScoredDoc.TREC_ORDER);
                out.put(q, Collections.unmodifiableList(l));
            });
            return new Run(name, Collections.unmodifiableMap(out));
        }
    }
}
