package dev.winnow.webui.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.cohere.CohereScoringModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code winnow serve}'s API against a real server on 127.0.0.1 with the real stories260K model (mechanics, not
 * quality): LangChain4j's OpenAI embedding client and Cohere scoring client get exactly Winnow's own vectors and
 * scores; the rerank shape; every refusal (401, 404, 400 naming the field, 413); the metrics text.
 */
class ServeApiTest {
    private static final Path SHARED = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
    private static final Path MODEL = SHARED.resolve("models/stories260K.gguf");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final InContextOptions RANKER_OPTIONS =
            InContextOptions.defaults().withBudgets(384, 64).withThreads(1);
    private static final List<String> DOCS = List.of(
            "Once upon a time there was a little girl named Lily who loved to play outside.",
            "The big dog ran to the park and found a red ball.",
            "Tom and his mom baked a cake for the birthday party.",
            "The sun was shining and the birds were singing in the tall tree.",
            "Lily saw a cat on the roof and wanted to help it come down.");
    private static final String QUERY = "a girl who helps a cat";

    static ApiServer server;
    static List<ServedModel> served = new ArrayList<>();
    static String base;
    static String token;

    @BeforeAll
    static void start() throws Exception {
        for (String s : List.of(
                "emb=" + MODEL,
                "pw=pointwise:" + MODEL,
                "br=blockrank:" + MODEL,
                "icr=icr:" + MODEL,
                "bow=hashed-bow:64")) {
            served.add(ServedModel.open(ModelSpec.parse(s), 1, 1, 384, 4, Duration.ofSeconds(60)));
        }
        server = ApiServer.start(
                ApiServer.Options.defaults(0)
                        .withMaxDocuments(8)
                        .withMaxInputs(16)
                        .withMaxRequestBytes(64 * 1024),
                served);
        base = "http://127.0.0.1:" + server.port();
        token = server.token();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        served.forEach(ServedModel::close);
    }

    private static HttpResponse<String> post(String path, String body, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return post(path, body, "Bearer " + token);
    }

    private static HttpResponse<String> get(String path, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .GET();
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(
                r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                r.headers().toString());
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertNotNull(e, r.body());
        assertFalse(e.get("message").asText().isBlank());
        return e;
    }

    private static String rerankBody(String model, List<String> docs, Integer topN, boolean returnDocuments)
            throws Exception {
        Map<String, Object> m = new HashMap<>();
        m.put("model", model);
        m.put("query", QUERY);
        m.put("documents", docs);
        if (topN != null) {
            m.put("top_n", topN);
        }
        m.put("return_documents", returnDocuments);
        return JSON.writeValueAsString(m);
    }

    /** The ranker's own scores by request index, from a fresh ranker of the same kind over the same model. */
    private static Map<Integer, Double> ownScores(String ranker) {
        List<Candidate> cands = new ArrayList<>();
        for (int i = 0; i < DOCS.size(); i++) {
            cands.add(new Candidate(Integer.toString(i), "", DOCS.get(i), -i));
        }
        Map<Integer, Double> out = new HashMap<>();
        try (Model model = Llama.load().loadModel(MODEL);
                InContextRanker r = InContextRanker.byName(ranker, model, RANKER_OPTIONS)) {
            for (RankedDocument d : r.rank(QUERY, cands).documents()) {
                out.put(Integer.parseInt(d.docId()), d.score());
            }
        }
        return out;
    }

