package dev.winnow.ranking.dense;

import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.convert.OnnxModelSpec;
import dev.winnow.models.gguf.Pooling;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens an embedder from a command-line spec or from the description an index recorded.
 *
 * <p>Specs (the one parser of {@code --dense}, {@code --embedding-model} and scripts):
 *
 * <ul>
 *   <li>{@code hashed-bow:DIM}: a {@link HashedBagOfWordsEmbedder} of dimension DIM;
 *   <li>{@code minilm-onnx}, {@code minilm-onnx-int8}, {@code bge-small-onnx}, {@code bge-small-onnx-int8} ({@link
 *       OnnxModelSpec}): an {@link OnnxEmbedder} over the ONNX file from Maven Central, extracted once into the model
 *       directory;
 *   <li>{@code minilm}, {@code bge-small} ({@link EmbeddingModelSpec}): a {@link LlamaEmbedder} over the GGUF converted
 *       from Maven Central ({@link EmbeddingModels#ensure});
 *   <li>a {@code .gguf} file: a {@link LlamaEmbedder};
 *   <li>an {@code .onnx} file (with {@code tokenizer.json} beside it) or a directory holding {@code model.onnx} and
 *       {@code tokenizer.json}: an {@link OnnxEmbedder}.
 * </ul>
 *
 * <p>Model embedders get the model's pooling and instructions and 256 tokens per text unless {@link #openModel} is
 * given other settings.
 */
public final class Embedders {

  private static final Pattern HASHED_SPEC = Pattern.compile("hashed-bow:(\\d{1,4})");
  private static final Pattern LLAMA_DESCRIPTION =
      Pattern.compile(
          "llama\\.cpp model=(.+) sha256=([0-9a-f]{64}) pooling=([a-z]+) maxTokens=(\\d+)"
              + "(?: documentInstruction=(\\S+))?");
  private static final Pattern HASHED_DESCRIPTION = Pattern.compile("hashed-bag-of-words dim=(\\d{1,4}) .*");

  private Embedders() {}

  /**
   * Opens the embedder a spec names (see the class description).
   *
   * @param spec {@code hashed-bow:DIM}, a catalog name, a GGUF or ONNX model file, or an ONNX model directory
   * @return the embedder (the caller closes it)
   * @throws IllegalArgumentException when the spec is malformed or names no model and no existing file
   * @throws IOException when the model cannot be had or read
   */
  public static Embedder open(String spec) throws IOException {
    Matcher m = HASHED_SPEC.matcher(spec.trim());
    if (m.matches()) {
      return new HashedBagOfWordsEmbedder(Integer.parseInt(m.group(1)));
    }
    if (spec.startsWith("hashed-bow")) {
      throw new IllegalArgumentException("bad embedder spec '" + spec + "': expected hashed-bow:DIM, e.g. hashed-bow:256");
    }
    return openModel(spec, LlamaEmbedder.DEFAULT_MAX_TOKENS, Runtime.getRuntime().availableProcessors());
  }

  /**
   * Opens a model-backed embedder a spec names, with a token budget and threads (the demo's and benchmarks' form).
   *
   * @param spec a catalog name ({@code minilm-onnx-int8}, {@code minilm}, ...), a GGUF or ONNX model file, or an
   *     ONNX model directory
   * @param maxTokens tokens per text, special tokens included (capped at the model's positions)
   * @param threads CPU threads of the engine
   * @return the embedder (the caller closes it)
   * @throws IllegalArgumentException when the spec names no model and no existing file
   * @throws IOException when the model cannot be had or read
   */
  public static BatchingEmbedder openModel(String spec, int maxTokens, int threads) throws IOException {
    String s = spec.strip();
    var onnx = OnnxModelSpec.find(s);
    if (onnx.isPresent()) {
      return OnnxEmbedder.open(
          onnx.get(),
          EmbeddingModels.fromEnvironment(),
          OnnxEmbedder.Options.defaults().withMaxTokens(maxTokens).withThreads(threads));
    }
    Path file = Path.of(s);
    if (Files.isDirectory(file) || (Files.isRegularFile(file) && s.toLowerCase(Locale.ROOT).endsWith(".onnx"))) {
      return OnnxEmbedder.open(file, OnnxEmbedder.Options.defaults().withMaxTokens(maxTokens).withThreads(threads));
    }
    if (Files.isRegularFile(file)) {
      return LlamaEmbedder.open(file, LlamaEmbedder.Options.defaults().withMaxTokens(maxTokens).withThreads(threads));
    }
    if (isConvertedName(s)) {
      Path gguf = EmbeddingModels.fromEnvironment().ensure(s);
      return LlamaEmbedder.open(gguf, LlamaEmbedder.Options.defaults().withMaxTokens(maxTokens).withThreads(threads));
    }
    throw new IllegalArgumentException(
        "embedder '" + spec + "' is neither hashed-bow:DIM nor an existing GGUF model file; also accepted: an ONNX"
            + " model name (" + OnnxModelSpec.names() + "), a GGUF model converted from Maven Central (minilm,"
            + " bge-small), an .onnx file with tokenizer.json beside it, a directory with model.onnx and"
            + " tokenizer.json");
  }

  private static boolean isConvertedName(String s) {
    try {
      EmbeddingModelSpec.byName(s);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The model file an index's embedder description names, so a caller can check it (e.g. against a sandbox's
   * readable roots) before {@link #fromDescription} loads it.
   *
   * @param description the {@link Embedder#describe()} stored in the index settings
   * @return the GGUF file of a {@link LlamaEmbedder} description, the ONNX file of an {@link OnnxEmbedder} one (for a
   *     catalog model, where {@link EmbeddingModels#ensureOnnx} keeps it); empty for a model-free embedder or an
   *     unknown one
   */
  public static Optional<Path> modelFile(String description) {
    Matcher l = LLAMA_DESCRIPTION.matcher(description == null ? "" : description);
    if (l.matches()) {
      return Optional.of(Path.of(l.group(1)));
    }
    return OnnxEmbedder.modelFileOf(description);
  }

  /**
   * Re-opens the embedder that made an index's vectors, from the description the index recorded.
   *
   * @param description the {@link Embedder#describe()} stored in the index settings
   * @return the embedder
   * @throws UnsupportedOperationException when the description names an embedder this build cannot open
   * @throws IOException when the model file is missing or no longer has the recorded SHA-256
   */
  public static Embedder fromDescription(String description) throws IOException {
    Matcher m = HASHED_DESCRIPTION.matcher(description);
    if (m.matches()) {
      HashedBagOfWordsEmbedder e = new HashedBagOfWordsEmbedder(Integer.parseInt(m.group(1)));
      if (e.describe().equals(description)) {
        return e;
      }
    }
    Matcher l = LLAMA_DESCRIPTION.matcher(description);
    if (l.matches()) {
      Path file = Path.of(l.group(1));
      if (!Files.isRegularFile(file)) {
        throw new IOException("the index's embedding model is gone: " + file);
      }
      LlamaEmbedder.Options o =
          LlamaEmbedder.Options.defaults()
              .withPooling(Pooling.valueOf(l.group(3).toUpperCase(Locale.ROOT)))
              .withMaxTokens(Integer.parseInt(l.group(4)));
      if (l.group(5) != null) {
        o = o.withInstructions(new EmbeddingInstructions("", URLDecoder.decode(l.group(5), StandardCharsets.UTF_8)));
      }
      LlamaEmbedder e = LlamaEmbedder.open(file, o);
      if (l.group(5) != null) {
        // the recorded document instruction, with the model's own query instruction
        e.setQueryInstruction(EmbeddingInstructions.forModel(e.modelName()).query());
      }
      if (!e.describe().equals(description)) {
        e.close();
        throw new IOException("the model file " + file + " changed since the index was embedded (" + description + ")");
      }
      return e;
    }
    if (OnnxEmbedder.describes(description)) {
      return OnnxEmbedder.reopen(description);
    }
    throw new UnsupportedOperationException("cannot open the embedder the index recorded: " + description);
  }
}
