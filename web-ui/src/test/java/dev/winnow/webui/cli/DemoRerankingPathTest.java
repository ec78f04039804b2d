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
import dev.winnow.ranking.eval.ScoredDoc;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo re-ranks through the same path as {@code winnow eval --ranker}: on a real SciFact subset, the demo's
 * {@code hybrid>blockrank@5} run (BlockRank on stories260K over the hybrid top 5, the hybrid's top 100 below) equals,
 * document for document and score for score, the run {@code eval --mode hybrid --depth 100 --ranker blockrank
 * --rerank-depth 5} writes for the same queries on the demo's own index; so do their figures.
 */
class DemoRerankingPathTest {

    @Test
    void demoAndEvalGiveTheSameBlockRankRun(@TempDir Path tmp) throws Exception {
        Path shared = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
        Path minilm = EmbeddingModels.fromEnvironment().ensure("minilm");
        Path stories = shared.resolve("models/stories260K.gguf");
        Path collection = SciFactSubset.write(shared.resolve("data/scifact"), tmp.resolve("scifact-mini"), 6, 24);
        Path runs = tmp.resolve("runs");
        CliRun demo = CliRun.of(
                "demo",
                "--indexes",
                tmp.resolve("indexes").toString(),
                "--collection",
                collection.toString(),
                "--embedding-model",
                minilm.toString(),
                "--model",
                stories.toString(),
                "--max-tokens",
                "48",
                "--queries",
                "2",
                "--depth",
                "5",
                "--threads",
                "1",
                "--out",
                runs.toString());
        assertEquals(0, demo.code(), demo.out() + demo.err());
        Path demoFile = runs.resolve("hybrid-blockrank@5.run");
        Run fromDemo = TrecFiles.readRun(demoFile);
        assertEquals(2, fromDemo.queryIds().size());
        Provenance p = TrecFiles.readProvenance(demoFile);
        assertEquals("hybrid", p.parameters().get("firstStage"));
        assertEquals("5", String.valueOf(p.parameters().get("rerankDepth")));

        Path out = tmp.resolve("eval/ev");
        CliRun eval = CliRun.of(
                "eval",
                "--collection",
                collection.toString(),
                "--index",
                p.index(),
                "--mode",
                "hybrid",
                "--depth",
                "100",
                "--ranker",
                "blockrank",
                "--model",
                stories.toString(),
                "--rerank-depth",
                "5",
                "--threads",
                "1",
                "--run",
                out.toString());
        assertEquals(0, eval.code(), eval.out() + eval.err());
        Run fromEval =
                TrecFiles.readRun(out.resolveSibling("ev.hybrid+blockrank")).restrictTo(fromDemo.queryIds());

        assertEquals(List.copyOf(fromDemo.queryIds()), List.copyOf(fromEval.queryIds()));
        for (String q : fromDemo.queryIds()) {
            List<ScoredDoc> a = fromDemo.ranking(q);
            List<ScoredDoc> b = fromEval.ranking(q);
            assertEquals(a.size(), b.size(), q);
            assertTrue(a.size() > 5, q + ": the tail is kept");
            for (int i = 0; i < a.size(); i++) {
                assertEquals(b.get(i).docId(), a.get(i).docId(), q + " rank " + (i + 1));
                assertEquals(b.get(i).score(), a.get(i).score(), 0.0, q + " rank " + (i + 1));
            }
        }
        TestCollection c = TestCollection.open(collection, false);
        Evaluation e = new Evaluation(c.qrels("test").restrictTo(Set.copyOf(fromDemo.queryIds())));
        for (Metric m : List.of(Metric.NDCG_10, Metric.RECALL_100, Metric.RR_10)) {
            assertEquals(e.mean(fromEval, m), e.mean(fromDemo, m), 0.0, m.label());
        }
    }
}
