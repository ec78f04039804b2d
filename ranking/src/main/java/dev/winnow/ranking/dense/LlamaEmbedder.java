package dev.winnow.ranking.dense;

import dev.winnow.ranking.eval.Provenance;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.Pooling;
import dev.winnow.runtime.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Embeds text with a GGUF embedding model through llama.cpp (the runtime's {@link Context} with embeddings on and
 * pooling, llama.cpp's {@code llama_get_embeddings_seq}).
 *
 * <p>Texts are tokenized with the model's special tokens (for BERT-like models {@code [CLS] ... [SEP]}), cut to
 * {@code maxTokens} (the last special token kept), and packed into batches of up to {@code batchSequences} sequences,
 * one sequence id each; encoder models (non-causal, e.g. MiniLM, bge) run through {@code llama_encode}, causal models
 * through {@code llama_decode} with the KV cache cleared between batches. The KV cache is unified: with one stream
 * per sequence ({@code kv_unified=false}) the pooled embeddings of sequences other than 0 in a multi-sequence batch
 * came out different from the same text embedded alone (llama.cpp v0.5.0, stories260K; {@code LlamaEmbedderTest}). Vectors are the pooled embeddings (mean by
 * default), unnormalised (the index normalises them). Calls are serialised: a llama.cpp context serves one thread at
 * a time.
 */
public final class LlamaEmbedder implements Embedder {

  private final Path file;
  private final String sha256;
  private final Pooling pooling;
  private final int maxTokens;
  private final int batchSequences;
  private final Model model;
  private final Context context;
  private final Vocabulary vocab;
  private final boolean encoder;
  private final int dimension;
  private final int batchTokens;

  private LlamaEmbedder(Path file, Pooling pooling, int maxTokens, int batchSequences, int threads) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("embedding model not found: " + file);
    }
    if (pooling == Pooling.NONE || pooling == Pooling.RANK) {
      throw new IllegalArgumentException("an embedder needs a pooled vector per text: pooling " + pooling + " gives none");
    }
    if (maxTokens < 1 || batchSequences < 1 || batchSequences > ContextOptions.MAX_SEQUENCES) {
      throw new IllegalArgumentException(
          "maxTokens must be >= 1 and batchSequences in 1..256, got " + maxTokens + " and " + batchSequences);
    }
    this.file = file.toAbsolutePath().normalize();
    this.sha256 = Provenance.sha256(file);
    this.pooling = pooling;
    this.batchSequences = batchSequences;
    this.model = Llama.load().loadModel(file);
    try {
      int trained = model.trainingContextSize();
      this.maxTokens = trained > 0 ? Math.min(maxTokens, trained) : maxTokens;
      this.vocab = model.vocabulary();
      this.encoder = model.hasEncoder() || "false".equals(model.metadata().get(model.architecture() + ".attention.causal"));
      this.batchTokens = this.maxTokens * batchSequences;
      this.dimension = model.embeddingSize();
      this.context =
          model.newContext(
              ContextOptions.defaults()
                  .withContextSize(batchTokens)
                  .withBatchSize(batchTokens)
                  .withUbatchSize(batchTokens)
                  .withMaxSequences(batchSequences)
                  .withKvUnified(true)
                  .withThreads(threads)
                  .withEmbeddings(true, pooling));
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * Opens a model with mean pooling, 256-token truncation, batches of 32 texts, one thread per available core.
   *
   * @param file the GGUF embedding model
   * @return the embedder (close it to free the model)
   * @throws IOException when the file is missing or unreadable
   */
  public static LlamaEmbedder open(Path file) throws IOException {
    return open(file, Pooling.MEAN, 256, 32, Runtime.getRuntime().availableProcessors());
  }

  /**
   * Opens a model with explicit settings.
   *
   * @param file the GGUF embedding model
   * @param pooling MEAN, CLS, LAST or MODEL (the model's own)
   * @param maxTokens tokens kept per text (capped at the model's training context)
   * @param batchSequences texts per llama.cpp batch, 1..256
   * @param threads CPU threads, {@code >= 1}
   * @return the embedder
   * @throws IOException when the file is missing or unreadable
   * @throws IllegalArgumentException when a setting is out of range
   */
  public static LlamaEmbedder open(Path file, Pooling pooling, int maxTokens, int batchSequences, int threads)
      throws IOException {
    return new LlamaEmbedder(file, pooling, maxTokens, batchSequences, threads);
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public synchronized float[][] embedDocuments(List<String> texts) {
    float[][] out = new float[texts.size()][];
    List<int[]> pending = new ArrayList<>();
    List<Integer> where = new ArrayList<>();
    int tokens = 0;
    for (int i = 0; i < texts.size(); i++) {
      int[] t = tokens(texts.get(i));
      if (t.length == 0) {
        out[i] = new float[dimension];
        continue;
      }
      if (pending.size() == batchSequences || tokens + t.length > batchTokens) {
        run(pending, where, out);
        pending.clear();
        where.clear();
        tokens = 0;
      }
      pending.add(t);
      where.add(i);
      tokens += t.length;
    }
    if (!pending.isEmpty()) {
      run(pending, where, out);
    }
    return out;
  }

  @Override
  public float[] embedQuery(String text) {
    return embedDocuments(List.of(text))[0];
  }

  private int[] tokens(String text) {
    int[] t = vocab.tokenize(text, true, false);
    if (t.length <= maxTokens) {
      return t;
    }
    int last = t[t.length - 1];
    int[] cut = Arrays.copyOf(t, maxTokens);
    if (vocab.isControl(last)) {
      cut[maxTokens - 1] = last;
    }
    return cut;
  }

  private void run(List<int[]> seqs, List<Integer> where, float[][] out) {
    int n = 0;
    for (int[] s : seqs) {
      n += s.length;
    }
    try (Batch b = Batch.allocate(n, 1)) {
      for (int s = 0; s < seqs.size(); s++) {
        int[] t = seqs.get(s);
        for (int p = 0; p < t.length; p++) {
          b.add(t[p], p, s, true);
        }
      }
      if (encoder) {
        context.encode(b);
      } else {
        context.kvCache().clear(false);
        context.decode(b);
      }
      for (int s = 0; s < seqs.size(); s++) {
        out[where.get(s)] = context.sequenceEmbeddingCopy(s, false);
      }
    }
  }

  @Override
  public String describe() {
    return String.format(
        Locale.ROOT,
        "llama.cpp model=%s sha256=%s pooling=%s maxTokens=%d",
        file,
        sha256,
        pooling.name().toLowerCase(Locale.ROOT),
        maxTokens);
  }

  /**
   * Returns the model file.
   *
   * @return the absolute path
   */
  public Path file() {
    return file;
  }

  /**
   * Returns the model file's SHA-256.
   *
   * @return lower-case hex
   */
  public String sha256() {
    return sha256;
  }

  @Override
  public synchronized void close() {
    context.close();
    model.close();
  }
}
