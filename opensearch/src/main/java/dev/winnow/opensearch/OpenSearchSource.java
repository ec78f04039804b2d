package dev.winnow.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.client.RestClient;

/**
 * A first stage backed by an OpenSearch index, through OpenSearch's REST client: creates the index with an analysis
 * chain and BM25 parameters equivalent to a Winnow {@link IndexSettings} (for {@code english}: standard tokenizer,
 * English possessive, lowercase, English stop words, Porter stemming, as Lucene's {@code EnglishAnalyzer}), indexes
 * documents the way Winnow's local index does (title and text in one searched field, separated by a newline), and
 * retrieves with {@code search_type=dfs_query_then_fetch}, so that every shard scores with the collection's global
 * term statistics and the scores match a single local index.
 *
 * <p>{@link #searchAll} returns per query id the {@link Hit}s, the same shape as {@code DocumentIndex.searchAll}: hand
 * them to {@code Reranking.rerank(queries, hits, ranker, ...)} (or {@code Reranking.candidates(hits)}) like local hits.
 * Thread-safe (the REST client is).
 */
public final class OpenSearchSource implements AutoCloseable {

    /** The searched field: title and text, as Winnow's local index builds it. */
    public static final String CONTENTS = "contents";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MSEARCH_BATCH = 50;

    private final RestClient client;
    private final String index;

    private OpenSearchSource(RestClient client, String index) {
        this.client = client;
        this.index = index;
    }

    /**
     * Connects to a cluster.
     *
     * @param nodes the HTTP addresses of one or more nodes, e.g. {@code http://127.0.0.1:9200}
     * @param index the index name (lower case, as OpenSearch requires)
     * @return the source; close it to close the client
     */
    public static OpenSearchSource connect(List<URI> nodes, String index) {
        if (nodes == null || nodes.isEmpty()) {
            throw new IllegalArgumentException("OpenSearch nodes: at least one HTTP address is needed, got none");
        }
        if (index == null || index.isBlank() || !index.equals(index.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(
                    "OpenSearch index name '" + index + "' must be non-blank and lower case");
        }
        HttpHost[] hosts = new HttpHost[nodes.size()];
        for (int i = 0; i < hosts.length; i++) {
            URI u = nodes.get(i);
            if (u.getHost() == null || u.getPort() < 0) {
                throw new IllegalArgumentException("OpenSearch node address '" + u + "' needs a host and a port");
            }
            hosts[i] = new HttpHost(u.getScheme() == null ? "http" : u.getScheme(), u.getHost(), u.getPort());
        }
        return new OpenSearchSource(RestClient.builder(hosts).build(), index);
    }

    /** @return the index name */
    public String index() {
        return index;
    }

    /**
     * The body of the index creation request: shards, replicas, the analyzer and BM25 similarity of {@code settings}, and
     * the mapping (id as the document id, {@value #CONTENTS} searched, title and text kept in {@code _source} only).
     *
     * @param settings the Winnow index settings to mirror (analyzer, k1, b)
     * @param shards   number of primary shards (>= 1)
     * @param replicas number of replicas per shard (>= 0)
     * @return the JSON body
     */
    public static ObjectNode indexBody(IndexSettings settings, int shards, int replicas) {
        if (shards < 1 || replicas < 0) {
            throw new IllegalArgumentException(
                    "shards must be >= 1 and replicas >= 0, got " + shards + " and " + replicas);
        }
        ObjectNode body = JSON.createObjectNode();
        ObjectNode idx = body.putObject("settings").putObject("index");
        idx.put("number_of_shards", shards);
        idx.put("number_of_replicas", replicas);
        ObjectNode analysis = idx.putObject("analysis");
        ObjectNode analyzer = analysis.putObject("analyzer").putObject("winnow");
        analyzer.put("type", "custom");
        analyzer.put("tokenizer", "standard");
        ArrayNode filters = analyzer.putArray("filter");
        if (settings.analyzer().equals("english")) {
            // Lucene's EnglishAnalyzer: EnglishPossessiveFilter, LowerCaseFilter, StopFilter(English), PorterStemFilter
            ObjectNode f = analysis.putObject("filter");
            f.putObject("winnow_possessive").put("type", "stemmer").put("language", "possessive_english");
            f.putObject("winnow_stop").put("type", "stop").put("stopwords", "_english_");
            filters.add("winnow_possessive").add("lowercase").add("winnow_stop").add("porter_stem");
        } else {
            filters.add("lowercase"); // Lucene's StandardAnalyzer: standard tokenizer, lowercase, no stop words
        }
        ObjectNode sim = idx.putObject("similarity").putObject("winnow_bm25");
        sim.put("type", "BM25");
        sim.put("k1", settings.k1());
        sim.put("b", settings.b());
        ObjectNode props = body.putObject("mappings").putObject("properties");
        props.putObject(CONTENTS).put("type", "text").put("analyzer", "winnow").put("similarity", "winnow_bm25");
        props.putObject("title").put("type", "text").put("index", false);
        props.putObject("text").put("type", "text").put("index", false);
        return body;
    }

    /**
     * Creates the index (it must not exist).
     *
     * @param settings the Winnow index settings to mirror
     * @param shards   number of primary shards
     * @param replicas number of replicas
     * @throws IOException when the cluster refuses the request
     */
    public void createIndex(IndexSettings settings, int shards, int replicas) throws IOException {
        Request r = new Request("PUT", "/" + index);
        r.setJsonEntity(JSON.writeValueAsString(indexBody(settings, shards, replicas)));
        perform(r);
    }

    /**
     * Indexes documents with {@code _bulk} requests of {@code batchSize}, then refreshes the index.
     *
     * @param docs      the documents
     * @param batchSize documents per bulk request
     * @return the number of documents indexed
     * @throws IOException when a request or any document fails
     */
    public int addAll(List<Document> docs, int batchSize) throws IOException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        int n = 0;
        for (int from = 0; from < docs.size(); from += batchSize) {
            StringBuilder sb = new StringBuilder();
            for (Document d : docs.subList(from, Math.min(docs.size(), from + batchSize))) {
                ObjectNode action = JSON.createObjectNode();
                action.putObject("index").put("_id", d.id());
                ObjectNode src = JSON.createObjectNode();
                src.put("title", d.title());
                src.put("text", d.text());
                src.put(CONTENTS, contents(d));
                sb.append(JSON.writeValueAsString(action))
                        .append('\n')
                        .append(JSON.writeValueAsString(src))
                        .append('\n');
            }
            Request r = new Request("POST", "/" + index + "/_bulk");
            r.setJsonEntity(sb.toString());
            JsonNode res = perform(r);
            if (res.path("errors").asBoolean()) {
                for (JsonNode item : res.path("items")) {
                    JsonNode err = item.path("index").path("error");
                    if (!err.isMissingNode()) {
                        throw new IOException("OpenSearch bulk indexing into '" + index + "' failed for document '"
                                + item.path("index").path("_id").asText() + "': " + err);
                    }
                }
            }
            n += Math.min(docs.size(), from + batchSize) - from;
        }
        perform(new Request("POST", "/" + index + "/_refresh"));
        return n;
    }

