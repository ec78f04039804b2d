package dev.winnow.webui.cli;

import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.IndexSettings;
import java.io.PrintWriter;
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

  @Spec CommandSpec spec;

  @Option(names = "--collection", required = true, paramLabel = "DIR", description = "collection directory")
  Path collection;

  @Option(names = "--index", required = true, paramLabel = "DIR", description = "index directory (created or updated)")
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

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    long t0 = System.nanoTime();
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
        DocumentIndex idx =
            DocumentIndex.openOrCreate(index, IndexConfig.builder().settings(settings).embedder(embedder).build())) {
      if (existed) {
        out.println("updating the existing index; its settings: " + idx.settings().asMap());
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
}
