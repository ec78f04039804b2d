package dev.winnow.runtime;

/**
 * How a context pools per-token embeddings into one vector per sequence ({@code enum llama_pooling_type}).
 * {@link #MODEL} takes the model's own setting (GGUF key {@code <arch>.pooling_type}).
 */
public enum Pooling {
  /** The model's default (LLAMA_POOLING_TYPE_UNSPECIFIED). */
  MODEL(-1),
  /** No pooling: one embedding per output token. */
  NONE(0),
  /** Mean over the sequence's tokens. */
  MEAN(1),
  /** The first token's (CLS) embedding. */
  CLS(2),
  /** The last token's embedding. */
  LAST(3),
  /** A reranker's classification head output (one score per sequence). */
  RANK(4);

  private final int id;

  Pooling(int id) {
    this.id = id;
  }

  /**
   * @return the value of {@code enum llama_pooling_type}
   */
  public int id() {
    return id;
  }

  static Pooling of(int id) {
    for (Pooling p : values()) {
      if (p.id == id) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown pooling type " + id);
  }
}
