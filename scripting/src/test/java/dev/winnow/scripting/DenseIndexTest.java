package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dense and hybrid indexes built from scripts with a real embedding model (all-MiniLM-L6-v2 through llama.cpp) on a
 * real SciFact subset: the scripts' results equal the Java API's on an index built the same way, re-opening an index
 * re-opens its recorded model, interrupting the embedding stops it promptly, and the sandbox's read rules apply to
 * the model file.
 */
class DenseIndexTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DOCS = 24;
    private static final int QUERIES = 3;

    @TempDir
    static Path workspace;

    static Path minilm;
    static Path subset;
    static List<Query> queries;
    /** Java's top 10 per mode and query: "mode qid" to [[id, score], ...]. */
    static Map<String, List<Object[]>> java = new LinkedHashMap<>();

    static ScriptHost host;
    static ScriptSession session;

    @BeforeAll
    static void javaReference() throws Exception {
        minilm = EmbeddingModels.fromEnvironment().ensure("minilm").toRealPath();
        subset = SciFactSubset.write(workspace.resolve("scifact-subset"), QUERIES, DOCS);
        TestCollection c = TestCollection.open(subset, false);
        queries = c.queries("test");
        assertEquals(QUERIES, queries.size());
        Path dir = workspace.resolve("java-index");
        try (LlamaEmbedder e = LlamaEmbedder.open(minilm)) {
            try (DocumentIndex index =
                    DocumentIndex.create(dir, IndexConfig.builder().embedder(e).build())) {
                index.addAll(c.documents(), 500);
                assertEquals(DOCS, index.embedMissing(500));
                index.commit();
            }
            try (DocumentIndex index =
                    DocumentIndex.open(dir, IndexConfig.builder().embedder(e).build())) {
                for (SearchMode m : List.of(SearchMode.DENSE, SearchMode.HYBRID)) {
                    for (Query q : queries) {
                        List<Object[]> hits = new ArrayList<>();
                        for (Hit h : index.search(q.text(), 10, m)) {
                            hits.add(new Object[] {h.id(), h.score()});
                        }
                        java.put(m.cliName() + " " + q.id(), hits);
                    }
                }
            }
        }
        host = ScriptHost.create(Sandbox.of(workspace, minilm.getParent()));
        session = host.openSession();
    }

    @AfterAll
    static void close() {
        if (host != null) {
            host.close();
        }
    }

    static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** A cell that prints, per mode and query, the JSON of the top 10 [id, score] pairs of index variable {@code v}. */
    private static String searchCell(Language lang, String v) {
        return lang == Language.JS
                ? "for (const m of ['dense', 'hybrid']) for (const q of winnow.collection('scifact-subset').queries('test'))"
                        + " console.log(m + ' ' + q.id + ' ' + JSON.stringify(Array.from(" + v
                        + ".search(q.text, 10, m).hits).map(h => [h.id, h.score])))"
                : "import json\nfor m in ['dense', 'hybrid']:\n  for q in winnow.collection('scifact-subset').queries('test'):\n"
                        + "    print(m + ' ' + q.id + ' ' + json.dumps([[h.id, h.score] for h in " + v
                        + ".search(q.text, 10, m).hits]))";
    }

    /** Runs the search cell and checks every ranked list against Java's: the same ids in order and the same scores. */
    private static void assertSameAsJava(Language lang, String v) throws Exception {
        RecordingSink sink = new RecordingSink();
        session.run(lang, searchCell(lang, v), "search", sink);
        String[] lines = sink.out.toString().strip().split("\n");
        assertEquals(java.size(), lines.length, sink.out.toString());
        for (String line : lines) {
            String[] parts = line.split(" ", 3);
            List<Object[]> expected = java.get(parts[0] + " " + parts[1]);
            JsonNode got = JSON.readTree(parts[2]);
            assertEquals(expected.size(), got.size(), line);
            assertEquals(10, got.size(), line);
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i)[0], got.get(i).get(0).asText(), line);
                assertEquals((double) expected.get(i)[1], got.get(i).get(1).asDouble(), 1e-9, line);
            }
        }
    }

    @Test
    void jsBuildsADenseIndexWithTheModelAndSearchesAsJavaDoes() throws Exception {
        RecordingSink sink = new RecordingSink();
        session.run(
                Language.JS,
                "var c = winnow.collection('scifact-subset');\n"
                        + "var built = winnow.buildIndex(c, 'js-index', {dense: " + quote(minilm.toString()) + "});\n"
                        + "console.log(built.embedder())",
                "build.js",
                sink);
        assertTrue(sink.out.toString().startsWith("llama.cpp model=" + minilm + " sha256="), sink.out.toString());
        List<String> progress = sink.displays.stream()
                .filter(d -> d.mimeBundle().containsKey(ScriptSession.PROGRESS_MIME))
                .map(DisplayData::plainText)
                .toList();
        assertTrue(progress.contains("indexing scifact-subset " + DOCS + "/" + DOCS), progress.toString());
        assertTrue(progress.contains("embedding scifact-subset " + DOCS + "/" + DOCS), progress.toString());
        assertSameAsJava(Language.JS, "built");
        // re-opened, the index re-opens the model it recorded
        session.run(Language.JS, "var reopened = winnow.openIndex('js-index')", "open.js", new RecordingSink());
        assertSameAsJava(Language.JS, "reopened");
    }

    @Test
    void pythonBuildIsInterruptibleWhileEmbeddingThenResumesAndSearchesAsJavaDoes() throws Exception {
        // interrupt as soon as the embedding has visibly started (a progress bundle with 0 < done < total)
        ExecutorService interrupter = Executors.newSingleThreadExecutor();
        AtomicLong firedAt = new AtomicLong();
        List<String> progress = new ArrayList<>();
        RecordingSink recorded = new RecordingSink();
        OutputSink sink = new OutputSink() {
            @Override
            public void stdout(String text) {
                recorded.stdout(text);
            }

            @Override
            public void stderr(String text) {
                recorded.stderr(text);
            }

            @Override
            public synchronized void display(DisplayData data) {
                recorded.display(data);
                String text = data.plainText();
                if (data.mimeBundle().containsKey(ScriptSession.PROGRESS_MIME) && text.startsWith("embedding")) {
                    progress.add(text);
                    long done = Long.parseLong(text.substring(text.lastIndexOf(' ') + 1, text.indexOf('/')));
                    if (done > 0 && done < DOCS && firedAt.compareAndSet(0, System.nanoTime())) {
                        interrupter.submit(session::interrupt);
                    }
                }
            }
        };
        String build = "c = winnow.collection('scifact-subset')\nbuilt = winnow.buildIndex(c, 'py-index', {'dense': "
                + quote(minilm.toString()) + "})";
        try {
            ScriptFailure f =
                    assertThrows(ScriptFailure.class, () -> session.run(Language.PYTHON, build, "build.py", sink));
            long stoppedMs = (System.nanoTime() - firedAt.get()) / 1_000_000;
            assertTrue(f.interrupted(), f.toString());
            assertTrue(firedAt.get() != 0, "no embedding progress before the end: " + progress);
            assertTrue(stoppedMs < 1000, "stopped " + stoppedMs + " ms after the interrupt");
            assertFalse(progress.contains("embedding scifact-subset " + DOCS + "/" + DOCS), progress.toString());
        } finally {
            interrupter.shutdownNow();
        }
        try (DocumentIndex partial = DocumentIndex.open(workspace.resolve("py-index"))) {
            assertTrue(partial.vectorCount() < DOCS, "vectors " + partial.vectorCount());
        }
        // the same session builds again (embedding what is missing) and searches as Java does
        session.run(Language.PYTHON, build, "build.py", new RecordingSink());
        assertSameAsJava(Language.PYTHON, "built");
        session.run(Language.PYTHON, "reopened = winnow.openIndex('py-index')", "open.py", new RecordingSink());
        assertSameAsJava(Language.PYTHON, "reopened");
    }

    @Test
    void modelPathsFollowTheSandboxRules() throws Exception {
        try (ScriptHost closed = ScriptHost.create(Sandbox.of(workspace));
                ScriptSession s = closed.openSession()) {
            s.run(Language.JS, "var c = winnow.collection('scifact-subset')", "c.js", new RecordingSink());
            ScriptFailure build = assertThrows(
                    ScriptFailure.class,
                    () -> s.run(
                            Language.JS,
                            "winnow.buildIndex(c, 'x-index', {dense: " + quote(minilm.toString()) + "})",
                            "b.js",
                            new RecordingSink()));
            assertEquals("WinnowError", build.errorType());
            // the model under $WINNOW_HOME is named by its placeholder (issue 15: no absolute host paths in script
            // errors)
            String shown = closed.sandbox().hostPaths().scrub(minilm.toString());
            assertTrue(build.getMessage().contains(shown + ": outside the sandbox"), build.getMessage());
            // an index whose recorded model lies outside the readable roots opens, searches with BM25 (which needs no
            // model), and refuses to load that model for dense search
            RecordingSink bm25 = new RecordingSink();
            s.run(
                    Language.JS,
                    "var other = winnow.openIndex('java-index'); var q = c.queries('test')[0].text;"
                            + " console.log(other.search(q, 5, 'bm25').size(), other.embedder().startsWith('llama.cpp model='))",
                    "o.js",
                    bm25);
            assertEquals("5 true\n", bm25.out.toString());
            for (String mode : List.of("dense", "hybrid")) {
                ScriptFailure open = assertThrows(
                        ScriptFailure.class,
                        () -> s.run(Language.JS, "other.search(q, 5, '" + mode + "')", "o.js", new RecordingSink()));
                assertEquals("WinnowError", open.errorType());
                assertTrue(
                        open.getMessage()
                                .contains("the embedding model of index " + workspace.resolve("java-index") + ", "
                                        + shown + ": outside the sandbox"),
                        open.getMessage());
            }
            for (String bad : List.of("0", "5000", "true", "''", "'hashed-bow:x'")) {
                ScriptFailure f = assertThrows(
                        ScriptFailure.class,
                        () -> s.run(
                                Language.JS,
                                "winnow.buildIndex(c, 'y-index', {dense: " + bad + "})",
                                "d.js",
                                new RecordingSink()));
                assertEquals("WinnowError", f.errorType(), bad);
                assertTrue(
                        f.getMessage().contains("dense") || f.getMessage().contains("hashed-bow:DIM"),
                        bad + ": " + f.getMessage());
            }
            // the model-free embedder by dimension or by spec, as the command line's --dense hashed-bow:DIM
            RecordingSink out = new RecordingSink();
            s.run(
                    Language.JS,
                    "console.log(winnow.buildIndex(c, 'h1', {dense: 64}).embedder() === winnow.buildIndex(c, 'h2', {dense: 'hashed-bow:64'}).embedder(),"
                            + " winnow.openIndex('h1').search(winnow.collection('scifact-subset').queries('test')[0].text, 3, 'dense').size())",
                    "h.js",
                    out);
            assertEquals("true 3\n", out.out.toString());
        }
    }
}
