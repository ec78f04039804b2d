package dev.winnow.ranking.index;

import dev.winnow.models.ProgressListener;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.search.similarities.Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.Bits;

/**
 * The reading side of a {@link DocumentIndex}: a near-real-time Lucene reader (it sees the uncommitted changes of the
 * index's writer) and the searches over it: BM25, dense (HNSW or exact), hybrid (the configured {@link
 * dev.winnow.ranking.fusion.Fusion} over both), and batches of queries run on an {@link Executor} the caller owns.
 * Thread-safe.
 */
final class DocumentSearcher {

    private final Path path;
    private final Directory directory;
    private final Analyzer analyzer;
    private final Similarity similarity;
    private final IndexConfig config;
    private final Supplier<IndexWriter> writer;
    private final Supplier<IndexSettings> stored;
    private final Object lock;
    private DirectoryReader reader;
    private IndexSearcher searcher;

    DocumentSearcher(
            Path path,
            Directory directory,
            Analyzer analyzer,
            Similarity similarity,
            IndexConfig config,
            Supplier<IndexWriter> writer,
            Supplier<IndexSettings> stored,
            Object lock) {
        this.path = path;
        this.directory = directory;
        this.analyzer = analyzer;
        this.similarity = similarity;
        this.config = config;
        this.writer = writer;
        this.stored = stored;
        this.lock = lock;
    }

