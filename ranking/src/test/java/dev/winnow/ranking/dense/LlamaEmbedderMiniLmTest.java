package dev.winnow.ranking.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LlamaEmbedder} on the real all-MiniLM-L6-v2 (converted from Maven Central into $WINNOW_HOME/models once)
 * through the real llama.cpp library: batched embeddings equal single-sequence encodes, truncation is counted, and a
 * real SciFact subset is retrieved densely from an on-disk Lucene index.
 */
class LlamaEmbedderMiniLmTest {

    private static Model model;

    @BeforeAll
    static void load() throws Exception {
        Path gguf = EmbeddingModels.fromEnvironment().ensure("minilm");
        model = Llama.load().loadModel(gguf);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    /** The reference: one text alone in a fresh context, n_seq_max 1, pooled by the model. */
    private static float[] alone(int[] tokens) {
        ContextOptions o = ContextOptions.defaults()
                .withContextSize(512)
                .withBatchSize(512)
                .withEmbeddings(true, Pooling.MODEL);
        try (Context c = model.newContext(o);
                Batch b = Batch.allocate(tokens.length, 1)) {
            // pooled embeddings read every token: all are outputs
            for (int i = 0; i < tokens.length; i++) {
                b.add(tokens[i], i, 0, true);
            }
            c.decode(b);
            return c.sequenceEmbeddingCopy(0, true);
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void batchedEmbeddingsEqualSingleSequenceEncodes() throws Exception {
        StringBuilder longText = new StringBuilder();
        for (int i = 0; i < 80; i++) {
            longText.append("Mitochondrial dysfunction alters calcium signalling in neurons ")
                    .append(i)
                    .append(". ");
        }
        List<String> texts = List.of(
                "A short query about vitamin D",
                "Aspirin reduces the risk of colorectal cancer in randomized trials of adults.",
                longText.toString(),
                "",
                "The quick brown fox jumps over the lazy dog.");
        try (LlamaEmbedder e =
                LlamaEmbedder.over(model, LlamaEmbedder.Options.defaults().withMaxTokens(128))) {
            assertEquals(384, e.dimension());
            assertEquals(Pooling.MEAN, e.pooling());
            AtomicLong progress = new AtomicLong();
            e.progressListener((done, total, unit) -> progress.set(done));
            float[][] batched = e.embedDocuments(texts);
            assertEquals(texts.size(), progress.get());
            assertEquals(1, e.truncatedCount(), "only the long text exceeds 128 tokens");
            int[] cut = e.tokens(longText.toString());
            assertEquals(128, cut.length);
            assertEquals(model.vocabulary().sep(), cut[127], "the cut keeps the closing [SEP]");
            assertEquals(model.vocabulary().tokenize("A short query about vitamin D", true, false)[0], cut[0]);
            for (int i = 0; i < texts.size(); i++) {
                float[] ref = alone(e.tokens(texts.get(i)));
                assertEquals(1.0, cosine(batched[i], ref), 1e-4, "text " + i);
                double norm = 0;
                for (float x : batched[i]) {
                    norm += x * x;
                }
                assertEquals(1.0, norm, 1e-4, "unit length");
            }
            // the query path is the document path for a text without prefix
            assertArrayEquals(batched[1], e.embedQuery(texts.get(1)), 1e-4f);
            // semantically close texts are closer than unrelated ones
            assertTrue(cosine(batched[0], e.embedQuery("vitamin D deficiency"))
                    > cosine(batched[4], e.embedQuery("vitamin D deficiency")));
            assertTrue(e.describe().contains("sha256=") && e.describe().contains("maxTokens=128"), e.describe());
        }
    }

    @Test
    void cancelStopsAndTheEmbedderStaysUsable() throws Exception {
        try (LlamaEmbedder e =
                LlamaEmbedder.over(model, LlamaEmbedder.Options.defaults().withMaxSequences(2))) {
            Cancellation token = new Cancellation();
            e.cancellation(token);
            token.cancel("stop");
            assertThrows(CancellationException.class, () -> e.embedDocuments(List.of("a", "b", "c")));
            token.reset();
            assertEquals(3, e.embedDocuments(List.of("a", "b", "c")).length);
        }
    }

    @Test
    void retrievesARealSciFactSubsetDensely(@TempDir Path dir) throws Exception {
        TestCollection scifact = TestCollection.open(SharedData.collection("scifact"), false);
        Qrels qrels = scifact.qrels("test");
        // 10 test queries and their relevant documents, plus other documents up to 60
        List<Query> queries = scifact.queries("test").subList(0, 10);
        Set<String> keep = new LinkedHashSet<>();
        for (Query q : queries) {
            keep.addAll(qrels.judgments(q.id()).keySet());
        }
        Map<String, Document> byId = new LinkedHashMap<>();
        scifact.documents().forEach(d -> byId.put(d.id(), d));
        for (String id : byId.keySet()) {
            if (keep.size() >= 60) {
                break;
            }
            keep.add(id);
        }
        List<Document> docs = new ArrayList<>();
        keep.forEach(id -> docs.add(byId.get(id)));
        try (LlamaEmbedder e = LlamaEmbedder.over(
                        model, LlamaEmbedder.Options.defaults().withMaxTokens(96));
                DocumentIndex index = DocumentIndex.create(
                        dir.resolve("idx"), IndexConfig.builder().embedder(e).build())) {
            index.addAll(docs, 1000);
            assertEquals(docs.size(), index.embedMissing(64));
            assertEquals(docs.size(), index.vectorCount());
            assertEquals(0, index.embedMissing(64), "a second pass embeds nothing");
            // a document's own text finds it first
            Document probe = docs.get(docs.size() - 1);
            List<Hit> self = index.search(DocumentIndex.embeddingText(probe), 3, SearchMode.DENSE_EXACT);
            assertEquals(probe.id(), self.get(0).id());
            Run dense = index.run(queries, 100, SearchMode.DENSE_EXACT, "dense");
            Run hnsw = index.run(queries, 100, SearchMode.DENSE, "hnsw");
            Evaluation eval = new Evaluation(
                    qrels.restrictTo(Set.copyOf(queries.stream().map(Query::id).toList())));
            double ndcg = eval.mean(dense, Metric.NDCG_10);
            System.out.printf(
                    "SciFact subset (%d docs, %d queries) dense nDCG@10 %.4f, HNSW %.4f%n",
                    docs.size(), queries.size(), ndcg, eval.mean(hnsw, Metric.NDCG_10));
            // MiniLM reaches 0.64 on the full 5,183 documents; a random ranking of 60 gives about 0.1
            assertTrue(ndcg > 0.6, "dense nDCG@10 " + ndcg);
            // On 60 vectors the "approximate" search is exhaustive: DocumentIndex asks Lucene for max(k, 100)
            // candidates,
            // and Lucene 10.3's HNSW reader (Lucene99HnswVectorsReader.search) walks the graph only when that number is
            // below the segment's vector count; otherwise it scores every vector (a leaf's share of k, when there are
            // several leaves, still exceeds 60 here). So HNSW returns exactly DENSE_EXACT's ranking. The scores agree
            // to
            // float rounding only (measured: up to 6e-8), since Lucene's scorer reads the vectors off-heap and sums the
            // dot product in another order than DENSE_EXACT's loop: so a rank may differ only between documents whose
            // exact scores are that close (none did in the runs made; a different CPU may round differently).
            assertTrue(docs.size() < 100, "the exhaustive case needs fewer vectors than the HNSW candidates");
            for (Query q : queries) {
                List<ScoredDoc> exact = dense.ranking(q.id());
                List<ScoredDoc> approx = hnsw.ranking(q.id());
                assertEquals(docs.size(), exact.size());
                assertEquals(exact.size(), approx.size(), "query " + q.id());
                Map<String, Double> exactScore = new LinkedHashMap<>();
                exact.forEach(d -> exactScore.put(d.docId(), d.score()));
                for (int i = 0; i < exact.size(); i++) {
                    ScoredDoc a = approx.get(i);
                    assertEquals(
                            exactScore.get(a.docId()), a.score(), 1e-6, "query " + q.id() + ": score of " + a.docId());
                    if (!a.docId().equals(exact.get(i).docId())) {
                        assertEquals(
                                exact.get(i).score(),
                                exactScore.get(a.docId()),
                                1e-6,
                                "query " + q.id() + " rank " + (i + 1) + ": HNSW has " + a.docId() + ", exact search "
                                        + exact.get(i).docId() + " with a clearly different score");
                    }
                }
            }
        }
    }
}
