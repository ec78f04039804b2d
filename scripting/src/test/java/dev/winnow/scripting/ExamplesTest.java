package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples/ workflow scripts, in JavaScript and Python, produce the same ranking and metrics as the same steps
 * through the Java API (SciFact test split, BM25).
 */
class ExamplesTest {
    @TempDir
    static Path workspace;

    static Path scifact;
    static Path examples;
    static List<String> javaTop10;
    static List<String> javaReranked;
    static double[] javaRerankedScores;
    static Path modelPath;
    static String firstQuery;
    static double ndcg10;
    static double recall100;
    static double rr10;
    static int queries;

    @BeforeAll
    static void javaReference() throws Exception {
        scifact = Path.of(System.getProperty("winnow.shared.dir", "../../shared"), "data", "scifact")
                .toRealPath();
        examples = Path.of("..", "examples").toRealPath();
        modelPath = scifact.resolveSibling("..")
                .resolve("models")
                .resolve("stories260K.gguf")
                .normalize();
        TestCollection c = TestCollection.open(scifact, false);
        Path dir = workspace.resolve("java-index");
        try (DocumentIndex index = DocumentIndex.create(dir, IndexConfig.DEFAULT)) {
            index.addAll(c.documents(), 500);
            index.commit();
        }
        try (DocumentIndex index = DocumentIndex.open(dir)) {
            List<Query> qs = c.queries("test");
            queries = qs.size();
            firstQuery = qs.get(0).id();
            javaTop10 = new ArrayList<>();
            List<Candidate> candidates = new ArrayList<>();
            for (Hit h : index.search(qs.get(0).text(), 10, SearchMode.BM25)) {
                javaTop10.add(h.id());
                candidates.add(new Candidate(h.id(), h.title(), h.text(), h.score()));
            }
            try (Model model = Llama.load().loadModel(modelPath);
                    InContextRanker ranker = InContextRanker.blockRank(
                            model, InContextOptions.defaults().withThreads(1))) {
                Ranking r = ranker.rank(qs.get(0).text(), candidates);
                javaReranked = r.docIds();
                javaRerankedScores = r.documents().stream()
                        .mapToDouble(RankedDocument::score)
                        .toArray();
            }
            Run run = index.run(qs, 100, SearchMode.BM25, "bm25");
            Evaluation ev = new Evaluation(c.qrels("test"));
            ndcg10 = ev.mean(run, Metric.NDCG_10);
            recall100 = ev.mean(run, Metric.RECALL_100);
            rr10 = ev.mean(run, Metric.RR_10);
        }
    }

    private static JsonNode runExample(String file, Language lang) throws Exception {
        String code = Files.readString(examples.resolve(file));
        RecordingSink sink = new RecordingSink();
        try (ScriptHost host = ScriptHost.create(Sandbox.of(workspace, scifact, modelPath.getParent()));
                ScriptSession s = host.openSession(
                        List.of(scifact.toString(), "index-" + lang.id(), modelPath.toString(), "2"))) {
            s.run(lang, code, file, sink);
        } catch (ScriptFailure f) {
            throw new AssertionError(f.traceback() + "\nafter output:\n" + sink.out, f);
        }
        assertTrue(sink.out.toString().contains("indexed 5183 documents"), sink.out.toString());
        // progress bundles of the long calls (indexing, the run, re-ranking), each ending with done == total
        List<DisplayData> progress = sink.displays.stream()
                .filter(d -> d.mimeBundle().containsKey(ScriptSession.PROGRESS_MIME))
                .toList();
        assertTrue(
                progress.stream().anyMatch(d -> d.plainText().equals("indexing scifact 5183/5183")),
                progress.toString());
        assertTrue(progress.stream().anyMatch(d -> d.plainText().equals("searching 300/300")), progress.toString());
        assertTrue(
                progress.stream()
                        .anyMatch(d -> d.plainText().equals("loading " + modelPath.getFileName() + " 100/100")),
                progress.toString());
        sink.displays.removeAll(progress);
        assertEquals(5, sink.displays.size());
        assertTrue(sink.displays.get(0).mimeBundle().get("text/html").startsWith("<table"));
        assertTrue(sink.displays.get(1).plainText().contains("nDCG@10"));
        assertTrue(sink.displays.get(2).plainText().startsWith("blockrank ranking for: "));
        assertTrue(
                sink.displays.get(3).plainText().contains("bm25+blockrank"),
                sink.displays.get(3).plainText());
        return new ObjectMapper().readTree(sink.displays.get(4).mimeBundle().get("application/json"));
    }

    private static void assertSameAsJava(JsonNode summary) {
        assertEquals(queries, summary.get("queries").asInt());
        assertEquals(firstQuery, summary.get("firstQuery").asText());
        List<String> top = new ArrayList<>();
        summary.get("top10").forEach(n -> top.add(n.asText()));
        assertEquals(javaTop10, top);
        assertEquals(ndcg10, summary.get("ndcg10").asDouble(), 1e-12);
        assertEquals(recall100, summary.get("recall100").asDouble(), 1e-12);
        assertEquals(rr10, summary.get("rr10").asDouble(), 1e-12);
        List<String> reranked = new ArrayList<>();
        summary.get("reranked10").forEach(n -> reranked.add(n.asText()));
        assertEquals(javaReranked, reranked);
        for (int i = 0; i < javaRerankedScores.length; i++) {
            assertEquals(
                    javaRerankedScores[i], summary.get("rerankedScores").get(i).asDouble(), 1e-9);
        }
        double ndcg = summary.get("rerankedNdcg10").asDouble();
        assertTrue(ndcg >= 0 && ndcg <= 1, "nDCG@10 " + ndcg);
    }

    @Test
    void javaScriptWorkflowMatchesTheJavaApi() throws Exception {
        assertSameAsJava(runExample("scifact-workflow.js", Language.JS));
        // the reference figure of BM25 on SciFact (Anserini, k1 0.9 b 0.4)
        assertEquals(0.6789, ndcg10, 5e-4);
    }

    @Test
    void pythonWorkflowMatchesTheJavaApi() throws Exception {
        assertSameAsJava(runExample("scifact-workflow.py", Language.PYTHON));
    }
}
