package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.SearchMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** winnow index / search / eval run in-process on the real Cranfield collection. */
class RetrievalCommandsTest {

    private static final Path CRANFIELD =
            Path.of(System.getProperty("winnow.shared.dir", "../shared"), "data", "cranfield");

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void indexSearchEvalOnCranfield(@TempDir Path dir) throws Exception {
        Path index = dir.resolve("cran-index");
        CliRun idx = run(
                "index", "--collection", CRANFIELD.toString(), "--index", index.toString(), "--dense", "hashed-bow:64");
        assertEquals(0, idx.code(), idx.err());
        assertTrue(idx.out().contains("collection cranfield (cranfield): 1400 documents, 225 queries"), idx.out());
        assertTrue(idx.out().contains("empty docs 2"), idx.out());
        assertTrue(idx.out().contains("embedded 1400 documents (1400 with vectors)"), idx.out());
        // indexing again writes nothing and keeps every vector (an interrupted --dense run resumes where it stopped)
        CliRun again = run(
                "index", "--collection", CRANFIELD.toString(), "--index", index.toString(), "--dense", "hashed-bow:64");
        assertEquals(0, again.code(), again.err());
        assertTrue(
                again.out().contains("(0 added or changed, 1400 already there unchanged; 1400 in the index)"),
                again.out());
        assertTrue(again.out().contains("embedded 0 documents (1400 with vectors)"), again.out());

        CliRun search = run("search", "--index", index.toString(), "--query", "boundary layer transition", "-k", "3");
        assertEquals(0, search.code(), search.err());
        List<String> lines = search.out().lines().toList();
        assertEquals(4, lines.size(), search.out());
        try (DocumentIndex direct = DocumentIndex.open(index)) {
            String top = direct.search("boundary layer transition", 1, SearchMode.BM25)
                    .get(0)
                    .id();
            assertTrue(lines.get(1).matches("\\s+1\\s+" + top + "\\s.*"), lines.get(1));
        }
        CliRun hybrid = run("search", "--index", index.toString(), "--query", "boundary layer", "--mode", "hybrid");
        assertEquals(0, hybrid.code(), hybrid.err());
        CliRun instruction = run(
                "search",
                "--index",
                index.toString(),
                "--query",
                "boundary layer",
                "--mode",
                "dense",
                "--query-instruction",
                "q: ");
        assertEquals(1, instruction.code());
        assertTrue(
                instruction.err().contains("--query-instruction needs an index embedded by a llama.cpp model"),
                instruction.err());

        Path runFile = dir.resolve("runs/cran.trec");
        CliRun eval = run(
                "eval",
                "--collection",
                CRANFIELD.toString(),
                "--index",
                index.toString(),
                "--run",
                runFile.toString(),
                "--all");
        assertEquals(0, eval.code(), eval.err());
        // the printed figures are those of the written run, scored through the Java API with Cranfield's gains
        TestCollection c = TestCollection.open(CRANFIELD, false);
        Run written = TrecFiles.readRun(runFile);
        Evaluation e = new Evaluation(c.qrels("all"), c.gains());
        String row = String.format(
                Locale.ROOT,
                "%-24s %8.4f %8.4f %8.4f %8.4f",
                "bm25",
                e.mean(written, Metric.NDCG_10),
                e.mean(written, Metric.RECALL_100),
                e.mean(written, Metric.RR_10),
                e.mean(written, Metric.AP));
        assertTrue(eval.out().contains(row), eval.out() + "\nexpected row: " + row);
        Provenance p = TrecFiles.readProvenance(runFile);
        assertEquals("all", p.split());
        assertEquals(1000, p.parameters().get("depth"));
        assertEquals(64, p.indexSettings().get("vectorDimension"));

        CliRun cmp = run(
                "eval",
                "--collection",
                CRANFIELD.toString(),
                "--index",
                index.toString(),
                "--mode",
                "bm25,dense",
                "--compare",
                runFile.toString(),
                "--trials",
                "2000");
        assertEquals(0, cmp.code(), cmp.err());
        String table = cmp.out().substring(0, cmp.out().indexOf("\nagainst bm25: "));
        List<String> rows = table.lines()
                .filter(l -> l.startsWith("bm25") || l.startsWith("dense") || l.startsWith("cran.trec"))
                .toList();
        assertEquals(3, rows.size(), cmp.out());
        // then each row against the first on every measure
        List<String> tests = cmp.out()
                .substring(table.length())
                .lines()
                .filter(l -> l.startsWith("cran.trec"))
                .toList();
        assertEquals(3, tests.size(), cmp.out());
        CliRun linear = run(
                "eval",
                "--collection",
                CRANFIELD.toString(),
                "--index",
                index.toString(),
                "--mode",
                "hybrid",
                "--fusion",
                "minmax");
        assertEquals(1, linear.code());
        assertTrue(linear.err().contains("needs a split to tune its weight on"), linear.err());
        // the re-read run file is the same ranking as the fresh bm25 run: no difference, p-values of 1 on every measure
        for (String t : tests) {
            assertTrue(t.matches("cran\\.trec\\s+\\S+\\s+\\+0\\.0000\\s+1\\.000\\s+1\\.000\\s*"), t);
        }
    }

    @Test
    void badInputIsAClearErrorNotACrash(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("beir/qrels"));
        Files.writeString(dir.resolve("beir/corpus.jsonl"), "{\"_id\": \"d1\", \"text\": \"x\"}\n{broken\n");
        Files.writeString(dir.resolve("beir/queries.jsonl"), "{\"_id\": \"q1\", \"text\": \"x\"}\n");
        Files.writeString(dir.resolve("beir/qrels/test.tsv"), "q1\td1\t1\n");
        CliRun r = run(
                "index",
                "--collection",
                dir.resolve("beir").toString(),
                "--index",
                dir.resolve("i").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("corpus.jsonl:2"), r.err());
        CliRun skipped = run(
                "index",
                "--collection",
                dir.resolve("beir").toString(),
                "--index",
                dir.resolve("i").toString(),
                "--skip-bad");
        assertEquals(0, skipped.code(), skipped.err());
        assertTrue(skipped.out().contains("skipped lines 1"), skipped.out());
        CliRun model = run(
                "index",
                "--collection",
                dir.resolve("beir").toString(),
                "--index",
                dir.resolve("i").toString(),
                "--skip-bad",
                "--dense",
                "minilm.gguf");
        assertEquals(1, model.code());
        assertTrue(model.err().contains("neither hashed-bow:DIM nor an existing GGUF model file"), model.err());
        CliRun noVectors = run("search", "--index", dir.resolve("i").toString(), "--query", "x", "--mode", "dense");
        assertEquals(1, noVectors.code());
        assertTrue(noVectors.err().contains("has no vectors"), noVectors.err());
        assertEquals(
                1,
                run("search", "--index", dir.resolve("nope").toString(), "--query", "x")
                        .code());
    }
}
