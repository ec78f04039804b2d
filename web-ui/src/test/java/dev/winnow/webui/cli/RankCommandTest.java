package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** winnow rank in-process: Cranfield BM25 candidates re-ranked by stories260K (mechanics, not quality). */
class RankCommandTest {

    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
    private static final Path CRANFIELD = SHARED.resolve("data/cranfield");
    private static final Path MODEL = SHARED.resolve("models/stories260K.gguf");

    private static String[] run(String... args) {
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        assertEquals(0, code, err.toString());
        return out.toString().lines().toArray(String[]::new);
    }

    @Test
    void rankReordersTheBm25CandidatesAsTheJavaApiDoes(@TempDir Path dir) throws Exception {
        Path index = dir.resolve("cran");
        run("index", "--collection", CRANFIELD.toString(), "--index", index.toString());
        String query = "boundary layer transition";
        String[] lines = run(
                "rank",
                "--index",
                index.toString(),
                "--query",
                query,
                "--ranker",
                "blockrank",
                "--model",
                MODEL.toString(),
                "--depth",
                "8",
                "-k",
                "5",
                "--threads",
                "1",
                "--doc-tokens",
                "64");
        assertEquals(7, lines.length, String.join("\n", lines));
        List<Hit> hits;
        String apiTop;
        try (DocumentIndex idx = DocumentIndex.open(index);
                Model m = Llama.load().loadModel(MODEL);
                InContextRanker r = InContextRanker.blockRank(
                        m, InContextOptions.defaults().withThreads(1).withBudgets(64, 64))) {
            hits = idx.search(query, 8, SearchMode.BM25);
            Ranking ranking = r.rank(query, Reranking.candidates(hits));
            apiTop = ranking.documents().getFirst().docId();
        }
        Set<String> bm25 = new HashSet<>();
        hits.forEach(h -> bm25.add(h.id()));
        double previous = Double.MAX_VALUE;
        for (int i = 1; i <= 5; i++) {
            String[] f = lines[i].trim().split("\\s+");
            assertEquals(Integer.toString(i), f[0]);
            assertTrue(bm25.contains(f[1]), f[1] + " is not a BM25 candidate");
            double score = Double.parseDouble(f[2]);
            assertTrue(score <= previous && score > 0 && score < 1, lines[i]);
            previous = score;
        }
        assertEquals(apiTop, lines[1].trim().split("\\s+")[1]);
        assertTrue(lines[6].startsWith("8 candidates"), lines[6]);

        // a topics file: one re-ranked list per topic, written as a run with its provenance
        Path topics = dir.resolve("topics.txt");
        Files.writeString(
                topics,
                "<top>\n<num> Number: 1\n<title> boundary layer transition\n</top>\n"
                        + "<top>\n<num> Number: 2\n<title> heat transfer in hypersonic flow\n</top>\n");
        Path out = dir.resolve("run.trec");
        run(
                "rank",
                "--index",
                index.toString(),
                "--topics",
                topics.toString(),
                "--ranker",
                "embedding",
                "--model",
                MODEL.toString(),
                "--depth",
                "6",
                "--threads",
                "1",
                "--run",
                out.toString());
        Run written = TrecFiles.readRun(out);
        assertEquals(Set.of("1", "2"), written.queryIds());
        assertEquals(6, written.ranking("1").size());
        assertEquals("embedding", TrecFiles.readProvenance(out).parameters().get("ranker"));

        // --hits 20: the same re-ranked head, then BM25's ranks 7..20 in order, strictly below the head
        Path withTail = dir.resolve("tail.trec");
        run(
                "rank",
                "--index",
                index.toString(),
                "--topics",
                topics.toString(),
                "--ranker",
                "embedding",
                "--model",
                MODEL.toString(),
                "--depth",
                "6",
                "--hits",
                "20",
                "--threads",
                "1",
                "--run",
                withTail.toString());
        Run tailed = TrecFiles.readRun(withTail);
        Run firstStage;
        try (DocumentIndex di = DocumentIndex.open(index)) {
            firstStage = di.run(
                    TrecFiles.readTopics(topics, new dev.winnow.ranking.collection.ReadReport(false)),
                    20,
                    SearchMode.BM25,
                    "bm25");
        }
        for (String q : List.of("1", "2")) {
            List<dev.winnow.ranking.eval.ScoredDoc> t = tailed.ranking(q);
            assertEquals(20, t.size(), q);
            assertEquals(written.ranking(q), t.subList(0, 6), q + ": the head is the run without a tail");
            assertEquals(
                    firstStage.ranking(q).subList(6, 20).stream()
                            .map(d -> d.docId())
                            .toList(),
                    t.subList(6, 20).stream().map(d -> d.docId()).toList(),
                    q + ": the tail is BM25's, in order");
            double min =
                    t.subList(0, 6).stream().mapToDouble(d -> d.score()).min().orElseThrow();
            assertTrue(t.subList(6, 20).stream().allMatch(d -> d.score() < min), q);
        }
        assertEquals(6, TrecFiles.readProvenance(withTail).parameters().get("rerankDepth"));
        assertEquals("bm25", TrecFiles.readProvenance(withTail).parameters().get("firstStage"));
    }

    @Test
    void layoutOptionSelectsBlockRanksLayoutAsTheJavaApiDoes(@TempDir Path dir) throws Exception {
        Path index = dir.resolve("cran");
        run("index", "--collection", CRANFIELD.toString(), "--index", index.toString());
        String query = "boundary layer transition";
        String[] reference = run(
                "rank",
                "--index",
                index.toString(),
                "--query",
                query,
                "--ranker",
                "blockrank",
                "--model",
                MODEL.toString(),
                "--depth",
                "6",
                "-k",
                "6",
                "--threads",
                "1",
                "--doc-tokens",
                "192",
                "--layout",
                "reference");
        String[] compact = run(
                "rank",
                "--index",
                index.toString(),
                "--query",
                query,
                "--ranker",
                "blockrank",
                "--model",
                MODEL.toString(),
                "--depth",
                "6",
                "-k",
                "6",
                "--threads",
                "1",
                "--doc-tokens",
                "192",
                "--layout",
                "compact");
        Ranking api;
        try (DocumentIndex idx = DocumentIndex.open(index);
                Model m = Llama.load().loadModel(MODEL);
                InContextRanker r = InContextRanker.blockRank(
                        m,
                        InContextOptions.defaults()
                                .withThreads(1)
                                .withBudgets(192, 64)
                                .withLayout(dev.winnow.ranking.incontext.prompt.BlockRankLayout.REFERENCE))) {
            api = r.rank(query, Reranking.candidates(idx.search(query, 6, SearchMode.BM25)));
        }
        for (int i = 1; i <= 6; i++) {
            String[] f = reference[i].trim().split("\\s+");
            assertEquals(api.documents().get(i - 1).docId(), f[1], reference[i]);
            assertEquals(api.documents().get(i - 1).score(), Double.parseDouble(f[2]), 1e-4, reference[i]);
        }
        assertTrue(!java.util.Arrays.equals(reference, compact), "the two layouts print the same ranking");

        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        int code = cli.execute(
                "rank",
                "--index",
                index.toString(),
                "--query",
                query,
                "--ranker",
                "blockrank",
                "--model",
                MODEL.toString(),
                "--layout",
                "full");
        assertTrue(code != 0 && err.toString().contains("--layout: unknown BlockRank layout 'full'"), err.toString());
    }
}
