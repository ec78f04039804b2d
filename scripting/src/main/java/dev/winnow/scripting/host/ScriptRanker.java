package dev.winnow.scripting.host;

import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.scripting.DisplayData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

/**
 * An in-context re-ranker made by {@code winnow.ranker(model, name, options)}: re-ranks search results for a query,
 * or a whole query set into a run for {@code winnow.evaluate}.
 *
 * <p>Cancellation: the session's cancellation token is passed to the ranker, which polls it between
 * document batches and llama.cpp polls between the graph nodes of every decode, so interrupting the cell stops a
 * {@code rank} call (and the query {@code rerank} is at) mid-decode; the ranker clears its caches and stays usable.
 */
public final class ScriptRanker implements AutoCloseable {
    private final HostEnvironment env;
    private final InContextRanker ranker;
    private final Path model;

    ScriptRanker(HostEnvironment env, InContextRanker ranker, Path model) {
        this.env = env;
        this.ranker = ranker;
        this.model = model;
    }

    /**
     * The ranker's name.
     *
     * @return one of the command line's names, e.g. {@code "blockrank"}
     */
    @HostAccess.Export
    public String name() {
        return ranker.name();
    }

    /**
     * Re-ranks search results.
     *
     * @param query the query text
     * @param results the first-stage results ({@code index.search(...)})
     * @return the documents best first, with the ranker's scores and the first-stage scores
     */
    @HostAccess.Export
    public ScriptRanking rank(String query, SearchResults results) {
        return Verbs.call(env, () -> {
            env.cancellation().throwIfCancelled();
            return new ScriptRanking(ranker.rank(query, candidates(results.hits), env.cancellation()));
        });
    }

    /**
     * Retrieves the top {@code k} of each query with {@code mode} and re-ranks them: a run to evaluate. An interrupt
     * stops the query being re-ranked mid-decode. Same as {@code rerank(index, queries, k, mode, name, k)}: no tail.
     *
     * @param index the index
     * @param queries the queries ({@code collection.queries(split)})
     * @param k candidates per query, 1..1000
     * @param mode the first-stage mode: {@code bm25}, {@code dense}, {@code dense-exact} or {@code hybrid}, as the
     *     command line's {@code --mode}
     * @param name the run's name
     * @return the re-ranked run
     */
    @HostAccess.Export
    public ScriptRun rerank(ScriptIndex index, Value queries, int k, String mode, String name) {
        return rerank(index, queries, k, mode, name, k);
    }

    /**
     * Retrieves the top {@code hits} of each query with {@code mode}, re-ranks the top {@code k} with this ranker's
     * scores and keeps the rest below them in first-stage order: Winnow's one re-ranking path ({@code
     * Reranking.rerank}, as {@code winnow eval --ranker} and the demo), so the figures are the same.
     *
     * @param index the index
     * @param queries the queries ({@code collection.queries(split)})
     * @param k documents re-ranked per query, 1..1000
     * @param mode the first-stage mode: {@code bm25}, {@code dense}, {@code dense-exact} or {@code hybrid}, as the
     *     command line's {@code --mode}
     * @param name the run's name (null: the ranker's name)
     * @param hits first-stage documents per query kept in the run, k..10000
     * @return the re-ranked run
     */
    @HostAccess.Export
    public ScriptRun rerank(ScriptIndex index, Value queries, int k, String mode, String name, int hits) {
        return Verbs.call(env, () -> {
            List<ScriptQuery> list = Verbs.hostObjects(queries, ScriptQuery.class, "rerank: queries");
            if (k < 1 || k > 1000) {
                throw new IllegalArgumentException("rerank: k must be in [1, 1000], got " + k);
            }
            if (hits < k || hits > 10000) {
                throw new IllegalArgumentException(
                        "rerank: hits must be in [k, 10000] = [" + k + ", 10000], got " + hits);
            }
            SearchMode m = ScriptIndex.mode(mode);
            DocumentIndex searched = index.prepare(m);
            List<Query> qs = new ArrayList<>(list.size());
            list.forEach(q -> qs.add(q.toQuery()));
            String id = "rerank-" + WinnowApi.CALLS.incrementAndGet();
            env.cancellation().throwIfCancelled();
            Run first = searched.run(qs, hits, m, m.cliName(), ForkJoinPool.commonPool());
            Reranking.HeadScorer scorer = Reranking.scorer(ranker, env.cancellation());
            Run run = Reranking.rerank(
                    first,
                    qs,
                    k,
                    index.index::get,
                    (q, head) -> {
                        env.cancellation().throwIfCancelled();
                        return scorer.score(q, head);
                    },
                    name == null ? ranker.name() : name,
                    (done, total, unit) -> env.progress(id, "re-ranking with " + ranker.name(), done, total));
            Map<String, Object> parameters = new LinkedHashMap<>();
            parameters.put("mode", m.cliName());
            parameters.put("ranker", ranker.name());
            parameters.put("k", k);
            parameters.put("hits", hits);
            return new ScriptRun(
                    env,
                    run,
                    new ScriptRun.Made(
                            index.index.path(), index.index.settings().asMap(), model, parameters));
        });
    }

