package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every ranker name and every search mode of the command line reaches scripts: {@code winnow.ranker(m, NAME, opts)}
 * for the six names of {@link InContextRanker#NAMES} ranks a real query's BM25 hits exactly as the Java API's {@link
 * InContextRanker#byName} does (same ids, same scores), on stories260K for the decoder rankers and all-MiniLM-L6-v2
 * for the embedding and encoder rankers; unknown names fail naming the valid ones.
 */
class ScriptRankersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int K = 4;
    private static final int DOC_TOKENS = 32;

    @TempDir
    static Path workspace;

    static Path stories;
    static Path minilm;
    static String queryText;
    static List<Hit> hits;
    static ScriptHost host;
    static ScriptSession session;

    @BeforeAll
    static void open() throws Exception {
        stories = Path.of(System.getProperty("winnow.shared.dir", "../../shared"), "models", "stories260K.gguf")
                .toRealPath();
        minilm = EmbeddingModels.fromEnvironment().ensure("minilm").toRealPath();
        Path subset = SciFactSubset.write(workspace.resolve("subset"), 1, 60);
        queryText = TestCollection.open(subset, false).queries("test").get(0).text();
        host = ScriptHost.create(Sandbox.of(workspace, stories.getParent(), minilm.getParent()));
        session = host.openSession();
        run(
                Language.JS,
                "var c = winnow.collection('subset'); var idx = winnow.buildIndex(c, 'idx');"
                        + " var q = c.queries('test')[0]; var res = idx.search(q.text, " + K + ");"
                        + " var stories = winnow.loadModel(" + quote(stories.toString()) + ", {threads: 1});"
                        + " var minilm = winnow.loadModel(" + quote(minilm.toString()) + ", {threads: 1});");
        try (DocumentIndex index = DocumentIndex.open(
                workspace.resolve("idx"), IndexConfig.builder().build())) {
            hits = index.search(queryText, K, SearchMode.BM25);
        }
        assertEquals(K, hits.size());
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

    static String run(Language lang, String code) throws ScriptFailure {
        return session.run(lang, code, "cell", new RecordingSink())
                .value()
                .map(DisplayData::plainText)
                .orElse("");
    }

    /** The script's ranking of the query's hits against the Java API's, ranker by ranker. */
    private static void assertSameAsJava(String name, Path modelFile, String modelVar) throws Exception {
        String js = run(
                Language.JS,
                "(() => { const r = winnow.ranker(" + modelVar + ", '" + name + "', {threads: 1, documentTokens: "
                        + DOC_TOKENS + "}); const rk = r.rank(q.text, res); r.close();"
                        + " return JSON.stringify([r.name(), Array.from(rk.documents).map(d => [d.id, d.score])]); })()");
        JsonNode got = JSON.readTree(js);
        assertEquals(name, got.get(0).asText());
        InContextOptions o = InContextOptions.defaults()
                .withThreads(1)
                .withBudgets(DOC_TOKENS, InContextOptions.defaults().queryTokenBudget());
        try (Model model = Llama.load().loadModel(modelFile);
                InContextRanker r = InContextRanker.byName(name, model, o)) {
            Ranking java = r.rank(queryText, Reranking.candidates(hits));
            assertEquals(K, java.documents().size(), name);
            assertEquals(K, got.get(1).size(), name + ": " + js);
            for (int i = 0; i < K; i++) {
                RankedDocument d = java.documents().get(i);
                assertEquals(d.docId(), got.get(1).get(i).get(0).asText(), name + " rank " + (i + 1) + ": " + js);
                assertEquals(d.score(), got.get(1).get(i).get(1).asDouble(), 1e-9, name + " score at rank " + (i + 1));
            }
        }
    }

    @Test
    void blockrank() throws Exception {
        assertSameAsJava("blockrank", stories, "stories");
    }

    @Test
    void icr() throws Exception {
        assertSameAsJava("icr", stories, "stories");
    }

    @Test
    void listwise() throws Exception {
        assertSameAsJava("listwise", stories, "stories");
    }

    @Test
    void pointwise() throws Exception {
        assertSameAsJava("pointwise", stories, "stories");
    }

    @Test
    void embedding() throws Exception {
        assertSameAsJava("embedding", minilm, "minilm");
    }

    @Test
    void encoder() throws Exception {
        assertSameAsJava("encoder", minilm, "minilm");
    }

    @Test
    void unknownNamesAndModesFailNamingTheValidOnes() throws Exception {
        ScriptFailure bad = assertThrows(
                ScriptFailure.class,
                () -> run(
                        Language.PYTHON,
                        "winnow.ranker(winnow.loadModel(" + quote(stories.toString()) + "), 'colbert', None)"));
        assertEquals("WinnowError", bad.errorType());
        assertTrue(
                bad.getMessage()
                        .contains(
                                "unknown ranker \"colbert\": expected blockrank, icr, listwise, pointwise, embedding, encoder"),
                bad.getMessage());
        ScriptFailure mode = assertThrows(ScriptFailure.class, () -> run(Language.JS, "idx.search('x', 3, 'splade')"));
        assertTrue(
                mode.getMessage().contains("unknown search mode 'splade' (bm25, dense, dense-exact, hybrid)"),
                mode.getMessage());
        ScriptFailure none =
                assertThrows(ScriptFailure.class, () -> run(Language.JS, "idx.run(c.queries('test'), 4, null, 'x')"));
        assertTrue(
                none.getMessage().contains("search mode missing: expected bm25, dense, dense-exact or hybrid"),
                none.getMessage());
        // every command-line mode is accepted (hashed bag-of-words vectors: no model)
        assertEquals(
                "bm25 4,dense 4,dense-exact 4,hybrid 4,dense-exact 3",
                run(
                        Language.JS,
                        "var d = winnow.buildIndex(c, 'dense-idx', {dense: 64});"
                                + " ['bm25', 'dense', 'dense-exact', 'hybrid'].map(m => { const r = d.search(q.text, 4, m); return r.mode + ' ' + r.size(); })"
                                + ".concat([d.run(c.queries('test'), 3, 'dense-exact', 'de').ranking(q.id).length])"
                                + ".join(',').replace(/,3$/, ',dense-exact 3')"));
    }
}
