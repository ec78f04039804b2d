package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.collection.ReadReport;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.SignificanceTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code winnow eval --qrels FILE RUN...}: bare run files scored like {@code trec_eval -q}, checked figure by figure
 * against NIST trec_eval's own output in {@code ../shared/data/oracles/} (every query and the {@code all} line, every
 * measure there); the collection's gain mapping applied to a raw qrels file with {@code --collection}; significance
 * against {@code --baseline} on every chosen measure equal to {@link SignificanceTest} on the same per-query values;
 * clear errors for what cannot work.
 */
class EvalRunFilesCommandTest {

    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
    private static final Path ORACLES = SHARED.resolve("data/oracles");

    /** trec_eval's measure names (as the oracle files print them) to the labels winnow prints. */
    private static final Map<String, String> LABELS = Map.of(
            "ndcg_cut_10", "nDCG@10",
            "P_10", "P@10",
            "recall_10", "R@10",
            "map", "MAP",
            "ndcg", "nDCG",
            "recip_rank@10", "RR@10");

    /** The oracle file: trec_eval measure name to query id (or "all") to value as printed. */
    private static Map<String, Map<String, String>> oracle(String run) throws Exception {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ORACLES.resolve(run + ".trec_eval.txt"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3) {
                out.computeIfAbsent(f[0], k -> new LinkedHashMap<>()).put(f[1], f[2]);
            }
        }
        return out;
    }

    /** winnow's -q lines of one run: label to query id (or "all") to value as printed. */
    private static Map<String, Map<String, String>> perQuery(String out, String runName) {
        Map<String, Map<String, String>> got = new LinkedHashMap<>();
        boolean in = false;
        for (String line : out.lines().toList()) {
            if (line.startsWith("# per query: ")) {
                in = line.equals("# per query: " + runName);
                continue;
            }
            String[] f = line.split("\t");
            if (in && f.length == 3) {
                got.computeIfAbsent(f[0].strip(), k -> new LinkedHashMap<>()).put(f[1], f[2]);
            }
        }
        return got;
    }

    private static void assertAgreesWithTrecEval(String out, String runName, String oracleRun) throws Exception {
        Map<String, Map<String, String>> theirs = oracle(oracleRun);
        Map<String, Map<String, String>> mine = perQuery(out, runName);
        int compared = 0;
        List<String> mismatches = new ArrayList<>();
        for (var e : theirs.entrySet()) {
            String label = LABELS.get(e.getKey());
            Map<String, String> m = mine.get(label);
            assertTrue(m != null, "no -q lines for " + label + " in:\n" + out);
            assertEquals(e.getValue().keySet(), m.keySet(), label + ": the queries printed");
            for (var q : e.getValue().entrySet()) {
                compared++;
                // trec_eval's C printf may round a tie the other way: allow one unit of the 4th decimal
                if (Math.abs(Double.parseDouble(q.getValue()) - Double.parseDouble(m.get(q.getKey()))) > 0.00011) {
                    mismatches.add(
                            label + " " + q.getKey() + ": " + m.get(q.getKey()) + " vs trec_eval " + q.getValue());
                }
            }
        }
        assertEquals(List.of(), mismatches, "of " + compared + " figures");
        assertTrue(compared > 1000, "compared " + compared);
    }

    @Test
    void bareRunFilesScoreAsTrecEvalDoesPerQueryAndOverall() throws Exception {
        CliRun eval = CliRun.of(
                "eval",
                "--qrels",
                ORACLES.resolve("scifact-test.qrels").toString(),
                ORACLES.resolve("scifact-bm25.top100.run").toString(),
                "-q",
                "-m",
                "ndcg_cut.10,P.10,recall.10",
                "-m",
                "map",
                "-m",
                "ndcg",
                "-m",
                "RR@10");
        assertEquals(0, eval.code(), eval.err());
        assertAgreesWithTrecEval(eval.out(), "scifact-bm25.top100.run", "scifact-bm25.top100");
        // the table row: the overall figures of the oracle (nDCG@10 0.6789, MAP 0.6398)
        String row = eval.out()
                .lines()
                .filter(l -> l.startsWith("scifact-bm25.top100.run "))
                .findFirst()
                .orElseThrow();
        assertTrue(row.matches("scifact-bm25\\.top100\\.run\\s+0\\.6789\\s+\\S+\\s+\\S+\\s+0\\.6398\\s+.*"), row);
    }

    @Test
    void withACollectionItsGainMappingAppliesToARawQrelsFile(@TempDir Path dir) throws Exception {
        // Cranfield's own judgments (raw grades 1..4 and -1) written as a TREC qrels file
        TestCollection c = TestCollection.open(SHARED.resolve("data/cranfield"), false);
        Qrels raw = c.qrels("all");
        StringBuilder file = new StringBuilder();
        for (String q : raw.queryIds()) {
            raw.judgments(q)
                    .forEach((d, g) -> file.append(q)
                            .append(" 0 ")
                            .append(d)
                            .append(' ')
                            .append(g)
                            .append('\n'));
        }
        Path qrels = dir.resolve("cranfield-raw.qrels");
        Files.writeString(qrels, file);
        Path run = ORACLES.resolve("cranfield-bm25.top100.run");
        CliRun mapped = CliRun.of(
                "eval",
                "--collection",
                SHARED.resolve("data/cranfield").toString(),
                "--qrels",
                qrels.toString(),
                run.toString(),
                "-q",
                "-m",
                "ndcg_cut.10,P.10,recall.10,map,ndcg,RR@10");
        assertEquals(0, mapped.code(), mapped.err());
        assertTrue(
                mapped.out().contains("cranfield's gain mapping")
                        || mapped.out().contains("gain mapping"),
                mapped.out());
        assertAgreesWithTrecEval(mapped.out(), "cranfield-bm25.top100.run", "cranfield-bm25.top100");
        // without the collection the raw grades are the gains: a different nDCG@10 (grade 1 is Cranfield's most
        // relevant)
        CliRun rawGains = CliRun.of("eval", "--qrels", qrels.toString(), run.toString(), "-m", "nDCG@10");
        assertEquals(0, rawGains.code(), rawGains.err());
        String row = rawGains.out()
                .lines()
                .filter(l -> l.startsWith("cranfield-bm25.top100.run "))
                .findFirst()
                .orElseThrow();
        assertNotEquals("0.3506", row.split("\\s+")[1], row);
    }

    @Test
    void everyRowIsTestedAgainstTheBaselineOnEveryMeasure() throws Exception {
        Path qrels = ORACLES.resolve("scifact-test.qrels");
        Path bm25 = ORACLES.resolve("scifact-bm25.top100.run");
        Path hybrid = ORACLES.resolve("scifact-hybrid.top100.run");
        CliRun eval = CliRun.of(
                "eval",
                "--qrels",
                qrels.toString(),
                bm25.toString(),
                hybrid.toString(),
                "--baseline",
                "scifact-hybrid.top100.run",
                "-m",
                "nDCG@10,MAP,R@100",
                "--trials",
                "2000",
                "--seed",
                "7");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("against scifact-hybrid.top100.run"), eval.out());
        Evaluation e = new Evaluation(TrecFiles.readQrels(qrels, new ReadReport(false)));
        Run b = TrecFiles.readRun(bm25);
        Run h = TrecFiles.readRun(hybrid);
        List<String> tests = eval.out()
                .lines()
                .filter(l -> l.startsWith("scifact-bm25.top100.run "))
                .toList();
        // one table row and one test row per measure
        assertEquals(4, tests.size(), eval.out());
        for (Metric m : List.of(Metric.NDCG_10, Metric.AP, Metric.RECALL_100)) {
            Map<String, Double> base = e.perQuery(h, m);
            Map<String, Double> other = e.perQuery(b, m);
            double delta = e.mean(b, m) - e.mean(h, m);
            String expected = String.format(
                    Locale.ROOT,
                    " %-10s %+8.4f %10.4g %8.4g",
                    m.label(),
                    delta,
                    SignificanceTest.pairedTTest(base, other),
                    SignificanceTest.randomization(base, other, 2000, 7));
            assertTrue(
                    tests.stream().anyMatch(l -> l.endsWith(expected)),
                    "expected '" + expected + "' in\n" + eval.out());
        }
        // a baseline given as a file that is not a row is read and put first
        CliRun byFile =
                CliRun.of("eval", "--qrels", qrels.toString(), bm25.toString(), "--baseline", hybrid.toString());
        assertEquals(0, byFile.code(), byFile.err());
        assertTrue(byFile.out().contains("against scifact-hybrid.top100.run"), byFile.out());
    }

    @Test
    void whatCannotWorkIsAClearError(@TempDir Path dir) throws Exception {
        Path qrels = ORACLES.resolve("scifact-test.qrels");
        Path run = ORACLES.resolve("scifact-bm25.top100.run");
        CliRun nothing = CliRun.of("eval");
        assertEquals(1, nothing.code());
        assertTrue(nothing.err().contains("--qrels FILE RUN"), nothing.err());
        CliRun noRun = CliRun.of("eval", "--qrels", qrels.toString());
        assertEquals(1, noRun.code());
        assertTrue(noRun.err().contains("at least one RUN"), noRun.err());
        CliRun mode = CliRun.of("eval", "--qrels", qrels.toString(), run.toString(), "--mode", "dense");
        assertEquals(1, mode.code());
        assertTrue(mode.err().contains("--mode needs --collection DIR --index DIR"), mode.err());
        CliRun metric = CliRun.of("eval", "--qrels", qrels.toString(), run.toString(), "-m", "bleu@4");
        assertEquals(1, metric.code());
        assertTrue(metric.err().contains("unknown metric 'bleu@4'"), metric.err());
        Path missing = dir.resolve("nope.run");
        CliRun noFile = CliRun.of("eval", "--qrels", qrels.toString(), missing.toString());
        assertEquals(1, noFile.code());
        assertTrue(noFile.err().contains("nope.run"), noFile.err());
        CliRun baseline = CliRun.of("eval", "--qrels", qrels.toString(), run.toString(), "--baseline", "bm25");
        assertEquals(1, baseline.code());
        assertTrue(baseline.err().contains("--baseline bm25 is neither a row"), baseline.err());
        Path emptyQrels = Files.writeString(dir.resolve("empty.qrels"), "\n");
        CliRun empty = CliRun.of("eval", "--qrels", emptyQrels.toString(), run.toString());
        assertEquals(1, empty.code());
        assertTrue(empty.err().contains("holds no judgment"), empty.err());
    }
}
