package dev.winnow.webui.demo;

import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.IndexSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The demo's index of a collection: BM25 and dense vectors in one on-disk Lucene index under {@code
 * INDEXES/<collection>-<key>} ({@code --indexes}), where the key hashes what the index depends on (the corpus file's path, size and
 * modification time, the index settings, and the embedder's description: model SHA-256, pooling, token budget). A
 * later run with the same inputs finds it and reuses it; an interrupted build resumes (documents are committed in
 * batches, and only documents without a vector are embedded).
 */
public final class DemoIndex {

  /** Documents per embedding call (the index commits every 1000 documents or 30 s: what an interrupted set-up can lose). */
  static final int COMMIT_BATCH = 64;

  /**
   * What {@link #prepare} did.
   *
   * @param directory the index directory
   * @param documents documents in the index
   * @param addedNow documents added to the BM25 index by this call (0 when it was reused)
   * @param embeddedNow documents embedded by this call (0 when every document already had a vector)
   * @param truncatedNow documents cut to the embedder's token budget by this call
   * @param seconds wall time of the set-up
   */
  public record Status(Path directory, int documents, int addedNow, int embeddedNow, long truncatedNow, double seconds) {}

  private DemoIndex() {}

  /**
   * Where the index of a collection embedded by an embedder lives.
   *
   * @param indexesRoot the directory of all demo indexes ({@code $WINNOW_HOME/indexes})
   * @param collection the collection
   * @param embedder the embedder (its description is part of the key)
   * @return {@code indexesRoot/<collection name>-<12 hex digits>}
   * @throws IOException when the corpus file cannot be read
   */
  public static Path directory(Path indexesRoot, TestCollection collection, LlamaEmbedder embedder) throws IOException {
    Path corpus = collection.directory().resolve("corpus.jsonl").toAbsolutePath().normalize();
    String key =
        corpus
            + "\n"
            + Files.size(corpus)
            + "\n"
            + Files.getLastModifiedTime(corpus).toMillis()
            + "\n"
            + IndexSettings.DEFAULT
            + "\n"
            + embedder.describe();
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String hex = HexFormat.of().formatHex(md.digest(key.getBytes(StandardCharsets.UTF_8)));
    return indexesRoot.resolve(collection.name() + "-" + hex.substring(0, 12));
  }

  /**
   * Opens the collection's index, building what is missing: the BM25 documents (when the index holds fewer than the
   * collection), then a vector for every document without one. Prints progress lines to {@code out} (at most one
   * every {@code progressSeconds} while embedding).
   *
   * @param collection the collection
   * @param embedder the embedding model
   * @param dir the index directory ({@link #directory})
   * @param out where progress goes
   * @param progressSeconds seconds between embedding progress lines, {@code >= 0}
   * @return the open index (the caller closes it) and what was done
   * @throws IOException when Lucene cannot read or write
   */
  public static Opened prepare(
      TestCollection collection, LlamaEmbedder embedder, Path dir, PrintWriter out, double progressSeconds)
      throws IOException {
    long t0 = System.nanoTime();
    int total = collection.documents().size();
    DocumentIndex index = DocumentIndex.openOrCreate(dir, IndexConfig.builder().embedder(embedder).build());
    try {
      int added = 0;
      if (index.size() < total) {
        out.printf("  BM25 index: adding %d documents to %s%n", total, dir);
        index.addAll(collection.documents(), 1000);
        added = total;
      } else {
        out.printf("  BM25 index: reused %s (%d documents)%n", dir, index.size());
      }
      int missing = total - index.vectorCount();
      long truncatedBefore = embedder.truncatedCount();
      int embedded;
      if (missing > 0) {
        out.printf(
            "  dense index: embedding %d of %d documents with %s (at most %d tokens each; resumable: an interrupted"
                + " run continues where it stopped)%n",
            missing, total, embedder.describe().replaceAll(" sha256=\\S+", ""), embedder.maxTokens());
        long start = embedder.embeddedCount();
        long began = System.nanoTime();
        long[] lastPrint = {began};
        embedder.onProgress(
            done -> {
              long now = System.nanoTime();
              long n = done - start;
              if (n < missing && (now - lastPrint[0]) / 1e9 < progressSeconds) {
                return;
              }
              lastPrint[0] = now;
              double s = (now - began) / 1e9;
              double rate = n / Math.max(s, 1e-9);
              out.printf(
                  Locale.ROOT,
                  "    embedded %d/%d documents, %.1f docs/s, %s left%n",
                  n, missing, rate, duration(rate > 0 ? (missing - n) / rate : 0));
              out.flush();
            });
        try {
          embedded = index.embedMissing(COMMIT_BATCH);
        } finally {
          embedder.onProgress(null);
        }
      } else {
        embedded = 0;
        out.printf("  dense index: reused (%d vectors, 0 documents embedded now)%n", index.vectorCount());
      }
      Status status =
          new Status(dir, index.size(), added, embedded, embedder.truncatedCount() - truncatedBefore,
              (System.nanoTime() - t0) / 1e9);
      return new Opened(index, status);
    } catch (IOException | RuntimeException e) {
      index.close();
      throw e;
    }
  }

  /**
   * An index opened by {@link #prepare}, with what was done.
   *
   * @param index the open index, its embedder set
   * @param status what the set-up did
   */
  public record Opened(DocumentIndex index, Status status) {}

  /**
   * Formats seconds as minutes or seconds for progress lines.
   *
   * @param seconds a duration, {@code >= 0}
   * @return e.g. {@code 12 s} or {@code 7 min}
   */
  static String duration(double seconds) {
    return seconds < 90 ? String.format(Locale.ROOT, "%.0f s", seconds) : String.format(Locale.ROOT, "%.0f min", seconds / 60);
  }
}
