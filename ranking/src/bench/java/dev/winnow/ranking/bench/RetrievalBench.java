package dev.winnow.ranking.bench;

import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.BatchingEmbedder;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.dense.HashedBagOfWordsEmbedder;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;

/**
 * Retrieval throughput on a collection (SciFact by default), each Winnow figure beside a baseline measured in the
 * same run, so that the ratio survives a noisy shared machine:
 *
 * <ul>
 *   <li>indexing documents/s: {@link DocumentIndex#addAll} (upserts by id, id doc values, a commit per 1000
 *       documents) vs a plain Lucene {@code IndexWriter.addDocument} loop with the same analyzer and fields and one
 *       commit;
 *   <li>queries/s at k = 100, one thread: BM25 through {@link DocumentIndex#search} (ids and stored title/text
 *       loaded) vs the same Lucene query on a bare {@code IndexSearcher} (top docs only); dense HNSW vs exact
 *       brute-force search (hashed bag-of-words embedder, 256 dimensions); hybrid (RRF over 1000 + 1000);
 *   <li>batch queries/s: {@link DocumentIndex#run} (ids and scores only, query id removed) over all test queries on
 *       every core, vs the bare single-threaded searcher;
 *   <li>with a third argument, an index of the same collection whose vectors a real embedding model made (the demo's
 *       MiniLM index, say): the model re-opened from the index's record, query embedding alone (llama.cpp, query
 *       vector cache emptied before each repetition), dense HNSW search with the query embedded, dense HNSW and exact
 *       search over cached query vectors, hybrid RRF over cached vectors, and hybrid with the queries embedded (one
 *       query at a time through {@link DocumentIndex#search}, and a batch {@link DocumentIndex#run} that embeds all
 *       queries in one embedder call), each beside BM25 on the same index (the batch row beside BM25's batch run).
 * </ul>
 *
 * Run: {@code mvn -B -q -pl ranking -am -Pbench-ranking verify -DskipTests [-Dbench.dense.index=DIR]} (arguments:
 * collection dir, repetitions, optional dense index dir).
 */
public final class RetrievalBench {

    private RetrievalBench() {}

