package dev.winnow.ranking.fusion;

import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Combines two ranked lists of the same query (first: lexical, e.g. BM25; second: dense) into one.
 *
 * <p>Inputs are read in trec_eval order (as {@link Run} keeps them); the output is sorted the same way.
 */
public interface Fusion {

    /**
     * Fuses two lists of one query.
     *
     * @param first the first list (BM25)
     * @param second the second list (dense)
     * @return the fused list, every document of either input once, in trec_eval order
     */
    List<ScoredDoc> fuse(List<ScoredDoc> first, List<ScoredDoc> second);

    /**
     * Describes the method and its parameters, for provenance.
     *
     * @return e.g. {@code rrf k=60}
     */
    String describe();

    /**
     * Fuses two runs query by query (queries of either run).
     *
     * @param first the first run
     * @param second the second run
     * @param name the fused run's name
     * @return the fused run
     */
    default Run fuse(Run first, Run second, String name) {
        Set<String> queries = new LinkedHashSet<>(first.queryIds());
        queries.addAll(second.queryIds());
        Run.Builder b = new Run.Builder(name);
        for (String q : queries) {
            b.addQuery(q);
            for (ScoredDoc d : fuse(first.ranking(q), second.ranking(q))) {
                b.add(q, d.docId(), d.score());
            }
        }
        return b.build();
    }

    /**
     * Reciprocal rank fusion with constant {@code k}.
     *
     * @param k the rank constant, {@code >= 0} (60 in the paper)
     * @return the fusion
     */
    static Fusion rrf(int k) {
        return new ReciprocalRankFusion(k);
    }

    /**
     * Normalised linear fusion.
     *
     * @param weight the first list's weight in [0, 1] (the second gets {@code 1 - weight})
     * @param normalization how scores are normalised per list
     * @return the fusion
     */
    static Fusion linear(double weight, LinearFusion.Normalization normalization) {
        return new LinearFusion(weight, normalization);
    }
}
