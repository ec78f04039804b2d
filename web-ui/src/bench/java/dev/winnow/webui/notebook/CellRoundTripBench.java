package dev.winnow.webui.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.OutputSink;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.scripting.ScriptSession;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Warm round trip of a trivial JavaScript cell through the notebook server: from sending {@code execute} on the
 * kernel WebSocket to receiving the cell's {@code done} message (with its {@code result} before it), against the same
 * cell run directly on a {@link ScriptSession} in the same JVM, interleaved so both see the same machine load.
 * Prints medians, 90th percentiles and the ratio. Target: median round trip under 50 ms.
 *
 * <p>Run: {@code web-ui/bench.sh [ROUNDS]} (default 300 measured rounds after 200 warm-up rounds).
 */
public final class CellRoundTripBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CellRoundTripBench() {}

    /**
     * Runs the benchmark.
     *
     * @param args optional: the number of measured rounds
     * @throws Exception when the server or a cell fails
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int warmup = 200;
        Path dir = Files.createTempDirectory("winnow-bench-notebook");
        try (ScriptHost host = ScriptHost.create(Sandbox.of(dir)).prewarm(Language.JS);
                NotebookServer server = NotebookServer.start(NotebookServer.Options.loopback(dir), host);
                ScriptSession direct = host.openSession()) {
            server.store().create("bench.ipynb", Language.JS);
            BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
            WebSocket ws = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .header("Authorization", "token " + server.policy().token())
                    .buildAsync(
                            URI.create("ws://127.0.0.1:" + server.port() + "/api/kernel?path=bench.ipynb"),
                            new WebSocket.Listener() {
                                final StringBuilder partial = new StringBuilder();

                                @Override
                                public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                                    partial.append(data);
                                    if (last) {
                                        try {
                                            inbox.add(JSON.readTree(partial.toString()));
                                        } catch (Exception e) {
                                            throw new IllegalStateException(e);
                                        }
                                        partial.setLength(0);
                                    }
                                    w.request(1);
                                    return null;
                                }
                            })
                    .join();
            String code = "1 + 1";
            double[] server_ = new double[rounds];
            double[] direct_ = new double[rounds];
            for (int i = 0; i < warmup + rounds; i++) {
                long t0 = System.nanoTime();
                String id = "c" + i;
                ws.sendText(
                                JSON.createObjectNode()
                                        .put("type", "execute")
                                        .put("cellId", id)
                                        .put("language", "js")
                                        .put("code", code)
                                        .toString(),
                                true)
                        .join();
                String result = null;
                while (true) {
                    JsonNode m = inbox.poll(30, TimeUnit.SECONDS);
                    if (m == null) {
                        throw new IllegalStateException("no answer to cell " + id + " within 30 s");
                    }
                    if (!id.equals(m.path("cellId").asText())) {
                        continue;
                    }
                    if (m.path("type").asText().equals("result")) {
                        result = m.at("/data/text~1plain").asText();
                    }
                    if (m.path("type").asText().equals("done")) {
                        break;
                    }
                }
                long t1 = System.nanoTime();
                if (!"2".equals(result)) {
                    throw new IllegalStateException("cell " + id + " answered " + result + ", not 2");
                }
                long t2 = System.nanoTime();
                String d = direct.run(Language.JS, code, "bench.js", OutputSink.discard())
                        .value()
                        .orElseThrow()
                        .plainText();
                long t3 = System.nanoTime();
                if (!"2".equals(d)) {
                    throw new IllegalStateException("direct run answered " + d);
                }
                if (i >= warmup) {
                    server_[i - warmup] = (t1 - t0) / 1e6;
                    direct_[i - warmup] = (t3 - t2) / 1e6;
                }
            }
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
            Arrays.sort(server_);
            Arrays.sort(direct_);
            System.out.printf(
                    "optimizing Truffle runtime: %s; %d rounds after %d warm-up%n", host.optimizing(), rounds, warmup);
            System.out.printf(
                    "notebook round trip (WebSocket execute -> done): median %.2f ms, p90 %.2f ms%n",
                    server_[rounds / 2], server_[rounds * 9 / 10]);
            System.out.printf(
                    "direct ScriptSession.run (baseline):             median %.2f ms, p90 %.2f ms%n",
                    direct_[rounds / 2], direct_[rounds * 9 / 10]);
            System.out.printf(
                    "ratio notebook / direct (medians): %.2f; target median < 50 ms: %s%n",
                    server_[rounds / 2] / direct_[rounds / 2], server_[rounds / 2] < 50 ? "met" : "NOT met");
        }
    }
}
