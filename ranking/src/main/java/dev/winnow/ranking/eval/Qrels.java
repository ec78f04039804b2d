package dev.winnow.ranking.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Relevance judgments (qrels): for each query id, the graded judgment of each judged document id.
 *
 * <p>Grades are integers as the collection gives them (BEIR: 0..2 or binary 1; Cranfield: 1..4 and -1). Following
 * trec_eval, a document is relevant when its grade is at least {@link #RELEVANT_THRESHOLD}; a document that is not
 * judged counts as non-relevant. Instances are immutable; build them with {@link Builder}.
 *
 * <p>The qrels carry the {@link GainMapping} nDCG must use for their grades (a collection sets its own, e.g.
 * Cranfield's inverted scale), so that every evaluation of them uses the same gains.
 */
public final class Qrels {

    /** trec_eval's relevance threshold: grades {@code >= 1} are relevant. */
    public static final int RELEVANT_THRESHOLD = 1;

    private final Map<String, Map<String, Integer>> judgments;
    private final GainMapping gains;

    private Qrels(Map<String, Map<String, Integer>> judgments, GainMapping gains) {
        this.judgments = judgments;
        this.gains = gains;
    }

    /**
     * Returns the grade-to-gain mapping nDCG uses for these judgments ({@link GainMapping#GRADE} unless the collection
     * or the builder set another).
     *
     * @return the mapping
     */
    public GainMapping gains() {
        return gains;
    }

    /**
     * Returns the same judgments with another gain mapping.
     *
     * @param mapping the mapping nDCG should use
     * @return the qrels with that mapping
     * @throws IllegalArgumentException when the mapping is null
     */
    public Qrels withGains(GainMapping mapping) {
        if (mapping == null) {
            throw new IllegalArgumentException("qrels: gain mapping is null");
        }
        return mapping == gains ? this : new Qrels(judgments, mapping);
    }

    /**
     * Returns the ids of the judged queries, in the order they were first judged.
     *
     * @return an unmodifiable set of query ids
     */
    public Set<String> queryIds() {
        return judgments.keySet();
    }

    /**
     * Returns the judgments of one query.
     *
     * @param queryId a query id
     * @return document id to grade (unmodifiable, empty when the query is not judged)
     */
    public Map<String, Integer> judgments(String queryId) {
        return judgments.getOrDefault(queryId, Map.of());
    }

    /**
     * Returns the grade of a document for a query.
     *
     * @param queryId a query id
     * @param docId a document id
     * @return the grade, or 0 when the pair is not judged
     */
    public int grade(String queryId, String docId) {
        Integer g = judgments(queryId).get(docId);
        return g == null ? 0 : g;
    }

    /**
     * Returns whether a document is relevant (grade {@code >= 1}) for a query.
     *
     * @param queryId a query id
     * @param docId a document id
     * @return true when judged with a grade of at least 1
     */
    public boolean isRelevant(String queryId, String docId) {
        return grade(queryId, docId) >= RELEVANT_THRESHOLD;
    }

    /**
     * Returns how many documents are relevant (grade {@code >= 1}) for a query: trec_eval's {@code num_rel}.
     *
     * @param queryId a query id
     * @return the count, 0 for an unjudged query
     */
    public int relevantCount(String queryId) {
        int n = 0;
        for (int g : judgments(queryId).values()) {
            if (g >= RELEVANT_THRESHOLD) {
                n++;
            }
        }
        return n;
    }

    /**
     * Returns the number of (query, document) judgments.
     *
     * @return the total over all queries
     */
    public int size() {
        int n = 0;
        for (Map<String, Integer> m : judgments.values()) {
            n += m.size();
        }
        return n;
    }

    /**
     * Keeps only the given queries.
     *
     * @param queryIds the query ids to keep
     * @return a new qrels holding only those queries' judgments, with the same gain mapping
     */
    public Qrels restrictTo(Set<String> queryIds) {
        Builder b = new Builder().gains(gains);
        judgments.forEach((q, m) -> {
            if (queryIds.contains(q)) {
                m.forEach((d, g) -> b.add(q, d, g));
            }
        });
        return b.build();
    }

    /** Collects judgments; a repeated (query, document) pair keeps the last grade and is counted. */
    public static final class Builder {
        private final Map<String, Map<String, Integer>> judgments = new LinkedHashMap<>();
        private int repeatedPairs;
        private GainMapping gains = GainMapping.GRADE;

        /**
         * Sets the gain mapping the built qrels carry (default {@link GainMapping#GRADE}).
         *
         * @param mapping the mapping
         * @return this builder
         * @throws IllegalArgumentException when the mapping is null
         */
        public Builder gains(GainMapping mapping) {
            if (mapping == null) {
                throw new IllegalArgumentException("qrels: gain mapping is null");
            }
            this.gains = mapping;
            return this;
        }

        /**
         * Adds one judgment.
         *
         * @param queryId the query id (non-empty)
         * @param docId the document id (non-empty)
         * @param grade the grade
         * @return this builder
         * @throws IllegalArgumentException when an id is empty
         */
        public Builder add(String queryId, String docId, int grade) {
            if (queryId == null || queryId.isEmpty() || docId == null || docId.isEmpty()) {
                throw new IllegalArgumentException("qrels: empty query or document id");
            }
            Integer old = judgments
                    .computeIfAbsent(queryId, k -> new LinkedHashMap<>())
                    .put(docId, grade);
            if (old != null) {
                repeatedPairs++;
            }
            return this;
        }

        /**
         * Returns how many judgments repeated an already judged (query, document) pair.
         *
         * @return the count so far
         */
        public int repeatedPairs() {
            return repeatedPairs;
        }

        /**
         * Builds the immutable qrels.
         *
         * @return the qrels
         */
        public Qrels build() {
            Map<String, Map<String, Integer>> copy = new LinkedHashMap<>();
            judgments.forEach((q, m) -> copy.put(q, Collections.unmodifiableMap(new LinkedHashMap<>(m))));
            return new Qrels(Collections.unmodifiableMap(copy), gains);
        }
    }
}
