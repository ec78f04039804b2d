package dev.winnow.ranking.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-computed trec_eval values (checked with a Python reference computation). */
class EvaluationTest {

    private static final double EPS = 1e-9;

    // q1: d1 grade 2, d2 and d4 grade 1, d3 judged non-relevant: num_rel 3
    // q2: judged, but nothing relevant; q3: judged, missing from the run
    private static final Qrels QRELS = new Qrels.Builder()
            .add("q1", "d1", 2)
            .add("q1", "d2", 1)
            .add("q1", "d3", 0)
            .add("q1", "d4", 1)
            .add("q2", "d5", 0)
            .add("q3", "d1", 1)
            .build();

    // scores: d3 3.0; dX and d1 tie at 2.0 (trec_eval puts dX first: doc id descending); d4 1.0; d2 0.5
    // so the order is d3, dX, d1, d4, d2: relevant at ranks 3, 4, 5
    private static final Run RUN = new Run.Builder("r")
            .add("q1", "d1", 2.0)
            .add("q1", "d2", 0.5)
            .add("q1", "d3", 3.0)
            .add("q1", "d4", 1.0)
            .add("q1", "dX", 2.0)
            .add("q2", "d5", 1.0)
            .add("q9", "d1", 1.0)
            .build();

    private final Evaluation eval = new Evaluation(QRELS);

    @Test
    void tiesAreOrderedByScoreThenDocIdDescending() {
        assertEquals(
                List.of("d3", "dX", "d1", "d4", "d2"),
                RUN.ranking("q1").stream().map(ScoredDoc::docId).toList());
    }

    @Test
    void perQueryValuesMatchHandComputation() {
        Map<String, Double> q1 = new LinkedHashMap<>();
        for (Metric m : List.of(
                Metric.NDCG_10,
                new Metric(Metric.Kind.NDCG, 2),
                Metric.AP,
                new Metric(Metric.Kind.RR, 0),
                new Metric(Metric.Kind.RR, 2),
                new Metric(Metric.Kind.RECALL, 3),
                new Metric(Metric.Kind.RECALL, 5),
                new Metric(Metric.Kind.PRECISION, 5),
                Metric.P_10)) {
            q1.put(m.label(), eval.perQuery(RUN, m).get("q1"));
        }
        // DCG = 2/log2(4) + 1/log2(5) + 1/log2(6); IDCG = 2 + 1/log2(3) + 1/log2(4)
        assertEquals(0.5805078709398304, q1.get("nDCG@10"), EPS);
        assertEquals(0.0, q1.get("nDCG@2"), EPS);
        assertEquals((1.0 / 3 + 2.0 / 4 + 3.0 / 5) / 3, q1.get("MAP"), EPS);
        assertEquals(1.0 / 3, q1.get("RR"), EPS, "with ties in run order (d1 before dX) this would be 1/2");
        assertEquals(0.0, q1.get("RR@2"), EPS);
        assertEquals(1.0 / 3, q1.get("R@3"), EPS);
        assertEquals(1.0, q1.get("R@5"), EPS);
        assertEquals(0.6, q1.get("P@5"), EPS);
        assertEquals(0.3, q1.get("P@10"), EPS, "P@k divides by k even when fewer were retrieved");
    }

    @Test
    void queriesWithoutRelevantOrMissingFromRunScoreZeroAndCountInTheMeanWhenComplete() {
        Evaluation all = eval.complete(true);
        Map<String, Double> ndcg = all.perQuery(RUN, Metric.NDCG_10);
        assertEquals(List.of("q1", "q2", "q3"), List.copyOf(ndcg.keySet()), "q9 (not judged) is ignored");
        assertEquals(0.0, ndcg.get("q2"));
        assertEquals(0.0, ndcg.get("q3"));
        assertEquals(0.5805078709398304 / 3, all.mean(RUN, Metric.NDCG_10), EPS);
        assertEquals((1.0 / 3 + 2.0 / 4 + 3.0 / 5) / 3 / 3, all.mean(RUN, Metric.AP), EPS);
    }

