package dev.winnow.models.convert;

/**
 * How an embedding model turns per-token hidden states into one vector: llama.cpp's {@code enum
 * llama_pooling_type}, stored in GGUF as {@code <arch>.pooling_type}.
 */
public enum Pooling {
  /** No pooling: one embedding per token. */
  NONE(0),
  /** The mean of the last hidden states over the sequence's tokens ([CLS] and [SEP] included). */
  MEAN(1),
  /** The last hidden state of the first token ([CLS]). */
  CLS(2),
  /** The last hidden state of the last token. */
  LAST(3);

  private final int id;

  Pooling(int id) {
    this.id = id;
  }

  /**
   * @return the value of {@code llama_pooling_type}
   */
  public int id() {
    return id;
  }
}
