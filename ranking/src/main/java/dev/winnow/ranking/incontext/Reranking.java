package dev.winnow.ranking.incontext;

import dev.winnow.models.ProgressListener;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import dev.winnow.ranking.index.Hit;
import dev.winnow.runtime.Cancellation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one re-ranking path of Winnow (used by the demo, {@code winnow eval --ranker}, {@code winnow rank}, scripts'
 * {@code ranker.rerank} and the notebook): take a first-stage run, re-score each query's top {@code K} with a
 * ranker's own scores, and keep the first stage's tail below the head.
 *
 * <p>The re-ranked run of a query holds, in order:
 *
 * <ol>
 *   <li>the head: the first stage's top {@code K} documents with the ranker's scores (so trec_eval's order, score
 *       descending then document id descending, is the ranker's order);
 *   <li>the tail: the first stage's documents below rank {@code K}, in their first-stage order, with scores strictly
 *       below the head's lowest score (the first-stage score shifted below the head, so gaps and ties are kept).
 * </ol>
 *
 * <p>A re-ranked run therefore holds the same documents as its first stage: recall at any depth {@code >= K} equals
 * the first stage's, and figures of the re-ranked and first-stage runs are comparable. {@link #parameters} gives the
 * provenance entries (first stage, ranker, K) to write with the run; the model's SHA-256 comes with {@code
 * Provenance.of(..., model, ...)}.
 */
public final class Reranking {

    private Reranking() {}

    /** Scores a query's head candidates: the ranker's own score of each candidate, by document id. */
    @FunctionalInterface
    public interface HeadScorer {
        /**
         * Scores the head.
         *
         * @param query the query
         * @param head  the first stage's top K documents as candidates, in first-stage order
         * @return document id to the ranker's score; every head document must have a finite score
         * @throws IOException when scoring reads a file that fails
         */
        Map<String, Double> score(Query query, List<Candidate> head) throws IOException;
    }

    /** Looks a first-stage document up by id (e.g. {@code DocumentIndex::get}) to give the ranker its text. */
    @FunctionalInterface
    public interface DocumentLookup {
        /**
         * Returns a document.
         *
         * @param id the document id
         * @return the document, or empty when unknown
         * @throws IOException when reading fails
         */
        Optional<Document> get(String id) throws IOException;
    }

    /**
     * Scores heads with an in-context ranker (its {@link RankedDocument#score()}s).
     *
     * @param ranker       the ranker
     * @param cancellation stops the ranker mid-query (e.g. a script's interrupt); null: interrupting the thread that
     *                     scores cancels, as {@link InContextRanker#rank(String, List)}
     * @return the scorer
     */
    public static HeadScorer scorer(InContextRanker ranker, Cancellation cancellation) {
        return (q, head) -> {
            Ranking r = cancellation == null ? ranker.rank(q.text(), head) : ranker.rank(q.text(), head, cancellation);
            Map<String, Double> out = new HashMap<>();
            for (RankedDocument d : r.documents()) {
                out.put(d.docId(), d.score());
            }
            return out;
        };
    }

