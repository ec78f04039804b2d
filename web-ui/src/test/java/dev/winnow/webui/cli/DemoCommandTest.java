package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Run;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code winnow demo} end to end, in process, on a small real BEIR collection the test writes (a subset of SciFact:
 * the first test queries, their relevant documents and other documents), with the real MiniLM through llama.cpp, a
 * real Lucene index on disk and BlockRank on stories260K. The table's figures are checked against {@link Evaluation}
 * over the run files the demo wrote; a second run must reuse the index; common mistakes get messages that say what to
 * do.
 */
class DemoCommandTest {

    private static final int DOCS = 24;
    private static final int QUERIES = 6;

    @TempDir
    static Path tmp;

    private static Path shared;
    private static Path minilm;
    private static Path collection;

    @BeforeAll
    static void setUp() throws IOException {
        shared = Path.of(System.getProperty("winnow.shared.dir", "../../shared"));
        minilm = EmbeddingModels.fromEnvironment().ensure("minilm");
        collection = SciFactSubset.write(shared.resolve("data/scifact"), tmp.resolve("scifact-mini"), QUERIES, DOCS);
    }

    private record Outcome(int exit, String out, String err) {}

    private static Outcome demo(String... args) {
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(
                List.of("demo", "--indexes", tmp.resolve("indexes").toString()));
        all.addAll(List.of(args));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Outcome(exit, out.toString(), err.toString());
    }

    private String[] args(Path runs, String... more) {
        List<String> a = new ArrayList<>(List.of(
                "--collection",
                collection.toString(),
                "--embedding-model",
                minilm.toString(),
                "--model",
                shared.resolve("models/stories260K.gguf").toString(),
                "--max-tokens",
                "48",
                "--queries",
                "2",
                "--depth",
                "5",
                "--out",
                runs.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** The table's rows: method -> [queries, nDCG@10, R@100, RR@10, queries/s]. */
    private static Map<String, double[]> table(String out) {
        Map<String, double[]> rows = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (!line.startsWith("| ") || line.startsWith("| method")) {
                continue;
            }
            String[] c = line.split("\\|");
            double[] v = new double[5];
            for (int i = 0; i < 5; i++) {
                v[i] = Double.parseDouble(c[i + 2].trim());
            }
            rows.put(c[1].trim(), v);
        }
        return rows;
    }

    @Test
    void runsEndToEndAndItsTableMatchesTheEvaluationOfItsRuns() throws Exception {
        Path runs = tmp.resolve("runs1");
        Outcome first = demo(args(runs));
        assertEquals(0, first.exit(), first.out() + first.err());
        assertTrue(first.out().contains(DOCS + " documents, " + QUERIES + " test queries"), first.out());
        assertTrue(first.out().contains("dense index: embedding " + DOCS + " of " + DOCS + " documents"), first.out());

        Map<String, double[]> rows = table(first.out());
        assertEquals(
                List.of("bm25", "dense", "hybrid", "hybrid>embedding@5", "hybrid (same sample)", "hybrid>blockrank@5"),
                List.copyOf(rows.keySet()),
                first.out());
        TestCollection c = TestCollection.open(collection, false);
        Evaluation all = new Evaluation(c.qrels("test"), c.gains());
        for (Map.Entry<String, double[]> row : rows.entrySet()) {
            Path file = runs.resolve(
                    row.getKey().replaceAll("[^A-Za-z0-9@._-]+", "-").replaceAll("-+$", "") + ".run");
            Run run = TrecFiles.readRun(file);
            Evaluation ev = new Evaluation(c.qrels("test").restrictTo(run.queryIds()), c.gains());
            double[] v = row.getValue();
            assertEquals(run.queryIds().size(), (int) v[0], row.getKey());
            assertEquals(ev.mean(run, Metric.NDCG_10), v[1], 5e-5, row.getKey() + " nDCG@10");
            assertEquals(ev.mean(run, Metric.RECALL_100), v[2], 5e-5, row.getKey() + " R@100");
            assertEquals(ev.mean(run, Metric.RR_10), v[3], 5e-5, row.getKey() + " RR@10");
            assertTrue(v[4] > 0, row.getKey() + " queries/s");
            Provenance p = TrecFiles.readProvenance(file);
            assertEquals(collection.toAbsolutePath().normalize().toString(), p.collection());
            assertTrue(p.modelSha256() != null && p.modelSha256().length() == 64, row.getKey());
            if (v[0] == QUERIES) {
                // full-query rows: also evaluated over every judged query
                assertEquals(all.mean(run, Metric.NDCG_10), v[1], 5e-5, row.getKey());
            }
        }
        // re-rankers keep the first stage's candidate set, so R@100 cannot change
        assertEquals(rows.get("hybrid")[2], rows.get("hybrid>embedding@5")[2], 1e-9);
        assertEquals(rows.get("hybrid (same sample)")[2], rows.get("hybrid>blockrank@5")[2], 1e-9);
        assertEquals(2, (int) rows.get("hybrid>blockrank@5")[0]);
        // the subset holds every relevant document: hybrid's top 100 of 24 documents finds all
        assertEquals(1.0, rows.get("hybrid")[2], 1e-9);
        assertTrue(first.out().contains("Top 5 for query"), first.out());

        // second run: the index and the vectors are reused, nothing is embedded again
        Outcome second = demo(args(tmp.resolve("runs2")));
        assertEquals(0, second.exit(), second.out() + second.err());
        assertTrue(second.out().contains("BM25 index: reused"), second.out());
        assertTrue(
                second.out().contains("dense index: reused (" + DOCS + " vectors, 0 documents embedded now)"),
                second.out());
        assertTrue(second.out().contains("0 documents added, 0 embedded"), second.out());
        Map<String, double[]> again = table(second.out());
        for (String m : List.of("bm25", "dense", "hybrid", "hybrid>embedding@5")) {
            assertEquals(rows.get(m)[1], again.get(m)[1], 1e-9, m + " is deterministic");
        }
    }

    @Test
    void commonMistakesSayWhatToDo() throws Exception {
        for (String missing : List.of("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")) {
            Path broken = tmp.resolve("broken-" + missing.replace('/', '-'));
            for (String f : List.of("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")) {
                if (!f.equals(missing)) {
                    Files.createDirectories(broken.resolve(f).getParent());
                    Files.copy(collection.resolve(f), broken.resolve(f));
                }
            }
            Files.createDirectories(broken);
            Outcome o = demo("--collection", broken.toString(), "--embedding-model", minilm.toString());
            assertEquals(1, o.exit(), missing);
            assertTrue(o.err().contains("has no " + missing) && o.err().contains("point --collection at one"), o.err());
        }
        Outcome none = demo("--collection", tmp.resolve("nowhere").toString());
        assertEquals(1, none.exit());
        assertTrue(none.err().contains("does not exist: give a BEIR directory with --collection"), none.err());

        Outcome model = demo(
                "--collection",
                collection.toString(),
                "--model",
                tmp.resolve("missing.gguf").toString());
        assertEquals(1, model.exit());
        assertTrue(
                model.err().contains("missing.gguf: no such file")
                        && model.err().contains("leave --model out"),
                model.err());

        Outcome depth = demo("--collection", collection.toString(), "--depth", "0");
        assertEquals(1, depth.exit());
        assertTrue(depth.err().contains("--depth must be in 1..100"), depth.err());
    }
}
