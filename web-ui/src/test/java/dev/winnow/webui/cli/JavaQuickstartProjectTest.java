package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/java-quickstart, a stand-alone Maven project that depends on Winnow by its coordinates, builds and runs
 * against the artifacts of this checkout ({@code scripts/java-quickstart.sh}: Winnow's modules installed into a local
 * repository of the test's own, never ~/.m2) on a 150-document SciFact subset with stories260K, and prints the same
 * nDCG@10 as the same steps through the API here, and a BlockRank order of the same ten documents.
 *
 * <p>Several Maven runs (1.5-3 min): opt in with {@code -Dwinnow.javaQuickstart=true}, e.g. {@code mvn -B -q -o -pl
 * web-ui -am verify -Dtest=JavaQuickstartProjectTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dwinnow.javaQuickstart=true}.
 */
class JavaQuickstartProjectTest {
    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));

    @Test
    void theExampleProjectBuildsAndRunsAgainstTheCheckoutsArtifacts(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("winnow.javaQuickstart"), "opt in with -Dwinnow.javaQuickstart=true");
        Path collection = SciFactSubset.write(SHARED.resolve("data/scifact"), dir.resolve("scifact-150"), 10, 150);
        Path work = dir.resolve("work");
        Path log = dir.resolve("log.txt");
        ProcessBuilder pb = new ProcessBuilder(
                        "bash", Path.of("..", "scripts", "java-quickstart.sh").toString(), work.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("WINNOW_QUICKSTART_COLLECTION", collection.toString());
        pb.environment().put("WINNOW_SHARED", SHARED.toAbsolutePath().toString());
        long t0 = System.nanoTime();
        Process p = pb.start();
        assertTrue(p.waitFor(15, TimeUnit.MINUTES), "scripts/java-quickstart.sh did not end within 15 minutes");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        System.out.printf("java-quickstart: %.0f s%n", (System.nanoTime() - t0) / 1e9);
        assertEquals(0, p.exitValue(), out);
        assertTrue(
                Files.isDirectory(work.resolve("m2/dev/winnow/winnow-ranking")),
                "installed into the test's own repository");

        // the same steps through the API in this JVM
        TestCollection c = TestCollection.open(collection, false);
        String expectedNdcg;
        List<String> top10;
        try (DocumentIndex index = DocumentIndex.create(dir.resolve("index"), IndexConfig.DEFAULT)) {
            index.addAll(c.documents(), 1000);
            Run bm25 = index.run(c.queries(c.defaultSplit()), 100, SearchMode.BM25, "bm25");
            expectedNdcg = String.format(
                    Locale.ROOT,
                    "bm25 nDCG@10 %.4f over %d queries",
                    new Evaluation(c.qrels(c.defaultSplit())).mean(bm25, Metric.NDCG_10),
                    bm25.queryIds().size());
            top10 = index.search(c.queries(c.defaultSplit()).get(0).text(), 10, SearchMode.BM25).stream()
                    .map(Hit::id)
                    .toList();
        }
        assertTrue(out.contains(expectedNdcg), "expected '" + expectedNdcg + "' in:\n" + out);
        assertTrue(out.contains("bm25 top 10: " + top10), out);
        Matcher m = Pattern.compile("blockrank: +\\[([^\\]]*)]").matcher(out);
        assertTrue(m.find(), out);
        List<String> reranked = Arrays.stream(m.group(1).split(", ")).toList();
        assertEquals(
                top10.stream().sorted().toList(), reranked.stream().sorted().toList(), "BlockRank orders the same ten");
    }
}
