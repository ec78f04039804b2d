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
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code winnow eval --ranker} end to end on a real SciFact subset (8 test queries, 40 documents): BM25 top 10
 * re-ranked by the encoder in-context ranker with the real all-MiniLM-L6-v2, BM25's tail kept below; the printed rows
 * equal {@link Evaluation} over the run files eval wrote, and the re-ranked run's provenance names ranker and model.
 */
class EvalRankerCommandTest {

    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static String row(String name, Evaluation e, Run r) {
        return String.format(
                Locale.ROOT,
                "%-24s %8.4f %8.4f %8.4f",
                name,
                e.mean(r, Metric.NDCG_10),
                e.mean(r, Metric.RECALL_100),
                e.mean(r, Metric.RR_10));
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void evalWithARankerPrintsTheFiguresOfTheRunItWroteWithItsProvenance(@TempDir Path dir) throws Exception {
        Path minilm = EmbeddingModels.fromEnvironment().ensure("minilm");
        Path collection = SciFactSubset.write(SHARED.resolve("data/scifact"), dir.resolve("scifact-mini"), 8, 40);
        Path index = dir.resolve("idx");
        CliRun idx = run("index", "--collection", collection.toString(), "--index", index.toString());
        assertEquals(0, idx.code(), idx.err());

        Path runs = dir.resolve("runs/sf");
        CliRun eval = run(
                "eval",
                "--collection",
                collection.toString(),
                "--index",
                index.toString(),
                "--ranker",
                "encoder",
                "--model",
                minilm.toString(),
                "--rerank-depth",
                "10",
                "--threads",
                "1",
                "--run",
                runs.toString());
        assertEquals(0, eval.code(), eval.err());

        TestCollection c = TestCollection.open(collection, false);
        Evaluation e = new Evaluation(c.qrels("test"));
        Run bm25 = TrecFiles.readRun(runs);
        Path rerankedFile = runs.resolveSibling("sf.bm25+encoder");
        Run reranked = TrecFiles.readRun(rerankedFile);
        assertEquals(8, reranked.queryIds().size());
        for (String q : reranked.queryIds()) {
            // the head: the BM25 top 10 (fewer where fewer of the 40 documents match), in another order; then BM25's
            // tail
            List<String> top =
                    bm25.ranking(q).stream().limit(10).map(d -> d.docId()).toList();
            assertEquals(
                    Set.copyOf(top),
                    reranked.ranking(q).stream().limit(10).map(d -> d.docId()).collect(Collectors.toSet()),
                    "query " + q);
            assertEquals(
                    bm25.ranking(q).stream().skip(10).map(d -> d.docId()).toList(),
                    reranked.ranking(q).stream().skip(10).map(d -> d.docId()).toList(),
                    "query " + q + ": the tail");
        }
        String bm25Row = row("bm25", e, bm25);
        String encoderRow = row("bm25+encoder", e, reranked);
        assertTrue(eval.out().contains(bm25Row), eval.out() + "\nexpected row: " + bm25Row);
        assertTrue(eval.out().contains(encoderRow), eval.out() + "\nexpected row: " + encoderRow);
        // the re-ranked run keeps BM25's tail below its head, so its R@100 is BM25's
        assertEquals(e.mean(bm25, Metric.RECALL_100), e.mean(reranked, Metric.RECALL_100), 0.0);

        Provenance p = TrecFiles.readProvenance(rerankedFile);
        assertEquals("encoder", p.parameters().get("ranker"));
        assertEquals(10, p.parameters().get("rerankDepth"));
        assertEquals("test", p.split());
        assertEquals(minilm.toAbsolutePath().normalize().toString(), p.model());
        assertEquals(sha256(minilm), p.modelSha256());
    }

    @Test
    void helpListsEveryRanker() {
        for (String command : new String[] {"rank", "eval"}) {
            CliRun help = run(command, "--help");
            assertEquals(0, help.code(), help.err());
            for (String ranker : new String[] {"blockrank", "icr", "listwise", "pointwise", "embedding", "encoder"}) {
                assertTrue(help.out().contains(ranker), command + " --help lacks " + ranker + ":\n" + help.out());
            }
        }
    }

    @Test
    void anUnknownRankerIsRefusedBeforeAnythingLoads(@org.junit.jupiter.api.io.TempDir Path dir) {
        // neither the index nor the model exists: the ranker name is checked first, in seconds rather than after
        // minutes
        String missingIndex = dir.resolve("no-index").toString();
        String missingModel = dir.resolve("no-model.gguf").toString();
        CliRun eval = run(
                "eval",
                "--collection",
                dir.toString(),
                "--index",
                missingIndex,
                "--ranker",
                "blockrnak",
                "--model",
                missingModel);
        CliRun rank =
                run("rank", "--index", missingIndex, "--ranker", "blockrnak", "--model", missingModel, "--query", "q");
        for (CliRun r : new CliRun[] {eval, rank}) {
            assertEquals(1, r.code(), r.err());
            assertTrue(
                    r.err()
                            .contains("unknown ranker \"blockrnak\": expected blockrank, icr, listwise, pointwise,"
                                    + " embedding, encoder"),
                    r.err());
        }
    }
}