    @Test
    void langChain4jOpenAiClientGetsWinnowsOwnVectors() throws Exception {
        // a fresh server and a fresh embedder given the same calls: llama.cpp's sums depend on the context's size,
        // which
        // grows with the longest text an embedder has seen, so equal histories give bit-equal vectors
        List<TextSegment> segments = DOCS.stream().map(TextSegment::from).toList();
        List<Embedding> got;
        Embedding single;
        int dimension;
        try (ServedModel fresh =
                        ServedModel.open(ModelSpec.parse("emb=" + MODEL), 1, 1, 384, 0, Duration.ofSeconds(5));
                ApiServer own = ApiServer.start(ApiServer.Options.defaults(0), List.of(fresh))) {
            OpenAiEmbeddingModel client = OpenAiEmbeddingModel.builder()
                    .baseUrl(own.url())
                    .apiKey(own.token())
                    .modelName("emb")
                    .timeout(Duration.ofSeconds(60))
                    .maxRetries(0)
                    .build();
            got = client.embedAll(segments).content();
            single = client.embed(DOCS.get(2)).content();
            dimension = client.dimension();
        }
        float[][] own;
        float[] ownSingle;
        try (LlamaEmbedder e =
                LlamaEmbedder.open(MODEL, LlamaEmbedder.Options.defaults().withThreads(1))) {
            own = e.embed(DOCS, Embedder.Role.DOCUMENT);
            ownSingle = e.embed(List.of(DOCS.get(2)), Embedder.Role.DOCUMENT)[0];
        }
        assertEquals(DOCS.size(), got.size());
        for (int i = 0; i < own.length; i++) {
            assertArrayEquals(own[i], got.get(i).vector(), 0f, "text " + i);
        }
        assertArrayEquals(ownSingle, single.vector(), 0f);
        assertEquals(own[0].length, dimension);
        // the model-free embedder under another name, on the shared server
        OpenAiEmbeddingModel bow = OpenAiEmbeddingModel.builder()
                .baseUrl(base + "/v1")
                .apiKey(token)
                .modelName("bow")
                .maxRetries(0)
                .build();
        try (Embedder e = Embedders.open("hashed-bow:64")) {
            assertArrayEquals(
                    e.embed(List.of(DOCS.get(1)), Embedder.Role.DOCUMENT)[0],
                    bow.embed(DOCS.get(1)).content().vector(),
                    0f);
        }
    }

    @Test
    void langChain4jCohereClientGetsTheRankersScores() {
        for (String name : List.of("pw", "br")) {
            CohereScoringModel client = CohereScoringModel.builder()
                    .baseUrl(base + "/v1/")
                    .apiKey(token)
                    .modelName(name)
                    .timeout(Duration.ofSeconds(60))
                    .maxRetries(0)
                    .build();
            List<Double> scores = client.scoreAll(
                            DOCS.stream().map(TextSegment::from).toList(), QUERY)
                    .content();
            Map<Integer, Double> own = ownScores(name.equals("pw") ? "pointwise" : "blockrank");
            assertEquals(DOCS.size(), scores.size());
            for (int i = 0; i < DOCS.size(); i++) {
                assertEquals(own.get(i), scores.get(i), 0.0, name + " document " + i);
            }
        }
    }

    @Test
    void rerankShapeTopNAndDocumentsOnEveryRoute() throws Exception {
        Map<Integer, Double> own = ownScores("icr");
        for (String route : List.of("/v1/rerank", "/rerank", "/v2/rerank")) {
            HttpResponse<String> r = post(route, rerankBody("icr", DOCS, 3, true));
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = JSON.readTree(r.body());
            assertEquals("icr", body.get("model").asText());
            JsonNode results = body.get("results");
            assertEquals(3, results.size());
            double previous = Double.POSITIVE_INFINITY;
            for (JsonNode res : results) {
                int index = res.get("index").asInt();
                double score = res.get("relevance_score").asDouble();
                assertEquals(own.get(index), score, 0.0, route + " index " + index);
                assertTrue(score <= previous, "results best first");
                previous = score;
                assertEquals(DOCS.get(index), res.get("document").get("text").asText());
            }
            assertTrue(body.get("usage").get("total_tokens").asLong() > 0, r.body());
        }
        // documents as {text} objects, no top_n, no documents returned
        List<Map<String, String>> objects =
                DOCS.stream().map(d -> Map.of("text", d)).toList();
        HttpResponse<String> r = post(
                "/v1/rerank", JSON.writeValueAsString(Map.of("model", "icr", "query", QUERY, "documents", objects)));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode results = JSON.readTree(r.body()).get("results");
        assertEquals(DOCS.size(), results.size());
        assertNull(results.get(0).get("document"));
        assertEquals(
                own.get(results.get(0).get("index").asInt()),
                results.get(0).get("relevance_score").asDouble(),
                0.0);
        // an embedder re-ranks by the cosine of its unit query and document vectors
        HttpResponse<String> bow = post("/rerank", rerankBody("bow", DOCS, null, false));
        assertEquals(200, bow.statusCode(), bow.body());
        try (Embedder e = Embedders.open("hashed-bow:64")) {
            float[] q = Embedder.unitLength(e.embed(List.of(QUERY), Embedder.Role.QUERY)[0]);
            for (JsonNode res : JSON.readTree(bow.body()).get("results")) {
                float[] d = Embedder.unitLength(
                        e.embed(List.of(DOCS.get(res.get("index").asInt())), Embedder.Role.DOCUMENT)[0]);
                double dot = 0;
                for (int i = 0; i < q.length; i++) {
                    dot += q[i] * d[i];
                }
                assertEquals(dot, res.get("relevance_score").asDouble(), 0.0, res.toString());
            }
        }
    }

