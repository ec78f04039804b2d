package dev.winnow.ranking.dense;

import dev.winnow.models.WinnowHome;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.ranking.eval.Provenance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Opens an embedder from a command-line spec or from the description an index recorded.
 *
 * <p>Specs: {@code hashed-bow:DIM} opens a {@link HashedBagOfWordsEmbedder} of dimension DIM; a path to a GGUF file
 * opens a {@link LlamaEmbedder} (mean pooling, 256 tokens).
 */
public final class Embedders {

  private static final Pattern HASHED_SPEC = Pattern.compile("hashed-bow:(\\d{1,4})");

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
    EmbedderIdentity id = EmbedderIdentity.fromDescription(description == null ? "" : description, 0);
    return id.modelFile() != null ? Optional.of(Path.of(id.modelFile())) : Optional.empty();
  }

  /**
   * Re-opens the embedder that made an index's vectors, from the description the index recorded. Same as {@link
   * #fromIdentity} with the identity read out of the description.
   *
   * @param description the {@link Embedder#describe()} stored in the index settings
   * @return the embedder
   * @throws UnsupportedOperationException when the description names an embedder this build cannot open
   * @throws IOException when no model file with the recorded SHA-256 is found
   */
  public static Embedder fromDescription(String description) throws IOException {
    return fromIdentity(EmbedderIdentity.fromDescription(description, 0));
  }

  /**
   * Re-opens the embedder that made an index's vectors ({@link
   * dev.winnow.ranking.index.IndexSettings#embedderIdentity()}). A model is found by its content: the recorded file
   * when it still has the recorded SHA-256, otherwise a GGUF file with that SHA-256 (and size, when recorded) in
   * Winnow's models directory ({@link WinnowHome#modelsDir()}) or beside the recorded file's name there; a moved
   * model file therefore does not orphan an index.
   *
   * @param id the recorded identity
   * @return the embedder, making the same document vectors as the recorded one
   * @throws UnsupportedOperationException when the identity names an embedder this build cannot open
   * @throws IOException when no model file with the recorded SHA-256 is found
   */
  public static Embedder fromIdentity(EmbedderIdentity id) throws IOException {
    if (id.engine().equals("hashed-bow")) {
      HashedBagOfWordsEmbedder e = new HashedBagOfWordsEmbedder(id.dimension());
      if (e.embedderIdentity().sameVectors(id)) {
        return e;
      }
    }
    if (id.engine().equals("llama.cpp") && id.modelSha256() != null) {
      Path file = locate(id);
      LlamaEmbedder.Options o =
          LlamaEmbedder.Options.defaults()
              .withPooling(Pooling.valueOf(id.pooling().toUpperCase(Locale.ROOT)))
              .withMaxTokens(id.maxTokens());
      if (!id.documentInstruction().isEmpty()) {
        o = o.withInstructions(new EmbeddingInstructions("", id.documentInstruction()));
      }
      LlamaEmbedder e = LlamaEmbedder.open(file, o);
      if (id.queryInstruction() != null) {
        e.setQueryInstruction(id.queryInstruction());
      } else if (!id.documentInstruction().isEmpty()) {
        // the recorded document instruction, with the model's own query instruction
        e.setQueryInstruction(EmbeddingInstructions.forModel(e.modelName()).query());
      }
      if (!e.embedderIdentity().sameVectors(id)) {
        e.close();
        throw new IOException(
            "the model file " + file + " does not make the vectors the index recorded (" + id.contentKey() + ")");
      }
      return e;
    }
    throw new UnsupportedOperationException("cannot open the embedder the index recorded: " + id.description());
  }

  /** The recorded model file if it still has the recorded content, else a file with that content in the models dir. */
  private static Path locate(EmbedderIdentity id) throws IOException {
    Path recorded = id.modelFile() == null ? null : Path.of(id.modelFile());
    if (recorded != null && Files.isRegularFile(recorded) && matches(recorded, id)) {
      return recorded;
    }
    Path dir = WinnowHome.modelsDir();
    if (Files.isDirectory(dir)) {
      List<Path> candidates = new ArrayList<>();
      if (recorded != null && recorded.getFileName() != null) {
        candidates.add(dir.resolve(recorded.getFileName().toString()));
      }
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().forEach(candidates::add);
      }
      for (Path p : candidates) {
        if (Files.isRegularFile(p) && matches(p, id)) {
          return p;
        }
      }
    }
    throw new IOException(
        "the index's embedding model is gone: no file with SHA-256 " + id.modelSha256() + " at "
            + (recorded == null ? "its recorded place" : recorded) + " or in " + dir
            + " (put the model file there, or set WINNOW_HOME to the home it was converted in)");
  }

  private static boolean matches(Path p, EmbedderIdentity id) throws IOException {
    if (id.modelBytes() >= 0 && Files.size(p) != id.modelBytes()) {
      return false;
    }
    return Provenance.sha256(p).equals(id.modelSha256());
  }
}
