package dev.winnow.ranking.dense;

import java.util.List;

/**
 * Turns text into fixed-size vectors for dense retrieval.
 *
 * <p>Vectors need not be unit length: the index normalises them to unit L2 norm before storing and searching (dot
 * product of unit vectors = cosine similarity). Implementations must be deterministic: the same text gives the same
 * vector, so that an index can be resumed and checked.
 */
public interface Embedder extends AutoCloseable {

  /**
   * Returns the vector size.
   *
   * @return the dimension, {@code >= 1}
   */
  int dimension();

  /**
   * Embeds documents (each already formed as its title and text).
   *
   * @param texts the texts, in order
   * @return one vector of {@link #dimension()} floats per text, in the same order
   */
  float[][] embedDocuments(List<String> texts);

  /**
   * Embeds a query (an implementation may add a model-specific query prefix).
   *
   * @param text the query text
   * @return a vector of {@link #dimension()} floats
   */
  float[] embedQuery(String text);

  /**
   * Describes the embedder for provenance: for a model, its file, SHA-256, pooling and truncation; two embedders
   * with the same description must produce the same vectors.
   *
   * @return a one-line description
   */
  String describe();

  /** Releases native or other resources; the default does nothing. */
  @Override
  default void close() {}

  /**
   * Returns a unit-length copy of a vector (L2 norm 1), or an all-zero copy when its norm is 0.
   *
   * @param v the vector
   * @return the normalised copy
   * @throws IllegalArgumentException when a component is NaN or infinite
   */
  static float[] unitLength(float[] v) {
    double ss = 0;
    for (float x : v) {
      if (!Float.isFinite(x)) {
        throw new IllegalArgumentException("embedding has a non-finite component: " + x);
      }
      ss += (double) x * x;
    }
    float[] out = new float[v.length];
    if (ss == 0) {
      return out;
    }
    double inv = 1 / Math.sqrt(ss);
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) (v[i] * inv);
    }
    return out;
  }
}
