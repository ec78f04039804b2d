package dev.winnow.webui.notebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel protocol over a real WebSocket, with real GraalJS contexts. */
class KernelWebSocketTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static ScriptHost host;
    static NotebookServer server;

    @BeforeAll
    static void start() throws Exception {
        host = ScriptHost.create(Sandbox.of(dir)).prewarm(Language.JS);
        server = NotebookServer.start(NotebookServer.Options.loopback(dir), host);
        server.store().create("k.ipynb", Language.JS);
    }

    @AfterAll
    static void stop() {
        server.close();
        host.close();
    }

    /** A client that queues every message. */
    static final class Client implements WebSocket.Listener {
        final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        final StringBuilder partial = new StringBuilder();
        WebSocket ws;

        static Client connect() {
            Client c = new Client();
            c.ws = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .header("Authorization", "token " + server.policy().token())
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/api/kernel?path=k.ipynb"), c)
                    .join();
            return c;
        }

        /**
         * Connects to the kernel of a notebook of another server, authenticated with the token header.
         *
         * @param s the server
         * @param path the notebook's path
         * @return the connected client
         */
        static Client connect(NotebookServer s, String path) {
            Client c = new Client();
            c.ws = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .header("Authorization", "token " + s.policy().token())
                    .buildAsync(
                            URI.create("ws://127.0.0.1:" + s.port() + "/api/kernel?path="
                                    + java.net.URLEncoder.encode(path, java.nio.charset.StandardCharsets.UTF_8)),
                            c)
                    .join();
            return c;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    messages.add(JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        void execute(String cellId, String language, String code) {
            ws.sendText(
                            JSON.createObjectNode()
                                    .put("type", "execute")
                                    .put("cellId", cellId)
                                    .put("language", language)
                                    .put("code", code)
                                    .toString(),
                            true)
                    .join();
        }

        void send(String type) {
            ws.sendText(JSON.createObjectNode().put("type", type).toString(), true)
                    .join();
        }

        /** Messages about a cell up to and including its done message. */
        List<JsonNode> until(String cellId, String type, long seconds) throws InterruptedException {
            List<JsonNode> got = new ArrayList<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < end) {
                JsonNode m = messages.poll(100, TimeUnit.MILLISECONDS);
                if (m == null || !cellId.equals(m.path("cellId").asText())) {
                    continue;
                }
                got.add(m);
                if (m.path("type").asText().equals(type)) {
                    return got;
                }
            }
            throw new AssertionError("no " + type + " for " + cellId + " within " + seconds + " s; got " + got);
        }

        static JsonNode first(List<JsonNode> ms, String type) {
            return ms.stream()
                    .filter(m -> m.path("type").asText().equals(type))
                    .findFirst()
                    .orElse(null);
        }
    }

    @Test
    void runsCellsStreamsOutputInterruptsAndRestarts() throws Exception {
        Client c = Client.connect();
        c.execute("a", "js", "var x = 20; console.log('hello'); console.error('warn'); x + 1");
        List<JsonNode> a = c.until("a", "done", 60);
        assertEquals("ok", Client.first(a, "done").get("status").asText());
        int countA = Client.first(a, "start").get("count").asInt();
        assertEquals("21", Client.first(a, "result").at("/data/text~1plain").asText());
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        for (JsonNode m : a) {
            if (m.path("type").asText().equals("stream")) {
                (m.get("name").asText().equals("stdout") ? out : err)
                        .append(m.get("text").asText());
            }
        }
        assertEquals("hello\n", out.toString());
        assertEquals("warn\n", err.toString());

        // state persists; an error carries the script's traceback with the cell's source name
        c.execute("b", "js", "x * 2;\nnull.foo");
        List<JsonNode> b = c.until("b", "done", 30);
        assertEquals("error", Client.first(b, "done").get("status").asText());
        JsonNode error = Client.first(b, "error");
        assertEquals("TypeError", error.get("ename").asText());
        assertTrue(error.get("traceback").toString().contains("cell-" + (countA + 1) + ".js"), error.toString());

        // output streams while the cell runs: the first line arrives long before the cell ends
        c.execute(
                "s",
                "js",
                "for (let i = 0; i < 3; i++) { console.log('tick ' + i); const t = Date.now(); while (Date.now() - t < 700) {} }");
        long t0 = System.nanoTime();
        List<JsonNode> first = c.until("s", "stream", 30);
        long firstMs = (System.nanoTime() - t0) / 1_000_000;
        List<JsonNode> rest = c.until("s", "done", 30);
        long doneMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(doneMs - firstMs > 1000, "first line at " + firstMs + " ms, end at " + doneMs + " ms");
        assertNotNull(Client.first(first, "stream"));
        assertTrue(rest.stream().anyMatch(m -> m.path("type").asText().equals("running")), "a running tick per second");

        // interrupt a runaway cell; a queued cell behind it is aborted; the kernel stays usable
        c.execute("loop", "js", "while (true) {}");
        c.until("loop", "start", 30);
        c.execute("queued", "js", "1");
        c.until("queued", "queued", 10);
        c.send("interrupt");
        assertEquals(
                "aborted",
                Client.first(c.until("queued", "done", 10), "done")
                        .get("status")
                        .asText());
        List<JsonNode> loop = c.until("loop", "done", 10);
        assertEquals("interrupted", Client.first(loop, "done").get("status").asText());
        c.execute("after", "js", "x");
        assertEquals(
                "20",
                Client.first(c.until("after", "done", 30), "result")
                        .at("/data/text~1plain")
                        .asText());

        // restart: counts start again at 1 and variables are gone
        c.send("restart");
        c.execute("fresh", "js", "typeof x");
        List<JsonNode> fresh = c.until("fresh", "done", 60);
        assertEquals(1, Client.first(fresh, "start").get("count").asInt());
        assertEquals(
                "undefined",
                Client.first(fresh, "result").at("/data/text~1plain").asText());
        c.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }

    @Test
    void displayBundlesReachThePageAsMimeBundles() throws Exception {
        Client c = Client.connect();
        c.execute(
                "d",
                "js",
                "display('<b>bold</b>', 'text/html'); display(JSON.stringify({rows: ['q'], columns: ['d1', 'd2'], values: [[0.25, 0.75]]}), 'application/vnd.winnow.heatmap+json')");
        List<JsonNode> d = c.until("d", "done", 60);
        List<JsonNode> displays = d.stream()
                .filter(m -> m.path("type").asText().equals("display"))
                .toList();
        assertEquals(2, displays.size(), d.toString());
        assertEquals("<b>bold</b>", displays.get(0).at("/data/text~1html").asText());
        JsonNode heat = JSON.readTree(
                displays.get(1).at("/data/application~1vnd.winnow.heatmap+json").asText());
        assertEquals(0.75, heat.at("/values/0/1").asDouble());
        assertTrue(Files.exists(dir.resolve("k.ipynb")));
        c.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
    }
}
