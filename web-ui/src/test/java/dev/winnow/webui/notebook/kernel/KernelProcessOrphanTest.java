package dev.winnow.webui.notebook.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.Sandbox;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kernel process never outlives its server: it exits when its standard input ends (the server's process is gone,
 * however it ended), even while a cell runs. A real child JVM started with the command the kernel uses.
 */
class KernelProcessOrphanTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theKernelProcessExitsWhenItsStandardInputEndsEvenInABusyCell() throws Exception {
        List<String> cmd = KernelProcess.command(Sandbox.of(dir), Set.of(Language.JS));
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            List<JsonNode> events = new ArrayList<>();
            JsonNode ready = JSON.readTree(out.readLine());
            assertEquals("ready", ready.path("type").asText(), ready.toString());
            assertEquals(p.pid(), ready.path("pid").asLong());
            p.getOutputStream()
                    .write((JSON.createObjectNode()
                                            .put("op", "execute")
                                            .put("n", 1)
                                            .put("cellId", "c")
                                            .put("language", "js")
                                            .put("code", "console.log('in'); while (true) {}")
                                            .put("source", "cell-1.js")
                                    + "\n")
                            .getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
            // every line on its standard output is an event: started, then the cell's output (the spare context's
            // `warm`
            // event may come at any time: it is not the cell's)
            for (JsonNode e = JSON.readTree(out.readLine()); ; e = JSON.readTree(out.readLine())) {
                if (e.path("type").asText().equals("warm")) {
                    assertEquals("js", e.path("language").asText(), e.toString());
                    continue;
                }
                events.add(e);
                if (e.path("type").asText().equals("stream")) {
                    break;
                }
            }
            assertEquals("started", events.getFirst().path("type").asText(), events.toString());
            assertEquals("in\n", events.getLast().path("text").asText(), events.toString());
            // the server goes away: its end of the pipe closes
            long t0 = System.nanoTime();
            p.getOutputStream().close();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the kernel process outlived its standard input");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, p.exitValue());
            assertFalse(p.isAlive());
            System.out.printf("kernel process exited %d ms after its standard input closed, in a busy cell%n", ms);
        } finally {
            p.destroyForcibly();
        }
    }
}
