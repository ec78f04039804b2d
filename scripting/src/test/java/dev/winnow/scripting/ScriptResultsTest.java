package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hits, search results, runs and metric tables print readably in both languages ({@code print(x)}, {@code
 * console.log(x)}, {@code str(x)}, {@code repr(x)}, string concatenation): a line and a small table, never {@code
 * [object Object]} or a Java class name; {@code run.save(path)} writes a TREC run file with its provenance, inside
 * the workspace only.
 */
class ScriptResultsTest {
    @TempDir
    static Path workspace;

    static String query;
    static List<Hit> hits;
    static ScriptHost host;
    static ScriptSession session;

    @BeforeAll
    static void open() throws Exception {
        Path subset = SciFactSubset.write(workspace.resolve("subset"), 2, 40);
        query = TestCollection.open(subset, false).queries("test").get(0).text();
        host = ScriptHost.create(Sandbox.of(workspace));
        session = host.openSession();
        String setup = "c = winnow.collection('subset')\nidx = winnow.buildIndex(c, 'idx')\nq = c.queries('test')[0]\n"
                + "res = idx.search(q.text, 3)\nrun = idx.run(c.queries('test'), 5, 'bm25', 'bm25')\n"
                + "table = winnow.evaluate(run, c.qrels('test'))\n";
        session.run(Language.PYTHON, setup, "setup.py", new RecordingSink());
        session.run(
                Language.JS,
                "var " + setup.replace("\n", "; var ").replaceAll("; var $", ""),
                "setup.js",
                new RecordingSink());
        try (DocumentIndex index = DocumentIndex.open(
                workspace.resolve("idx"), IndexConfig.builder().build())) {
            hits = index.search(query, 3, SearchMode.BM25);
        }
        assertEquals(3, hits.size());
    }

    @AfterAll
    static void close() {
        if (host != null) {
            host.close();
        }
    }

    static String out(Language lang, String code) throws ScriptFailure {
        RecordingSink sink = new RecordingSink();
        session.run(lang, code, "cell", sink);
        return sink.out.toString();
    }

    /** The expected text of {@code print(res)}: a line naming the query, then rank, id, score, title. */
    static void assertResultsTable(String text) {
        String[] lines = text.strip().split("\n");
        assertEquals(5, lines.length, text);
        assertEquals("3 bm25 hits for '" + query + "'", lines[0]);
        assertTrue(lines[1].matches("rank +id +score +title"), text);
        for (int i = 0; i < 3; i++) {
            Hit h = hits.get(i);
            String title = h.title().length() > 60 ? h.title().substring(0, 57) + "..." : h.title();
            assertTrue(
                    lines[2 + i].matches((i + 1) + " +" + h.id() + " +"
                                    + String.format(Locale.ROOT, "%.4f", h.score())
                                            .replace(".", "\\.") + " +.*")
                            && lines[2 + i].endsWith(title),
                    "line " + (2 + i) + ": " + text);
        }
    }

    @Test
    void searchResultsPrintAsATableInBothLanguages() throws Exception {
        String js = out(Language.JS, "console.log(res)");
        assertResultsTable(js);
        assertEquals(js, out(Language.JS, "print('' + res)"));
        assertEquals(js, out(Language.JS, "console.log(`${res}`)"));
        String py = out(Language.PYTHON, "print(res)");
        assertEquals(js, py);
        assertEquals(js, out(Language.PYTHON, "print(str(res))"));
        assertEquals(js.strip(), out(Language.PYTHON, "print(repr(res))").strip());
    }

