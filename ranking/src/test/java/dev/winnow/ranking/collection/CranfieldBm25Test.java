package dev.winnow.ranking.collection;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BM25 on Cranfield with the positional query ids, against the same queries joined on their {@code .I} numbers (the
 * pitfall): the right join must score far higher.
 */
class CranfieldBm25Test {

    @Test
    void positionalQueryIdsAreTheRightJoin(@TempDir Path dir) throws Exception {
        Path cran = SharedData.collection("cranfield");
        TestCollection c = TestCollection.open(cran, false);
        List<Query> misaligned = new ArrayList<>();
        for (CranfieldReader.Record r : CranfieldReader.records(cran.resolve("cran.qry"), new ReadReport(false))) {
            misaligned.add(new Query(
                    Integer.toString(Integer.parseInt(r.id())), r.fields().get('W')));
        }
        try (DocumentIndex index = DocumentIndex.create(dir.resolve("index"), IndexConfig.DEFAULT)) {
            long t0 = System.nanoTime();
            index.addAll(c.documents(), 2000);
            long t1 = System.nanoTime();
            Evaluation eval = new Evaluation(c.qrels("all"), c.gains());
            Run right = index.run(c.queries("all"), 1000, SearchMode.BM25, "bm25");
            Run wrong = index.run(misaligned, 1000, SearchMode.BM25, "bm25-dot-I");
            System.out.printf("index %.1f s, two runs %.1f s%n", (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
            double map = eval.mean(right, Metric.AP);
            double ndcg = eval.mean(right, Metric.NDCG_10);
            double wrongMap = eval.mean(wrong, Metric.AP);
            System.out.printf("Cranfield BM25: nDCG@10 %.4f MAP %.4f; joined on .I: MAP %.4f%n", ndcg, map, wrongMap);
            assertTrue(map > 0.25, "MAP " + map);
            assertTrue(ndcg > 0.3, "nDCG@10 " + ndcg);
            assertTrue(wrongMap < map / 10, "misaligned MAP " + wrongMap + " vs " + map);
        }
    }
}