    /** Title and text in one field, as Winnow's local index builds it. */
    static String contents(Document doc) {
        return doc.title().isEmpty() ? doc.text() : doc.title() + "\n" + doc.text();
    }

    /**
     * BM25 search with global term statistics ({@code dfs_query_then_fetch}).
     *
     * @param query the query text (analysed by the index's analyzer)
     * @param k     the number of hits
     * @return the hits, best first, ranks from 1
     * @throws IOException when the request fails
     */
    public List<Hit> search(String query, int k) throws IOException {
        return search(query, k, true);
    }

    /**
     * BM25 search.
     *
     * @param query       the query text
     * @param k           the number of hits
     * @param globalStats true for {@code dfs_query_then_fetch} (global term statistics), false for OpenSearch's
     *                    default {@code query_then_fetch} (each shard scores with its own statistics)
     * @return the hits, best first
     * @throws IOException when the request fails
     */
    public List<Hit> search(String query, int k, boolean globalStats) throws IOException {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        Request r = new Request("POST", "/" + index + "/_search");
        r.addParameter("search_type", globalStats ? "dfs_query_then_fetch" : "query_then_fetch");
        r.setJsonEntity(JSON.writeValueAsString(searchBody(query, k)));
        return hits(perform(r));
    }

    private static ObjectNode searchBody(String query, int k) {
        ObjectNode body = JSON.createObjectNode();
        body.put("size", k);
        body.put("track_total_hits", false);
        body.putArray("_source").add("title").add("text");
        body.putObject("query").putObject("match").putObject(CONTENTS).put("query", query);
        return body;
    }