    @Test
    void base64EncodingCarriesTheSameFloats() throws Exception {
        HttpResponse<String> f = post("/v1/embeddings", "{\"model\":\"emb\",\"input\":\"hello there\"}");
        HttpResponse<String> b = post(
                "/v1/embeddings", "{\"model\":\"emb\",\"input\":[\"hello there\"],\"encoding_format\":\"base64\"}");
        assertEquals(200, f.statusCode(), f.body());
        assertEquals(200, b.statusCode(), b.body());
        JsonNode fv = JSON.readTree(f.body());
        assertEquals("list", fv.get("object").asText());
        assertEquals("embedding", fv.get("data").get(0).get("object").asText());
        assertEquals(0, fv.get("data").get(0).get("index").asInt());
        assertTrue(fv.get("usage").get("prompt_tokens").asLong() > 0);
        JsonNode floats = fv.get("data").get(0).get("embedding");
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder()
                        .decode(JSON.readTree(b.body())
                                .get("data")
                                .get(0)
                                .get("embedding")
                                .asText()))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(floats.size() * 4, buf.remaining());
        for (int i = 0; i < floats.size(); i++) {
            assertEquals((float) floats.get(i).asDouble(), buf.getFloat(), 0f, "component " + i);
        }
    }

    @Test
    void tokenIsRequiredAndComparedExactly() throws Exception {
        String body = rerankBody("pw", DOCS, null, false);
        HttpResponse<String> none = post("/v1/rerank", body, null);
        assertEquals("missing_api_key", error(none, 401).get("code").asText());
        assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals(
                "invalid_api_key",
                error(post("/v1/rerank", body, "Bearer " + token + "x"), 401)
                        .get("code")
                        .asText());
        error(post("/v1/rerank", body, "Bearer " + token.substring(1)), 401);
        error(post("/v1/rerank", body, "Basic " + token), 401);
        error(post("/v1/embeddings", "{\"model\":\"emb\",\"input\":\"x\"}", "Bearer "), 401);
        error(get("/metrics", null), 401);
        error(get("/v1/models", "Bearer wrong-token-wrong-token"), 401);
        // an unknown route is 401 without the token, 404 with it: nothing is revealed before the token
        error(get("/v1/secret", null), 401);
        error(get("/v1/secret", "Bearer " + token), 404);
        // the load balancer's health check needs no token and reveals nothing
        HttpResponse<String> health = get("/health", null);
        assertEquals(200, health.statusCode());
        assertEquals("{\"status\":\"ok\"}", health.body());
        JsonNode listed =
                JSON.readTree(get("/v1/models", "Bearer " + token).body()).get("data");
        assertEquals(List.of("emb", "pw", "br", "icr", "bow"), listed.findValuesAsText("id"));
    }

    @Test
    void badRequestsNameTheField() throws Exception {
        JsonNode e = error(post("/v1/rerank", rerankBody("nope", DOCS, null, false)), 404);
        assertEquals("model_not_found", e.get("code").asText());
        assertEquals("model", e.get("param").asText());
        assertTrue(e.get("message").asText().contains("pw (pointwise)"), e.toString());
        e = error(
                post("/v1/rerank", rerankBody("pw", List.of("a", "b", "c", "d", "e", "f", "g", "h", "i"), null, false)),
                400);
        assertEquals("documents", e.get("param").asText());
        assertEquals("too_many_documents", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("at most 8"), e.toString());
        assertEquals(
                "top_n",
                error(post("/v1/rerank", rerankBody("pw", DOCS, 0, false)), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "query",
                error(post("/v1/rerank", "{\"model\":\"pw\",\"documents\":[\"a\"]}"), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "query",
                error(post("/v1/rerank", "{\"model\":\"pw\",\"query\":\"  \",\"documents\":[\"a\"]}"), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "documents",
                error(post("/v1/rerank", "{\"model\":\"pw\",\"query\":\"q\",\"documents\":[]}"), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "documents",
                error(post("/v1/rerank", "{\"model\":\"pw\",\"query\":\"q\",\"documents\":[3]}"), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "model",
                error(post("/v1/embeddings", "{\"model\":\"pw\",\"input\":\"x\"}"), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "input",
                error(post("/v1/embeddings", "{\"model\":\"emb\",\"input\":[1,2,3]}"), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "input",
                error(post("/v1/embeddings", "{\"model\":\"emb\"}"), 400)
                        .get("param")
                        .asText());
        e = error(
                post(
                        "/v1/embeddings",
                        JSON.writeValueAsString(
                                Map.of("model", "emb", "input", java.util.Collections.nCopies(17, "x")))),
                400);
        assertEquals("too_many_inputs", e.get("code").asText());
        assertEquals(
                "encoding_format",
                error(post("/v1/embeddings", "{\"model\":\"emb\",\"input\":\"x\",\"encoding_format\":\"int8\"}"), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "dimensions",
                error(post("/v1/embeddings", "{\"model\":\"emb\",\"input\":\"x\",\"dimensions\":3}"), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "model",
                error(post("/v1/embeddings", "{\"input\":\"x\"}"), 400)
                        .get("param")
                        .asText());
        assertTrue(error(post("/v1/rerank", "{not json"), 400)
                .get("message")
                .asText()
                .contains("not JSON"));
        error(post("/v1/rerank", "[1,2]"), 400);
    }

    @Test
    void oversizeBodiesAre413BeforeTheyAreRead() throws Exception {
        String big = rerankBody("pw", List.of("x".repeat(70 * 1024)), null, false);
        JsonNode e = error(post("/v1/rerank", big), 413);
        assertEquals("request_too_large", e.get("code").asText());
        // a chunked body (no Content-Length) is cut off at the limit too
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                            + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = ("{\"input\":\"" + "y".repeat(8000)).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 10; i++) {
                out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 413"), response);
            assertTrue(response.contains("request_too_large"), response);
        }
    }

    @Test
    void metricsCountRequestsByRouteAndStatus() throws Exception {
        assertEquals(200, post("/v1/rerank", rerankBody("pw", DOCS, 2, false)).statusCode());
        error(post("/v1/rerank", rerankBody("nope", DOCS, 2, false)), 404);
        // a request is counted once its handler returns, which can be just after its client read the response
        HttpResponse<String> m;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            m = get("/metrics", "Bearer " + token);
        } while (counter(m.body(), "winnow_requests_total{route=\"/v1/rerank\",status=\"404\"}") < 1
                && System.nanoTime() < deadline);
        assertEquals(200, m.statusCode());
        assertTrue(
                m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                m.headers().toString());
        String text = m.body();
        assertTrue(counter(text, "winnow_requests_total{route=\"/v1/rerank\",status=\"200\"}") >= 1, text);
        assertTrue(counter(text, "winnow_requests_total{route=\"/v1/rerank\",status=\"404\"}") >= 1, text);
        long count = counter(text, "winnow_request_duration_seconds_count{route=\"/v1/rerank\"}");
        assertEquals(count, counter(text, "winnow_request_duration_seconds_bucket{route=\"/v1/rerank\",le=\"+Inf\"}"));
        assertTrue(count >= 2, text);
        assertEquals(0, counter(text, "winnow_queue_depth{model=\"pw\"}"), text);
        assertEquals(1, counter(text, "winnow_contexts{model=\"pw\"}"), text);
        assertTrue(text.contains("# TYPE winnow_request_duration_seconds histogram"), text);
    }

    static long counter(String text, String series) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\d+)$").matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void specParsing() {
        ModelSpec s = ModelSpec.parse("rr=pointwise:/m/q.gguf");
        assertEquals("rr", s.name());
        assertEquals("pointwise", s.ranker());
        assertEquals("/m/q.gguf", s.source());
        assertFalse(s.embedder());
        assertTrue(ModelSpec.parse("e=embedding:minilm").embedder());
        assertEquals("hashed-bow:64", ModelSpec.parse("b=hashed-bow:64").source());
        assertTrue(ModelSpec.parse("m=minilm")
                .catalogEntry(dev.winnow.models.catalog.ModelCatalog.builtIn())
                .isPresent());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("minilm"))
                .getMessage()
                .contains("NAME=SPEC"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("a b=x"))
                .getMessage()
                .contains("name 'a b'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("a="))
                .getMessage()
                .contains("no model file"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> ServedModel.open(
                                ModelSpec.parse("a=pointwise:missing.gguf"), 1, 1, 384, 0, Duration.ofSeconds(1)))
                .getMessage()
                .contains("neither an existing model file nor a catalog name"));
    }
}