    private static List<Candidate> candidates(List<ScriptHit> hits) {
        List<Candidate> c = new ArrayList<>(hits.size());
        for (ScriptHit h : hits) {
            c.add(new Candidate(h.id, h.title, h.text, h.score));
        }
        return c;
    }

    /** Frees the ranker's contexts (also done when the session closes). */
    @HostAccess.Export
    @Override
    public void close() {
        ranker.close();
    }

    @HostAccess.Export
    @Override
    public String toString() {
        return "ranker " + ranker.name();
    }

    /** One re-ranking: {@code ranking.documents} (each with id, rank, score, firstStageScore), shown as a table. */
    public static final class ScriptRanking implements Displayable {
        /** The query. */
        @HostAccess.Export
        public final String query;

        /** The documents, best first. */
        @HostAccess.Export
        public final List<Ranked> documents;

        /** Tokens the model evaluated for this ranking. */
        @HostAccess.Export
        public final long tokensEvaluated;

        /** Wall time in milliseconds. */
        @HostAccess.Export
        public final double millis;

        private final String ranker;

        ScriptRanking(Ranking r) {
            this.query = r.query();
            this.ranker = r.ranker();
            this.documents = r.documents().stream().map(Ranked::new).toList();
            this.tokensEvaluated = r.stats().tokensEvaluated();
            this.millis = r.stats().nanos() / 1e6;
        }

        /**
         * The document ids, best first.
         *
         * @return the ids
         */
        @HostAccess.Export
        public List<String> ids() {
            return documents.stream().map(d -> d.id).toList();
        }

        @Override
        public DisplayData toDisplayData() {
            HtmlTable t = new HtmlTable(List.of("rank", "id", ranker + " score", "first-stage score", "title"));
            for (Ranked d : documents) {
                t.row(List.of(
                        Integer.toString(d.rank),
                        d.id,
                        String.format("%.5f", d.score),
                        String.format("%.4f", d.firstStageScore),
                        d.title));
            }
            return t.toDisplayData(ranker + " ranking for: " + query);
        }

        /**
         * What {@code print(ranking)} shows: a line naming the ranker and query, then rank, id, score and title.
         *
         * @return the text
         */
        @HostAccess.Export
        @Override
        public String toString() {
            HtmlTable t = new HtmlTable(List.of("rank", "id", "score", "title"));
            for (Ranked d : documents) {
                t.row(List.of(Integer.toString(d.rank), d.id, String.format(Locale.ROOT, "%.5f", d.score), d.title));
            }
            String head = ranker + " ranking of " + documents.size() + " documents for '" + query + "'";
            return documents.isEmpty() ? head : head + "\n" + t.plain();
        }
    }

    /** One re-ranked document. */
    public static final class Ranked {
        /** The document id. */
        @HostAccess.Export
        public final String id;

        /** The 1-based rank after re-ranking. */
        @HostAccess.Export
        public final int rank;

        /** The ranker's score (BlockRank: attention mass in [0, 1], summing to 1 over one call). */
        @HostAccess.Export
        public final double score;

        /** The first-stage retrieval score. */
        @HostAccess.Export
        public final double firstStageScore;

        /** The title. */
        @HostAccess.Export
        public final String title;

        Ranked(RankedDocument d) {
            this.id = d.docId();
            this.rank = d.rank();
            this.score = d.score();
            this.firstStageScore = d.candidate().firstStageScore();
            this.title = d.candidate().title();
        }
    }
}