    @Test
    void hitsRunsAndTablesPrintReadably() throws Exception {
        Hit h = hits.get(0);
        String hit = "#1 " + h.id() + " " + String.format(Locale.ROOT, "%.4f", h.score());
        assertTrue(
                out(Language.JS, "console.log(res.hits[0])").startsWith(hit + " "),
                out(Language.JS, "console.log(res.hits[0])"));
        assertEquals(out(Language.JS, "console.log(res.hits[0])"), out(Language.PYTHON, "print(res.hits[0])"));
        // inside a Python list too (list's str is its elements' repr)
        String list = out(Language.PYTHON, "print(list(res.hits))");
        assertTrue(
                list.startsWith("[#1 " + h.id() + " ")
                        && list.contains(", #3 " + hits.get(2).id() + " "),
                list);

        String run = out(Language.PYTHON, "print(run)");
        String[] lines = run.strip().split("\n");
        assertTrue(lines[0].matches("run bm25: 2 queries, \\d+ documents"), run);
        assertTrue(lines[1].matches("query +rank +id +score"), run);
        assertTrue(lines[2].matches("\\S+ +1 +\\S+ +\\d+\\.\\d{4}"), run);
        assertEquals("...", lines[lines.length - 1], run);
        assertEquals(run, out(Language.JS, "console.log(run)"));
        assertEquals(run.strip(), out(Language.PYTHON, "print(repr(run))").strip());

        String table = out(Language.JS, "console.log(table)");
        String[] t = table.strip().split("\n");
        assertTrue(t[0].matches("run +nDCG@10 +R@100 +RR@10"), table);
        assertTrue(t[1].matches("bm25 +\\d\\.\\d{4} +\\d\\.\\d{4} +\\d\\.\\d{4}"), table);
        assertEquals(table, out(Language.PYTHON, "print(table)"));
        assertTrue(out(Language.PYTHON, "print(str(table))")
                .contains(String.format(
                        Locale.ROOT,
                        "%.4f",
                        Double.parseDouble(out(Language.PYTHON, "print(table.get('nDCG@10'))")
                                .strip()))));
    }

    @Test
    void runsSaveAsTrecFilesWithProvenanceInsideTheWorkspaceOnly() throws Exception {
        String written =
                out(Language.PYTHON, "print(run.save('runs/bm25.trec'))").strip();
        Path file = workspace.resolve("runs/bm25.trec");
        assertEquals(file.toRealPath().toString(), written);
        JsonNode expected = new ObjectMapper()
                .readTree(
                        out(
                                Language.PYTHON,
                                "import json\nprint(json.dumps({q: [list(run.ranking(q)), list(run.scores(q))] for q in run.queryIds()}))"));
        Run read = TrecFiles.readRun(file);
        assertEquals("bm25", read.name());
        assertEquals(2, expected.size());
        assertEquals(expected.size(), read.queryIds().size());
        expected.fields().forEachRemaining(e -> {
            var ranking = read.ranking(e.getKey());
            assertEquals(e.getValue().get(0).size(), ranking.size(), e.getKey());
            for (int i = 0; i < ranking.size(); i++) {
                assertEquals(e.getValue().get(0).get(i).asText(), ranking.get(i).docId(), e.getKey() + " " + i);
                assertEquals(
                        e.getValue().get(1).get(i).asDouble(), ranking.get(i).score(), 0.0, e.getKey() + " " + i);
            }
        });
        Provenance p = TrecFiles.readProvenance(file);
        assertEquals(workspace.resolve("idx").toRealPath().toString(), p.index());
        assertEquals("bm25", p.parameters().get("mode"));
        assertEquals(5, ((Number) p.parameters().get("k")).intValue());
        assertEquals("script", p.parameters().get("source"));
        assertFalse(p.indexSettings().isEmpty());
        // the same from JavaScript, renamed: the name is the run file's tag
        out(Language.JS, "run.withName('renamed').save('runs/renamed.trec')");
        assertEquals(
                "renamed",
                TrecFiles.readRun(workspace.resolve("runs/renamed.trec")).name());

        Path outside = workspace.getParent().resolve("escaped-" + System.nanoTime() + ".trec");
        for (String path : List.of(outside.toString(), "../" + outside.getFileName())) {
            ScriptFailure f =
                    assertThrows(ScriptFailure.class, () -> out(Language.PYTHON, "run.save(" + quote(path) + ")"));
            assertEquals("WinnowError", f.errorType(), f.getMessage());
            assertTrue(
                    f.getMessage().contains("access denied") || f.getMessage().contains("outside"), f.getMessage());
            assertFalse(Files.exists(outside), path);
        }
    }

    static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
