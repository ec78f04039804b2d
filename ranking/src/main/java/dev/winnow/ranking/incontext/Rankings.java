package dev.winnow.ranking.incontext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Candidate ordering and result assembly shared by the rankers. */
public final class Rankings {

    private Rankings() {}

    /**
     * The one query check of the rankers and their prompt builder.
     *
     * @param query the query
     * @return the query without leading and trailing white space
     * @throws NullPointerException     when the query is null
     * @throws IllegalArgumentException when the query is blank
     */
    public static String checkQuery(String query) {
        Objects.requireNonNull(query, "query");
        if (query.isBlank()) {
            throw new IllegalArgumentException("query is blank");
        }
        return query.strip();
    }

    /**
     * The canonical order the rankers lay documents out in: first-stage score descending, then docId ascending, so
     * that a ranking does not depend on the order of the list passed in.
     *
     * @throws IllegalArgumentException when the list is empty or two candidates share a docId
     */
    public static List<Candidate> canonicalOrder(List<Candidate> candidates) {
        Objects.requireNonNull(candidates, "candidates");
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidates to rank");
        }
        Set<String> ids = new HashSet<>();
        for (Candidate c : candidates) {
            Objects.requireNonNull(c, "candidate");
            if (!ids.add(c.docId())) {
                throw new IllegalArgumentException("candidate docId " + c.docId() + " appears twice");
            }
        }
        List<Candidate> out = new ArrayList<>(candidates);
        out.sort(Comparator.comparingDouble(Candidate::firstStageScore)
                .reversed()
                .thenComparing(Candidate::docId));
        return out;
    }

    /**
     * Sorts scored documents, best first (ties: canonical order), and numbers their ranks from 1.
     *
     * @param ordered documents in canonical order
     * @param scores  one score per document
     * @param details per document its attention detail, or null
     */
    public static List<RankedDocument> assemble(List<Candidate> ordered, double[] scores, AttentionDetail[] details) {
        if (scores.length != ordered.size()) {
            throw new IllegalArgumentException(scores.length + " scores for " + ordered.size() + " documents");
        }
        Integer[] idx = new Integer[scores.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(scores[b], scores[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        List<RankedDocument> out = new ArrayList<>(idx.length);
        for (int r = 0; r < idx.length; r++) {
            int i = idx[r];
            out.add(new RankedDocument(ordered.get(i), r + 1, scores[i], details == null ? null : details[i]));
        }
        return out;
    }
}
