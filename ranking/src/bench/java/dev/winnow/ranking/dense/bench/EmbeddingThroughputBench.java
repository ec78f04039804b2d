package dev.winnow.ranking.dense.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.convert.OnnxModelSpec;
import dev.winnow.models.tokenizer.WordPieceTokenizer;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.BatchingEmbedder;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.dense.OnnxEmbedder;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Embedding throughput of Winnow's {@link OnnxEmbedder} against plain ONNX Runtime on the same SciFact documents in
 * one run, and the quality cost of the int8 default.
 *
 * <p>{@code throughput N THREADS GGUF_DOCS}: the first N SciFact documents (title and text, 256 tokens, Winnow's
 * tokenizer for all). They are taken in chunks of 32 (what {@code winnow index} hands the embedder per call); each chunk
 * goes, in rotating order, through (a) plain ONNX Runtime on the f32 all-MiniLM-L6-v2 ONNX file, one text per {@code
 * run}, THREADS intra-op threads, no padding, mean pooling, (b) Winnow's {@code minilm-onnx} and (c) Winnow's {@code
 * minilm-onnx-int8} (both length-bucketed batches, THREADS threads). Interleaving shares the machine's load between
 * them; (d) the llama.cpp GGUF embedder ({@code minilm}, converted once) joins the rotation on the chunks of the first
 * GGUF_DOCS documents (0: not at all). Prints each one's documents/s, the cosines to (a)'s vectors, and the lines
 * {@code embedding throughput winnow/onnxruntime: R} for (b)/(a) and (c)/(a).
 *
 * <p>{@code quality OTHER_DOCS THREADS}: dense retrieval nDCG@10 on SciFact train (f32 and int8 MiniLM through
 * Winnow, each over its own on-disk index) over a corpus subset: every document judged for a train query plus
 * OTHER_DOCS others drawn with seed 7 (0 for none; -1 for the whole corpus).
 *
 * <p>Run: {@code scripts/bench-embeddings.sh} (or {@code mvn -B -q -Pbench-embeddings -pl ranking -am verify
 * -DskipTests -Dbench.args="throughput 256 2 64"}).
 */
public final class EmbeddingThroughputBench {

    private static final int CHUNK = 32;
    private static final int MAX_TOKENS = 256;

    private EmbeddingThroughputBench() {}

