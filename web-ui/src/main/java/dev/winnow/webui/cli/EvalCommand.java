package dev.winnow.webui.cli;

import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.ReadReport;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.dense.BatchingEmbedder;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.dense.OnnxEmbedder;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.SignificanceTest;
import dev.winnow.ranking.fusion.Fusion;
import dev.winnow.ranking.fusion.LinearFusion;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.incontext.prompt.BlockRankLayout;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code winnow eval}: scores runs with trec_eval's conventions through {@link Evaluation} (the code path every other
 * entry point uses). Two ways in:
 *
 * <ul>
 *   <li>{@code --collection DIR --index DIR}: runs a split's queries with one or more methods (and re-rankers),
 *       writes the runs with their provenance, and scores them with the collection's qrels and gains;
 *   <li>{@code --qrels FILE RUN...}: scores bare TREC run files against a TREC qrels file, as {@code trec_eval QRELS
 *       RUN} does (with {@code --collection}, the collection's gain mapping applies to the file's grades).
 * </ul>
 *
 * <p>Prints one row per run with the chosen measures ({@code -m}; default nDCG@10, R@100, RR@10, plus MAP and P@10
 * with {@code --all}); {@code -q} adds each query's values in trec_eval's three-column layout; with more than one
 * row, the p-values of a two-sided paired t-test and a randomisation test of each row against the baseline
 * ({@code --baseline}, default the first row) on every chosen measure.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = {
            "Score runs with trec_eval's conventions: run a collection's queries (--collection DIR --index DIR), or score"
                    + " bare run files (--qrels FILE RUN...).",
            "Prints the chosen measures per run (-m; default nDCG@10, R@100, RR@10), each query's values with -q, and"
                    + " significance tests against --baseline on every measure."
        })
