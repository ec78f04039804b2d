package dev.winnow.ranking.index;

import dev.winnow.models.ProgressListener;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.dense.Embedder;
import java.io.IOException;
import java.util.List;

/**
 * Embeds the documents of an index that have no vector yet, in batches, committing every {@value #COMMIT_DOCS}
 * documents or 30 seconds (whichever comes first) and at the end, so an interrupted run resumes from its last commit.
 * Vectors are added by replacing documents; the replaced versions are merged away at the end so that BM25 statistics
 * are unchanged. Progress goes to an {@link ProgressListener}; nothing is printed.
 */
final class VectorBackfill {

    private static final int COMMIT_DOCS = 1000;
    private static final long COMMIT_NANOS = 30_000_000_000L;

    private final DocumentSearcher searcher;
    private final DocumentWriter writer;
    private final Embedder embedder;

    VectorBackfill(DocumentSearcher searcher, DocumentWriter writer, Embedder embedder) {
        this.searcher = searcher;
        this.writer = writer;
        this.embedder = embedder;
    }

    /**
     * Runs the backfill.
     *
     * @param batchSize documents per embedding call, {@code >= 1}
     * @param progress told before the first batch and after every batch how many documents are embedded of how many
     * @return how many documents were embedded (0 when all already had vectors)
     * @throws IOException when Lucene cannot read or write
     */
    int run(int batchSize, ProgressListener progress) throws IOException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        List<Document> todo = searcher.withoutVector();
        if (todo.isEmpty()) {
            return 0;
        }
        writer.recordVectors(embedder.dimension(), embedder.embedderIdentity());
        progress.onProgress(0, todo.size(), "documents");
        long lastCommit = System.nanoTime();
        int sinceCommit = 0;
        for (int i = 0; i < todo.size(); i += batchSize) {
            List<Document> batch = todo.subList(i, Math.min(todo.size(), i + batchSize));
            float[][] vectors = embedder.embedDocuments(
                    batch.stream().map(DocumentIndex::embeddingText).toList());
            if (vectors.length != batch.size()) {
                throw new IllegalStateException(
                        "embedder returned " + vectors.length + " vectors for " + batch.size() + " documents");
            }
            for (int j = 0; j < batch.size(); j++) {
                float[] v = checkDimension(
                        vectors[j], embedder.dimension(), batch.get(j).id());
                writer.put(batch.get(j), Embedder.unitLength(v));
            }
            sinceCommit += batch.size();
            if (sinceCommit >= COMMIT_DOCS || System.nanoTime() - lastCommit > COMMIT_NANOS) {
                writer.commit();
                sinceCommit = 0;
                lastCommit = System.nanoTime();
            }
            progress.onProgress(i + batch.size(), todo.size(), "documents");
        }
        writer.commit();
        writer.mergeDeletes();
        return todo.size();
    }

    static float[] checkDimension(float[] v, int dim, String what) {
        if (v == null || v.length != dim) {
            throw new IllegalStateException(
                    "embedding of " + what + " has " + (v == null ? "no" : v.length) + " components, expected " + dim);
        }
        return v;
    }
}