    /**
     * Runs the benchmark.
     *
     * @param args collection directory (default ../shared/data/scifact), repetitions (default 3)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path coll = Path.of(args.length > 0 ? args[0] : "../shared/data/scifact");
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path denseIndex = args.length > 2 && !args[2].isBlank() ? Path.of(args[2]) : null;
        TestCollection c = TestCollection.open(coll, false);
        List<Document> docs = c.documents();
        List<Query> queries = c.queries(c.defaultSplit());
        System.out.printf(
                Locale.ROOT,
                "%s: %d documents, %d %s queries, %d cores, %d repetitions (median reported)%n",
                c.name(),
                docs.size(),
                queries.size(),
                c.defaultSplit(),
                Runtime.getRuntime().availableProcessors(),
                reps);
        Path tmp = Files.createTempDirectory("winnow-bench");
        try {
            double[] winnowIdx = new double[reps];
            double[] luceneIdx = new double[reps];
            for (int r = 0; r < reps; r++) {
                luceneIdx[r] =
                        docs.size() / time(() -> plainLuceneIndex(tmp.resolve("lucene-" + System.nanoTime()), docs));
                Path p = tmp.resolve("winnow-" + System.nanoTime());
                winnowIdx[r] = docs.size()
                        / time(() -> {
                            try (DocumentIndex idx = DocumentIndex.create(p, IndexConfig.DEFAULT)) {
                                idx.addAll(docs, 1000);
                            }
                        });
            }
            row("indexing (BM25), docs/s", median(winnowIdx), "plain Lucene addDocument", median(luceneIdx));

            Path main = tmp.resolve("main");
            try (Embedder emb = new HashedBagOfWordsEmbedder(256);
                    DocumentIndex idx = DocumentIndex.create(
                            main, IndexConfig.builder().embedder(emb).build());
                    ExecutorService pool =
                            Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors())) {
                idx.addAll(docs, 1000);
                double embedSecs = time(() -> idx.embedMissing(256));
                System.out.printf(
                        Locale.ROOT,
                        "dense vectors (hashed-bow 256, HNSW build included): %.0f docs/s%n",
                        docs.size() / embedSecs);

                IndexSearcher bare;
                DirectoryReader reader = DirectoryReader.open(FSDirectory.open(main));
                bare = new IndexSearcher(reader);
                bare.setSimilarity(new BM25Similarity(0.9f, 0.4f));
                Analyzer analyzer = new EnglishAnalyzer();
                List<BooleanQuery> luceneQueries = new ArrayList<>();
                for (Query q : queries) {
                    luceneQueries.add(bagOfWords(analyzer, q.text()));
                }
                int k = 100;
                double[] bm25 = new double[reps];
                double[] bareQps = new double[reps];
                double[] dense = new double[reps];
                double[] exact = new double[reps];
                double[] hybrid = new double[reps];
                double[] batch = new double[reps];
                for (int r = 0; r < reps; r++) {
                    bareQps[r] = queries.size()
                            / time(() -> {
                                for (BooleanQuery q : luceneQueries) {
                                    bare.search(q, k);
                                }
                            });
                    bm25[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.BM25));
                    dense[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.DENSE));
                    exact[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.DENSE_EXACT));
                    hybrid[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.HYBRID));
                    batch[r] = queries.size() / time(() -> idx.run(queries, k, SearchMode.BM25, "bm25", pool));
                }
                row("BM25 queries/s, k=100, 1 thread", median(bm25), "bare IndexSearcher top docs", median(bareQps));
                row("dense HNSW queries/s, k=100", median(dense), "exact brute force", median(exact));
                row("hybrid RRF queries/s, k=100", median(hybrid), "BM25 alone", median(bm25));
                row(
                        "BM25 batch run (ids) q/s, all cores",
                        median(batch),
                        "bare IndexSearcher, 1 thread",
                        median(bareQps));
                reader.close();
                analyzer.close();
            }
            if (denseIndex != null) {
                realEmbedderRows(denseIndex, queries, reps);
            }
        } finally {
            try (var s = Files.walk(tmp)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Dense and hybrid rows over an index whose vectors a real model made, with that model embedding the queries. */
    private static void realEmbedderRows(Path dir, List<Query> queries, int reps) throws Exception {
        var recorded = DocumentIndex.readSettings(dir).embedderIdentity();
        if (recorded == null) {
            throw new IllegalArgumentException("bench.dense.index " + dir + " holds no vectors");
        }
        String made = recorded.description();
        try (Embedder emb = Embedders.fromIdentity(recorded);
                DocumentIndex idx = DocumentIndex.open(
                        dir, IndexConfig.builder().embedder(emb).build());
                ExecutorService pool =
                        Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors())) {
            if (!(emb instanceof BatchingEmbedder model)) {
                throw new IllegalArgumentException(
                        "bench.dense.index " + dir + " was not embedded by a model: " + made);
            }
            System.out.printf(
                    Locale.ROOT, "index %s (%d documents, %d vectors): %s%n", dir, idx.size(), idx.vectorCount(), made);
            int k = 100;
            double[] bm25 = new double[reps];
            double[] embed = new double[reps];
            double[] denseCold = new double[reps];
            double[] dense = new double[reps];
            double[] exact = new double[reps];
            double[] hybrid = new double[reps];
            double[] hybridOne = new double[reps];
            double[] hybridBatch = new double[reps];
            double[] bm25Batch = new double[reps];
            for (int r = 0; r < reps; r++) {
                bm25[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.BM25));
                bm25Batch[r] = queries.size() / time(() -> idx.run(queries, k, SearchMode.BM25, "bm25", pool));
                model.clearQueryCache();
                hybridOne[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.HYBRID));
                model.clearQueryCache();
                hybridBatch[r] = queries.size() / time(() -> idx.run(queries, k, SearchMode.HYBRID, "hybrid", pool));
                model.clearQueryCache();
                embed[r] = queries.size()
                        / time(() -> {
                            for (Query q : queries) {
                                model.embedQuery(q.text());
                            }
                        });
                model.clearQueryCache();
                denseCold[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.DENSE));
                dense[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.DENSE));
                exact[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.DENSE_EXACT));
                hybrid[r] = queries.size() / time(() -> searchAll(idx, queries, k, SearchMode.HYBRID));
            }
            row("query embedding, one at a time, q/s", median(embed), "BM25 search, k=100", median(bm25));
            row("dense HNSW q/s, k=100, query embedded", median(denseCold), "BM25 search, k=100", median(bm25));
            row("dense HNSW q/s, k=100, vector cached", median(dense), "exact brute force, cached", median(exact));
            row("hybrid RRF q/s, k=100, vector cached", median(hybrid), "BM25 search, k=100", median(bm25));
            row("hybrid q/s, query embedded, 1 by 1", median(hybridOne), "BM25 search, k=100", median(bm25));
            row(
                    "hybrid q/s, query embedded, batch run",
                    median(hybridBatch),
                    "BM25 batch run, all cores",
                    median(bm25Batch));
        }
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    private static double time(Work w) throws Exception {
        long t0 = System.nanoTime();
        w.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void searchAll(DocumentIndex idx, List<Query> queries, int k, SearchMode mode) throws IOException {
        for (Query q : queries) {
            idx.search(q.text(), k, mode);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static void row(String what, double value, String baseline, double base) {
        System.out.printf(
                Locale.ROOT,
                "%-38s %10.1f   baseline %-28s %10.1f   ratio %.2f%n",
                what,
                value,
                baseline,
                base,
                value / base);
    }

    private static void plainLuceneIndex(Path p, List<Document> docs) throws IOException {
        IndexWriterConfig c = new IndexWriterConfig(new EnglishAnalyzer());
        c.setSimilarity(new BM25Similarity(0.9f, 0.4f));
        c.setRAMBufferSizeMB(128);
        try (IndexWriter w = new IndexWriter(FSDirectory.open(p), c)) {
            for (Document d : docs) {
                org.apache.lucene.document.Document ld = new org.apache.lucene.document.Document();
                ld.add(new StringField("id", d.id(), Field.Store.YES));
                ld.add(new StoredField("title", d.title()));
                ld.add(new StoredField("text", d.text()));
                ld.add(new TextField("contents", d.title() + "\n" + d.text(), Field.Store.NO));
                w.addDocument(ld);
            }
            w.commit();
        }
    }

    private static BooleanQuery bagOfWords(Analyzer a, String text) throws IOException {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        try (TokenStream ts = a.tokenStream("contents", text)) {
            CharTermAttribute t = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                b.add(new TermQuery(new Term("contents", t.toString())), BooleanClause.Occur.SHOULD);
            }
            ts.end();
        }
        return b.build();
    }
}
