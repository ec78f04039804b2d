package dev.winnow.webui.serve;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * The server's counters in the Prometheus text exposition format (version 0.0.4): requests by route and status, a
 * latency histogram by route, requests in flight, and per model its contexts, the busy ones and the requests waiting
 * (queue depth). Thread-safe.
 */
final class ServeMetrics {
    /** Upper bounds of the latency buckets, seconds. */
    static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private record Key(String route, int status) {}

    private static final class Histogram {
        final AtomicLongArray counts = new AtomicLongArray(BUCKETS.length + 1);
        final DoubleAdder sum = new DoubleAdder();
        final AtomicLong count = new AtomicLong();
    }

    private final Map<Key, AtomicLong> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    final AtomicLong inFlight = new AtomicLong();

    /**
     * Records one finished request.
     *
     * @param route the route (a known path, or {@code other})
     * @param status the HTTP status sent
     * @param seconds the time from arrival to the end of the response
     */
    void record(String route, int status, double seconds) {
        requests.computeIfAbsent(new Key(route, status), k -> new AtomicLong()).incrementAndGet();
        Histogram h = latency.computeIfAbsent(route, r -> new Histogram());
        int b = 0;
        while (b < BUCKETS.length && seconds > BUCKETS[b]) {
            b++;
        }
        h.counts.incrementAndGet(b);
        h.sum.add(seconds);
        h.count.incrementAndGet();
    }

    /**
     * The exposition text.
     *
     * @param models the served models (for the pool gauges)
     * @return the text
     */
    String render(Collection<ServedModel> models) {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP winnow_requests_total HTTP requests by route and status.\n");
        sb.append("# TYPE winnow_requests_total counter\n");
        TreeMap<String, Long> sorted = new TreeMap<>();
        requests.forEach(
                (k, v) -> sorted.put(labels("route", k.route(), "status", Integer.toString(k.status())), v.get()));
        sorted.forEach((l, v) -> sb.append("winnow_requests_total")
                .append(l)
                .append(' ')
                .append(v)
                .append('\n'));
        sb.append("# HELP winnow_request_duration_seconds Request latency by route.\n");
        sb.append("# TYPE winnow_request_duration_seconds histogram\n");
        new TreeMap<>(latency).forEach((route, h) -> {
            long cumulative = 0;
            for (int b = 0; b <= BUCKETS.length; b++) {
                cumulative += h.counts.get(b);
                String le = b < BUCKETS.length ? num(BUCKETS[b]) : "+Inf";
                sb.append("winnow_request_duration_seconds_bucket")
                        .append(labels("route", route, "le", le))
                        .append(' ')
                        .append(cumulative)
                        .append('\n');
            }
            sb.append("winnow_request_duration_seconds_sum")
                    .append(labels("route", route))
                    .append(' ')
                    .append(num(h.sum.sum()))
                    .append('\n');
            sb.append("winnow_request_duration_seconds_count")
                    .append(labels("route", route))
                    .append(' ')
                    .append(h.count.get())
                    .append('\n');
        });
        sb.append("# HELP winnow_requests_in_flight Requests being handled now.\n");
        sb.append("# TYPE winnow_requests_in_flight gauge\n");
        sb.append("winnow_requests_in_flight ").append(inFlight.get()).append('\n');
        gauge(
                sb,
                models,
                "winnow_queue_depth",
                "Requests waiting for a context of the model.",
                ContextPoolGauge.WAITING);
        gauge(
                sb,
                models,
                "winnow_contexts_busy",
                "Contexts of the model serving a request now.",
                ContextPoolGauge.BUSY);
        gauge(sb, models, "winnow_contexts", "Contexts of the model.", ContextPoolGauge.SIZE);
        return sb.toString();
    }

    private enum ContextPoolGauge {
        WAITING,
        BUSY,
        SIZE
    }

    private static void gauge(
            StringBuilder sb, Collection<ServedModel> models, String name, String help, ContextPoolGauge which) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" gauge\n");
        for (ServedModel m : models) {
            ContextPool<?> p = m.pool();
            int v = switch (which) {
                case WAITING -> p.waiting();
                case BUSY -> p.busy();
                case SIZE -> p.size();
            };
            sb.append(name)
                    .append(labels("model", m.name()))
                    .append(' ')
                    .append(v)
                    .append('\n');
        }
    }

    private static String num(double d) {
        return String.format(Locale.ROOT, "%s", d);
    }

    private static String labels(String... kv) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(kv[i])
                    .append("=\"")
                    .append(kv[i + 1]
                            .replace("\\", "\\\\")
                            .replace("\"", "\\\"")
                            .replace("\n", "\\n"))
                    .append('"');
        }
        return sb.append('}').toString();
    }
}
