package dev.winnow.ranking.dense;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import dev.winnow.ranking.fusion.Fusion;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dense retrieval mechanics (HNSW, exact search, resumable embedding, fusion) on the real SciFact corpus. */
class DenseRetrievalTest {

    @Test
    void hnswAgreesWithExactSearchAndEmbeddingResumes(@TempDir Path dir) throws Exception {
        TestCollection scifact = TestCollection.open(SharedData.collection("scifact"), false);
        List<Document> docs = scifact.documents();
        Path p = dir.resolve("index");
        try (HashedBagOfWordsEmbedder embedder = new HashedBagOfWordsEmbedder(256);
                DocumentIndex index = DocumentIndex.create(
                        p,
                        IndexConfig.builder()
                                .embedder(embedder)
                                .fusion(Fusion.rrf(60), 100)
                                .build())) {
            long t0 = System.nanoTime();
            index.addAll(docs.subList(0, 500), 5000);
            assertEquals(500, index.embedMissing(500));
            index.addAll(docs.subList(500, docs.size()), 5000);
            // a rerun embeds only the documents that have no vector yet
            assertEquals(docs.size() - 500, index.embedMissing(1000));
            System.out.printf("index + embed %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertEquals(0, index.embedMissing(500));
            assertEquals(docs.size(), index.vectorCount());
            assertEquals(256, index.settings().vectorDimension());
            assertEquals(embedder.describe(), index.settings().embedder());

            List<Query> test = scifact.queries("test");
            double overlap = 0;
            for (Query q : test) {
                Set<String> approx = ids(index.search(q.text(), 10, SearchMode.DENSE));
                List<Hit> exact = index.search(q.text(), 10, SearchMode.DENSE_EXACT);
                assertTrue(exact.get(0).score() >= exact.get(9).score());
                approx.retainAll(ids(exact));
                overlap += approx.size() / 10.0;
            }
            overlap /= test.size();
            System.out.printf(
                    "HNSW vs exact top-10 overlap over %d SciFact test queries: %.4f%n", test.size(), overlap);
            assertTrue(overlap >= 0.9, "overlap " + overlap);

            // the exact score is Lucene's DOT_PRODUCT score of unit vectors, (1 + cos) / 2, computed by hand here
            Query q0 = test.get(0);
            Hit top = index.search(q0.text(), 1, SearchMode.DENSE_EXACT).get(0);
            float[] qv = Embedder.unitLength(embedder.embedQuery(q0.text()));
            Document d = index.get(top.id()).orElseThrow();
            float[] dv = Embedder.unitLength(embedder.embedDocuments(List.of(DocumentIndex.embeddingText(d)))[0]);
            double cos = 0;
            for (int i = 0; i < qv.length; i++) {
                cos += qv[i] * dv[i];
            }
            assertEquals((1 + cos) / 2, top.score(), 1e-5);

            Evaluation eval = new Evaluation(scifact.qrels("test"));
            Run bm25 = index.run(test, 100, SearchMode.BM25, "bm25");
            Run dense = index.run(test, 100, SearchMode.DENSE, "dense");
            Run hybrid = index.run(test, 100, SearchMode.HYBRID, "hybrid");
            double nb = eval.mean(bm25, Metric.NDCG_10);
            double nd = eval.mean(dense, Metric.NDCG_10);
            double nh = eval.mean(hybrid, Metric.NDCG_10);
            System.out.printf(
                    "SciFact test nDCG@10 with the hashed embedder: bm25 %.4f dense %.4f rrf %.4f%n", nb, nd, nh);
            assertTrue(nd > 0.2, "hashed bag-of-words retrieves: " + nd);
            // score ties between documents are broken by float rounding that depends on the segment layout: the plain
            // index's 0.6789 may move in the fourth decimal
            assertEquals(0.679, nb, 0.005, "adding vectors leaves BM25 as in the plain index (deletes merged away)");
            // the index's hybrid mode is exactly RRF(60) over its own BM25 and dense lists (100 deep each here)
            String text = test.get(5).text();
            List<ScoredDoc> fused = Fusion.rrf(60)
                    .fuse(
                            scored(index.search(text, 100, SearchMode.BM25)),
                            scored(index.search(text, 100, SearchMode.DENSE)));
            assertEquals(
                    fused.subList(0, 10).stream().map(ScoredDoc::docId).toList(),
                    index.search(text, 10, SearchMode.HYBRID).stream()
                            .map(Hit::id)
                            .toList());
        }
        try (HashedBagOfWordsEmbedder other = new HashedBagOfWordsEmbedder(128)) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> DocumentIndex.open(
                                    p, IndexConfig.builder().embedder(other).build())
                            .close());
            assertTrue(e.getMessage().contains("256"), e.getMessage());
        }
    }

    @Test
    void emptyDocumentsGetAZeroVector(@TempDir Path dir) throws Exception {
        try (HashedBagOfWordsEmbedder embedder = new HashedBagOfWordsEmbedder(16);
                DocumentIndex index = DocumentIndex.create(
                        dir.resolve("i"),
                        IndexConfig.builder().embedder(embedder).build())) {
            index.addAll(List.of(new Document("e", "", ""), new Document("f", "Flow", "supersonic flow")), 10);
            assertEquals(2, index.embedMissing(10));
            List<Hit> hits = index.search("flow", 2, SearchMode.DENSE_EXACT);
            assertEquals("f", hits.get(0).id());
            assertEquals(0.5, hits.get(1).score(), 1e-6, "zero vector: dot 0, score (1 + 0) / 2");
        }
    }

    private static List<ScoredDoc> scored(List<Hit> hits) {
        return hits.stream().map(h -> new ScoredDoc(h.id(), h.score())).toList();
    }

    private static Set<String> ids(List<Hit> hits) {
        Set<String> s = new HashSet<>();
        hits.forEach(h -> s.add(h.id()));
        return s;
    }
}
