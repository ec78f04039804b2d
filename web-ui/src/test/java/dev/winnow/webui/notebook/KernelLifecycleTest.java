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
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernels survive their clients (issue 15, item 4): real WebSocket clients against a real server on 127.0.0.1, real
 * GraalJS contexts.
 */
class KernelLifecycleTest {
    @TempDir
    static Path dir;

    static ScriptHost host;
    static NotebookServer server;

    @BeforeAll
    static void start() throws Exception {
        host = ScriptHost.create(Sandbox.of(dir)).prewarm(Language.JS);
        server = NotebookServer.start(NotebookServer.Options.loopback(dir), host);
        server.store().create("a.ipynb", Language.JS);
        server.store().create("b.ipynb", Language.JS);
        server.store().create("c.ipynb", Language.JS);
    }

    @AfterAll
    static void stop() {
        server.close();
        host.close();
    }

    private static String status(Client c, long seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = null;
        while (System.nanoTime() < end) {
            JsonNode m = c.messages.poll(100, TimeUnit.MILLISECONDS);
            if (m != null && m.path("type").asText().equals("status")) {
                last = m.path("state").asText();
                if (c.messages.isEmpty()) {
                    return last;
                }
            } else if (m == null && last != null) {
                return last;
            }
        }
        return last;
    }

    @Test
    void aClientVanishingMidOutputLeavesTheKernelWorking() throws Exception {
        Client owner = Client.connect(server, "a.ipynb");
        Client leaver = Client.connect(server, "a.ipynb");
        // the leaver starts a cell that prints for about 1.5 s and vanishes (no close handshake) in the middle
        leaver.execute(
                "print",
                "js",
                "var n = 0; const t = Date.now(); while (Date.now() - t < 1500) { console.log('line ' + n++); } n");
        leaver.until("print", "stream", 60);
        leaver.ws.abort();
        List<JsonNode> printed = owner.until("print", "done", 60);
        assertEquals("ok", Client.first(printed, "done").get("status").asText());
        assertTrue(printed.stream()
                        .filter(m -> m.path("type").asText().equals("stream"))
                        .count()
                > 0);
        long lines = Long.parseLong(
                Client.first(printed, "result").at("/data/text~1plain").asText());
        assertTrue(lines > 10, "the cell printed " + lines + " lines");

        // the next cell runs, its state persists, and the status is right
        owner.execute("next", "js", "n + 1");
        List<JsonNode> next = owner.until("next", "done", 30);
        assertEquals(
                String.valueOf(lines + 1),
                Client.first(next, "result").at("/data/text~1plain").asText());
        assertEquals("idle", status(owner, 2));
        assertFalse(server.kernels().kernel("a.ipynb").busy());

        // restart works
        owner.send("restart");
        owner.execute("fresh", "js", "typeof n");
        List<JsonNode> fresh = owner.until("fresh", "done", 60);
        assertEquals(1, Client.first(fresh, "start").get("count").asInt());
        assertEquals(
                "undefined",
                Client.first(fresh, "result").at("/data/text~1plain").asText());
        owner.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }

    /** A WebSocket client on a raw socket with a tiny receive buffer that completes the handshake and never reads. */
    private static Socket neverReadingClient(String path) throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        byte[] key = new byte[16];
        new java.security.SecureRandom().nextBytes(key);
        String req = "GET /api/kernel?path=" + path + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + server.port() + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "Authorization: token " + server.policy().token() + "\r\n\r\n";
        OutputStream out = s.getOutputStream();
        out.write(req.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
        return s;
    }

