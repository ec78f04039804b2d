package dev.winnow.webui.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load test of {@code winnow serve}: N client threads send re-rank (or embeddings) requests back to back for a
 * bounded time; prints the count by HTTP status, throughput and latency percentiles of the successful requests. A 429
 * is back-pressure working, not an error; anything else but 200 is. {@code scripts/serve-load.sh} starts a server
 * and runs it; the tests run a short version through {@link #run}.
 *
 * <pre>
 * java -cp ... dev.winnow.webui.serve.ServeLoad --url http://127.0.0.1:8080 --token-file T --model pw \
 *     [--route rerank|embeddings] [--concurrency 8] [--seconds 30] [--documents 20]
 * </pre>
 */
public final class ServeLoad {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What a run measured.
     *
     * @param byStatus requests by HTTP status (-1: no response: a connection error or timeout)
     * @param okLatencyMillis latencies of the 200 responses, sorted, ms
     * @param seconds the wall time of the run
     */
    public record Result(Map<Integer, Long> byStatus, double[] okLatencyMillis, double seconds) {

        /**
         * @return requests answered with a status other than 200 and 429, or not answered
         */
        public long errors() {
            return byStatus.entrySet().stream()
                    .filter(e -> e.getKey() != 200 && e.getKey() != 429)
                    .mapToLong(Map.Entry::getValue)
                    .sum();
        }

        /**
         * @param status an HTTP status
         * @return the requests answered with it
         */
        public long count(int status) {
            return byStatus.getOrDefault(status, 0L);
        }

        /**
         * @param p a percentile, 0..100
         * @return the latency of the 200 responses at that percentile (nearest rank), ms; NaN when there were none
         */
        public double percentile(double p) {
            if (okLatencyMillis.length == 0) {
                return Double.NaN;
            }
            int rank = (int) Math.ceil(p / 100 * okLatencyMillis.length);
            return okLatencyMillis[Math.max(0, Math.min(okLatencyMillis.length - 1, rank - 1))];
        }

        /**
         * @return successful requests per second
         */
        public double throughput() {
            return count(200) / seconds;
        }

        /**
         * @return a one-paragraph report
         */
        public String report() {
            return String.format(
                    Locale.ROOT,
                    "%d requests in %.1f s: %s; %.1f ok/s; latency of ok requests p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
                            + "max %.1f ms; errors (not 200 or 429): %d",
                    byStatus.values().stream().mapToLong(Long::longValue).sum(),
                    seconds,
                    new TreeMap<>(byStatus),
                    throughput(),
                    percentile(50),
                    percentile(90),
                    percentile(99),
                    percentile(100),
                    errors());
        }
    }

    private ServeLoad() {}

    /**
     * Runs the load.
     *
     * @param baseUrl the server, {@code http://HOST:PORT}
     * @param token the bearer token
     * @param route {@code rerank} or {@code embeddings}
     * @param model the model name
     * @param concurrency client threads
     * @param duration how long to send
     * @param documents documents per re-rank request (texts per embeddings request)
     * @return what was measured
     * @throws InterruptedException when interrupted
     */
    public static Result run(
            String baseUrl, String token, String route, String model, int concurrency, Duration duration, int documents)
            throws InterruptedException {
        if (!route.equals("rerank") && !route.equals("embeddings")) {
            throw new IllegalArgumentException("--route must be rerank or embeddings, got " + route);
        }
        if (concurrency < 1 || documents < 1) {
            throw new IllegalArgumentException("--concurrency and --documents must be >= 1");
        }
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        Map<Integer, Long> byStatus = new ConcurrentHashMap<>();
        List<double[]> latencies = new ArrayList<>();
        long end = System.nanoTime() + duration.toNanos();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        AtomicLong seq = new AtomicLong();
        for (int t = 0; t < concurrency; t++) {
            double[][] mine = {new double[1024]};
            int[] n = {0};
            Thread th = Thread.ofPlatform().name("serve-load-" + t).start(() -> {
                while (System.nanoTime() < end) {
                    long i = seq.incrementAndGet();
                    HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/" + route))
                            .timeout(Duration.ofSeconds(120))
                            .header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body(route, model, documents, i)))
                            .build();
                    long s = System.nanoTime();
                    int status;
                    try {
                        status = http.send(req, HttpResponse.BodyHandlers.ofString())
                                .statusCode();
                    } catch (IOException e) {
                        status = -1;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    byStatus.merge(status, 1L, Long::sum);
                    if (status == 200) {
                        if (n[0] == mine[0].length) {
                            mine[0] = Arrays.copyOf(mine[0], n[0] * 2);
                        }
                        mine[0][n[0]++] = (System.nanoTime() - s) / 1e6;
                    } else if (status == 429) {
                        try {
                            Thread.sleep(
                                    5); // a client backs off before retrying; Retry-After says 1 s, a load test retries
                            // soon
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
                synchronized (latencies) {
                    latencies.add(Arrays.copyOf(mine[0], n[0]));
                }
            });
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] all =
                latencies.stream().flatMapToDouble(Arrays::stream).sorted().toArray();
        return new Result(new HashMap<>(byStatus), all, seconds);
    }

    /** A request body: queries and documents vary with the request number, so no cache answers them. */
    private static String body(String route, String model, int documents, long i) {
        List<String> docs = new ArrayList<>(documents);
        for (int d = 0; d < documents; d++) {
            docs.add(
                    "Document " + d + " of request " + i + ": the little dog ran to the park and played with a red ball"
                            + " while the sun was shining over the tall trees.");
        }
        try {
            if (route.equals("rerank")) {
                return JSON.writeValueAsString(Map.of(
                        "model",
                        model,
                        "query",
                        "a dog playing in the park " + i,
                        "documents",
                        docs,
                        "top_n",
                        Math.min(10, documents)));
            }
            return JSON.writeValueAsString(Map.of("model", model, "input", docs));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The command line (see the class comment); exits 1 when any request failed with a status other than 200 or 429.
     *
     * @param args the arguments
     * @throws Exception on a bad argument or I/O error
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>(Map.of(
                "--route",
                "rerank",
                "--concurrency",
                "8",
                "--seconds",
                "30",
                "--documents",
                "20",
                "--url",
                "http://127.0.0.1:8080"));
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got '" + args[i] + "'");
            }
            a.put(args[i], args[++i]);
        }
        String token = a.containsKey("--token-file")
                ? Files.readString(Path.of(a.get("--token-file")), StandardCharsets.UTF_8)
                        .strip()
                : a.get("--token");
        if (token == null || !a.containsKey("--model")) {
            throw new IllegalArgumentException("--model and --token (or --token-file) are required");
        }
        Result r = run(
                a.get("--url"),
                token,
                a.get("--route"),
                a.get("--model"),
                Integer.parseInt(a.get("--concurrency")),
                Duration.ofSeconds(Long.parseLong(a.get("--seconds"))),
                Integer.parseInt(a.get("--documents")));
        PrintStream out = System.out;
        out.println("serve-load: route " + a.get("--route") + ", model " + a.get("--model") + ", concurrency "
                + a.get("--concurrency") + ", " + a.get("--documents") + " documents per request");
        out.println(r.report());
        System.exit(r.errors() == 0 ? 0 : 1);
    }
}
