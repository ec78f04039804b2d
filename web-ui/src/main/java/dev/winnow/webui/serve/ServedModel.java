package dev.winnow.webui.serve;

import dev.winnow.models.catalog.CatalogEntry;
import dev.winnow.models.catalog.ModelCatalog;
import dev.winnow.models.catalog.ModelPuller;
import dev.winnow.ranking.dense.BatchingEmbedder;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.embedding.EmbeddingRanker;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One model {@code winnow serve} serves: the model loaded once, and a {@link ContextPool} of contexts over it (each an
 * {@link InContextRanker} or an {@link Embedder}, used by one request at a time).
 *
 * <p>Embeddings and scores come from Winnow's own paths, unchanged: an embedder's vectors from {@link Embedder#embed}
 * (for a GGUF model, the {@link dev.winnow.ranking.dense.LlamaEmbedder} of an {@link EmbeddingRanker}: the same
 * {@link dev.winnow.ranking.dense.BatchingEmbedder} path the index uses), a ranker's scores from {@link
 * InContextRanker#rank}.
 */
public final class ServedModel implements AutoCloseable {

    /** One context: a ranker, an embedder, or both (a GGUF embedding model's {@link EmbeddingRanker}). */
    record Slot(InContextRanker ranker, Embedder embedder) {}

    /** What one call cost: tokens through the model. */
    record Scored(List<RankedDocument> documents, long tokens) {}

    /** Vectors and the tokens they took. */
    record Embedded(float[][] vectors, long tokens) {}

    private final ModelSpec spec;
    private final Model model;
    private final ContextPool<Slot> pool;
    private final int dimension;
    private final String description;

    private ServedModel(ModelSpec spec, Model model, ContextPool<Slot> pool, int dimension, String description) {
        this.spec = spec;
        this.model = model;
        this.pool = pool;
        this.dimension = dimension;
        this.description = description;
    }

    /**
     * Loads a model and opens its contexts.
     *
     * @param spec what to serve
     * @param contexts contexts to open (requests served at once), {@code >= 1}
     * @param threads CPU threads per context, {@code >= 1}
     * @param documentTokens a ranker's document token budget
     * @param maxWaiting requests that may wait for a context before 429
     * @param maxWait the longest wait for a context before 429
     * @return the served model (closed by the caller)
     * @throws IOException when the model file cannot be read or pulled
     * @throws IllegalArgumentException when the spec names no file, catalog model or embedder
     */
    public static ServedModel open(
            ModelSpec spec, int contexts, int threads, int documentTokens, int maxWaiting, Duration maxWait)
            throws IOException {
        if (contexts < 1 || threads < 1) {
            throw new IllegalArgumentException(
                    "contexts and threads must be >= 1, got " + contexts + " and " + threads);
        }
        Optional<Path> gguf = ggufFile(spec);
        List<Slot> slots = new ArrayList<>();
        Model model = null;
        try {
            if (gguf.isPresent()) {
                model = Llama.load().loadModel(gguf.get());
                InContextOptions options = InContextOptions.defaults()
                        .withBudgets(documentTokens, 64)
                        .withThreads(threads);
                for (int i = 0; i < contexts; i++) {
                    if (spec.embedder()) {
                        EmbeddingRanker r = new EmbeddingRanker(model, options);
                        slots.add(new Slot(r, r.embedder()));
                    } else {
                        slots.add(new Slot(InContextRanker.byName(spec.ranker(), model, options), null));
                    }
                }
            } else if (spec.embedder()) {
                for (int i = 0; i < contexts; i++) {
                    slots.add(new Slot(null, Embedders.open(spec.source())));
                }
            } else {
                throw new IllegalArgumentException("--model " + spec.name() + ": the " + spec.ranker()
                        + " ranker needs a GGUF model file or a catalog name, got '" + spec.source() + "'");
            }
            Embedder e = slots.get(0).embedder();
            String description = e != null
                    ? e.describe()
                    : spec.ranker() + " over " + gguf.get().getFileName();
            return new ServedModel(
                    spec,
                    model,
                    new ContextPool<>(spec.name(), slots, maxWaiting, maxWait),
                    e != null ? e.dimension() : 0,
                    description);
        } catch (IOException | RuntimeException ex) {
            closeAll(slots, model);
            throw ex;
        }
    }

    /** The GGUF file a spec names: an existing file (not ONNX), or a catalog model pulled into Winnow's home. */
    private static Optional<Path> ggufFile(ModelSpec spec) throws IOException {
        Path file = Path.of(spec.source());
        if (Files.isRegularFile(file) && !spec.source().endsWith(".onnx")) {
            return Optional.of(file);
        }
        Optional<CatalogEntry> entry = spec.catalogEntry(ModelCatalog.builtIn());
        if (entry.isPresent()) {
            Path pulled = ModelPuller.fromEnvironment().pull(entry.get(), false);
            return pulled.toString().endsWith(".gguf") ? Optional.of(pulled) : Optional.empty();
        }
        if (!spec.embedder() || spec.source().endsWith(".gguf")) {
            int colon = spec.source().indexOf(':');
            throw new IllegalArgumentException("--model " + spec.name() + ": '" + spec.source()
                    + "' is neither an existing model file nor a catalog name (winnow models list)"
                    + (colon > 0
                            ? "; a ranker prefix RANKER: is one of " + String.join(", ", InContextRanker.NAMES)
                            : ""));
        }
        return Optional.empty();
    }

    /**
     * @return the spec
     */
    public ModelSpec spec() {
        return spec;
    }

    /**
     * @return the name in requests
     */
    public String name() {
        return spec.name();
    }

    /**
     * @return whether it serves {@code /v1/embeddings}
     */
    public boolean servesEmbeddings() {
        return dimension > 0;
    }

    /**
     * @return the embedding dimension; 0 for a ranker only
     */
    public int dimension() {
        return dimension;
    }

    /**
     * @return the ranker that re-ranks with it ({@code embedding} for an embedder)
     */
    public String rankerName() {
        return spec.embedder() ? "embedding" : spec.ranker();
    }

    /**
     * @return the embedder's or ranker's description (model file, pooling, ...)
     */
    public String description() {
        return description;
    }

    /**
     * @return the contexts
     */
    ContextPool<Slot> pool() {
        return pool;
    }

    /**
     * Embeds texts with one context of the pool.
     *
     * @param texts the texts
     * @param role queries or documents
     * @return unit vectors, in order, and the tokens they took
     * @throws ApiException 429 when the pool is full
     * @throws InterruptedException when interrupted while waiting for a context
     */
    Embedded embed(List<String> texts, Embedder.Role role) throws InterruptedException {
        Slot s = pool.acquire();
        try {
            long before = tokens(s.embedder());
            float[][] v = s.embedder().embed(texts, role);
            return new Embedded(v, tokens(s.embedder()) - before);
        } finally {
            pool.release(s);
        }
    }

    /**
     * Re-ranks documents for a query with one context of the pool.
     *
     * @param query the query
     * @param candidates the documents (docId = their index in the request)
     * @return the documents best first with the ranker's scores, and the tokens evaluated
     * @throws ApiException 429 when the pool is full
     * @throws InterruptedException when interrupted while waiting for a context
     */
    Scored rank(String query, List<Candidate> candidates) throws InterruptedException {
        Slot s = pool.acquire();
        try {
            if (s.ranker() != null) {
                Ranking r = s.ranker().rank(query, candidates);
                return new Scored(r.documents(), r.stats().tokensEvaluated());
            }
            // a model-free or ONNX embedder: the cosine of unit vectors, as the embedding ranker scores
            Embedder e = s.embedder();
            long before = tokens(e);
            float[] q = Embedder.unitLength(e.embed(List.of(query), Embedder.Role.QUERY)[0]);
            List<String> texts = candidates.stream().map(Candidate::content).toList();
            float[][] d = e.embed(texts, Embedder.Role.DOCUMENT);
            List<RankedDocument> out = new ArrayList<>();
            for (int i = 0; i < d.length; i++) {
                float[] u = Embedder.unitLength(d[i]);
                double dot = 0;
                for (int j = 0; j < q.length; j++) {
                    dot += q[j] * u[j];
                }
                out.add(new RankedDocument(candidates.get(i), 0, dot, null));
            }
            out.sort((a, b) -> Double.compare(b.score(), a.score()));
            List<RankedDocument> ranked = new ArrayList<>();
            for (int i = 0; i < out.size(); i++) {
                ranked.add(new RankedDocument(
                        out.get(i).candidate(), i + 1, out.get(i).score(), null));
            }
            return new Scored(ranked, tokens(e) - before);
        } finally {
            pool.release(s);
        }
    }

    private static long tokens(Embedder e) {
        return e instanceof BatchingEmbedder b ? b.tokenCount() : 0;
    }

    private static void closeAll(List<Slot> slots, Model model) {
        for (Slot s : slots) {
            if (s.ranker() != null) {
                s.ranker().close();
            } else if (s.embedder() != null) {
                s.embedder().close();
            }
        }
        if (model != null) {
            model.close();
        }
    }

    /** Closes the contexts, then the model. Call only when no request uses it. */
    @Override
    public void close() {
        closeAll(pool.all(), model);
    }
}
