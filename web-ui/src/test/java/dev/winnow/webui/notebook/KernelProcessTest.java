package dev.winnow.webui.notebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.webui.notebook.KernelWebSocketTest.Client;
import dev.winnow.webui.notebook.kernel.Kernel;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each notebook kernel runs in its own process (issue 15, interrupts): a real server on 127.0.0.1, real WebSocket
 * clients, real child JVMs with GraalJS contexts. Prints the kernel process's start-up cost.
 */
class KernelProcessTest {
    @TempDir
    static Path dir;

    static ScriptHost host;
    static NotebookServer server;

    @BeforeAll
    static void start() throws Exception {
        host = ScriptHost.create(Sandbox.of(dir));
        server = NotebookServer.start(NotebookServer.Options.loopback(dir), host);
        for (String n : List.of("persist", "killed-idle", "killed-busy")) {
            server.store().create(n + ".ipynb", Language.JS);
        }
    }

    @AfterAll
    static void stop() {
        server.close();
        host.close();
    }

    private static Kernel kernel(String notebook) throws InterruptedException {
        Kernel k = null;
        for (long end = System.nanoTime() + 10_000_000_000L; k == null && System.nanoTime() < end; Thread.sleep(10)) {
            k = server.kernels().existing(notebook);
        }
        assertNotNull(k, "no kernel for " + notebook + " 10 s after its WebSocket opened");
        return k;
    }

