package dev.winnow.webui.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.RankedDocument;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.stream.Collectors;
import org.eclipse.jetty.servlet.FilterHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of {@code winnow serve} (Javalin on Jetty): OpenAI-compatible {@code POST /v1/embeddings}, re-ranking
 * in the shape Cohere, Jina and llama.cpp's server share ({@code POST /v1/rerank}, also {@code /rerank} and {@code
 * /v2/rerank}), {@code GET /v1/models}, {@code GET /health} and Prometheus text at {@code GET /metrics}.
 *
 * <p>Security (docs/serve.md): it listens on loopback unless told otherwise; every route but {@code /health} needs
 * {@code Authorization: Bearer TOKEN} (a random 256-bit token made at start, or one given; compared in constant time;
 * 401 without it or with a wrong one, as OpenAI and Cohere answer). No cookies are used and no CORS headers are sent,
 * so a web page cannot call the API on a user's behalf. Bodies over the limit are refused (413) before they are read,
 * inputs and documents over their count limits with 400 naming the field; each model has a bounded {@link
 * ContextPool}, and a request that finds it full is refused with 429 and {@code Retry-After}. {@link #close()} stops
 * taking requests (503), lets those in flight finish, then stops the server.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ROUTES = Set.of(
            "/v1/embeddings",
            "/embeddings",
            "/v1/rerank",
            "/rerank",
            "/v2/rerank",
            "/v1/models",
            "/health",
            "/metrics");

    /**
     * How to serve.
     *
     * @param host the address to listen on ({@code 127.0.0.1} by default)
     * @param port the port; 0 picks a free one
     * @param token the bearer token clients must send (at least 16 characters), or {@code null} for a random one
     * @param maxRequestBytes the largest request body
     * @param maxInputs the most texts in one embeddings request
     * @param maxDocuments the most documents in one rerank request
     * @param retryAfterSeconds the {@code Retry-After} sent with 429
     * @param shutdownGrace how long {@link #close()} waits for requests in flight
     */
    public record Options(
            String host,
            int port,
            String token,
            long maxRequestBytes,
            int maxInputs,
            int maxDocuments,
            int retryAfterSeconds,
            Duration shutdownGrace) {

        /** @throws IllegalArgumentException naming the setting out of range */
        public Options {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            if (token != null && token.strip().length() < 16) {
                throw new IllegalArgumentException("the API token must have at least 16 characters");
            }
            if (maxRequestBytes < 1 || maxInputs < 1 || maxDocuments < 1) {
                throw new IllegalArgumentException("limits must be >= 1: max request bytes " + maxRequestBytes
                        + ", max inputs " + maxInputs + ", max documents " + maxDocuments);
            }
            if (retryAfterSeconds < 1) {
                throw new IllegalArgumentException("Retry-After must be >= 1 s, got " + retryAfterSeconds);
            }
        }

        /**
         * Loopback, a random token, 16 MiB bodies, 2048 inputs (OpenAI's limit), 1000 documents, Retry-After 1 s, 30 s
         * to finish requests at shutdown.
         *
         * @param port the port (0: a free one)
         * @return the options
         */
        public static Options defaults(int port) {
            return new Options("127.0.0.1", port, null, 16L << 20, 2048, 1000, 1, Duration.ofSeconds(30));
        }

        /**
         * @param n the most documents in one rerank request
         * @return a copy with that limit
         */
        public Options withMaxDocuments(int n) {
            return new Options(host, port, token, maxRequestBytes, maxInputs, n, retryAfterSeconds, shutdownGrace);
        }

        /**
         * @param n the most texts in one embeddings request
         * @return a copy with that limit
         */
        public Options withMaxInputs(int n) {
            return new Options(host, port, token, maxRequestBytes, n, maxDocuments, retryAfterSeconds, shutdownGrace);
        }

        /**
         * @param bytes the largest request body
         * @return a copy with that limit
         */
        public Options withMaxRequestBytes(long bytes) {
            return new Options(host, port, token, bytes, maxInputs, maxDocuments, retryAfterSeconds, shutdownGrace);
        }
    }

    private final Options options;
    private final String token;
    private final byte[] tokenHash;
    private final Map<String, ServedModel> models = new LinkedHashMap<>();
    private final ServeMetrics metrics = new ServeMetrics();
    private final Javalin app;
    private volatile boolean draining;

    private ApiServer(Options options, List<ServedModel> served) {
        this.options = options;
        this.token = options.token() != null ? options.token().strip() : randomToken();
        this.tokenHash = sha256(token);
        for (ServedModel m : served) {
            if (models.putIfAbsent(m.name(), m) != null) {
                throw new IllegalArgumentException("--model: the name '" + m.name() + "' is given twice");
            }
        }
        if (models.isEmpty()) {
            throw new IllegalArgumentException("serve at least one model (--model NAME=SPEC)");
        }
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = options.maxRequestBytes();
            config.jetty.modifyServletContextHandler(
                    h -> h.addFilter(new FilterHolder(new Accounting()), "/*", EnumSet.of(DispatcherType.REQUEST)));
        });
        routes();
    }

    /**
     * Starts a server over models already opened (the caller closes them after the server).
     *
     * @param options how to serve
     * @param served the models, with distinct names
     * @return the running server
     * @throws IllegalArgumentException when no model is given or a name repeats
     */
    public static ApiServer start(Options options, List<ServedModel> served) {
        ApiServer s = new ApiServer(options, served);
        s.app.start(options.host(), options.port());
        if (!isLoopback(options.host())) {
            LOG.warn(
                    "the API server listens on {}, not on loopback: anyone who can reach it and has the token can use it;"
                            + " put TLS in front of it (docs/serve.md)",
                    options.host());
        }
        return s;
    }

    /**
     * @return the port the server listens on
     */
    public int port() {
        return app.port();
    }

    /**
     * @return the bearer token clients must send
     */
    public String token() {
        return token;
    }

    /**
     * @return the base URL of the OpenAI-style API, {@code http://HOST:PORT/v1} (loopback shown as 127.0.0.1)
     */
    public String url() {
        String h = options.host();
        if (isLoopback(h) || h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]")) {
            h = "127.0.0.1";
        }
        if (h.contains(":") && !h.startsWith("[")) {
            h = "[" + h + "]";
        }
        return "http://" + h + ":" + port() + "/v1";
    }

    /**
     * @return the served models by name
     */
    public Map<String, ServedModel> models() {
        return Map.copyOf(models);
    }

    /**
     * @return the metrics text {@code /metrics} serves
     */
    public String metricsText() {
        return metrics.render(models.values());
    }

    // ---- routes ----

    private void routes() {
        app.before(this::authorize);
        app.exception(ApiException.class, (e, ctx) -> error(ctx, e));
        app.exception(
                HttpResponseException.class,
                (e, ctx) -> error(
                        ctx,
                        new ApiException(
                                e.getStatus(),
                                "invalid_request_error",
                                null,
                                null,
                                e.getStatus() == 404
                                        ? "no route " + ctx.method() + " " + ctx.path()
                                        : e.getMessage())));
        app.exception(
                CancellationException.class,
                (e, ctx) -> error(
                        ctx,
                        new ApiException(
                                503, "server_error", null, null, "the request was cancelled: the server is stopping")));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("API request {} {} failed", ctx.method(), ctx.path(), e);
            error(
                    ctx,
                    new ApiException(
                            500,
                            "server_error",
                            null,
                            null,
                            "internal error while handling " + ctx.method() + " " + ctx.path()
                                    + " (details in the server log)"));
        });
        app.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
        app.get("/metrics", ctx -> {
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8");
            ctx.result(metricsText());
        });
        app.get("/v1/models", this::listModels);
        app.post("/v1/embeddings", this::embeddings);
        app.post("/embeddings", this::embeddings);
        app.post("/v1/rerank", this::rerank);
        app.post("/rerank", this::rerank);
        app.post("/v2/rerank", this::rerank);
    }

    private void authorize(Context ctx) {
        if (ctx.path().equals("/health") && ctx.method().name().equals("GET")) {
            return;
        }
        String auth = ctx.header("Authorization");
        String presented = null;
        if (auth != null) {
            String a = auth.strip();
            if (a.regionMatches(true, 0, "Bearer ", 0, 7)) {
                presented = a.substring(7).strip();
            } else if (a.regionMatches(true, 0, "token ", 0, 6)) {
                presented = a.substring(6).strip();
            }
        }
        if (presented == null || presented.isEmpty()) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(
                    401,
                    "authentication_error",
                    null,
                    "missing_api_key",
                    "no API token: send the header 'Authorization: Bearer TOKEN' with the token winnow serve printed at start");
        }
        if (!MessageDigest.isEqual(sha256(presented), tokenHash)) {
            ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            throw new ApiException(401, "authentication_error", null, "invalid_api_key", "wrong API token");
        }
    }

    private void listModels(Context ctx) {
        ObjectNode out = JSON.createObjectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        for (ServedModel m : models.values()) {
            ObjectNode d = data.addObject();
            d.put("id", m.name());
            d.put("object", "model");
            d.put("owned_by", "winnow");
            d.put("ranker", m.rankerName());
            if (m.servesEmbeddings()) {
                d.put("dimension", m.dimension());
            }
        }
        send(ctx, out);
    }

    private void embeddings(Context ctx) throws Exception {
        JsonNode body = readBody(ctx);
        ServedModel m = model(body, true);
        JsonNode in = body.get("input");
        List<String> texts = new ArrayList<>();
        if (in == null || in.isNull()) {
            throw ApiException.badField("input", "missing 'input': a string or an array of strings");
        } else if (in.isTextual()) {
            texts.add(in.asText());
        } else if (in.isArray()) {
            if (in.isEmpty()) {
                throw ApiException.badField("input", "'input' is an empty array");
            }
            if (in.size() > options.maxInputs()) {
                throw new ApiException(
                        400,
                        "invalid_request_error",
                        "input",
                        "too_many_inputs",
                        "'input' has " + in.size() + " texts; at most " + options.maxInputs() + " per request");
            }
            for (int i = 0; i < in.size(); i++) {
                if (!in.get(i).isTextual()) {
                    throw ApiException.badField(
                            "input",
                            "'input[" + i + "]' is not a string"
                                    + (in.get(i).isNumber() || in.get(i).isArray()
                                            ? " (token arrays are not accepted; send text)"
                                            : ""));
                }
                texts.add(in.get(i).asText());
            }
        } else {
            throw ApiException.badField("input", "'input' must be a string or an array of strings");
        }
        String format = text(body, "encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.badField(
                    "encoding_format", "'encoding_format' must be 'float' or 'base64', got '" + format + "'");
        }
        JsonNode dims = body.get("dimensions");
        if (dims != null && !dims.isNull() && (!dims.canConvertToInt() || dims.asInt() != m.dimension())) {
            throw ApiException.badField(
                    "dimensions",
                    "model '" + m.name() + "' gives " + m.dimension() + "-dimensional vectors; 'dimensions' " + dims
                            + " cannot be served");
        }
        String inputType = text(body, "input_type", "document");
        Embedder.Role role = switch (inputType) {
            case "query", "search_query" -> Embedder.Role.QUERY;
            case "document", "search_document", "passage" -> Embedder.Role.DOCUMENT;
            default ->
                throw ApiException.badField(
                        "input_type", "'input_type' must be 'query' or 'document', got '" + inputType + "'");
        };
        ServedModel.Embedded e = m.embed(texts, role);
        ObjectNode out = JSON.createObjectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < e.vectors().length; i++) {
            ObjectNode d = data.addObject();
            d.put("object", "embedding");
            d.put("index", i);
            float[] v = e.vectors()[i];
            if (format.equals("base64")) {
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) {
                    b.putFloat(x);
                }
                d.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode a = d.putArray("embedding");
                for (float x : v) {
                    a.add(x);
                }
            }
        }
        out.put("model", m.name());
        ObjectNode usage = out.putObject("usage");
        usage.put("prompt_tokens", e.tokens());
        usage.put("total_tokens", e.tokens());
        send(ctx, out);
    }

    private void rerank(Context ctx) throws Exception {
        JsonNode body = readBody(ctx);
        ServedModel m = model(body, false);
        JsonNode q = body.get("query");
        if (q == null || !q.isTextual() || q.asText().isBlank()) {
            throw ApiException.badField("query", "'query' must be a non-blank string");
        }
        JsonNode docs = body.get("documents");
        if (docs == null || !docs.isArray() || docs.isEmpty()) {
            throw ApiException.badField(
                    "documents", "'documents' must be a non-empty array of strings or {\"text\": ...}");
        }
        if (docs.size() > options.maxDocuments()) {
            throw new ApiException(
                    400,
                    "invalid_request_error",
                    "documents",
                    "too_many_documents",
                    "'documents' has " + docs.size() + " entries; at most " + options.maxDocuments() + " per request");
        }
        List<Candidate> candidates = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            JsonNode d = docs.get(i);
            String t;
            if (d.isTextual()) {
                t = d.asText();
            } else if (d.isObject() && d.path("text").isTextual()) {
                t = d.get("text").asText();
            } else {
                throw ApiException.badField(
                        "documents", "'documents[" + i + "]' must be a string or {\"text\": string}");
            }
            // docId = the request's index; first-stage scores keep the request's order as the canonical order
            candidates.add(new Candidate(Integer.toString(i), "", t, -i));
        }
        int topN = docs.size();
        JsonNode n = body.get("top_n");
        if (n != null && !n.isNull()) {
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 1) {
                throw ApiException.badField("top_n", "'top_n' must be an integer >= 1, got " + n);
            }
            topN = Math.min(topN, n.asInt());
        }
        JsonNode rd = body.get("return_documents");
        if (rd != null && !rd.isNull() && !rd.isBoolean()) {
            throw ApiException.badField("return_documents", "'return_documents' must be true or false, got " + rd);
        }
        boolean returnDocuments = rd != null && rd.asBoolean();
        ServedModel.Scored scored;
        try {
            scored = m.rank(q.asText(), candidates);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(null, "cannot rank: " + e.getMessage());
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("id", UUID.randomUUID().toString());
        out.put("model", m.name());
        ArrayNode results = out.putArray("results");
        for (RankedDocument d : scored.documents().subList(0, topN)) {
            ObjectNode r = results.addObject();
            r.put("index", Integer.parseInt(d.docId()));
            r.put("relevance_score", d.score());
            if (returnDocuments) {
                r.putObject("document").put("text", d.candidate().text());
            }
        }
        ObjectNode usage = out.putObject("usage");
        usage.put("prompt_tokens", scored.tokens());
        usage.put("total_tokens", scored.tokens());
        ObjectNode meta = out.putObject("meta");
        meta.putObject("api_version").put("version", "1");
        meta.putObject("billed_units").put("search_units", 1);
        send(ctx, out);
    }

    /** The model a request names, of the kind the route needs. */
    private ServedModel model(JsonNode body, boolean embeddings) {
        JsonNode f = body.get("model");
        if (f == null || f.isNull()) {
            List<ServedModel> fit = models.values().stream()
                    .filter(m -> !embeddings || m.servesEmbeddings())
                    .toList();
            if (fit.size() == 1) {
                return fit.get(0);
            }
            throw ApiException.badField("model", "missing 'model': one of " + names());
        }
        if (!f.isTextual()) {
            throw ApiException.badField("model", "'model' must be a string");
        }
        ServedModel m = models.get(f.asText());
        if (m == null) {
            throw new ApiException(
                    404,
                    "invalid_request_error",
                    "model",
                    "model_not_found",
                    "model '" + f.asText() + "' is not served here; served: " + names());
        }
        if (embeddings && !m.servesEmbeddings()) {
            throw ApiException.badField(
                    "model",
                    "model '" + m.name() + "' is a " + m.rankerName()
                            + " re-ranker: it serves /v1/rerank, not embeddings");
        }
        return m;
    }

    private String names() {
        return models.values().stream()
                .map(m -> m.name() + " (" + m.rankerName() + ")")
                .collect(Collectors.joining(", "));
    }

    private static String text(JsonNode body, String field, String dflt) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw ApiException.badField(field, "'" + field + "' must be a string");
        }
        return v.asText();
    }

    /** The JSON object of the body, read up to the size limit. */
    private JsonNode readBody(Context ctx) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        long max = options.maxRequestBytes();
        if (declared > max) {
            throw tooLarge(declared);
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] b = new byte[8192];
            int r;
            while ((r = in.read(b)) >= 0) {
                buf.write(b, 0, r);
                if (buf.size() > max) {
                    throw tooLarge(-1);
                }
            }
        }
        JsonNode body;
        try {
            body = JSON.readTree(buf.toByteArray());
        } catch (JsonProcessingException e) {
            throw ApiException.badField(null, "request body is not JSON: " + e.getOriginalMessage());
        }
        if (body == null || !body.isObject()) {
            throw ApiException.badField(null, "request body must be a JSON object");
        }
        return body;
    }

    private ApiException tooLarge(long declared) {
        return new ApiException(
                413,
                "invalid_request_error",
                null,
                "request_too_large",
                "request body " + (declared >= 0 ? "of " + declared + " bytes " : "") + "is over the limit of "
                        + options.maxRequestBytes() + " bytes (--max-request-mb)");
    }

    private void error(Context ctx, ApiException e) {
        if (e.status() == 429) {
            ctx.header("Retry-After", Integer.toString(options.retryAfterSeconds()));
        }
        ctx.status(e.status());
        send(ctx, errorBody(e));
    }

    private static ObjectNode errorBody(ApiException e) {
        ObjectNode out = JSON.createObjectNode();
        ObjectNode err = out.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        err.put("param", e.param());
        err.put("code", e.code());
        return out;
    }

    private static void send(Context ctx, JsonNode body) {
        ctx.contentType("application/json");
        try {
            ctx.result(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- accounting, draining ----

    /** Counts every request (route, status, latency, in flight) and refuses new ones while the server drains. */
    private final class Accounting implements Filter {
        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            HttpServletRequest req = (HttpServletRequest) request;
            HttpServletResponse res = (HttpServletResponse) response;
            long start = System.nanoTime();
            String route = ROUTES.contains(req.getRequestURI()) ? req.getRequestURI() : "other";
            metrics.inFlight.incrementAndGet();
            try {
                if (draining) {
                    res.setStatus(503);
                    res.setHeader("Connection", "close");
                    res.setContentType("application/json");
                    res.getOutputStream()
                            .write(JSON.writeValueAsBytes(errorBody(new ApiException(
                                    503, "server_error", null, "shutting_down", "the server is shutting down"))));
                    return;
                }
                chain.doFilter(request, response);
            } finally {
                metrics.inFlight.decrementAndGet();
                metrics.record(route, res.getStatus(), (System.nanoTime() - start) / 1e9);
            }
        }
    }

    /**
     * Stops gracefully: new requests get 503, requests in flight finish (up to the grace period), then the server
     * stops. The models stay open (the caller closes them).
     */
    @Override
    public void close() {
        draining = true;
        long deadline = System.nanoTime() + options.shutdownGrace().toNanos();
        while (metrics.inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (metrics.inFlight.get() > 0) {
            LOG.warn(
                    "stopping with {} requests still in flight after {} s",
                    metrics.inFlight.get(),
                    options.shutdownGrace().toSeconds());
        }
        app.stop();
    }

    private static String randomToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return host.equals("localhost") || InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }
}
