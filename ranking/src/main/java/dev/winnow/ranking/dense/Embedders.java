package dev.winnow.ranking.dense;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens an embedder from a command-line spec or from the description an index recorded.
 *
 * <p>Specs: {@code hashed-bow:DIM} opens a {@link HashedBagOfWordsEmbedder} of dimension DIM. A model file (a GGUF
 * embedding model) is refused with a clear message until the llama.cpp-backed embedder of the runtime is wired in.
 */
public final class Embedders {

  private static final Pattern HASHED_SPEC = Pattern.compile("hashed-bow:(\\d{1,4})");
  private static final Pattern HASHED_DESCRIPTION = Pattern.compile("hashed-bag-of-words dim=(\\d{1,4}) .*");

  private Embedders() {}

  /**
   * Opens the embedder a spec names.
   *
   * @param spec {@code hashed-bow:DIM}, or a model file
   * @return the embedder (the caller closes it)
   * @throws IllegalArgumentException when the spec is malformed
   * @throws UnsupportedOperationException for a model file: dense indexing with a model needs the runtime
   */
  public static Embedder open(String spec) {
    Matcher m = HASHED_SPEC.matcher(spec.trim());
    if (m.matches()) {
      return new HashedBagOfWordsEmbedder(Integer.parseInt(m.group(1)));
    }
    if (spec.startsWith("hashed-bow")) {
      throw new IllegalArgumentException("bad embedder spec '" + spec + "': expected hashed-bow:DIM, e.g. hashed-bow:256");
    }
    throw new UnsupportedOperationException(
        "dense indexing with model " + spec + " needs the runtime (pending merge); use hashed-bow:DIM meanwhile");
  }

  /**
   * Re-opens the embedder that made an index's vectors, from the description the index recorded.
   *
   * @param description the {@link Embedder#describe()} stored in the index settings
   * @return the embedder
   * @throws UnsupportedOperationException when the description names an embedder this build cannot open
   */
  public static Embedder fromDescription(String description) {
    Matcher m = HASHED_DESCRIPTION.matcher(description);
    if (m.matches()) {
      HashedBagOfWordsEmbedder e = new HashedBagOfWordsEmbedder(Integer.parseInt(m.group(1)));
      if (e.describe().equals(description)) {
        return e;
      }
    }
    throw new UnsupportedOperationException("cannot open the embedder the index recorded: " + description);
  }
}