    @Test
    void aClientThatNeverReadsDoesNotBlockTheOwnerAndIsDropped() throws Exception {
        Client owner = Client.connect(server, "b.ipynb");
        try (Socket slow = neverReadingClient("b.ipynb")) {
            // about 6 MB of output: more than the socket buffers hold, less than the slow client's queue
            owner.execute(
                    "fill", "js", "const mb = 'x'.repeat(1 << 20); for (let i = 0; i < 6; i++) console.log(mb); 1");
            long t0 = System.nanoTime();
            assertEquals(
                    "ok",
                    Client.first(owner.until("fill", "done", 60), "done")
                            .get("status")
                            .asText());
            long fillMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(fillMs < 20_000, "6 MB of output took " + fillMs + " ms with a stuck client");

            // the stuck client's sender is blocked in a write; the owner's cell, interrupt and restart are not
            owner.execute("loop", "js", "while (true) {}");
            owner.until("loop", "start", 30);
            Thread.sleep(300);
            long ti = System.nanoTime();
            owner.send("interrupt");
            assertEquals(
                    "interrupted",
                    Client.first(owner.until("loop", "done", 10), "done")
                            .get("status")
                            .asText());
            long interruptMs = (System.nanoTime() - ti) / 1_000_000;
            assertTrue(interruptMs < 2000, "interrupt took " + interruptMs + " ms");
            owner.send("restart");
            owner.execute("after", "js", "6 * 7");
            long ta = System.nanoTime();
            assertEquals(
                    "42",
                    Client.first(owner.until("after", "done", 30), "result")
                            .at("/data/text~1plain")
                            .asText());
            assertTrue((System.nanoTime() - ta) / 1_000_000 < 10_000);

            // 48 MB more: the slow client, stalled for over 2 s, overflows its queue (16 Mi characters) even behind
            // large
            // socket buffers and is dropped; the owner, which reads, gets it all
            Thread.sleep(ClientQueue_STALL_MS + 500);
            owner.execute(
                    "flood",
                    "js",
                    "const big = 'y'.repeat(1 << 20); for (let i = 0; i < 48; i++) console.log(big); 'flooded'");
            long tf = System.nanoTime();
            List<JsonNode> flood = owner.until("flood", "done", 60);
            long floodMs = (System.nanoTime() - tf) / 1_000_000;
            assertEquals("ok", Client.first(flood, "done").get("status").asText());
            long chars = flood.stream()
                    .filter(m -> m.path("type").asText().equals("stream"))
                    .mapToLong(m -> m.get("text").asText().length())
                    .sum();
            assertEquals(48L * ((1 << 20) + 1), chars);
            assertTrue(floodMs < 30_000, "the owner's cell took " + floodMs + " ms");

            // dropped: the server cut the connection; reading what was buffered ends in end-of-stream or a reset
            slow.setSoTimeout(10_000);
            InputStream in = slow.getInputStream();
            byte[] buf = new byte[1 << 16];
            long total = 0;
            boolean closed = false;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < end) {
                int n;
                try {
                    n = in.read(buf);
                } catch (java.net.SocketException e) {
                    closed = true;
                    break;
                }
                if (n < 0) {
                    closed = true;
                    break;
                }
                total += n;
            }
            assertTrue(closed, "the never-reading client was not disconnected (read " + total + " bytes)");
            assertTrue(total < 54L << 20, "the slow client got " + total + " bytes, not all 54 MB");
        }
        // the kernel still works for the owner
        owner.execute("still", "js", "'alive'");
        assertEquals(
                "alive",
                Client.first(owner.until("still", "done", 30), "result")
                        .at("/data/text~1plain")
                        .asText());
        owner.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }

    private static final long ClientQueue_STALL_MS = dev.winnow.webui.notebook.kernel.ClientQueue.STALL.toMillis();

    private static int kernelThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("winnow-kernel "))
                .count();
    }

    @Test
    void socketsToMissingNotebooksStartNoKernelAndLeaveNoThreads() throws Exception {
        int kernelsBefore = server.kernels().size();
        try (HttpClient http = HttpClient.newHttpClient()) {
            // warm up Jetty's pool and the client
            connectMissing(http, "warm.ipynb");
            int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
            int kernelThreadsBefore = kernelThreads();
            for (int i = 0; i < 300; i++) {
                int code = connectMissing(http, "missing-" + i + ".ipynb");
                assertEquals(4404, code, "close code of connection " + i);
            }
            Thread.sleep(500);
            int threadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
            assertEquals(kernelsBefore, server.kernels().size());
            assertEquals(kernelThreadsBefore, kernelThreads());
            assertTrue(
                    threadsAfter - threadsBefore <= 10,
                    "threads before " + threadsBefore + ", after 300 refused sockets " + threadsAfter);
        }
        assertEquals(null, server.kernels().existing("missing-7.ipynb"));
    }

    /** Opens a kernel socket to a missing notebook and returns the close code the server sends. */
    private static int connectMissing(HttpClient http, String path) throws Exception {
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket.Listener l = new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
                closed.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                closed.complete(-1);
            }
        };
        WebSocket ws = http.newWebSocketBuilder()
                .header("Authorization", "token " + server.policy().token())
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/kernel?path=" + path), l)
                .get(10, TimeUnit.SECONDS);
        int code = closed.get(10, TimeUnit.SECONDS);
        ws.abort();
        return code;
    }

    @Test
    void anIdleKernelIsCulledAndOneWithAClientIsNot() throws Exception {
        try (ScriptHost h = ScriptHost.create(Sandbox.of(dir));
                NotebookServer s =
                        NotebookServer.start(NotebookServer.Options.loopback(dir), h, Duration.ofMillis(400))) {
            Client c = Client.connect(s, "c.ipynb");
            c.execute("one", "js", "var kept = 1; kept");
            assertEquals(
                    "ok",
                    Client.first(c.until("one", "done", 60), "done")
                            .get("status")
                            .asText());
            // connected: kept well past the timeout
            Thread.sleep(1500);
            assertNotNull(s.kernels().existing("c.ipynb"));
            var kernel = s.kernels().existing("c.ipynb");
            assertFalse(kernel.closed());
            c.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
            long t0 = System.nanoTime();
            while (s.kernels().existing("c.ipynb") != null && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(50);
            }
            long culledMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(null, s.kernels().existing("c.ipynb"), "not culled after " + culledMs + " ms");
            assertTrue(kernel.closed());
            assertTrue(culledMs >= 300, "culled after " + culledMs + " ms, before the 400 ms timeout");
            // a new page gets a fresh kernel
            Client again = Client.connect(s, "c.ipynb");
            again.execute("two", "js", "typeof kept");
            assertEquals(
                    "undefined",
                    Client.first(again.until("two", "done", 60), "result")
                            .at("/data/text~1plain")
                            .asText());
            again.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
        }
    }

    @Test
    void aWorkerThatDiesIsReportedAndReplaced() throws Exception {
        java.util.concurrent.BlockingQueue<JsonNode> seen = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.atomic.AtomicBoolean thrown = new java.util.concurrent.atomic.AtomicBoolean();
        try (Kernel k = new Kernel(host, "dies")) {
            // a listener that throws an Error (not an exception) on the first start message kills the worker's cell
            // loop
            k.attach(m -> {
                if (m.path("type").asText().equals("start") && thrown.compareAndSet(false, true)) {
                    throw new AssertionError("listener failure");
                }
            });
            k.attach(seen::add);
            k.execute("first", Language.JS, "1");
            JsonNode error = null;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (error == null && System.nanoTime() < end) {
                JsonNode m = seen.poll(100, TimeUnit.MILLISECONDS);
                if (m != null
                        && m.path("type").asText().equals("error")
                        && m.path("cellId").asText().equals("first")) {
                    error = m;
                }
            }
            assertNotNull(error, "the dead worker was not reported");
            assertEquals("KernelRestarted", error.get("ename").asText());
            assertTrue(error.get("evalue").asText().contains("listener failure"), error.toString());
            // the kernel runs cells again
            k.execute("second", Language.JS, "20 + 22");
            JsonNode result = null;
            end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (result == null && System.nanoTime() < end) {
                JsonNode m = seen.poll(100, TimeUnit.MILLISECONDS);
                if (m != null
                        && m.path("type").asText().equals("result")
                        && m.path("cellId").asText().equals("second")) {
                    result = m;
                }
            }
            assertNotNull(result, "no cell ran after the worker died");
            assertEquals("42", result.at("/data/text~1plain").asText());
        }
    }
}
