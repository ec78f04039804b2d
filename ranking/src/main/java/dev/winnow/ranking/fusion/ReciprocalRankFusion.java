package dev.winnow.ranking.fusion;

import dev.winnow.ranking.eval.ScoredDoc;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual
 * Rank Learning Methods", SIGIR 2009): {@code score(d) = sum over lists of 1 / (k + rank(d))}, ranks from 1; a list
 * that misses a document adds nothing.
 */
public final class ReciprocalRankFusion implements Fusion {

    private final int k;

    /**
     * Creates the fusion.
     *
     * @param k the rank constant, {@code >= 0} (60 in the paper)
     * @throws IllegalArgumentException when k is negative
     */
    public ReciprocalRankFusion(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("RRF k must be >= 0, got " + k);
        }
        this.k = k;
    }

    @Override
    public List<ScoredDoc> fuse(List<ScoredDoc> first, List<ScoredDoc> second) {
        Map<String, Double> s = new LinkedHashMap<>();
        for (List<ScoredDoc> l : List.of(first, second)) {
            for (int i = 0; i < l.size(); i++) {
                s.merge(l.get(i).docId(), 1.0 / (k + i + 1), Double::sum);
            }
        }
        List<ScoredDoc> out = new ArrayList<>(s.size());
        s.forEach((d, v) -> out.add(new ScoredDoc(d, v)));
        out.sort(ScoredDoc.TREC_ORDER);
        return out;
    }

    @Override
    public String describe() {
        return "rrf k=" + k;
    }
}
