package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.scripting.DisplayData;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.OutputSink;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.scripting.ScriptSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one re-ranking path ({@link Reranking}): on a real SciFact subset (8 test queries, 40 documents, a Lucene index
 * on disk), BM25's top 5 re-ranked by BlockRank on the real stories260K through llama.cpp gives the same run, score
 * for score, from {@code winnow eval --ranker}, from Java, and from a JavaScript script's {@code ranker.rerank}; the
 * tail below the head is the first stage's, in its order, with scores strictly below the head's lowest, so R@100 is the
 * first stage's.
 */
class OneRerankingPathTest {

    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
    private static final int K = 5;

    @Test
    void evalJavaAndScriptsGiveTheSameRerankedRunWithTheFirstStageTail(@TempDir Path dir) throws Exception {
        Path model = SHARED.resolve("models/stories260K.gguf");
        Path collection = SciFactSubset.write(SHARED.resolve("data/scifact"), dir.resolve("scifact-mini"), 8, 40);
        Path index = dir.resolve("idx");
        CliRun idx = CliRun.of("index", "--collection", collection.toString(), "--index", index.toString());
        assertEquals(0, idx.code(), idx.err());

        // 1. the CLI
        Path runs = dir.resolve("runs/sf");
        CliRun eval = CliRun.of(
                "eval",
                "--collection",
                collection.toString(),
                "--index",
                index.toString(),
                "--ranker",
                "blockrank",
                "--model",
                model.toString(),
                "--rerank-depth",
                Integer.toString(K),
                "--threads",
                "1",
                "--run",
                runs.toString());
        assertEquals(0, eval.code(), eval.err());
        Run bm25 = TrecFiles.readRun(runs);
        Path rerankedFile = runs.resolveSibling("sf.bm25+blockrank");
        Run fromCli = TrecFiles.readRun(rerankedFile);

        // 2. Java
        TestCollection c = TestCollection.open(collection, false);
        List<Query> queries = c.queries("test");
        Run fromJava;
        try (DocumentIndex di = DocumentIndex.open(index);
                Model lm = Llama.load().loadModel(model);
                InContextRanker r = InContextRanker.byName(
                        "blockrank", lm, InContextOptions.defaults().withThreads(1))) {
            Run first = di.run(queries, 1000, SearchMode.BM25, "bm25");
            assertEquals(rankings(bm25), rankings(first), "the CLI's first stage is Java's");
            fromJava = Reranking.rerank(first, queries, K, di::get, Reranking.scorer(r, null), "bm25+blockrank", null);
        }

        // 3. a script
        String js = """
        const [dir, indexDir, modelPath] = winnow.args();
        const c = winnow.collection(dir);
        const index = winnow.openIndex(indexDir);
        const model = winnow.loadModel(modelPath, {threads: 1});
        const ranker = winnow.ranker(model, 'blockrank', {threads: 1});
        const run = ranker.rerank(index, c.queries('test'), %d, 'bm25', 'bm25+blockrank', 1000);
        const out = {};
        for (const q of run.queryIds()) {
          out[q] = {ids: Array.from(run.ranking(q)), scores: Array.from(run.scores(q))};
        }
        const m = winnow.evaluate(run, c.qrels('test'));
        display(JSON.stringify({run: out, ndcg10: m.get('nDCG@10'), recall100: m.get('R@100')}), 'application/json');
        """.formatted(K);
        List<DisplayData> shown = new ArrayList<>();
        OutputSink sink = new OutputSink() {
            @Override
            public void stdout(String text) {}

            @Override
            public void stderr(String text) {}

            @Override
            public void display(DisplayData data) {
                shown.add(data);
            }
        };
        try (ScriptHost host = ScriptHost.create(Sandbox.of(dir, model.getParent()));
                ScriptSession s =
                        host.openSession(List.of(collection.toString(), index.toString(), model.toString()))) {
            s.run(Language.JS, js, "rerank.js", sink);
        }
        JsonNode fromScript = new ObjectMapper()
                .readTree(shown.stream()
                        .filter(d -> d.mimeBundle().containsKey("application/json"))
                        .reduce((a, b) -> b)
                        .orElseThrow()
                        .mimeBundle()
                        .get("application/json"));

        // the same run, document for document and score for score
        assertEquals(rankings(fromJava), rankings(fromCli));
        assertEquals(
                List.copyOf(fromJava.queryIds()), iterable(fromScript.get("run").fieldNames()));
        for (String q : fromJava.queryIds()) {
            List<ScoredDoc> l = fromJava.ranking(q);
            JsonNode sq = fromScript.get("run").get(q);
            assertEquals(l.size(), sq.get("ids").size(), q);
            for (int i = 0; i < l.size(); i++) {
                assertEquals(l.get(i).docId(), sq.get("ids").get(i).asText(), q + " rank " + (i + 1));
                assertEquals(l.get(i).score(), sq.get("scores").get(i).asDouble(), 0.0, q + " rank " + (i + 1));
            }
        }

        // head: the first stage's top K in the ranker's order; tail: the rest, first-stage order, strictly below
        int reordered = 0;
        for (String q : fromJava.queryIds()) {
            List<ScoredDoc> first = bm25.ranking(q);
            List<ScoredDoc> re = fromJava.ranking(q);
            assertEquals(first.size(), re.size(), q + ": the re-ranked run keeps every first-stage document");
            int k = Math.min(K, first.size());
            assertEquals(
                    ids(first.subList(0, k)).stream().collect(Collectors.toSet()),
                    Set.copyOf(ids(re.subList(0, k))),
                    q + ": the head is the first stage's top K");
            assertEquals(
                    ids(first.subList(k, first.size())),
                    ids(re.subList(k, re.size())),
                    q + ": the tail keeps its order");
            double headMin = re.subList(0, k).stream()
                    .mapToDouble(ScoredDoc::score)
                    .min()
                    .orElseThrow();
            for (ScoredDoc d : re.subList(k, re.size())) {
                assertTrue(
                        d.score() < headMin,
                        q + ": tail score " + d.score() + " of " + d.docId() + " not below " + headMin);
            }
            if (!ids(first.subList(0, k)).equals(ids(re.subList(0, k)))) {
                reordered++;
            }
        }
        assertTrue(reordered > 0, "BlockRank re-ordered no head: the test would not see a re-ranking");

        // the same figures: eval's printed row, Java's evaluation, the script's evaluate; R@100 is the first stage's
        Evaluation e = new Evaluation(c.qrels("test"));
        String row = String.format(
                Locale.ROOT,
                "%-24s %8.4f %8.4f %8.4f",
                "bm25+blockrank",
                e.mean(fromJava, Metric.NDCG_10),
                e.mean(fromJava, Metric.RECALL_100),
                e.mean(fromJava, Metric.RR_10));
        assertTrue(eval.out().contains(row), eval.out() + "\nexpected row: " + row);
        assertEquals(e.mean(fromJava, Metric.NDCG_10), fromScript.get("ndcg10").asDouble(), 1e-12);
        assertEquals(e.mean(bm25, Metric.RECALL_100), e.mean(fromJava, Metric.RECALL_100), 0.0);
        assertEquals(
                e.mean(bm25, Metric.RECALL_100), fromScript.get("recall100").asDouble(), 1e-12);

        // provenance: first stage, ranker, K, model and its SHA-256
        Provenance p = TrecFiles.readProvenance(rerankedFile);
        assertEquals("bm25", p.parameters().get("firstStage"));
        assertEquals("blockrank", p.parameters().get("ranker"));
        assertEquals(K, p.parameters().get("rerankDepth"));
        assertEquals(model.toAbsolutePath().normalize().toString(), p.model());
        assertEquals(64, p.modelSha256().length());
    }

    private static List<String> ids(List<ScoredDoc> l) {
        return l.stream().map(ScoredDoc::docId).toList();
    }

    private static List<List<String>> rankings(Run r) {
        List<List<String>> out = new ArrayList<>();
        for (String q : r.queryIds()) {
            List<String> l = new ArrayList<>();
            l.add(q);
            r.ranking(q).forEach(d -> l.add(d.docId() + "=" + d.score()));
            out.add(l);
        }
        return out;
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
