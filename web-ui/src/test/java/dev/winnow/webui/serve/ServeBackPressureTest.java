package dev.winnow.webui.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure, queue depth, graceful shutdown and a short load test against a real server with deliberately small
 * context pools (stories260K). A context is held by the test itself (the pool's own {@code acquire}), so "every
 * context busy" is a fact, not a race.
 */
class ServeBackPressureTest {
    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
    private static final Path MODEL = SHARED.resolve("models/stories260K.gguf");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String BODY =
            "{\"model\":\"pw\",\"query\":\"a dog\",\"documents\":[\"the dog ran\",\"a cat sat\"]}";

    private static HttpRequest rerank(ApiServer s) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/rerank"))
                .timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + s.token())
                .POST(HttpRequest.BodyPublishers.ofString(BODY))
                .build();
    }

    private static HttpResponse<String> send(HttpRequest r) throws Exception {
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private static long metric(ApiServer s, String series) throws Exception {
        HttpResponse<String> m = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/metrics"))
                .header("Authorization", "Bearer " + s.token())
                .build());
        return ServeApiTest.counter(m.body(), series);
    }

    /** Polls until the model has {@code n} requests waiting (generous: a loaded CI machine). */
    private static void awaitQueueDepth(ApiServer s, String model, long n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (metric(s, "winnow_queue_depth{model=\"" + model + "\"}") != n) {
            assertTrue(System.nanoTime() < deadline, "queue depth of " + model + " never reached " + n);
            Thread.sleep(20);
        }
    }

    @Test
    void fullPoolIs429WithRetryAfterAndTheQueueIsCounted() throws Exception {
        try (ServedModel pw =
                ServedModel.open(ModelSpec.parse("pw=pointwise:" + MODEL), 1, 1, 384, 1, Duration.ofSeconds(60))) {
            ApiServer server = ApiServer.start(ApiServer.Options.defaults(0), List.of(pw));
            try {
                assertEquals(200, send(rerank(server)).statusCode());
                ServedModel.Slot held = pw.pool().acquire();
                CompletableFuture<HttpResponse<String>> waiting;
                try {
                    waiting = HTTP.sendAsync(rerank(server), HttpResponse.BodyHandlers.ofString());
                    awaitQueueDepth(server, "pw", 1);
                    assertEquals(1, metric(server, "winnow_contexts_busy{model=\"pw\"}"));
                    // one context busy, one request waiting (the queue's limit): the next is refused at once
                    HttpResponse<String> refused = send(rerank(server));
                    assertEquals(429, refused.statusCode(), refused.body());
                    assertEquals(
                            "1", refused.headers().firstValue("Retry-After").orElse(""));
                    JsonNode e = JSON.readTree(refused.body()).get("error");
                    assertEquals("server_busy", e.get("code").asText());
                    assertEquals("rate_limit_error", e.get("type").asText());
                    assertFalse(waiting.isDone(), "the queued request waits for the context");
                } finally {
                    pw.pool().release(held);
                }
                HttpResponse<String> served = waiting.get(60, TimeUnit.SECONDS);
                assertEquals(200, served.statusCode(), served.body());
                assertEquals(2, JSON.readTree(served.body()).get("results").size());
                assertEquals(0, metric(server, "winnow_queue_depth{model=\"pw\"}"));
                assertEquals(1, metric(server, "winnow_requests_total{route=\"/v1/rerank\",status=\"429\"}"));
            } finally {
                server.close();
            }
        }
    }

    @Test
    void shutdownRefusesNewRequestsAndFinishesThoseInFlight() throws Exception {
        try (ServedModel pw =
                ServedModel.open(ModelSpec.parse("pw=pointwise:" + MODEL), 1, 1, 384, 4, Duration.ofSeconds(60))) {
            ApiServer server = ApiServer.start(ApiServer.Options.defaults(0), List.of(pw));
            int port = server.port();
            ServedModel.Slot held = pw.pool().acquire();
            CompletableFuture<HttpResponse<String>> inFlight;
            Thread stopper;
            try {
                inFlight = HTTP.sendAsync(rerank(server), HttpResponse.BodyHandlers.ofString());
                awaitQueueDepth(server, "pw", 1);
                stopper = Thread.ofPlatform().start(server::close);
                // once draining (the health check says 503), new requests are refused while the one in flight still
                // waits
                HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .timeout(Duration.ofSeconds(30))
                        .build();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (send(health).statusCode() != 503) {
                    assertTrue(System.nanoTime() < deadline, "the server never started refusing");
                    Thread.sleep(20);
                }
                HttpResponse<String> r = send(rerank(server));
                assertEquals(503, r.statusCode(), r.body());
                assertEquals(
                        "shutting_down",
                        JSON.readTree(r.body()).get("error").get("code").asText());
                assertTrue(stopper.isAlive(), "close() waits for the request in flight");
                assertFalse(inFlight.isDone());
            } finally {
                pw.pool().release(held);
            }
            HttpResponse<String> finished = inFlight.get(60, TimeUnit.SECONDS);
            assertEquals(200, finished.statusCode(), finished.body());
            stopper.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(stopper.isAlive(), "close() returns once nothing is in flight");
            HttpRequest after = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(10))
                    .build();
            assertThrows(IOException.class, () -> HTTP.send(after, HttpResponse.BodyHandlers.ofString()));
        }
    }

    @Test
    void shortLoadTestHasNoErrorOtherThan429() throws Exception {
        try (ServedModel pw = ServedModel.open(
                        ModelSpec.parse("pw=pointwise:" + MODEL), 1, 1, 384, 2, Duration.ofSeconds(60));
                ServedModel emb =
                        ServedModel.open(ModelSpec.parse("emb=" + MODEL), 1, 1, 384, 2, Duration.ofSeconds(60))) {
            ApiServer server = ApiServer.start(ApiServer.Options.defaults(0), List.of(pw, emb));
            try {
                String url = "http://127.0.0.1:" + server.port();
                ServeLoad.Result r = ServeLoad.run(url, server.token(), "rerank", "pw", 6, Duration.ofSeconds(4), 5);
                System.out.println("short load test, rerank: " + r.report());
                assertEquals(0, r.errors(), r.report());
                assertTrue(r.count(200) > 0, r.report());
                ServeLoad.Result e =
                        ServeLoad.run(url, server.token(), "embeddings", "emb", 6, Duration.ofSeconds(3), 5);
                System.out.println("short load test, embeddings: " + e.report());
                assertEquals(0, e.errors(), e.report());
                assertTrue(e.count(200) > 0, e.report());
                // the server counted what the clients saw
                assertEquals(
                        r.count(200), metric(server, "winnow_requests_total{route=\"/v1/rerank\",status=\"200\"}"));
                assertEquals(
                        Math.max(-1, r.count(429) == 0 ? -1 : r.count(429)),
                        metric(server, "winnow_requests_total{route=\"/v1/rerank\",status=\"429\"}"));
            } finally {
                server.close();
            }
        }
    }

    @Test
    void loadResultPercentiles() {
        ServeLoad.Result r = new ServeLoad.Result(Map.of(200, 4L, 429, 2L, 500, 1L), new double[] {1, 2, 3, 4}, 2);
        assertEquals(2.0, r.percentile(50));
        assertEquals(4.0, r.percentile(99));
        assertEquals(1, r.errors());
        assertEquals(2.0, r.throughput());
    }
}
