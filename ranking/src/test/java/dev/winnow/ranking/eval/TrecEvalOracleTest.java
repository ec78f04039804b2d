package dev.winnow.ranking.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.collection.ReadReport;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Compares {@link Evaluation} with NIST trec_eval 10.0's own output in {@code ../shared/data/oracles/}: every measure
 * in each oracle file, every query and the {@code all} line, to the 4 decimals trec_eval prints.
 */
class TrecEvalOracleTest {

    private static final Path ORACLES = SharedData.collection("oracles");

    /** trec_eval measure names as the oracle files print them, mapped to Winnow's metrics. */
    static Metric metricOf(String trecName) {
        return switch (trecName) {
            case "map" -> Metric.AP;
            case "ndcg" -> new Metric(Metric.Kind.NDCG, 0);
            case "recip_rank@10" -> Metric.RR_10;
            default -> {
                int us = trecName.lastIndexOf('_');
                if (us < 0) {
                    throw new IllegalArgumentException("measure not mapped: " + trecName);
                }
                int k = Integer.parseInt(trecName.substring(us + 1));
                String base = trecName.substring(0, us);
                yield switch (base) {
                    case "P" -> new Metric(Metric.Kind.PRECISION, k);
                    case "recall" -> new Metric(Metric.Kind.RECALL, k);
                    case "ndcg_cut" -> new Metric(Metric.Kind.NDCG, k);
                    case "recip_rank" -> new Metric(Metric.Kind.RR, k);
                    default -> throw new IllegalArgumentException("measure not mapped: " + trecName);
                };
            }
        };
    }

    @ParameterizedTest
    @CsvSource({
        "scifact-test.qrels, scifact-bm25.top100",
        "scifact-test.qrels, scifact-hybrid.top100",
        "cranfield.gains.qrels, cranfield-bm25.top100"
    })
    void everyMeasurePerQueryAndOverallMatchesTrecEval(String qrelsFile, String run) throws IOException {
        Qrels qrels = TrecFiles.readQrels(ORACLES.resolve(qrelsFile), new ReadReport(false));
        Run r = TrecFiles.readRun(ORACLES.resolve(run + ".run"));
        // measure -> (query or "all") -> value
        Map<String, Map<String, Double>> oracle = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ORACLES.resolve(run + ".trec_eval.txt"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length != 3) {
                continue;
            }
            oracle.computeIfAbsent(f[0], k -> new LinkedHashMap<>()).put(f[1], Double.parseDouble(f[2]));
        }
        assertTrue(oracle.size() >= 6, "oracle measures: " + oracle.keySet());
        Evaluation eval = new Evaluation(qrels);
        List<String> mismatches = new ArrayList<>();
        int compared = 0;
        for (var e : oracle.entrySet()) {
            Metric m = metricOf(e.getKey());
            Map<String, Double> mine = eval.perQuery(r, m);
            Map<String, Double> theirs = new LinkedHashMap<>(e.getValue());
            Double all = theirs.remove("all");
            assertEquals(theirs.keySet(), mine.keySet(), e.getKey() + ": the queries evaluated");
            for (var q : theirs.entrySet()) {
                compared++;
                if (!agrees(mine.get(q.getKey()), q.getValue())) {
                    mismatches.add(e.getKey() + " " + q.getKey() + ": " + mine.get(q.getKey()) + " vs " + q.getValue());
                }
            }
            compared++;
            if (!agrees(eval.mean(r, m), all)) {
                mismatches.add(e.getKey() + " all: " + eval.mean(r, m) + " vs " + all);
            }
        }
        assertEquals(List.of(), mismatches, "of " + compared + " figures");
    }

    @Test
    void cranfieldCollectionCarriesTheGainsThatTrecEvalWasGiven() throws IOException {
        TestCollection c = TestCollection.open(SharedData.collection("cranfield"), false);
        Run r = TrecFiles.readRun(ORACLES.resolve("cranfield-bm25.top100.run"));
        // the collection's own qrels (raw grades 1..4, -1) evaluate like the pre-mapped oracle qrels: 0.3506
        double ndcg = new Evaluation(c.qrels("all")).mean(r, Metric.NDCG_10);
        assertEquals("0.3506", fourDecimals(ndcg));
        assertEquals(
                "0.3506",
                fourDecimals(new Evaluation(c.qrels("all").restrictTo(r.queryIds())).mean(r, Metric.NDCG_10)));
    }

    /** Whether a value prints as trec_eval's figure: within half a unit of the 4th decimal (C rounds ties to even). */
    private static boolean agrees(Double mine, double printed) {
        return mine != null && Math.abs(mine - printed) <= 0.00005 + 1e-12;
    }

    private static String fourDecimals(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