    /**
     * The provenance entries of a re-ranked run.
     *
     * @param firstStage the first-stage run's name (or method)
     * @param ranker     the ranker's name
     * @param k          the re-ranking depth K
     * @return {@code firstStage}, {@code ranker}, {@code rerankDepth}, {@code tail}
     */
    public static Map<String, Object> parameters(String firstStage, String ranker, int k) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("firstStage", firstStage);
        p.put("ranker", ranker);
        p.put("rerankDepth", k);
        p.put("tail", "first stage below rank K, order kept, scores shifted below the head's lowest");
        return p;
    }

    /**
     * Re-ranks the top {@code k} of each query's first-stage list and keeps the tail below it.
     *
     * @param firstStage the first-stage run
     * @param queries    the queries, in order (each gets a list in the result, possibly empty)
     * @param k          the re-ranking depth K, {@code >= 1}
     * @param documents  where the head's documents are read from
     * @param scorer     the ranker's scores of a head
     * @param name       the re-ranked run's name
     * @param progress   told after each query how many of the queries are done (unit "queries"), or null
     * @return the re-ranked run
     * @throws IOException              when a document cannot be read
     * @throws IllegalArgumentException when {@code k < 1}, a head document is unknown, or the scorer leaves a head
     *                                  document without a finite score
     */
    public static Run rerank(
            Run firstStage,
            List<Query> queries,
            int k,
            DocumentLookup documents,
            HeadScorer scorer,
            String name,
            ProgressListener progress)
            throws IOException {
        if (k < 1) {
            throw new IllegalArgumentException("re-ranking depth K must be >= 1, got " + k);
        }
        ProgressListener listener = ProgressListener.orNone(progress);
        Run.Builder b = new Run.Builder(name);
        int done = 0;
        for (Query q : queries) {
            b.addQuery(q.id());
            List<ScoredDoc> list = firstStage.ranking(q.id());
            int n = Math.min(k, list.size());
            List<Candidate> head = new ArrayList<>(n);
            for (ScoredDoc d : list.subList(0, n)) {
                Document doc = documents
                        .get(d.docId())
                        .orElseThrow(() -> new IllegalArgumentException("re-ranking " + firstStage.name()
                                + ": document " + d.docId() + " of query " + q.id() + " is not in the index"));
                head.add(new Candidate(
                        doc.id(),
                        doc.title() == null ? "" : doc.title(),
                        doc.text() == null ? "" : doc.text(),
                        d.score()));
            }
            if (!head.isEmpty()) {
                addHeadAndTail(b, q.id(), head, scorer.score(q, head), list.subList(n, list.size()), name);
            }
            listener.onProgress(++done, queries.size(), "queries");
        }
        return b.build();
    }

    private static void addHeadAndTail(
            Run.Builder b,
            String qid,
            List<Candidate> head,
            Map<String, Double> scores,
            List<ScoredDoc> tail,
            String name) {
        double min = Double.POSITIVE_INFINITY;
        for (Candidate c : head) {
            Double s = scores.get(c.docId());
            if (s == null || !Double.isFinite(s)) {
                throw new IllegalArgumentException("re-ranking " + name + ": the ranker gave document " + c.docId()
                        + " of query " + qid + " " + (s == null ? "no score" : "the score " + s));
            }
            b.add(qid, c.docId(), s);
            min = Math.min(min, s);
        }
        if (tail.isEmpty()) {
            return;
        }
        // tail: first-stage scores shifted so that its top is 1 below the head's lowest; equal first-stage scores stay
        // equal (trec_eval then orders them by doc id descending, as the first stage did); rounding never lifts a
        // document to or above its predecessor
        double top = tail.get(0).score();
        double prevOriginal = Double.NaN;
        double prev = min;
        for (ScoredDoc d : tail) {
            double s;
            if (d.score() == prevOriginal) {
                s = prev;
            } else {
                s = (min - 1) - (top - d.score());
                if (!(s < prev) || !Double.isFinite(s)) {
                    s = Math.nextDown(prev);
                }
            }
            b.add(qid, d.docId(), s);
            prevOriginal = d.score();
            prev = s;
        }
    }

    /** The hits as candidates: id, title, text, and the first-stage score. */
    public static List<Candidate> candidates(List<Hit> hits) {
        List<Candidate> out = new ArrayList<>(hits.size());
        for (Hit h : hits) {
            out.add(new Candidate(
                    h.id(), h.title() == null ? "" : h.title(), h.text() == null ? "" : h.text(), h.score()));
        }
        return out;
    }

    /**
     * Re-ranks each query's first-stage hits, all of them (K = the number of hits, so no tail): {@link #rerank(Run,
     * List, int, DocumentLookup, HeadScorer, String, ProgressListener)} with the hits as the first stage.
     *
     * @param queries    the queries, in order
     * @param firstStage per query id its hits (as {@code DocumentIndex.searchAll} returns them)
     * @param ranker     the ranker
     * @param name       the run's name
     * @param progress   told after each query how many of the queries are done (unit "queries"), or null
     * @return the run: per query the re-ranked documents with the ranker's scores
     */
    public static Run rerank(
            List<Query> queries,
            Map<String, List<Hit>> firstStage,
            InContextRanker ranker,
            String name,
            ProgressListener progress) {
        Run.Builder fs = new Run.Builder("first-stage");
        Map<String, Document> docs = new HashMap<>();
        int k = 1;
        for (Query q : queries) {
            fs.addQuery(q.id());
            List<Hit> hits = firstStage.getOrDefault(q.id(), List.of());
            for (Hit h : hits) {
                fs.add(q.id(), h.id(), h.score());
                docs.putIfAbsent(
                        h.id(),
                        new Document(h.id(), h.title() == null ? "" : h.title(), h.text() == null ? "" : h.text()));
            }
            k = Math.max(k, hits.size());
        }
        try {
            return rerank(
                    fs.build(),
                    queries,
                    k,
                    id -> Optional.ofNullable(docs.get(id)),
                    scorer(ranker, null),
                    name,
                    progress);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
