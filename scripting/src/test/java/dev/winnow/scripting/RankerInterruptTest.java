package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interrupting a cell inside one long BlockRank call (real stories260K through llama.cpp, real SciFact candidates):
 * the ranker's abort check stops the call mid-decode, the cell fails as interrupted within a second, and the same
 * context (its variables intact) then ranks again exactly as before.
 */
class RankerInterruptTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path workspace;

    static ScriptHost host;
    static ScriptSession session;

    @BeforeAll
    static void open() throws Exception {
        SciFactSubset.write(workspace.resolve("scifact-subset"), 1, 300);
        Path models = Path.of(System.getProperty("winnow.shared.dir", "../../shared"), "models")
                .toRealPath();
        host = ScriptHost.create(Sandbox.of(workspace, models));
        session = host.openSession();
        session.run(
                Language.JS,
                "var m = winnow.loadModel("
                        + ModelApiTest.quote(models.resolve("stories260K.gguf").toString()) + ", {threads: 1});\n"
                        + "var ranker = winnow.ranker(m, 'blockrank', {threads: 1});\n"
                        + "var index = winnow.buildIndex(winnow.collection('scifact-subset'), 'index');\n"
                        + "var q = 'the effects of treatment on cells, proteins and genes in patients with disease';\n"
                        + "var hits = index.search(q, 120);\n"
                        + "function ranked() { const r = ranker.rank(q, hits);"
                        + " return JSON.stringify({ids: Array.from(r.ids()), scores: Array.from(r.documents).map(d => d.score)}); }",
                "setup.js",
                new RecordingSink());
    }

    @AfterAll
    static void close() {
        if (host != null) {
            host.close();
        }
    }

    private static String value(String code) throws ScriptFailure {
        return session.run(Language.JS, code, "cell.js", new RecordingSink())
                .value()
                .orElseThrow()
                .plainText();
    }

    @Test
    void aRankCallStopsWithinASecondOfTheInterruptAndTheSessionRanksAgain() throws Exception {
        int candidates = Integer.parseInt(value("hits.size()"));
        assertTrue(candidates >= 100, "candidates " + candidates);
        long t0 = System.nanoTime();
        JsonNode reference = JSON.readTree(value("ranked()"));
        long callMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(candidates, reference.get("ids").size());
        // the call must be long enough that an interrupt after 300 ms lands inside it
        assertTrue(callMs > 1500, "one rank call took only " + callMs + " ms");

        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicLong firedAt = new AtomicLong();
            timer.schedule(
                    () -> {
                        firedAt.set(System.nanoTime());
                        session.interrupt();
                    },
                    300,
                    TimeUnit.MILLISECONDS);
            long start = System.nanoTime();
            ScriptFailure f = assertThrows(ScriptFailure.class, () -> value("ranked()"));
            long end = System.nanoTime();
            assertTrue(f.interrupted(), f.toString());
            assertTrue(firedAt.get() != 0, "the cell ended before the interrupt");
            long stoppedMs = (end - firedAt.get()) / 1_000_000;
            System.out.printf(
                    "BlockRank of %d candidates: %d ms per call; interrupted after 300 ms, the cell ended %d ms after the interrupt%n",
                    candidates, callMs, stoppedMs);
            assertTrue(
                    stoppedMs < 1000,
                    "stopped " + stoppedMs + " ms after the interrupt (cell ran " + (end - start) / 1_000_000 + " ms)");
        } finally {
            timer.shutdownNow();
        }
        // the context was not cancelled (its variables survive), and the ranker ranks as before
        assertEquals(reference, JSON.readTree(value("ranked()")));
    }
}
