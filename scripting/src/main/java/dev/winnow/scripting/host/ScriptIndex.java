package dev.winnow.scripting.host;

import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

/**
 * A Lucene document index opened or built by a script ({@code winnow.openIndex}, {@code winnow.buildIndex}), with
 * the embedder of its vectors when it has any (the query embedder of dense and hybrid search): the one that just
 * built it, or the one the index recorded, opened by the first dense or hybrid search (as the command line's
 * {@code search} does), so a BM25 search never loads a model.
 */
public final class ScriptIndex implements AutoCloseable {
    private final HostEnvironment env;
    final DocumentIndex index;
    private final EmbedderSource source;
    private Embedder embedder;
    /** The index opened again with the recorded embedder, for dense and hybrid search; null until first needed. */
    private DocumentIndex denseIndex;

    /** Opens an index's recorded embedder when dense or hybrid search first needs it. */
    @FunctionalInterface
    interface EmbedderSource {
        /**
         * @return the embedder of the index's vectors
         * @throws IOException when it cannot be opened (its model file missing, changed or outside the sandbox)
         */
        Embedder open() throws IOException;
    }

    /**
     * @param index the index, opened with {@code embedder} in its configuration when that is not null
     * @param embedder the embedder of the vectors, already open (the one that built them), or null
     * @param source opens the recorded embedder on first need when {@code embedder} is null; null for a BM25-only index
     */
    ScriptIndex(HostEnvironment env, DocumentIndex index, Embedder embedder, EmbedderSource source) {
        this.env = env;
        this.index = index;
        this.embedder = embedder;
        this.source = source;
    }

    /**
     * Makes sure a dense or hybrid search has its query embedder: the first time, opens the recorded one and the index
     * again with it (an index's embedder is fixed when it opens).
     *
     * @param mode the search mode about to run
     * @return the index instance that searches in that mode
     * @throws IOException when the recorded embedder cannot be opened
     */
    synchronized DocumentIndex prepare(SearchMode mode) throws IOException {
        if (mode == SearchMode.BM25 || source == null) {
            return index;
        }
        if (embedder != null) {
            return denseIndex != null ? denseIndex : index;
        }
        Embedder e = source.open();
        try {
            denseIndex = DocumentIndex.open(
                    index.path(), IndexConfig.builder().embedder(e).build());
        } catch (IOException | RuntimeException x) {
            e.close();
            throw x;
        }
        embedder = e;
        return denseIndex;
    }

    /**
     * Retrieves the top {@code k} documents (BM25).
     *
     * @param query the query text
     * @param k how many, 1..10000
     * @return the hits
     */
    @HostAccess.Export
    public SearchResults search(String query, int k) {
        return search(query, k, "bm25");
    }

    /**
     * Retrieves the top 10 documents (BM25).
     *
     * @param query the query text
     * @return the hits
     */
    @HostAccess.Export
    public SearchResults search(String query) {
        return search(query, 10, "bm25");
    }

    /**
     * Retrieves the top {@code k} documents.
     *
     * @param query the query text
     * @param k how many, 1..10000
     * @param mode {@code bm25}, {@code dense}, {@code dense-exact} or {@code hybrid} (dense modes need vectors)
     * @return the hits
     */
    @HostAccess.Export
    public SearchResults search(String query, int k, String mode) {
        return Verbs.call(env, () -> {
            env.cancellation().throwIfCancelled();
            checkK(k);
            SearchMode m = mode(mode);
            return new SearchResults(query, m.cliName(), prepare(m).search(query, k, m));
        });
    }

    /**
     * Retrieves for many queries (in parallel) and returns the run, each query's own id removed from its results.
     *
     * @param queries the queries ({@code collection.queries(split)})
     * @param k hits per query, 1..10000
     * @param mode {@code bm25}, {@code dense}, {@code dense-exact} or {@code hybrid}, as the command line's {@code --mode}
     * @param name the run's name
     * @return the run
     */
    @HostAccess.Export
    public ScriptRun run(Value queries, int k, String mode, String name) {
        return Verbs.call(env, () -> {
            checkK(k);
            List<ScriptQuery> list = Verbs.hostObjects(queries, ScriptQuery.class, "run: queries");
            SearchMode m = mode(mode);
            DocumentIndex searched = prepare(m);
            List<Query> qs = new ArrayList<>(list.size());
            for (ScriptQuery q : list) {
                qs.add(q.toQuery());
            }
            // one chunk of queries at a time, so an interrupt stops a long run between chunks
            Run.Builder b = new Run.Builder(name == null ? m.cliName() : name);
            String id = "run-" + WinnowApi.CALLS.incrementAndGet();
            for (int i = 0; i < qs.size(); i += 64) {
                env.cancellation().throwIfCancelled();
                env.progress(id, "searching", i, qs.size());
                searched.searchAll(qs.subList(i, Math.min(qs.size(), i + 64)), k, m, ForkJoinPool.commonPool())
                        .forEach((q, hits) -> {
                            b.addQuery(q);
                            hits.forEach(h -> b.add(q, h.id(), h.score()));
                        });
            }
            env.progress(id, "searching", qs.size(), qs.size());
            Map<String, Object> parameters = new LinkedHashMap<>();
            parameters.put("mode", m.cliName());
            parameters.put("k", k);
            return new ScriptRun(
                    env,
                    b.build(),
                    new ScriptRun.Made(index.path(), index.settings().asMap(), null, parameters));
        });
    }

    /**
     * The number of documents.
     *
     * @return the count
     */
    @HostAccess.Export
    public int size() {
        return Verbs.call(env, index::size);
    }

    /**
     * The index directory.
     *
     * @return its path
     */
    @HostAccess.Export
    public String path() {
        return index.path().toString();
    }

    /**
     * Parses a script's search mode as the command line does.
     *
     * @throws IllegalArgumentException naming the mode and the valid ones
     */
    static SearchMode mode(String mode) {
        if (mode == null) {
            throw new IllegalArgumentException("search mode missing: expected bm25, dense, dense-exact or hybrid");
        }
        return SearchMode.parse(mode);
    }

    private static void checkK(int k) {
        if (k < 1 || k > 10_000) {
            throw new IllegalArgumentException("k must be in [1, 10000], got " + k);
        }
    }

    /**
     * The embedder of the index's vectors, as the index recorded it.
     *
     * @return its description (for a model: file, SHA-256, pooling, token budget), or null for a BM25-only index
     */
    @HostAccess.Export
    public String embedder() {
        return index.settings().embedder();
    }

    /** Closes the index and its embedder (also done when the session closes). */
    @HostAccess.Export
    @Override
    public void close() {
        Verbs.run(env, () -> {
            try {
                synchronized (this) {
                    if (denseIndex != null) {
                        denseIndex.close();
                    }
                }
                index.close();
            } finally {
                synchronized (this) {
                    if (embedder != null) {
                        embedder.close();
                    }
                }
            }
            return null;
        });
    }

    @HostAccess.Export
    @Override
    public String toString() {
        return "index " + index.path();
    }
}
