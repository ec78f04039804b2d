package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code winnow eval}'s conventions on real Cranfield: the collection's gain mapping (nDCG@10 0.3506 on the oracle run,
 * as trec_eval with mapped gains), a partial run warned about and averaged over its own judged queries (trec_eval's
 * default) or over all of them with {@code --complete} ({@code trec_eval -c}); and {@code --index} naming a regular file
 * refused by {@code index}, {@code search} and {@code eval} with a message naming it.
 */
class EvalConventionsCommandTest {

    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));

    @Test
    void partialRunsWarnAndCompleteAveragesOverAllJudgedQueries(@TempDir Path dir) throws Exception {
        Path cran = SHARED.resolve("data/cranfield");
        Path index = dir.resolve("idx");
        CliRun idx = CliRun.of("index", "--collection", cran.toString(), "--index", index.toString());
        assertEquals(0, idx.code(), idx.err());
        // the oracle BM25 run, whole and cut to its first 5 queries
        Run oracle = TrecFiles.readRun(SHARED.resolve("data/oracles/cranfield-bm25.top100.run"));
        List<String> five = new ArrayList<>(oracle.queryIds()).subList(0, 5);
        Path full = dir.resolve("full.run");
        Path part = dir.resolve("five.run");
        TrecFiles.writeRun(full, oracle.withName("full"), null);
        TrecFiles.writeRun(part, oracle.restrictTo(java.util.Set.copyOf(five)).withName("five"), null);

        CliRun eval = CliRun.of(
                "eval",
                "--collection",
                cran.toString(),
                "--index",
                index.toString(),
                "--compare",
                full.toString(),
                part.toString(),
                "--trials",
                "100");
        assertEquals(0, eval.code(), eval.err());
        TestCollection c = TestCollection.open(cran, false);
        Evaluation e = new Evaluation(c.qrels("all"));
        Run fiveRun = TrecFiles.readRun(part);
        String fullRow = String.format(Locale.ROOT, "%-24s %8.4f", "full.run", 0.3506);
        assertTrue(eval.out().contains(fullRow), eval.out() + "\nexpected: " + fullRow);
        String fiveRow = String.format(Locale.ROOT, "%-24s %8.4f", "five.run", e.mean(fiveRun, Metric.NDCG_10));
        assertTrue(eval.out().contains(fiveRow), eval.out() + "\nexpected: " + fiveRow);
        assertTrue(eval.err().contains("warning: run five.run covers 5 of 225 judged queries"), eval.err());
        assertTrue(
                eval.err().contains("averaged over 5 (as trec_eval; --complete counts the other 220 as 0)"),
                eval.err());
        assertTrue(!eval.err().contains("run full.run covers"), eval.err());

        CliRun complete = CliRun.of(
                "eval",
                "--collection",
                cran.toString(),
                "--index",
                index.toString(),
                "--compare",
                part.toString(),
                "--complete");
        assertEquals(0, complete.code(), complete.err());
        double all = e.complete(true).mean(fiveRun, Metric.NDCG_10);
        assertEquals(e.mean(fiveRun, Metric.NDCG_10) * 5 / 225, all, 1e-12);
        assertTrue(complete.out().contains(String.format(Locale.ROOT, "%-24s %8.4f", "five.run", all)), complete.out());
        assertTrue(
                complete.err().contains("averaged over 225 (the 220 missing count as 0, as trec_eval -c)"),
                complete.err());
    }

    @Test
    void indexPointingAtARegularFileIsRefusedByName(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("index.txt"), "x");
        String want = "winnow: " + file + " is a regular file, not an index directory";
        CliRun search = CliRun.of("search", "--index", file.toString(), "--query", "wing");
        assertEquals(1, search.code());
        assertTrue(search.err().contains(want), search.err());
        CliRun index = CliRun.of(
                "index", "--collection", SHARED.resolve("data/cranfield").toString(), "--index", file.toString());
        assertEquals(1, index.code());
        assertTrue(index.err().contains(want), index.err());
        CliRun eval = CliRun.of(
                "eval", "--collection", SHARED.resolve("data/cranfield").toString(), "--index", file.toString());
        assertEquals(1, eval.code());
        assertTrue(eval.err().contains(want), eval.err());
        assertEquals("x", Files.readString(file));
    }
}