public final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--collection",
            paramLabel = "DIR",
            description = "collection directory (its queries and qrels; with --qrels, only its gain mapping)")
    Path collection;

    @Option(names = "--index", paramLabel = "DIR", description = "index built from that collection: run its queries")
    Path index;

    @Option(
            names = "--qrels",
            paramLabel = "FILE",
            description = "TREC qrels file (query 0 doc grade): score the RUN files against it, no index needed")
    Path qrelsFile;

    @Parameters(
            paramLabel = "RUN",
            arity = "0..*",
            description =
                    "TREC run files to score (with --qrels; with --index they are scored beside the methods' runs)")
    List<Path> runFiles = List.of();

    @Option(
            names = {"-m", "--metric"},
            split = ",",
            paramLabel = "M",
            description =
                    "measures, repeatable or comma-separated: nDCG@k, MAP, RR@k, RR, R@k, P@k, or trec_eval's names (ndcg_cut.10,"
                            + " ndcg, map, recip_rank, P.10, recall.100); default nDCG@10, R@100, RR@10")
    List<String> metricNames;

    @Option(
            names = {"-q", "--per-query"},
            description =
                    "also print each query's values, as trec_eval -q: MEASURE, query id, value (and 'all' for the mean)")
    boolean perQuery;

    @Option(
            names = "--baseline",
            paramLabel = "RUN",
            description =
                    "the row every other row is tested against (a method name, a RUN's file name, or another run file);"
                            + " default the first row")
    String baseline;

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

    @Option(
            names = "--trials",
            defaultValue = "10000",
            description = "randomisation test permutations (default ${DEFAULT-VALUE})")
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

    @Mixin
    QueryInstructionOption queryInstruction = new QueryInstructionOption();

    @Option(
            names = "--ranker",
            paramLabel = "R",
            description =
                    "also re-rank each method's top --rerank-depth: blockrank, icr, listwise, pointwise, embedding "
                            + "or encoder")
    String rankerName;

    @Option(
            names = "--model",
            paramLabel = "FILE",
            description =
                    "GGUF model for --ranker: a causal language model, an embedding model (embedding), a BERT-type "
                            + "encoder (encoder)")
    Path rankerModel;

    @Option(
            names = "--rerank-depth",
            defaultValue = "100",
            description = "hits re-ranked by --ranker (default ${DEFAULT-VALUE})")
    int rerankDepth;

    @Option(names = "--threads", description = "CPU threads of the --ranker model (default: all cores)")
    Integer rankerThreads;

    @Option(
            names = "--layout",
            paramLabel = "reference|compact",
            description =
                    "BlockRank prompt layout: reference (as the paper's code builds it) or compact (default: reference for a BlockRank checkpoint, else compact)")
    String layout;

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
        InContextOptions options = InContextOptions.defaults();
        if (layout != null) {
            options = options.withLayout(BlockRankLayout.parse(layout, "--layout"));
        }
        if (rankerThreads != null) {
            options = options.withThreads(rankerThreads);
        }
        try (Model lm = Llama.load().loadModel(rankerModel);
                InContextRanker r = InContextRanker.byName(rankerName, lm, options)) {
            List<Query> queries = c.queries(s);
            Run run = Reranking.rerank(
                    firstStage,
                    queries,
                    rerankDepth,
                    idx::get,
                    Reranking.scorer(r, null),
                    m.cliName() + "+" + r.name(),
                    (done, total, unit) -> {
                        if (done % 25 == 0) {
                            out.printf(Locale.ROOT, "%s: %d/%d %s re-ranked%n", r.name(), done, total, unit);
                        }
                    });
            if (runOut != null) {
                Path file = runOut.resolveSibling(runOut.getFileName() + "." + run.name());
                Map<String, Object> params = new LinkedHashMap<>();
                params.put("mode", m.cliName());
                params.put("depth", depth);
                params.putAll(Reranking.parameters(firstStage.name(), r.name(), rerankDepth));
                params.put("options", options.toString());
                TrecFiles.writeRun(
                        file,
                        run,
                        Provenance.of(collection, s, index, idx.settings().asMap(), rankerModel, params, null));
                out.println("wrote " + file + " (+ .json provenance)");
            }
            return run;
        }
    }

    private String tuneSplitOf(TestCollection c, String evaluated) {
        String t = tuneSplit != null ? tuneSplit : "train";
        if (!c.splits().contains(t)) {
            throw new IllegalArgumentException("linear fusion needs a split to tune its weight on; " + c.name()
                    + " has " + c.splits() + " (--tune-split)");
        }
        if (t.equals(evaluated)) {
            throw new IllegalArgumentException("refusing to tune the fusion weight on the evaluated split " + t);
        }
        return t;
    }

    private LinearFusion tuneLinearFusion(
            TestCollection c, String evaluated, DocumentIndex idx, Executor pool, PrintWriter out) throws IOException {
        String t = tuneSplitOf(c, evaluated);
        LinearFusion.Normalization norm = switch (fusionName) {
            case "minmax" -> LinearFusion.Normalization.MIN_MAX;
            case "zscore" -> LinearFusion.Normalization.Z_SCORE;
            default ->
                throw new IllegalArgumentException("unknown --fusion '" + fusionName + "' (rrf, minmax, zscore)");
        };
        Run bm25 = idx.run(c.queries(t), 1000, SearchMode.BM25, "bm25", pool, ConsoleProgress.stderr("bm25 on " + t));
        Run dense =
                idx.run(c.queries(t), 1000, SearchMode.DENSE, "dense", pool, ConsoleProgress.stderr("dense on " + t));
        LinearFusion f = LinearFusion.tune(bm25, dense, new Evaluation(c.qrels(t)), Metric.NDCG_10, norm, 0.05);
        out.printf(
                Locale.ROOT,
                "%s: BM25 weight %.2f tuned on %s (%d queries, nDCG@10)%n",
                f.describe(),
                f.weight(),
                t,
                c.queries(t).size());
        return f;
    }

    @Override
    public Integer call() throws Exception {
        if (depth < 1) {
            throw new IllegalArgumentException("--depth must be >= 1, got " + depth);
        }
        List<Metric> metrics = chosenMetrics();
        if (rankerName != null) {
            // before the index is searched and the model loads (minutes), not after
            InContextRanker.checkName(rankerName);
        }
        if (qrelsFile != null) {
            return scoreRunFiles(metrics);
        }
        if (collection == null || index == null) {
            throw new IllegalArgumentException(
                    "eval needs --collection DIR and --index DIR to run a collection's queries, or --qrels FILE RUN... to score"
                            + " run files");
        }
        PrintWriter out = spec.commandLine().getOut();
        TestCollection c = TestCollection.open(collection, skipBad);
        String s = split == null ? c.defaultSplit() : split;
        Evaluation eval = new Evaluation(c.qrels(s)).complete(complete);
        if (!c.report().excludedJudgedQueries().isEmpty()) {
            List<String> ex = c.report().excludedJudgedQueries();
            spec.commandLine()
                    .getErr()
                    .printf(
                            Locale.ROOT,
                            "warning: %d judged queries are not in %s's queries file and are not evaluated: %s%n",
                            ex.size(),
                            c.name(),
                            String.join(", ", ex.subList(0, Math.min(10, ex.size())))
                                    + (ex.size() > 10 ? ", ..." : ""));
        }
        List<Run> runs = new ArrayList<>();
        boolean needsVectors = modes.stream().map(SearchMode::parse).anyMatch(m -> m != SearchMode.BM25);
        String recorded = DocumentIndex.readSettings(index).embedder();
        // one pool of search threads for the whole command (queries of a run are searched in parallel)
        try (ExecutorService pool =
                        Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
                Embedder embedder = needsVectors && recorded != null ? Embedders.fromDescription(recorded) : null;
                DocumentIndex idx = DocumentIndex.open(
                        index,
                        IndexConfig.builder()
                                .embedder(embedder)
                                .fusion(Fusion.rrf(60), 1000)
                                .build())) {
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
                    try (DocumentIndex fused = DocumentIndex.open(
                            index, idx.config().toBuilder().fusion(tuned, 1000).build())) {
                        run = fused.run(c.queries(s), depth, m, m.cliName(), pool, ConsoleProgress.stderr(m.cliName()));
                    }
                } else {
                    // first-stage retrieval: dense and hybrid embed every query (tens of seconds), so it reports
                    // progress
                    run = idx.run(c.queries(s), depth, m, m.cliName(), pool, ConsoleProgress.stderr(m.cliName()));
                }
                runs.add(run);
                if (runOut != null) {
                    Path file = modes.size() == 1
                            ? runOut
                            : runOut.resolveSibling(runOut.getFileName() + "." + m.cliName());
                    Map<String, Object> params = new LinkedHashMap<>();
                    params.put("mode", m.cliName());
                    params.put("depth", depth);
                    params.put("queryIdRemovedFromResults", true);
                    if (m == SearchMode.HYBRID) {
                        params.put("fusion", fusionDescription);
                    }
                    Path modelFile = null;
                    if (embedder instanceof BatchingEmbedder b && m != SearchMode.BM25) {
                        modelFile = b instanceof LlamaEmbedder l
                                ? l.file()
                                : b instanceof OnnxEmbedder o ? o.modelFile() : null;
                        params.put("queryInstruction", b.queryInstruction());
                    }
                    TrecFiles.writeRun(
                            file,
                            run,
                            Provenance.of(collection, s, index, idx.settings().asMap(), modelFile, params, null));
                    out.println("wrote " + file + " (+ .json provenance)");
                }
                if (rankerName != null) {
                    runs.add(rerank(c, s, idx, m, run, out));
                }
            }
        }
        runs.addAll(readRuns(runFiles));
        runs.addAll(readRuns(compare));
        out.printf(
                Locale.ROOT,
                "%s, split %s, %d judged queries%s%n",
                c.name(),
                s,
                eval.qrels().queryIds().size(),
                complete ? " (--complete: a missing query counts as 0)" : "");
        report(eval, runs, metrics, out);
        return 0;
    }

    /** {@code --qrels FILE RUN...}: bare run files against a qrels file, nothing else needed. */
    private int scoreRunFiles(List<Metric> metrics) throws Exception {
        if (index != null) {
            throw new IllegalArgumentException(
                    "--qrels scores run files and does not go with --index (a collection's queries are scored with its own"
                            + " qrels)");
        }
        for (String o : new String[] {"--mode", "--ranker", "--run", "--fusion", "--split", "--tune-split"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                throw new IllegalArgumentException(
                        o + " needs --collection DIR --index DIR; with --qrels only run files are scored");
            }
        }
        List<Path> files = new ArrayList<>(runFiles);
        files.addAll(compare);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("--qrels " + qrelsFile + ": name at least one RUN file to score");
        }
        PrintWriter out = spec.commandLine().getOut();
        ReadReport report = new ReadReport(skipBad);
        Qrels qrels = TrecFiles.readQrels(qrelsFile, report);
        if (qrels.queryIds().isEmpty()) {
            throw new IllegalArgumentException("--qrels " + qrelsFile + " holds no judgment");
        }
        String gains = "grades as gains";
        if (collection != null) {
            // the collection's convention for its grades (Cranfield: 5 - grade), applied to the file's grades
            TestCollection c = TestCollection.open(collection, skipBad);
            qrels = qrels.withGains(c.gains());
            gains = c.name() + "'s gain mapping";
        }
        if (report.skippedLines() > 0) {
            spec.commandLine().getErr().println("warning: " + report.summary());
        }
        Evaluation eval = new Evaluation(qrels).complete(complete);
        List<Run> runs = readRuns(files);
        out.printf(
                Locale.ROOT,
                "%s, %d judged queries, %s%s%n",
                qrelsFile.getFileName(),
                qrels.queryIds().size(),
                gains,
                complete ? " (--complete: a missing query counts as 0)" : "");
        report(eval, runs, metrics, out);
        return 0;
    }

    private List<Metric> chosenMetrics() {
        List<Metric> metrics = new ArrayList<>();
        if (metricNames == null || metricNames.isEmpty()) {
            metrics.addAll(List.of(Metric.NDCG_10, Metric.RECALL_100, Metric.RR_10));
        } else {
            for (String name : metricNames) {
                Metric m = Metric.parse(name);
                if (!metrics.contains(m)) {
                    metrics.add(m);
                }
            }
        }
        if (all) {
            for (Metric m : List.of(Metric.AP, Metric.P_10)) {
                if (!metrics.contains(m)) {
                    metrics.add(m);
                }
            }
        }
        return metrics;
    }

    private static List<Run> readRuns(List<Path> files) throws IOException {
        List<Run> runs = new ArrayList<>();
        for (Path p : files) {
            runs.add(TrecFiles.readRun(p).withName(p.getFileName().toString().replaceAll("\\s", "_")));
        }
        return runs;
    }

    /**
     * Prints the table (a row per run, a column per measure), the significance tests of every row against the
     * baseline on every measure, and with {@code -q} each query's values.
     */
    private void report(Evaluation eval, List<Run> runs, List<Metric> metrics, PrintWriter out) throws Exception {
        for (Run r : runs) {
            String w = eval.coverage(r).warning(r.name());
            if (w != null) {
                spec.commandLine().getErr().println("warning: " + w);
            }
        }
        int base = baselineRow(runs);
        int width = Math.max(
                24, runs.stream().mapToInt(r -> r.name().length() + 1).max().orElse(0));
        String nameColumn = "%-" + width + "s";
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, nameColumn, "run"));
        metrics.forEach(m -> header.append(String.format(Locale.ROOT, " %8s", m.label())));
        out.println(header);
        List<List<Evaluation.Result>> results = new ArrayList<>();
        for (Run r : runs) {
            List<Evaluation.Result> rs = eval.evaluate(r, metrics);
            results.add(rs);
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, nameColumn, r.name()));
            rs.forEach(x -> row.append(String.format(Locale.ROOT, " %8.4f", x.mean())));
            out.println(row);
        }
        if (runs.size() > 1) {
            out.printf(
                    Locale.ROOT,
                    "%nagainst %s: two-sided paired t-test and randomisation test (%d trials, seed %d), over the queries both"
                            + " runs were evaluated on%n",
                    runs.get(base).name(),
                    trials,
                    seed);
            out.println(String.format(Locale.ROOT, nameColumn, "run")
                    + String.format(Locale.ROOT, " %-10s %8s %10s %8s", "measure", "delta", "p(t-test)", "p(rand)"));
            for (int i = 0; i < runs.size(); i++) {
                if (i == base) {
                    continue;
                }
                for (int k = 0; k < metrics.size(); k++) {
                    Map<String, Double> a =
                            new LinkedHashMap<>(results.get(base).get(k).perQuery());
                    Map<String, Double> b =
                            new LinkedHashMap<>(results.get(i).get(k).perQuery());
                    a.keySet().retainAll(b.keySet());
                    b.keySet().retainAll(a.keySet());
                    StringBuilder row = new StringBuilder(
                            String.format(Locale.ROOT, nameColumn, runs.get(i).name()));
                    row.append(
                            String.format(Locale.ROOT, " %-10s", metrics.get(k).label()));
                    if (a.size() < 2) {
                        row.append("  (fewer than 2 common queries: no test)");
                    } else {
                        double delta = 0;
                        for (String q : a.keySet()) {
                            delta += b.get(q) - a.get(q);
                        }
                        row.append(String.format(
                                Locale.ROOT,
                                " %+8.4f %10.4g %8.4g",
                                delta / a.size(),
                                SignificanceTest.pairedTTest(a, b),
                                SignificanceTest.randomization(a, b, trials, seed)));
                    }
                    out.println(row);
                }
            }
        }
        if (perQuery) {
            for (int i = 0; i < runs.size(); i++) {
                out.println();
                out.println("# per query: " + runs.get(i).name());
                for (Evaluation.Result x : results.get(i)) {
                    List<String> ids = new ArrayList<>(x.perQuery().keySet());
                    ids.sort(null); // trec_eval prints queries in the order of their ids as strings
                    for (String q : ids) {
                        out.printf(
                                Locale.ROOT,
                                "%-22s\t%s\t%.4f%n",
                                x.metric().label(),
                                q,
                                x.perQuery().get(q));
                    }
                    out.printf(Locale.ROOT, "%-22s\t%s\t%.4f%n", x.metric().label(), "all", x.mean());
                }
            }
        }
    }

    /** The index of the baseline row: --baseline names a row or a run file (then read and put first), else row 0. */
    private int baselineRow(List<Run> runs) throws IOException {
        if (baseline == null) {
            return 0;
        }
        for (int i = 0; i < runs.size(); i++) {
            if (runs.get(i).name().equals(baseline)) {
                return i;
            }
        }
        Path file = Path.of(baseline);
        if (Files.isRegularFile(file)) {
            runs.add(0, readRuns(List.of(file)).get(0));
            return 0;
        }
        List<String> names = runs.stream().map(Run::name).toList();
        throw new IllegalArgumentException(
                "--baseline " + baseline + " is neither a row (" + String.join(", ", names) + ") nor a run file");
    }
}