    /**
     * @param argv the mode and its arguments (see the class description); one string or several
     * @throws Exception on failure
     */
    public static void main(String[] argv) throws Exception {
        String[] args = argv.length == 1 ? argv[0].trim().split("\\s+") : argv;
        Path shared = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
        TestCollection c = TestCollection.open(shared.resolve("data/scifact"), false);
        Path home = Files.createTempDirectory("winnow-embeddings-bench");
        EmbeddingModels models = EmbeddingModels.inDirectory(home.resolve("models"));
        switch (args[0]) {
            case "throughput" ->
                throughput(c, models, Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            case "quality" -> quality(c, models, home, Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            default -> throw new IllegalArgumentException("mode: throughput or quality, got " + args[0]);
        }
    }

    private static String text(Document d) {
        return d.title().isEmpty() ? d.text() : d.title() + " " + d.text();
    }

    /** Plain ONNX Runtime: one text per run, the ONNX file's own session defaults plus the thread count. */
    private static final class PlainOrt implements AutoCloseable {
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        final OrtSession session;
        final WordPieceTokenizer tokenizer;

        PlainOrt(Path dir, int threads) throws Exception {
            try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
                so.setIntraOpNumThreads(threads);
                session =
                        env.createSession(dir.resolve(OnnxModelSpec.MODEL_FILE).toString(), so);
            }
            tokenizer = WordPieceTokenizer.read(dir.resolve(OnnxModelSpec.TOKENIZER_FILE));
        }

        float[] embed(String text) throws Exception {
            int[] ids = tokenizer.encode(text, MAX_TOKENS);
            int n = ids.length;
            long[] in = new long[n];
            long[] mask = new long[n];
            for (int i = 0; i < n; i++) {
                in[i] = ids[i];
                mask[i] = 1;
            }
            long[] shape = {1, n};
            try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(in), shape);
                    OnnxTensor b = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                    OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[n]), shape);
                    OrtSession.Result r =
                            session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", t))) {
                float[][][] h = (float[][][]) r.get(0).getValue();
                int d = h[0][0].length;
                float[] out = new float[d];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < d; j++) {
                        out[j] += h[0][i][j];
                    }
                }
                return Embedder.unitLength(out);
            }
        }

        @Override
        public void close() throws Exception {
            session.close();
        }
    }

    private static void throughput(TestCollection c, EmbeddingModels models, int n, int threads, int ggufDocs)
            throws Exception {
        List<String> texts = c.documents().subList(0, n).stream()
                .map(EmbeddingThroughputBench::text)
                .toList();
        OnnxEmbedder.Options o = OnnxEmbedder.Options.defaults().withThreads(threads);
        long tokens = 0;
        Path gguf = ggufDocs > 0 ? EmbeddingModels.fromEnvironment().ensure("minilm") : null;
        try (PlainOrt plain = new PlainOrt(models.ensureOnnx(OnnxModelSpec.MINILM), threads);
                OnnxEmbedder f32 = OnnxEmbedder.open(OnnxModelSpec.MINILM, models, o);
                OnnxEmbedder int8 = OnnxEmbedder.open(OnnxModelSpec.MINILM_INT8, models, o);
                LlamaEmbedder llama = gguf == null
                        ? null
                        : LlamaEmbedder.open(
                                gguf, LlamaEmbedder.Options.defaults().withThreads(threads))) {
            for (String t : texts) {
                tokens += f32.tokens(t).length;
            }
            // warm-up: a few texts each, not timed
            List<String> warm = texts.subList(0, Math.min(4, n));
            for (String t : warm) {
                plain.embed(t);
            }
            f32.embedDocuments(warm);
            int8.embedDocuments(warm);
            if (llama != null) {
                llama.embedDocuments(warm);
            }
            float[][] vp = new float[n][];
            float[][] vf = new float[n][];
            float[][] vq = new float[n][];
            long[] nanos = new long[4];
            long plainOnGgufChunks = 0;
            int ggufDone = 0;
            int chunkNo = 0;
            for (int from = 0; from < n; from += CHUNK, chunkNo++) {
                int to = Math.min(n, from + CHUNK);
                List<String> chunk = texts.subList(from, to);
                // llama.cpp joins the rotation on the first GGUF_DOCS documents
                int engines = llama != null && from < ggufDocs ? 4 : 3;
                for (int k = 0; k < engines; k++) {
                    int which = (chunkNo + k) % engines;
                    long t0 = System.nanoTime();
                    if (which == 0) {
                        for (int i = from; i < to; i++) {
                            vp[i] = plain.embed(texts.get(i));
                        }
                    } else if (which == 3) {
                        llama.embedDocuments(chunk);
                    } else {
                        float[][] v = (which == 1 ? f32 : int8).embedDocuments(chunk);
                        System.arraycopy(v, 0, which == 1 ? vf : vq, from, v.length);
                    }
                    long dt = System.nanoTime() - t0;
                    nanos[which] += dt;
                    if (which == 0 && engines == 4) {
                        plainOnGgufChunks += dt;
                    }
                }
                if (engines == 4) {
                    ggufDone = to;
                }
            }
            double dPlain = n / (nanos[0] / 1e9);
            double dF32 = n / (nanos[1] / 1e9);
            double dInt8 = n / (nanos[2] / 1e9);
            double[] cf = cosines(vf, vp);
            double[] cq = cosines(vq, vp);
            System.out.printf(
                    Locale.ROOT,
                    "SciFact: first %d documents, %.0f tokens on average (cut at %d), chunks of %d, %d threads, %d cores%n",
                    n,
                    (double) tokens / n,
                    MAX_TOKENS,
                    CHUNK,
                    threads,
                    Runtime.getRuntime().availableProcessors());
            System.out.printf(Locale.ROOT, "onnxruntime f32, one text per run: %.1f docs/s%n", dPlain);
            System.out.printf(
                    Locale.ROOT,
                    "winnow minilm-onnx (f32): %.1f docs/s, cosine to onnxruntime min %.7f mean %.7f%n",
                    dF32,
                    cf[0],
                    cf[1]);
            System.out.printf(
                    Locale.ROOT,
                    "winnow minilm-onnx-int8: %.1f docs/s, cosine to onnxruntime f32 min %.4f mean %.4f%n",
                    dInt8,
                    cq[0],
                    cq[1]);
            if (llama != null) {
                double dLlama = ggufDone / (nanos[3] / 1e9);
                System.out.printf(
                        Locale.ROOT,
                        "llama.cpp GGUF minilm (f32, %s): %.1f docs/s on the first %d documents (onnxruntime f32 on the same: %.1f)%n",
                        gguf.getFileName(),
                        dLlama,
                        ggufDone,
                        ggufDone / (plainOnGgufChunks / 1e9));
            }
            System.out.printf(
                    Locale.ROOT, "embedding throughput winnow/onnxruntime: %.2f (f32, same model)%n", dF32 / dPlain);
            System.out.printf(
                    Locale.ROOT,
                    "embedding throughput winnow/onnxruntime: %.2f (default minilm-onnx-int8 against onnxruntime f32)%n",
                    dInt8 / dPlain);
        }
    }

    /** min and mean cosine of unit vectors. */
    private static double[] cosines(float[][] a, float[][] b) {
        double min = 1;
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double dot = 0;
            for (int j = 0; j < a[i].length; j++) {
                dot += (double) a[i][j] * b[i][j];
            }
            min = Math.min(min, dot);
            sum += dot;
        }
        return new double[] {min, sum / a.length};
    }

    private static void quality(TestCollection c, EmbeddingModels models, Path home, int others, int threads)
            throws Exception {
        Qrels qrels = c.qrels("train");
        List<Query> queries = new ArrayList<>();
        for (Query q : c.queries("train")) {
            if (qrels.queryIds().contains(q.id())) {
                queries.add(q);
            }
        }
        List<Document> docs;
        if (others < 0) {
            docs = c.documents();
        } else {
            Set<String> judged = new HashSet<>();
            for (String q : qrels.queryIds()) {
                judged.addAll(qrels.judgments(q).keySet());
            }
            List<Document> rest = new ArrayList<>();
            Map<String, Document> keep = new LinkedHashMap<>();
            for (Document d : c.documents()) {
                if (judged.contains(d.id())) {
                    keep.put(d.id(), d);
                } else {
                    rest.add(d);
                }
            }
            Collections.shuffle(rest, new Random(7));
            for (Document d : rest.subList(0, Math.min(others, rest.size()))) {
                keep.put(d.id(), d);
            }
            docs = new ArrayList<>(keep.values());
        }
        System.out.printf(
                Locale.ROOT,
                "SciFact train: %d queries, %d of %d documents (%s), dense retrieval, %d threads%n",
                queries.size(),
                docs.size(),
                c.documents().size(),
                others < 0 ? "the whole corpus" : "every judged document and " + others + " others, seed 7",
                threads);
        Evaluation eval = new Evaluation(qrels);
        OnnxEmbedder.Options o = OnnxEmbedder.Options.defaults().withThreads(threads);
        for (OnnxModelSpec spec : List.of(OnnxModelSpec.MINILM, OnnxModelSpec.MINILM_INT8)) {
            try (BatchingEmbedder e = OnnxEmbedder.open(spec, models, o);
                    DocumentIndex idx = DocumentIndex.create(
                            home.resolve("index-" + spec.cliName()),
                            IndexConfig.builder().embedder(e).build())) {
                idx.addAll(docs, 1000);
                long t0 = System.nanoTime();
                idx.embedMissing(32);
                double s = (System.nanoTime() - t0) / 1e9;
                Run run = idx.run(queries, 100, SearchMode.DENSE, spec.cliName());
                System.out.printf(
                        Locale.ROOT,
                        "%s: nDCG@10 %.4f, R@100 %.4f (embedded %d documents in %.0f s, %.1f docs/s)%n",
                        spec.cliName(),
                        eval.mean(run, Metric.NDCG_10),
                        eval.mean(run, Metric.RECALL_100),
                        docs.size(),
                        s,
                        docs.size() / s);
            }
        }
    }
}
