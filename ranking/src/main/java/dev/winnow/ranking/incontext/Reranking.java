package dev.winnow.ranking.incontext;

import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.index.Hit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/** Re-ranks first-stage retrieval results (Lucene {@link Hit}s) with an {@link InContextRanker}. */
public final class Reranking {

    private Reranking() {
    }

    /** The hits as candidates: id, title, text, and the first-stage score. */
    public static List<Candidate> candidates(List<Hit> hits) {
        List<Candidate> out = new ArrayList<>(hits.size());
        for (Hit h : hits) {
            out.add(new Candidate(h.id(), h.title() == null ? "" : h.title(), h.text() == null ? "" : h.text(),
                    h.score()));
        }
        return out;
    }

    /**
     * Re-ranks each query's first-stage hits and returns the run of the re-ranked lists (queries without hits are
     * kept with an empty list).
     *
     * @param queries    the queries, in order
     * @param firstStage per query id its hits (as {@code DocumentIndex.searchAll} returns them)
     * @param ranker     the ranker
     * @param name       the run's name
     * @param progress   called with the number of queries done after each query
     * @return the run: per query the re-ranked documents with the ranker's scores
     */
    public static Run rerank(List<Query> queries, Map<String, List<Hit>> firstStage, InContextRanker ranker,
                             String name, IntConsumer progress) {
        Run.Builder b = new Run.Builder(name);
        int done = 0;
        for (Query q : queries) {
            b.addQuery(q.id());
            List<Hit> hits = firstStage.getOrDefault(q.id(), List.of());
            if (!hits.isEmpty()) {
                Ranking r = ranker.rank(q.text(), candidates(hits));
                for (RankedDocument d : r.documents()) {
                    b.add(q.id(), d.docId(), d.score());
                }
            }
            progress.accept(++done);
        }
        return b.build();
    }
}