    private static List<Hit> hits(JsonNode res) {
        List<Hit> hits = new ArrayList<>();
        int rank = 1;
        for (JsonNode h : res.path("hits").path("hits")) {
            JsonNode src = h.path("_source");
            hits.add(new Hit(
                    h.path("_id").asText(),
                    h.path("_score").asDouble(),
                    rank++,
                    src.path("title").asText(""),
                    src.path("text").asText("")));
        }
        return hits;
    }

    /**
     * Searches every query (global term statistics), in the shape of {@code DocumentIndex.searchAll}: {@code _msearch}
     * requests of up to 50 queries, each {@code dfs_query_then_fetch}.
     *
     * @param queries the queries
     * @param k       hits per query
     * @return per query id its hits, in the queries' order
     * @throws IOException when a request fails
     */
    public Map<String, List<Hit>> searchAll(List<Query> queries, int k) throws IOException {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        Map<String, List<Hit>> out = new LinkedHashMap<>();
        for (int from = 0; from < queries.size(); from += MSEARCH_BATCH) {
            List<Query> batch = queries.subList(from, Math.min(queries.size(), from + MSEARCH_BATCH));
            StringBuilder sb = new StringBuilder();
            for (Query q : batch) {
                ObjectNode header = JSON.createObjectNode();
                header.put("index", index);
                header.put("search_type", "dfs_query_then_fetch");
                sb.append(JSON.writeValueAsString(header)).append('\n');
                sb.append(JSON.writeValueAsString(searchBody(q.text(), k))).append('\n');
            }
            Request r = new Request("POST", "/_msearch");
            r.setJsonEntity(sb.toString());
            JsonNode responses = perform(r).path("responses");
            if (responses.size() != batch.size()) {
                throw new IOException("OpenSearch _msearch on '" + index + "' answered " + responses.size()
                        + " responses for " + batch.size() + " queries");
            }
            for (int i = 0; i < batch.size(); i++) {
                JsonNode res = responses.get(i);
                if (res.has("error")) {
                    throw new IOException("OpenSearch search on '" + index + "' failed for query '"
                            + batch.get(i).id() + "': " + res.get("error"));
                }
                out.put(batch.get(i).id(), hits(res));
            }
        }
        return out;
    }

    /**
     * Searches every query and returns the run (for {@code Evaluation}).
     *
     * @param queries the queries
     * @param k       hits per query
     * @param name    the run's name
     * @return the run
     * @throws IOException when a request fails
     */
    public Run run(List<Query> queries, int k, String name) throws IOException {
        Run.Builder b = new Run.Builder(name);
        for (Map.Entry<String, List<Hit>> e : searchAll(queries, k).entrySet()) {
            b.addQuery(e.getKey());
            for (Hit h : e.getValue()) {
                b.add(e.getKey(), h.id(), h.score());
            }
        }
        return b.build();
    }

    /**
     * Per shard of the index, the node holding its primary copy ({@code _cat/shards}).
     *
     * @return shard number to node name
     * @throws IOException when the request fails
     */
    public Map<Integer, String> primaryShardNodes() throws IOException {
        Request r = new Request("GET", "/_cat/shards/" + index);
        r.addParameter("format", "json");
        Map<Integer, String> out = new TreeMap<>();
        for (JsonNode s : perform(r)) {
            if (s.path("prirep").asText().equals("p")) {
                out.put(s.path("shard").asInt(), s.path("node").asText());
            }
        }
        return out;
    }

    /**
     * Sends a request and parses the JSON answer; an error status becomes an IOException naming the request.
     *
     * @param r the request
     * @return the parsed body
     * @throws IOException when the request fails or the cluster answers with an error
     */
    JsonNode perform(Request r) throws IOException {
        Response res;
        try {
            res = client.performRequest(r);
        } catch (ResponseException e) {
            String body = e.getResponse().getEntity() == null ? "" : readBody(e.getResponse());
            throw new IOException(
                    "OpenSearch " + r.getMethod() + " " + r.getEndpoint() + " failed with status "
                            + e.getResponse().getStatusLine().getStatusCode() + ": " + body,
                    e);
        }
        return JSON.readTree(readBody(res));
    }

    private static String readBody(Response res) throws IOException {
        try (InputStream in = res.getEntity().getContent()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (UnsupportedOperationException e) {
            try {
                return EntityUtils.toString(res.getEntity());
            } catch (ParseException p) {
                throw new IOException(p);
            }
        }
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
