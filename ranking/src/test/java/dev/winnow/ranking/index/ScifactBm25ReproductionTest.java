package dev.winnow.ranking.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reproduces Anserini's BEIR "flat" BM25 figures on SciFact test (nDCG@10 0.6789, R@100 0.9253) with a real on-disk
 * index of the real collection.
 */
class ScifactBm25ReproductionTest {

    @Test
    void reproducesAnseriniFlatFigures(@TempDir Path dir) throws Exception {
        TestCollection scifact = TestCollection.open(SharedData.collection("scifact"), false);
        try (DocumentIndex index = DocumentIndex.create(dir.resolve("index"), IndexConfig.DEFAULT)) {
            long t0 = System.nanoTime();
            index.addAll(scifact.documents(), 2000);
            long t1 = System.nanoTime();
            assertEquals(5183, index.size());
            Run run = index.run(scifact.queries("test"), 1000, SearchMode.BM25, "bm25");
            System.out.printf("index %.1f s, search %.1f s%n", (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
            Evaluation eval = new Evaluation(scifact.qrels("test"), scifact.gains());
            double ndcg = eval.mean(run, Metric.NDCG_10);
            double r100 = eval.mean(run, Metric.RECALL_100);
            double r1000 = eval.mean(run, Metric.RECALL_1000);
            System.out.printf("SciFact test BM25: nDCG@10 %.4f R@100 %.4f R@1000 %.4f%n", ndcg, r100, r1000);
            double ndcgAt100 =
                    eval.mean(index.run(scifact.queries("test"), 100, SearchMode.BM25, "bm25"), Metric.NDCG_10);
            System.out.printf("nDCG@10 from a 100-deep run: %.4f%n", ndcgAt100);
            // Anserini's published figures to their four printed decimals (half a unit of the last decimal)
            assertEquals(0.6789, ndcg, 0.00005);
            assertEquals(0.9253, r100, 0.00005);
            assertEquals(0.9767, r1000, 0.00005);
        }
    }
}