    /** The reason of the next {@code restarted} status message. */
    private static String restartedReason(Client c, long seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            JsonNode m = c.messages.poll(100, TimeUnit.MILLISECONDS);
            if (m != null
                    && m.path("type").asText().equals("status")
                    && m.path("state").asText().equals("restarted")) {
                return m.path("reason").asText();
            }
        }
        throw new AssertionError("no restarted status within " + seconds + " s");
    }

    @Test
    void cellsRunInTheKernelProcessAndTheirVariablesPersist() throws Exception {
        long t0 = System.nanoTime();
        Client c = Client.connect(server, "persist.ipynb");
        Kernel k = kernel("persist.ipynb");
        ProcessHandle child = k.process();
        assertTrue(child.pid() != ProcessHandle.current().pid());
        assertTrue(child.isAlive());
        // the kernel process is a child of the server's, running the kernel's main class
        assertEquals(
                ProcessHandle.current().pid(),
                child.parent().map(ProcessHandle::pid).orElse(-1L));
        assertTrue(
                child.info()
                        .arguments()
                        .map(a -> List.of(a).contains("dev.winnow.webui.notebook.kernel.KernelProcessMain"))
                        .orElse(true),
                child.info().toString());
        c.execute("a", "js", "var x = 41; globalThis.pid = 'set'; x");
        List<JsonNode> a = c.until("a", "done", 120);
        long firstMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("41", Client.first(a, "result").at("/data/text~1plain").asText(), a.toString());
        c.execute("b", "js", "x + 1");
        List<JsonNode> b = c.until("b", "done", 30);
        assertEquals("42", Client.first(b, "result").at("/data/text~1plain").asText(), b.toString());
        assertEquals(2, Client.first(b, "start").get("count").asInt());
        assertEquals(child.pid(), k.process().pid(), "the second cell ran in another process");
        // the sandbox is the server's: the cell writes in DIR and nowhere else
        c.execute("w", "js", "const fs = require('fs'); fs.writeFileSync('from-child.txt', 'hi'); 'written'");
        List<JsonNode> w = c.until("w", "done", 30);
        if (Client.first(w, "error") == null) {
            assertEquals("hi", Files.readString(dir.resolve("from-child.txt")));
        }
        System.out.printf("kernel process start-up: first JS cell done %d ms after the socket was opened%n", firstMs);

        // a restart is a new process; the old one exits
        c.send("restart");
        c.execute("fresh", "js", "typeof x");
        List<JsonNode> fresh = c.until("fresh", "done", 120);
        assertEquals(
                "undefined",
                Client.first(fresh, "result").at("/data/text~1plain").asText(),
                fresh.toString());
        assertTrue(k.process().pid() != child.pid());
        k.lastAbandoned().get(30, TimeUnit.SECONDS);
        assertFalse(child.isAlive(), "the restarted kernel's old process " + child.pid() + " still runs");
        c.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }

    @Test
    void aKernelProcessKilledWhileIdleIsReportedAndReplaced() throws Exception {
        Client c = Client.connect(server, "killed-idle.ipynb");
        Kernel k = kernel("killed-idle.ipynb");
        c.execute("a", "js", "var kept = 1; kept");
        assertEquals(
                "ok",
                Client.first(c.until("a", "done", 120), "done").get("status").asText());
        ProcessHandle child = k.process();
        assertTrue(child.destroyForcibly());
        String reason = restartedReason(c, 30);
        assertTrue(reason.contains("ended unexpectedly"), reason);
        assertTrue(child.onExit().get(30, TimeUnit.SECONDS) != null && !child.isAlive());
        c.execute("b", "js", "typeof kept");
        List<JsonNode> b = c.until("b", "done", 120);
        assertEquals(
                "undefined", Client.first(b, "result").at("/data/text~1plain").asText(), b.toString());
        assertEquals(1, Client.first(b, "start").get("count").asInt());
        assertTrue(k.process().pid() != child.pid());
        assertFalse(k.closed());
        c.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }

    @Test
    void aKernelProcessKilledUnderACellIsReportedAgainstTheCellAndReplaced() throws Exception {
        Client c = Client.connect(server, "killed-busy.ipynb");
        Kernel k = kernel("killed-busy.ipynb");
        c.execute("loop", "js", "console.log('looping'); while (true) {}");
        c.until("loop", "stream", 120);
        ProcessHandle child = k.process();
        long t0 = System.nanoTime();
        assertTrue(child.destroyForcibly());
        List<JsonNode> loop = c.until("loop", "done", 30);
        long reportedMs = (System.nanoTime() - t0) / 1_000_000;
        JsonNode error = Client.first(loop, "error");
        assertEquals("KernelRestarted", error.get("ename").asText(), loop.toString());
        assertTrue(error.get("evalue").asText().contains("ended unexpectedly (exit code"), error.toString());
        assertEquals("error", Client.first(loop, "done").get("status").asText());
        assertFalse(k.busy());
        c.execute("next", "js", "6 * 7");
        List<JsonNode> next = c.until("next", "done", 120);
        assertEquals("42", Client.first(next, "result").at("/data/text~1plain").asText(), next.toString());
        assertTrue(k.process().pid() != child.pid());
        System.out.printf("kernel process killed under a cell: reported %d ms after the kill%n", reportedMs);
        c.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }

    @Test
    void aKernelProcessThatCannotStartShutsTheKernelDownInsteadOfLooping() throws Exception {
        Path gone = Files.createDirectory(dir.resolve("gone"));
        try (ScriptHost h = ScriptHost.create(Sandbox.of(gone))) {
            // the workspace disappears after the server checked it: the kernel process refuses to start (exit code 2)
            Files.delete(gone);
            java.util.concurrent.BlockingQueue<JsonNode> seen = new java.util.concurrent.LinkedBlockingQueue<>();
            Kernel k = new Kernel(h, "gone");
            ProcessHandle first = k.process();
            k.attach(seen::add);
            k.execute("c", Language.JS, "1");
            JsonNode dead = null;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (dead == null && System.nanoTime() < end) {
                JsonNode m = seen.poll(100, TimeUnit.MILLISECONDS);
                if (m != null
                        && m.path("type").asText().equals("status")
                        && m.path("state").asText().equals("dead")) {
                    dead = m;
                }
            }
            assertNotNull(dead, "no dead status; got " + seen);
            assertTrue(dead.get("reason").asText().contains("could not start (exit code 2"), dead.toString());
            assertTrue(k.closed());
            assertFalse(first.isAlive());
            // no second process was started
            assertEquals(first.pid(), k.process().pid());
        }
    }
}