    @Test
    void byDefaultOnlyJudgedQueriesInTheRunAreAveragedAsTrecEvalDoes() {
        Map<String, Double> ndcg = eval.perQuery(RUN, Metric.NDCG_10);
        assertEquals(
                List.of("q1", "q2"), List.copyOf(ndcg.keySet()), "q3 (not in the run) left out, q2 (no relevant) kept");
        assertEquals(0.5805078709398304 / 2, eval.mean(RUN, Metric.NDCG_10), EPS);
        Evaluation.Coverage c = eval.coverage(RUN);
        assertEquals(3, c.judged());
        assertEquals(2, c.inRun());
        assertEquals(2, c.evaluated());
        assertEquals(List.of("q3"), c.missing());
        assertEquals(
                "run r covers 2 of 3 judged queries (missing: q3); averaged over 2 (as trec_eval; --complete counts the other 1"
                        + " as 0)",
                c.warning("r"));
        assertEquals(3, eval.complete(true).coverage(RUN).evaluated());
        Run full = new Run.Builder("f")
                .add("q1", "d1", 1)
                .add("q2", "d1", 1)
                .add("q3", "d1", 1)
                .build();
        assertEquals(null, eval.coverage(full).warning("f"));
    }

    @Test
    void qrelsCarryTheirGainMappingThroughRestriction() {
        Qrels q = new Qrels.Builder()
                .gains(GainMapping.CRANFIELD)
                .add("1", "a", 1)
                .add("1", "b", 4)
                .add("2", "c", 1)
                .build();
        Run r = new Run.Builder("r").add("1", "b", 2).add("1", "a", 1).build();
        // DCG = 1 + 4/log2(3); IDCG = 4 + 1/log2(3): the mapped gains, not the grades (which would give 0.9197...)
        double want = (1 + 4 / (Math.log(3) / Math.log(2))) / (4 + 1 / (Math.log(3) / Math.log(2)));
        assertEquals(want, new Evaluation(q).mean(r, Metric.NDCG_10), EPS);
        assertEquals(want, new Evaluation(q.restrictTo(java.util.Set.of("1"))).mean(r, Metric.NDCG_10), EPS);
        assertEquals(GainMapping.CRANFIELD, q.restrictTo(java.util.Set.of("1")).gains());
    }

    @Test
    void cranfieldGainMappingInvertsGradesAndIgnoresMinusOne() {
        Qrels q = new Qrels.Builder()
                .add("1", "a", 1)
                .add("1", "b", 4)
                .add("1", "c", -1)
                .build();
        Run r = new Run.Builder("r")
                .add("1", "c", 3)
                .add("1", "b", 2)
                .add("1", "a", 1)
                .build();
        Evaluation cran = new Evaluation(q, GainMapping.CRANFIELD);
        // DCG = 0 + 1/log2(3) + 4/log2(4); IDCG = 4 + 1/log2(3)
        assertEquals(0.5681212831057169, cran.mean(r, new Metric(Metric.Kind.NDCG, 3)), EPS);
        // binary measures: grades 1..4 relevant, -1 not
        assertEquals(2.0 / 3, cran.mean(r, new Metric(Metric.Kind.PRECISION, 3)), EPS);
        assertEquals((1.0 / 2 + 2.0 / 3) / 2, cran.mean(r, Metric.AP), EPS);
        assertEquals(0.5, cran.mean(r, new Metric(Metric.Kind.RR, 0)), EPS);
    }

    @Test
    void metricNamesParseAndPrint() {
        assertEquals(Metric.NDCG_10, Metric.parse("ndcg@10"));
        assertEquals(Metric.AP, Metric.parse("MAP"));
        assertEquals(Metric.RR_10, Metric.parse("MRR@10"));
        assertEquals("R@100", Metric.parse("recall@100").label());
        assertThrows(IllegalArgumentException.class, () -> Metric.parse("bleu"));
        assertThrows(IllegalArgumentException.class, () -> Metric.parse("P"));
        // trec_eval's -m names (with '.') and its output names (with '_')
        assertEquals(Metric.NDCG_10, Metric.parse("ndcg_cut.10"));
        assertEquals(Metric.NDCG_10, Metric.parse("ndcg_cut_10"));
        assertEquals(new Metric(Metric.Kind.NDCG, 0), Metric.parse("ndcg"));
        assertEquals(Metric.P_10, Metric.parse("P.10"));
        assertEquals(Metric.P_10, Metric.parse("P_10"));
        assertEquals(Metric.RECALL_100, Metric.parse("recall.100"));
        assertEquals(new Metric(Metric.Kind.RR, 0), Metric.parse("recip_rank"));
        assertThrows(IllegalArgumentException.class, () -> Metric.parse("ndcg_cut.0"));
        assertThrows(IllegalArgumentException.class, () -> Metric.parse("P@x"));
        assertThrows(IllegalArgumentException.class, () -> Metric.parse(" "));
    }

    @Test
    void runRejectsNonFiniteScores() {
        assertThrows(IllegalArgumentException.class, () -> new Run.Builder("r").add("q", "d", Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Run.Builder("has space"));
    }
}