    /**
     * A searcher over the latest changes whose reader stays open until the lease is closed, even when another thread
     * refreshes the index meanwhile (a background merge makes the next refresh return a new reader).
     */
    record Lease(IndexSearcher searcher) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            searcher.getIndexReader().decRef();
        }
    }

    /** Leases the current searcher, refreshed to the writer's latest changes. */
    Lease lease() throws IOException {
        synchronized (lock) {
            IndexSearcher s = refresh();
            s.getIndexReader().incRef();
            return new Lease(s);
        }
    }

    private IndexSearcher refresh() throws IOException {
        IndexWriter w = writer.get();
        DirectoryReader fresh;
        if (reader == null) {
            fresh = w != null ? DirectoryReader.open(w) : DirectoryReader.open(directory);
        } else {
            fresh = w != null ? DirectoryReader.openIfChanged(reader, w) : DirectoryReader.openIfChanged(reader);
        }
        if (fresh != null) {
            if (reader != null) {
                reader.decRef(); // closes it once the searches still holding a lease on it release theirs
            }
            reader = fresh;
            IndexSearcher s = new IndexSearcher(reader);
            s.setSimilarity(similarity);
            searcher = s;
        }
        return searcher;
    }

    /** Closes the reader (leases still held keep it open until released). */
    void close() throws IOException {
        synchronized (lock) {
            if (reader != null) {
                reader.decRef();
                reader = null;
                searcher = null;
            }
        }
    }

    int size() throws IOException {
        try (Lease lease = lease()) {
            return lease.searcher().getIndexReader().numDocs();
        }
    }

    int vectorCount() throws IOException {
        try (Lease lease = lease()) {
            int n = 0;
            for (LeafReaderContext leaf : lease.searcher().getIndexReader().leaves()) {
                FloatVectorValues vv = leaf.reader().getFloatVectorValues(DocumentIndex.VECTOR);
                if (vv == null) {
                    continue;
                }
                Bits live = leaf.reader().getLiveDocs();
                KnnVectorValues.DocIndexIterator it = vv.iterator();
                for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
                    if (live == null || live.get(d)) {
                        n++;
                    }
                }
            }
            return n;
        }
    }

    Optional<Document> get(String id) throws IOException {
        try (Lease lease = lease()) {
            IndexSearcher s = lease.searcher();
            TopDocs td = s.search(new TermQuery(new Term(DocumentIndex.ID, id)), 1);
            if (td.scoreDocs.length == 0) {
                return Optional.empty();
            }
            return Optional.of(DocumentWriter.toDocument(s.storedFields().document(td.scoreDocs[0].doc)));
        }
    }

    /** The documents of {@code batch} that the index does not hold exactly (same id, title, text and metadata). */
    List<Document> notAlreadyIndexed(List<Document> batch) throws IOException {
        List<Document> out = new ArrayList<>(batch.size());
        try (Lease lease = lease()) {
            IndexSearcher s = lease.searcher();
            for (Document d : batch) {
                TopDocs td = s.search(new TermQuery(new Term(DocumentIndex.ID, d.id())), 1);
                if (td.scoreDocs.length == 0
                        || !DocumentWriter.toDocument(s.storedFields().document(td.scoreDocs[0].doc))
                                .equals(d)) {
                    out.add(d);
                }
            }
        }
        return out;
    }

    /** The live documents that have no vector, in index order. */
    List<Document> withoutVector() throws IOException {
        List<Document> todo = new ArrayList<>();
        try (Lease lease = lease()) {
            for (LeafReaderContext leaf : lease.searcher().getIndexReader().leaves()) {
                BitSet withVector = new BitSet(leaf.reader().maxDoc());
                FloatVectorValues vv = leaf.reader().getFloatVectorValues(DocumentIndex.VECTOR);
                if (vv != null) {
                    KnnVectorValues.DocIndexIterator it = vv.iterator();
                    for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
                        withVector.set(d);
                    }
                }
                Bits live = leaf.reader().getLiveDocs();
                StoredFields sf = leaf.reader().storedFields();
                for (int d = 0; d < leaf.reader().maxDoc(); d++) {
                    if ((live == null || live.get(d)) && !withVector.get(d)) {
                        todo.add(DocumentWriter.toDocument(sf.document(d)));
                    }
                }
            }
        }
        return todo;
    }

    List<Hit> search(String text, int k, SearchMode mode) throws IOException {
        try (Lease lease = lease()) {
            return hits(lease.searcher(), text, null, null, k, mode);
        }
    }

    Map<String, List<Hit>> searchAll(List<Query> queries, int k, SearchMode mode, Executor executor)
            throws IOException {
        try (Lease lease = lease()) {
            IndexSearcher s = lease.searcher();
            float[][] vectors = queryVectors(queries, mode);
            List<List<Hit>> results = batch(
                    queries,
                    executor,
                    (i, q) -> hits(s, q.text(), vector(vectors, i), q.id(), k, mode),
                    ProgressListener.NONE);
            Map<String, List<Hit>> out = new LinkedHashMap<>();
            for (int i = 0; i < queries.size(); i++) {
                out.put(queries.get(i).id(), results.get(i));
            }
            return out;
        }
    }

    Run run(List<Query> queries, int k, SearchMode mode, String name, Executor executor, ProgressListener progress)
            throws IOException {
        try (Lease lease = lease()) {
            IndexSearcher s = lease.searcher();
            float[][] vectors = queryVectors(queries, mode);
            List<List<ScoredDoc>> results = batch(
                    queries,
                    executor,
                    (i, q) -> ranked(s, q.text(), vector(vectors, i), q.id(), k, mode, new HashMap<>()),
                    progress);
            Run.Builder b = new Run.Builder(name);
            for (int i = 0; i < queries.size(); i++) {
                b.addQuery(queries.get(i).id());
                for (ScoredDoc d : results.get(i)) {
                    b.add(queries.get(i).id(), d.docId(), d.score());
                }
            }
            return b.build();
        }
    }

    /**
     * Embeds every query of a batch in one call (the embedder packs many short queries into one model call, where one
     * call per query pays the model's fixed cost each time), before the searches are spread over the executor.
     *
     * @return one vector per query, or null for a BM25-only batch
     */
    private float[][] queryVectors(List<Query> queries, SearchMode mode) {
        if (mode == SearchMode.BM25 || queries.isEmpty()) {
            return null;
        }
        Embedder e = requireVectors();
        List<String> texts = new ArrayList<>(queries.size());
        for (Query q : queries) {
            texts.add(q.text() == null ? "" : q.text());
        }
        float[][] v = e.embed(texts, Embedder.Role.QUERY);
        if (v.length != texts.size()) {
            throw new IllegalStateException(
                    "embedder returned " + v.length + " vectors for " + texts.size() + " queries");
        }
        return v;
    }

    private static float[] vector(float[][] vectors, int i) {
        return vectors == null ? null : vectors[i];
    }

    @FunctionalInterface
    private interface QueryTask<T> {
        T apply(int index, Query q) throws IOException;
    }

    /**
     * Runs one task per query on the caller's executor and collects the results in the queries' order. The first failure
     * is rethrown as it was (an {@link IOException} or a runtime exception); an interrupt of the waiting thread cancels
     * the tasks not yet started. Progress ("queries" collected in order, 0 first) is reported on the calling thread.
     */
    private static <T> List<T> batch(
            List<Query> queries, Executor executor, QueryTask<T> task, ProgressListener progress) throws IOException {
        List<CompletableFuture<T>> futures = new ArrayList<>(queries.size());
        for (int i = 0; i < queries.size(); i++) {
            Query q = queries.get(i);
            int index = i;
            futures.add(CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return task.apply(index, q);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    },
                    executor));
        }
        List<T> out = new ArrayList<>(queries.size());
        try {
            progress.onProgress(0, futures.size(), "queries");
            for (CompletableFuture<T> f : futures) {
                out.add(f.get());
                progress.onProgress(out.size(), futures.size(), "queries");
            }
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(false));
            Thread.currentThread().interrupt();
            throw new IOException("batch search interrupted", e);
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(false));
            Throwable cause =
                    e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            if (cause instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        }
        return out;
    }

    private List<Hit> hits(IndexSearcher s, String text, float[] vector, String excludeId, int k, SearchMode mode)
            throws IOException {
        Map<String, Integer> luceneDocs = new HashMap<>();
        List<ScoredDoc> ranked = ranked(s, text, vector, excludeId, k, mode, luceneDocs);
        List<Hit> hits = new ArrayList<>(ranked.size());
        StoredFields sf = s.storedFields();
        for (ScoredDoc d : ranked) {
            org.apache.lucene.document.Document stored = sf.document(luceneDocs.get(d.docId()));
            hits.add(new Hit(
                    d.docId(),
                    d.score(),
                    hits.size() + 1,
                    stored.get(DocumentIndex.TITLE),
                    stored.get(DocumentIndex.TEXT)));
        }
        return hits;
    }

    /** The ranked list of one query; {@code vector} is its embedding when the caller computed it already, else null. */
    private List<ScoredDoc> ranked(
            IndexSearcher s,
            String text,
            float[] vector,
            String excludeId,
            int k,
            SearchMode mode,
            Map<String, Integer> luceneDocs)
            throws IOException {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        // no more hits than documents: keeps a huge k from allocating huge queues
        int want = (int) Math.min(
                (long) k + (excludeId == null ? 0 : 1),
                Math.max(1, s.getIndexReader().maxDoc()));
        List<ScoredDoc> ranked = switch (mode) {
            case BM25 -> bm25(s, text, want, luceneDocs);
            case DENSE -> dense(s, text, vector, want, false, luceneDocs);
            case DENSE_EXACT -> dense(s, text, vector, want, true, luceneDocs);
            case HYBRID -> {
                int depth = Math.max(want, config.fusionDepth());
                yield config.fusion()
                        .fuse(bm25(s, text, depth, luceneDocs), dense(s, text, vector, depth, false, luceneDocs));
            }
        };
        List<ScoredDoc> out = new ArrayList<>(Math.min(k, ranked.size()));
        for (ScoredDoc d : ranked) {
            if (d.docId().equals(excludeId)) {
                continue;
            }
            if (out.size() == k) {
                break;
            }
            out.add(d);
        }
        return out;
    }

    /**
     * Builds the BM25 query of a text: analysed terms as SHOULD clauses, a repeated term boosted by its count.
     *
     * @param text the query text
     * @return the query, or null when no term survives analysis
     */
    BooleanQuery bm25Query(String text) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        try (TokenStream ts = analyzer.tokenStream(DocumentIndex.CONTENTS, text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                counts.merge(term.toString(), 1, Integer::sum);
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (counts.isEmpty()) {
            return null;
        }
        if (counts.size() > IndexSearcher.getMaxClauseCount()) {
            throw new IllegalArgumentException("query has " + counts.size()
                    + " distinct terms, more than Lucene's limit of " + IndexSearcher.getMaxClauseCount());
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        counts.forEach((t, n) -> {
            org.apache.lucene.search.Query q = new TermQuery(new Term(DocumentIndex.CONTENTS, t));
            b.add(n == 1 ? q : new BoostQuery(q, n), BooleanClause.Occur.SHOULD);
        });
        return b.build();
    }

    private List<ScoredDoc> bm25(IndexSearcher s, String text, int k, Map<String, Integer> luceneDocs)
            throws IOException {
        BooleanQuery q = bm25Query(text);
        return q == null ? List.of() : scored(s, s.search(q, k), luceneDocs);
    }

    private List<ScoredDoc> scored(IndexSearcher s, TopDocs td, Map<String, Integer> luceneDocs) throws IOException {
        List<LeafReaderContext> leaves = s.getIndexReader().leaves();
        List<ScoredDoc> out = new ArrayList<>(td.scoreDocs.length);
        for (ScoreDoc sd : td.scoreDocs) {
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(sd.doc, leaves));
            SortedDocValues ids = leaf.reader().getSortedDocValues(DocumentIndex.ID);
            if (ids == null || !ids.advanceExact(sd.doc - leaf.docBase)) {
                throw new IllegalStateException("document " + sd.doc + " of " + path + " has no id doc value");
            }
            String id = ids.lookupOrd(ids.ordValue()).utf8ToString();
            luceneDocs.put(id, sd.doc);
            out.add(new ScoredDoc(id, sd.score));
        }
        return out;
    }

    private Embedder requireVectors() {
        Embedder e = config.embedder();
        if (e == null) {
            throw new IllegalStateException("dense search on " + path
                    + " needs an embedder: open the index with IndexConfig.builder().embedder(...)");
        }
        if (stored.get().vectorDimension() == 0) {
            throw new IllegalStateException("the index at " + path + " holds no vectors: run embedMissing first");
        }
        return e;
    }

    private List<ScoredDoc> dense(
            IndexSearcher s, String text, float[] vector, int k, boolean exact, Map<String, Integer> luceneDocs)
            throws IOException {
        Embedder e = requireVectors();
        float[] raw = vector != null ? vector : e.embedQuery(text);
        float[] q = Embedder.unitLength(VectorBackfill.checkDimension(raw, e.dimension(), "the query"));
        if (!exact) {
            int beam = Math.max(k, config.knnCandidates());
            return scored(s, s.search(new KnnFloatVectorQuery(DocumentIndex.VECTOR, q, beam), k), luceneDocs);
        }
        return exactDense(s, q, k, luceneDocs);
    }

    private List<ScoredDoc> exactDense(IndexSearcher s, float[] q, int k, Map<String, Integer> luceneDocs)
            throws IOException {
        PriorityQueue<ScoreDoc> top = new PriorityQueue<>(
                k + 1, (a, b) -> a.score != b.score ? Float.compare(a.score, b.score) : Integer.compare(b.doc, a.doc));
        for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
            FloatVectorValues vv = leaf.reader().getFloatVectorValues(DocumentIndex.VECTOR);
            if (vv == null) {
                continue;
            }
            Bits live = leaf.reader().getLiveDocs();
            KnnVectorValues.DocIndexIterator it = vv.iterator();
            for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
                if (live != null && !live.get(d)) {
                    continue;
                }
                float score = VectorSimilarityFunction.DOT_PRODUCT.compare(q, vv.vectorValue(it.index()));
                top.add(new ScoreDoc(leaf.docBase + d, score));
                if (top.size() > k) {
                    top.poll();
                }
            }
        }
        ScoreDoc[] docs = new ScoreDoc[top.size()];
        for (int i = docs.length - 1; i >= 0; i--) {
            docs[i] = top.poll();
        }
        TotalHits total = new TotalHits(docs.length, TotalHits.Relation.EQUAL_TO);
        return scored(s, new TopDocs(total, docs), luceneDocs);
    }
}
