package dev.winnow.ranking.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import java.util.List;
import org.junit.jupiter.api.Test;

class FusionTest {

    private static final List<ScoredDoc> BM25 =
            List.of(new ScoredDoc("a", 12), new ScoredDoc("b", 10), new ScoredDoc("c", 4));
    private static final List<ScoredDoc> DENSE =
            List.of(new ScoredDoc("c", 0.9), new ScoredDoc("a", 0.8), new ScoredDoc("d", 0.7));

    @Test
    void reciprocalRankFusionSumsOneOverKPlusRank() {
        List<ScoredDoc> f = Fusion.rrf(60).fuse(BM25, DENSE);
        assertEquals(
                List.of("a", "c", "b", "d"), f.stream().map(ScoredDoc::docId).toList());
        assertEquals(1.0 / 61 + 1.0 / 62, f.get(0).score(), 1e-12);
        assertEquals(1.0 / 63 + 1.0 / 61, f.get(1).score(), 1e-12);
        assertEquals(1.0 / 62, f.get(2).score(), 1e-12);
    }

    @Test
    void minMaxLinearFusion() {
        List<ScoredDoc> f =
                Fusion.linear(0.5, LinearFusion.Normalization.MIN_MAX).fuse(BM25, DENSE);
        // bm25 normalised: a 1, b 0.75, c 0; dense: c 1, a 0.5, d 0; missing -> 0
        assertEquals(
                List.of("a", "c", "b", "d"), f.stream().map(ScoredDoc::docId).toList());
        assertEquals(0.75, f.get(0).score(), 1e-12);
        assertEquals(0.5, f.get(1).score(), 1e-12);
        assertEquals(0.375, f.get(2).score(), 1e-12);
        assertEquals(0.0, f.get(3).score(), 1e-12);
        // weight 1 is BM25 alone, weight 0 dense alone (for the documents each list holds)
        assertEquals(
                "a",
                Fusion.linear(1, LinearFusion.Normalization.Z_SCORE)
                        .fuse(BM25, DENSE)
                        .get(0)
                        .docId());
        assertEquals(
                "c",
                Fusion.linear(0, LinearFusion.Normalization.Z_SCORE)
                        .fuse(BM25, DENSE)
                        .get(0)
                        .docId());
    }

    @Test
    void tuningPicksTheWeightThatServesTheTrainingQrels() {
        Run bm25 = new Run.Builder("bm25")
                .add("q", "a", 12)
                .add("q", "b", 10)
                .add("q", "c", 4)
                .build();
        Run dense = new Run.Builder("dense")
                .add("q", "c", 0.9)
                .add("q", "a", 0.8)
                .add("q", "d", 0.7)
                .build();
        Qrels wantsC = new Qrels.Builder().add("q", "c", 1).build();
        LinearFusion f = LinearFusion.tune(
                bm25, dense, new Evaluation(wantsC), Metric.NDCG_10, LinearFusion.Normalization.MIN_MAX, 0.1);
        assertEquals(0.0, f.weight(), 1e-12, "c ranks first only when dense dominates: weight < 1/3, smallest kept");
        // a beats c when w + (1 - w) / 2 > 1 - w, i.e. w > 1/3: the smallest such grid weight is 0.4
        Qrels wantsA = new Qrels.Builder().add("q", "a", 1).build();
        LinearFusion g = LinearFusion.tune(
                bm25, dense, new Evaluation(wantsA), Metric.NDCG_10, LinearFusion.Normalization.MIN_MAX, 0.1);
        assertEquals(0.4, g.weight(), 1e-12);
    }
}
