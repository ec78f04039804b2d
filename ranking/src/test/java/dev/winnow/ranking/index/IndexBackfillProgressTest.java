package dev.winnow.ranking.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.ProgressListener;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.dense.HashedBagOfWordsEmbedder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Indexing and the vector backfill report through an {@link ProgressListener}: once at 0, then after every batch. */
class IndexBackfillProgressTest {

    private static List<Document> docs(int n, String prefix) {
        List<Document> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Document(prefix + i, "Title " + i, "text number " + i + " about supersonic flow " + prefix));
        }
        return out;
    }

    /**
     * Asserts that the first report is (0, total), {@code done} then grows strictly, {@code total} stays put, and the
     * last report is (total, total).
     */
    private static void assertMonotonicToTotal(List<long[]> reports, long total, int batches) {
        assertEquals(batches + 1, reports.size(), "one report at the start, one per batch");
        assertEquals(0, reports.get(0)[0], "the first report comes before any work");
        long last = -1;
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
                DocumentIndex index = DocumentIndex.create(
                        dir.resolve("idx"),
                        IndexConfig.builder().embedder(embedder).build())) {
            List<long[]> indexing = new ArrayList<>();
            assertEquals(
                    23, index.addAll(docs(23, "a"), 5, (done, total, unit) -> indexing.add(new long[] {done, total})));
            assertMonotonicToTotal(indexing, 23, 5); // 0, 5, 10, 15, 20, 23

            List<long[]> embedding = new ArrayList<>();
            assertEquals(23, index.embedMissing(7, (done, total, unit) -> embedding.add(new long[] {done, total})));
            assertMonotonicToTotal(embedding, 23, 4);
            assertEquals(
                    List.of(0L, 7L, 14L, 21L, 23L),
                    embedding.stream().map(r -> r[0]).toList());

            // only the documents without a vector count: 4 new ones, in batches of 3
            index.addAll(docs(4, "b"), 10);
            embedding.clear();
            assertEquals(4, index.embedMissing(3, (done, total, unit) -> embedding.add(new long[] {done, total})));
            assertMonotonicToTotal(embedding, 4, 2); // 0, 3, 4
            assertEquals(27, index.vectorCount());

            // nothing to embed: no report, nothing written
            embedding.clear();
            assertEquals(0, index.embedMissing(3, (done, total, unit) -> embedding.add(new long[] {done, total})));
            assertTrue(embedding.isEmpty());
        }
    }
}
