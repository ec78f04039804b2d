package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.examples.QuickStart;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's Java example is {@link QuickStart} (web-ui/src/test/java/dev/winnow/examples), verbatim, and it runs: on a
 * 150-document SciFact subset with MiniLM and stories260K it prints the hybrid run's nDCG@10, equal to scoring the
 * index it built again through the API, and BlockRank's first document, one of the hybrid top 20.
 */
class QuickStartTest {
    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));

    @Test
    void readmeShowsTheExampleVerbatim() throws Exception {
        String source = Files.readString(Path.of("src/test/java/dev/winnow/examples/QuickStart.java"));
        String body = source.substring(source.indexOf("// readme-begin\n") + 16, source.indexOf("// readme-end"));
        String readme = Files.readString(Path.of("../README.md"));
        assertTrue(readme.contains(body), "README.md's Java example differs from QuickStart.java's body:\n" + body);
    }

    @Test
    void theExampleRuns(@TempDir Path dir) throws Exception {
        Path collection = SciFactSubset.write(SHARED.resolve("data/scifact"), dir.resolve("scifact-150"), 10, 150);
        Path index = dir.resolve("index");
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            QuickStart.main(new String[] {
                collection.toString(),
                index.toString(),
                SHARED.resolve("models/stories260K.gguf").toString()
            });
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print("QuickStart printed: " + out);
        Matcher m = Pattern.compile("hybrid nDCG@10 (\\S+) over (\\d+) queries").matcher(out);
        assertTrue(m.find(), out);
        assertEquals("10", m.group(2), out);
        Matcher first = Pattern.compile("BlockRank's first: (\\S+)").matcher(out);
        assertTrue(first.find(), out);
        TestCollection c = TestCollection.open(collection, false);
        String split = c.defaultSplit();
        try (LlamaEmbedder embedder =
                        LlamaEmbedder.open(EmbeddingModels.fromEnvironment().ensure("minilm"));
                DocumentIndex idx = DocumentIndex.open(
                        index, IndexConfig.builder().embedder(embedder).build())) {
            assertEquals(150, idx.size());
            assertEquals(150, idx.vectorCount());
            double ndcg = new Evaluation(c.qrels(split))
                    .mean(idx.run(c.queries(split), 100, SearchMode.HYBRID, "h"), Metric.NDCG_10);
            assertEquals(String.format("%.4f", ndcg), m.group(1), out); // the example prints in the default locale
            List<Hit> hits = idx.search(c.queries(split).get(0).text(), 20, SearchMode.HYBRID);
            assertTrue(hits.stream().anyMatch(h -> h.id().equals(first.group(1))), first.group(1) + " not in " + hits);
        }
    }
}
