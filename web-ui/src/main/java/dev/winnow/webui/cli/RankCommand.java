package dev.winnow.webui.cli;

import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.ReadReport;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.incontext.prompt.BlockRankLayout;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code winnow rank}: retrieves the top {@code --depth} hits for a query (or every query of a topics file) and
 * re-ranks them with an in-context ranker: BlockRank, ICR, full-attention listwise, pointwise, the embedding
 * cosine re-ranker, or the encoder in-context ranker. Prints the re-ranked list, or writes a run file with its provenance for a topics file.
 */
@Command(
        name = "rank",
        mixinStandardHelpOptions = true,
        description = "Retrieve and re-rank: blockrank, icr, listwise, pointwise (a GGUF language model), embedding "
                + "(a GGUF embedding model) or encoder (a BERT-type GGUF encoder such as all-MiniLM-L6-v2).")
public final class RankCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--index", required = true, paramLabel = "DIR", description = "index directory")
    Path index;

    static final class Input {
        @Option(names = "--query", paramLabel = "TEXT", description = "one query")
        String query;

        @Option(names = "--topics", paramLabel = "FILE", description = "TREC topics file: one re-ranked list per topic")
        Path topics;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(
            names = "--ranker",
            required = true,
            paramLabel = "R",
            description = "blockrank, icr, listwise, pointwise, embedding or encoder")
    String ranker;

    @Option(
            names = "--model",
            required = true,
            paramLabel = "FILE",
            description = "GGUF model: a causal language model, an embedding model for --ranker embedding, a BERT-type "
                    + "encoder for --ranker encoder")
    Path model;

    @Option(
            names = "--mode",
            defaultValue = "bm25",
            description = "first stage: bm25, dense or hybrid (default ${DEFAULT-VALUE})")
    String mode;

    @Option(
            names = "--depth",
            defaultValue = "20",
            description = "first-stage hits re-ranked (default ${DEFAULT-VALUE})")
    int depth;

    @Option(
            names = "--hits",
            paramLabel = "N",
            description =
                    "with --topics: first-stage hits per query kept in the run; those below --depth follow the re-ranked"
                            + " head in first-stage order (default: --depth, no tail)")
    Integer hits;

    @Option(names = "-k", defaultValue = "10", description = "re-ranked hits printed (default ${DEFAULT-VALUE})")
    int k;

    @Option(
            names = "--doc-tokens",
            defaultValue = "384",
            description = "document token budget (default ${DEFAULT-VALUE})")
    int docTokens;

    @Option(names = "--layer", defaultValue = "-1", description = "scoring layer, 0-based (default n_layer*5/8)")
    int layer;

    @Option(names = "--threads", description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(
            names = "--layout",
            paramLabel = "reference|compact",
            description =
                    "BlockRank prompt layout: reference (as the paper's code builds it) or compact (default: reference for a BlockRank checkpoint, else compact)")
    String layout;

    @Option(
            names = "--run",
            paramLabel = "OUT",
            description = "with --topics: write the run (TREC format, provenance in OUT.json)")
    Path runOut;

    @Override
    public Integer call() throws Exception {
        if (depth < 1 || k < 1) {
            throw new IllegalArgumentException("--depth and -k must be >= 1, got " + depth + " and " + k);
        }
        if (input.topics != null && runOut == null) {
            throw new IllegalArgumentException("--topics needs --run OUT");
        }
        InContextRanker.checkName(ranker); // before the model loads
        PrintWriter out = spec.commandLine().getOut();
        SearchMode m = SearchMode.parse(mode);
        InContextOptions options =
                InContextOptions.defaults().withScoringLayer(layer).withBudgets(docTokens, 64);
        if (layout != null) {
            options = options.withLayout(BlockRankLayout.parse(layout, "--layout"));
        }
        if (threads != null) {
            options = options.withThreads(threads);
        }
        Embedder embedder = null;
        if (m != SearchMode.BM25) {
            String made = DocumentIndex.readSettings(index).embedder();
            if (made == null) {
                throw new IllegalStateException("index " + index + " has no vectors for --mode " + m.cliName());
            }
            embedder = Embedders.fromDescription(made);
        }
        try (Embedder queryEmbedder = embedder;
                DocumentIndex idx = DocumentIndex.open(
                        index, IndexConfig.builder().embedder(queryEmbedder).build());
                Model lm = Llama.load().loadModel(model);
                InContextRanker r = InContextRanker.byName(ranker, lm, options)) {
            if (input.query != null) {
                List<Hit> hits = idx.search(input.query, depth, m);
                if (hits.isEmpty()) {
                    out.println("(no hits)");
                    return 0;
                }
                Ranking ranking = r.rank(input.query, Reranking.candidates(hits));
                Map<String, Integer> firstRank = new LinkedHashMap<>();
                hits.forEach(h -> firstRank.put(h.id(), h.rank()));
                out.printf(
                        Locale.ROOT,
                        "%4s  %-14s %12s  %5s  %s%n",
                        "rank",
                        "id",
                        r.name() + " score",
                        m.cliName(),
                        "title");
                for (RankedDocument d : ranking.documents()
                        .subList(0, Math.min(k, ranking.documents().size()))) {
                    String title = d.candidate().title().isBlank()
                            ? d.candidate().text()
                            : d.candidate().title();
                    title = title.replaceAll("\\s+", " ").strip();
                    if (title.length() > 80) {
                        title = title.substring(0, 77) + "...";
                    }
                    out.printf(
                            Locale.ROOT,
                            "%4d  %-14s %12.5f  %5d  %s%n",
                            d.rank(),
                            d.docId(),
                            d.score(),
                            firstRank.get(d.docId()),
                            title);
                }
                out.printf(
                        Locale.ROOT,
                        "%d candidates, %d tokens evaluated, %d window(s), %d truncated, %.2f s%n",
                        ranking.documents().size(),
                        ranking.stats().tokensEvaluated(),
                        ranking.stats().windows(),
                        ranking.stats().truncatedDocuments(),
                        ranking.stats().nanos() / 1e9);
                return 0;
            }
            int firstDepth = hits == null ? depth : hits;
            if (firstDepth < depth) {
                throw new IllegalArgumentException("--hits (" + firstDepth + ") must be >= --depth (" + depth + ")");
            }
            List<Query> queries = TrecFiles.readTopics(input.topics, new ReadReport(false));
            Run first;
            // one pool of search threads for the first stage, closed with the command
            try (ExecutorService pool =
                    Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors())) {
                first = idx.run(queries, firstDepth, m, m.cliName(), pool, ConsoleProgress.stderr(m.cliName()));
            }
            Run run = Reranking.rerank(
                    first,
                    queries,
                    depth,
                    idx::get,
                    Reranking.scorer(r, null),
                    m.cliName() + "+" + r.name(),
                    (done, total, unit) -> {
                        if (done % 10 == 0 || done == total) {
                            out.printf("%d/%d %s%n", done, total, unit);
                        }
                    });
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("mode", m.cliName());
            params.put("hits", firstDepth);
            params.putAll(Reranking.parameters(first.name(), r.name(), depth));
            params.put("options", options.toString());
            TrecFiles.writeRun(
                    runOut, run, Provenance.of(null, null, index, idx.settings().asMap(), model, params, null));
            out.println("wrote " + runOut + " (+ .json provenance)");
        }
        return 0;
    }
}
