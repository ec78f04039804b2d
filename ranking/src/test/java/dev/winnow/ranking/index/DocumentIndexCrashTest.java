package dev.winnow.ranking.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.collection.TestCollection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kills a forked JVM while it indexes, then checks that the last commit is intact and indexing can resume. */
class DocumentIndexCrashTest {

    @Test
    void killedIndexingLeavesLastCommitReadable(@TempDir Path dir) throws Exception {
        Path indexDir = dir.resolve("index");
        Path scifact = SharedData.collection("scifact");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        IndexingChild.class.getName(),
                        indexDir.toString(),
                        scifact.toString())
                .redirectErrorStream(true)
                .start();
        boolean sawCommit = false;
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.equals("committed 1500")) {
                    sawCommit = true;
                }
                if (sawCommit && line.equals("added 2000")) {
                    child.destroyForcibly(); // SIGKILL with 500 documents added but not committed
                    break;
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(sawCommit, "the child never committed");
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        TestCollection c = TestCollection.open(scifact, false);
        try (DocumentIndex index = DocumentIndex.open(indexDir)) {
            assertEquals(1500, index.size(), "exactly the committed batches survive");
            assertEquals(IndexSettings.DEFAULT, index.settings());
            assertNotNull(index.get(c.documents().get(1499).id()).orElse(null));
            assertTrue(index.get(c.documents().get(1500).id()).isEmpty());
            assertEquals(
                    10,
                    index.search("cerebral white matter diffusion", 10, SearchMode.BM25)
                            .size());
            // resume: re-adding everything replaces by id, no duplicates
            index.addAll(c.documents(), 2000);
            assertEquals(5183, index.size());
        }
    }
}
