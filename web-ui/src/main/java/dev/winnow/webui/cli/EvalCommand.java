package dev.winnow.webui.cli;

import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.SignificanceTest;
import dev.winnow.ranking.fusion.Fusion;
import dev.winnow.ranking.fusion.LinearFusion;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code winnow eval}: runs a split's queries against an index with one or more methods, writes the runs with their
 * provenance, and prints one row per method (and per compared run file) with nDCG@10, R@100, RR@10 (and MAP, P@10
 * with {@code --all}); with more than one row, the p-values of a paired t-test and a randomisation test of each row
 * against the first, on nDCG@10.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = "Run a collection's queries, write the runs, print nDCG@10, R@100, RR@10 per method.")
public final class EvalCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--collection", required = true, paramLabel = "DIR", description = "collection directory")
  Path collection;

  @Option(names = "--index", required = true, paramLabel = "DIR", description = "index built from that collection")
  Path index;

  @Option(names = "--split", paramLabel = "NAME", description = "query split (default: test, else the only one)")
  String split;

  @Option(
      names = "--mode",
      split = ",",
      defaultValue = "bm25",
      description = "methods, comma-separated: bm25, dense, dense-exact, hybrid (default ${DEFAULT-VALUE})")
  List<String> modes;

  @Option(names = "--depth", defaultValue = "1000", description = "hits per query (default ${DEFAULT-VALUE})")
  int depth;

  @Option(
      names = "--run",
      paramLabel = "OUT",
      description = "write the run (TREC format, provenance in OUT.json); with several methods OUT.METHOD")
  Path runOut;

  @Option(names = "--compare", arity = "1..*", paramLabel = "RUN", description = "TREC run files to compare")
  List<Path> compare = List.of();

  @Option(names = "--all", description = "also print MAP and P@10")
  boolean all;

  @Option(
      names = "--complete",
      description =
          "average over all judged queries, a query missing from a run counting as 0 (trec_eval -c); default: over"
              + " the judged queries the run has results for (trec_eval's default)")
  boolean complete;

  @Option(names = "--trials", defaultValue = "10000", description = "randomisation test permutations (default ${DEFAULT-VALUE})")
  int trials;

  @Option(names = "--seed", defaultValue = "42", description = "randomisation test seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--skip-bad", description = "skip and count malformed collection lines")
  boolean skipBad;

  @Option(
      names = "--fusion",
      defaultValue = "rrf",
      description = "hybrid fusion: rrf (k = 60), minmax or zscore (linear, weight tuned on --tune-split)")
  String fusionName;

  @Option(
      names = "--tune-split",
      paramLabel = "NAME",
      description = "split the linear fusion weight is tuned on, never the evaluated one (default: train)")
  String tuneSplit;

  @Mixin QueryInstructionOption queryInstruction = new QueryInstructionOption();

  @Option(names = "--ranker", paramLabel = "R",
      description = "also re-rank each method's top --rerank-depth: blockrank, icr, listwise, pointwise, embedding "
          + "or encoder")
  String rankerName;

  @Option(names = "--model", paramLabel = "FILE",
      description = "GGUF model for --ranker: a causal language model, an embedding model (embedding), a BERT-type "
          + "encoder (encoder)")
  Path rankerModel;

  @Option(names = "--rerank-depth", defaultValue = "100", description = "hits re-ranked by --ranker (default ${DEFAULT-VALUE})")
  int rerankDepth;

  @Option(names = "--threads", description = "CPU threads of the --ranker model (default: all cores)")
  Integer rankerThreads;

  /**
   * Re-ranks the first stage's top --rerank-depth with --ranker through {@link
   * dev.winnow.ranking.incontext.Reranking} (tail kept below the head); returns the run (written beside --run as
   * OUT.METHOD+RANKER).
   */
  private Run rerank(TestCollection c, String s, DocumentIndex idx, SearchMode m, Run firstStage, PrintWriter out)
      throws Exception {
    if (rerankDepth < 1) {
      throw new IllegalArgumentException("--rerank-depth must be >= 1, got " + rerankDepth);
    }
    if (rankerModel == null) {
      throw new IllegalArgumentException("--ranker needs --model FILE");
    }
    dev.winnow.ranking.incontext.InContextOptions options = dev.winnow.ranking.incontext.InContextOptions.defaults();
    if (rankerThreads != null) {
      options = options.withThreads(rankerThreads);
    }
    try (dev.winnow.runtime.Model lm = dev.winnow.runtime.Llama.load().loadModel(rankerModel);
        dev.winnow.ranking.incontext.InContextRanker r =
            dev.winnow.ranking.incontext.InContextRanker.byName(rankerName, lm, options)) {
      List<dev.winnow.ranking.collection.Query> queries = c.queries(s);
      Run run = dev.winnow.ranking.incontext.Reranking.rerank(firstStage, queries, rerankDepth, idx::get,
          dev.winnow.ranking.incontext.Reranking.scorer(r, null), m.cliName() + "+" + r.name(),
          done -> { if (done % 25 == 0) out.printf(Locale.ROOT, "%s: %d/%d queries re-ranked%n", r.name(), done, queries.size()); });
      if (runOut != null) {
        Path file = runOut.resolveSibling(runOut.getFileName() + "." + run.name());
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("mode", m.cliName());
        params.put("depth", depth);
        params.putAll(dev.winnow.ranking.incontext.Reranking.parameters(firstStage.name(), r.name(), rerankDepth));
        params.put("options", options.toString());
        TrecFiles.writeRun(file, run, Provenance.of(collection, s, index, idx.settings().asMap(), rankerModel, params, null));
        out.println("wrote " + file + " (+ .json provenance)");
      }
      return run;
    }
  }

  private String tuneSplitOf(TestCollection c, String evaluated) {
    String t = tuneSplit != null ? tuneSplit : "train";
    if (!c.splits().contains(t)) {
      throw new IllegalArgumentException(
          "linear fusion needs a split to tune its weight on; " + c.name() + " has " + c.splits() + " (--tune-split)");
    }
    if (t.equals(evaluated)) {
      throw new IllegalArgumentException("refusing to tune the fusion weight on the evaluated split " + t);
    }
    return t;
  }

  private LinearFusion tuneLinearFusion(
      TestCollection c, String evaluated, DocumentIndex idx, Executor pool, PrintWriter out) throws java.io.IOException {
    String t = tuneSplitOf(c, evaluated);
    LinearFusion.Normalization norm =
        switch (fusionName) {
          case "minmax" -> LinearFusion.Normalization.MIN_MAX;
          case "zscore" -> LinearFusion.Normalization.Z_SCORE;
          default -> throw new IllegalArgumentException("unknown --fusion '" + fusionName + "' (rrf, minmax, zscore)");
        };
    Run bm25 = idx.run(c.queries(t), 1000, SearchMode.BM25, "bm25", pool);
    Run dense = idx.run(c.queries(t), 1000, SearchMode.DENSE, "dense", pool);
    LinearFusion f = LinearFusion.tune(bm25, dense, new Evaluation(c.qrels(t)), Metric.NDCG_10, norm, 0.05);
    out.printf(Locale.ROOT, "%s: BM25 weight %.2f tuned on %s (%d queries, nDCG@10)%n", f.describe(), f.weight(), t,
        c.queries(t).size());
    return f;
  }

  @Override
  public Integer call() throws Exception {
    if (depth < 1) {
      throw new IllegalArgumentException("--depth must be >= 1, got " + depth);
    }
    PrintWriter out = spec.commandLine().getOut();
    TestCollection c = TestCollection.open(collection, skipBad);
    String s = split == null ? c.defaultSplit() : split;
    Evaluation eval = new Evaluation(c.qrels(s)).complete(complete);
    if (!c.report().excludedJudgedQueries().isEmpty()) {
      List<String> ex = c.report().excludedJudgedQueries();
      spec.commandLine().getErr().printf(Locale.ROOT,
          "warning: %d judged queries are not in %s's queries file and are not evaluated: %s%n", ex.size(), c.name(),
          String.join(", ", ex.subList(0, Math.min(10, ex.size()))) + (ex.size() > 10 ? ", ..." : ""));
    }
    List<Run> runs = new ArrayList<>();
    boolean needsVectors = modes.stream().map(SearchMode::parse).anyMatch(m -> m != SearchMode.BM25);
    String recorded = DocumentIndex.readSettings(index).embedder();
    // one pool of search threads for the whole command (queries of a run are searched in parallel)
    try (ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        Embedder embedder = needsVectors && recorded != null ? Embedders.fromDescription(recorded) : null;
        DocumentIndex idx =
            DocumentIndex.open(index, IndexConfig.builder().embedder(embedder).fusion(Fusion.rrf(60), 1000).build())) {
      if (embedder != null) {
        queryInstruction.apply(embedder);
      }
      for (String name : modes) {
        SearchMode m = SearchMode.parse(name);
        String fusionDescription = "rrf k=60 over the top 1000 of each list";
        Run run;
        if (m == SearchMode.HYBRID && !fusionName.equals("rrf")) {
          LinearFusion tuned = tuneLinearFusion(c, s, idx, pool, out);
          fusionDescription = tuned.describe() + " (BM25 weight, tuned on " + tuneSplitOf(c, s) + " nDCG@10)";
          // the fusion is fixed when an index opens: a second, read-only instance searches with the tuned one
          try (DocumentIndex fused = DocumentIndex.open(index, idx.config().toBuilder().fusion(tuned, 1000).build())) {
            run = fused.run(c.queries(s), depth, m, m.cliName(), pool);
          }
        } else {
          run = idx.run(c.queries(s), depth, m, m.cliName(), pool);
        }
        runs.add(run);
        if (runOut != null) {
          Path file = modes.size() == 1 ? runOut : runOut.resolveSibling(runOut.getFileName() + "." + m.cliName());
          Map<String, Object> params = new LinkedHashMap<>();
          params.put("mode", m.cliName());
          params.put("depth", depth);
          params.put("queryIdRemovedFromResults", true);
          if (m == SearchMode.HYBRID) {
            params.put("fusion", fusionDescription);
          }
          Path modelFile = null;
          if (embedder instanceof LlamaEmbedder l && m != SearchMode.BM25) {
            modelFile = l.file();
            params.put("queryInstruction", l.queryInstruction());
          }
          TrecFiles.writeRun(file, run, Provenance.of(collection, s, index, idx.settings().asMap(), modelFile, params, null));
          out.println("wrote " + file + " (+ .json provenance)");
        }
        if (rankerName != null) {
          runs.add(rerank(c, s, idx, m, run, out));
        }
      }
    }
    for (Path p : compare) {
      runs.add(TrecFiles.readRun(p).withName(p.getFileName().toString().replaceAll("\\s", "_")));
    }
    List<Metric> metrics = new ArrayList<>(List.of(Metric.NDCG_10, Metric.RECALL_100, Metric.RR_10));
    if (all) {
      metrics.add(Metric.AP);
      metrics.add(Metric.P_10);
    }
    out.printf(Locale.ROOT, "%s, split %s, %d judged queries%s%n", c.name(), s, eval.qrels().queryIds().size(),
        complete ? " (--complete: a missing query counts as 0)" : "");
    for (Run r : runs) {
      String w = eval.coverage(r).warning(r.name());
      if (w != null) {
        spec.commandLine().getErr().println("warning: " + w);
      }
    }
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-24s", "method"));
    metrics.forEach(m -> header.append(String.format(Locale.ROOT, " %8s", m.label())));
    if (runs.size() > 1) {
      header.append("  p(t-test) p(rand)  [nDCG@10 vs first row]");
    }
    out.println(header);
    Map<String, Double> first = null;
    for (Run r : runs) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-24s", r.name()));
      for (Metric m : metrics) {
        row.append(String.format(Locale.ROOT, " %8.4f", eval.mean(r, m)));
      }
      Map<String, Double> ndcg = eval.perQuery(r, Metric.NDCG_10);
      if (first == null) {
        first = ndcg;
      } else {
        // paired tests need the same queries: those both runs were evaluated on
        Map<String, Double> a = new LinkedHashMap<>(first);
        Map<String, Double> b = new LinkedHashMap<>(ndcg);
        a.keySet().retainAll(ndcg.keySet());
        b.keySet().retainAll(a.keySet());
        if (a.size() < 2) {
          row.append("  (fewer than 2 common queries: no test)");
        } else {
          row.append(
              String.format(
                  Locale.ROOT,
                  "  %10.4g %7.4g",
                  SignificanceTest.pairedTTest(a, b),
                  SignificanceTest.randomization(a, b, trials, seed)));
        }
      }
      out.println(row);
    }
    return 0;
  }
}
