package dev.winnow.ranking.dense;

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
 * <p>Specs: {@code hashed-bow:DIM} opens a {@link HashedBagOfWordsEmbedder} of dimension DIM; a path to a GGUF file
 * opens a {@link LlamaEmbedder} (mean pooling, 256 tokens).
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
   * Opens the embedder a spec names.
   *
   * @param spec {@code hashed-bow:DIM}, or a GGUF model file
   * @return the embedder (the caller closes it)
   * @throws IllegalArgumentException when the spec is malformed or names no existing file
   * @throws IOException when the model cannot be read
   */
  public static Embedder open(String spec) throws IOException {
    Matcher m = HASHED_SPEC.matcher(spec.trim());
    if (m.matches()) {
      return new HashedBagOfWordsEmbedder(Integer.parseInt(m.group(1)));
    }
    if (spec.startsWith("hashed-bow")) {
      throw new IllegalArgumentException("bad embedder spec '" + spec + "': expected hashed-bow:DIM, e.g. hashed-bow:256");
    }
    Path file = Path.of(spec);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "embedder '" + spec + "' is neither hashed-bow:DIM nor an existing GGUF model file");
    }
    return LlamaEmbedder.open(file);
  }

  /**
   * The model file an index's embedder description names, so a caller can check it (e.g. against a sandbox's
   * readable roots) before {@link #fromDescription} loads it.
   *
   * @param description the {@link Embedder#describe()} stored in the index settings
   * @return the GGUF file of a {@link LlamaEmbedder} description; empty for a model-free embedder or an unknown one
   */
  public static Optional<Path> modelFile(String description) {
    Matcher l = LLAMA_DESCRIPTION.matcher(description == null ? "" : description);
    return l.matches() ? Optional.of(Path.of(l.group(1))) : Optional.empty();
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
    throw new UnsupportedOperationException("cannot open the embedder the index recorded: " + description);
  }
}
