package dev.winnow.ranking.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.dense.HashedBagOfWordsEmbedder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Indexing and the vector backfill report through an {@link IndexProgress} after every batch. */
class IndexBackfillProgressTest {

  private static List<Document> docs(int n, String prefix) {
    List<Document> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Document(prefix + i, "Title " + i, "text number " + i + " about supersonic flow " + prefix));
    }
    return out;
  }

  /** Asserts that {@code done} grows strictly, {@code total} stays put, and the last report is (total, total). */
  private static void assertMonotonicToTotal(List<long[]> reports, long total, int calls) {
    assertEquals(calls, reports.size(), "one report per batch");
    long last = 0;
    for (long[] r : reports) {
      assertTrue(r[0] > last, "done grows strictly: " + r[0] + " after " + last);
      assertEquals(total, r[1], "the total stays the same");
      last = r[0];
    }
    assertEquals(total, last, "the last report is the total");
  }

  @Test
  void progressGrowsStrictlyAndEndsAtTheTotal(@TempDir Path dir) throws Exception {
    try (HashedBagOfWordsEmbedder embedder = new HashedBagOfWordsEmbedder(16);
        DocumentIndex index =
            DocumentIndex.create(dir.resolve("idx"), IndexConfig.builder().embedder(embedder).build())) {
      List<long[]> indexing = new ArrayList<>();
      assertEquals(23, index.addAll(docs(23, "a"), 5, (done, total) -> indexing.add(new long[] {done, total})));
      assertMonotonicToTotal(indexing, 23, 5); // 5, 10, 15, 20, 23

      List<long[]> embedding = new ArrayList<>();
      assertEquals(23, index.embedMissing(7, (done, total) -> embedding.add(new long[] {done, total})));
      assertMonotonicToTotal(embedding, 23, 4); // 7, 14, 21, 23
      assertEquals(List.of(7L, 14L, 21L, 23L), embedding.stream().map(r -> r[0]).toList());

      // only the documents without a vector count: 4 new ones, in batches of 3
      index.addAll(docs(4, "b"), 10);
      embedding.clear();
      assertEquals(4, index.embedMissing(3, (done, total) -> embedding.add(new long[] {done, total})));
      assertMonotonicToTotal(embedding, 4, 2); // 3, 4
      assertEquals(27, index.vectorCount());

      // nothing to embed: no report, nothing written
      embedding.clear();
      assertEquals(0, index.embedMissing(3, (done, total) -> embedding.add(new long[] {done, total})));
      assertTrue(embedding.isEmpty());
    }
  }
}
