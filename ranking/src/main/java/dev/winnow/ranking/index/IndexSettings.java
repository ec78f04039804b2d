package dev.winnow.ranking.index;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;

/**
 * How an index is built; stored in the index's commit data so that {@link DocumentIndex#open} analyses queries the
 * same way.
 *
 * <p>The default is Anserini's BEIR "flat" setting: title and text in one field, {@link EnglishAnalyzer} (standard
 * tokenizer, possessive removal, lower-casing, Lucene's English stopwords, Porter stemming), BM25 with k1 0.9 and
 * b 0.4.
 *
 * @param analyzer {@code english} (EnglishAnalyzer) or {@code standard} (StandardAnalyzer: no stemming, no stopwords)
 * @param k1 BM25 term-frequency saturation, {@code >= 0}
 * @param b BM25 length normalisation, in [0, 1]
 * @param vectorDimension the dense vector size, 0 while the index holds no vectors
 * @param embedder the {@code describe()} of the embedder that made the vectors, or null
 */
public record IndexSettings(String analyzer, float k1, float b, int vectorDimension, String embedder) {

  /** Anserini's BEIR flat default: english analyzer, k1 0.9, b 0.4, no vectors. */
  public static final IndexSettings DEFAULT = new IndexSettings("english", 0.9f, 0.4f, 0, null);

  /**
   * Validates.
   *
   * @throws IllegalArgumentException when the analyzer is unknown or k1, b, dimension are out of range
   */
  public IndexSettings {
    analyzer = analyzer == null ? "english" : analyzer.toLowerCase(Locale.ROOT);
    if (!analyzer.equals("english") && !analyzer.equals("standard")) {
      throw new IllegalArgumentException("unknown analyzer '" + analyzer + "' (english, standard)");
    }
    if (!(k1 >= 0) || !Float.isFinite(k1)) {
      throw new IllegalArgumentException("BM25 k1 must be finite and >= 0, got " + k1);
    }
    if (!(b >= 0 && b <= 1)) {
      throw new IllegalArgumentException("BM25 b must be in [0, 1], got " + b);
    }
    if (vectorDimension < 0 || vectorDimension > 4096) {
      throw new IllegalArgumentException("vector dimension must be in 0..4096, got " + vectorDimension);
    }
  }

  /**
   * Returns a copy with other BM25 parameters.
   *
   * @param k1 the new k1
   * @param b the new b
   * @return the copy
   */
  public IndexSettings withBm25(float k1, float b) {
    return new IndexSettings(analyzer, k1, b, vectorDimension, embedder);
  }

  /**
   * Returns a copy with another analyzer.
   *
   * @param name {@code english} or {@code standard}
   * @return the copy
   */
  public IndexSettings withAnalyzer(String name) {
    return new IndexSettings(name, k1, b, vectorDimension, embedder);
  }

  /**
   * Returns a copy recording the dense vectors' embedder.
   *
   * @param dimension the vector size
   * @param description the embedder's {@code describe()}
   * @return the copy
   */
  public IndexSettings withVectors(int dimension, String description) {
    return new IndexSettings(analyzer, k1, b, dimension, description);
  }

  /**
   * Creates a new instance of the configured Lucene analyzer.
   *
   * @return the analyzer (the caller closes it)
   */
  public Analyzer newAnalyzer() {
    return analyzer.equals("english") ? new EnglishAnalyzer() : new StandardAnalyzer();
  }

  /**
   * Returns the settings as a map, for provenance records.
   *
   * @return field name to value
   */
  public Map<String, Object> asMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("analyzer", analyzer);
    m.put("fields", "flat: title + text in one field");
    m.put("k1", k1);
    m.put("b", b);
    m.put("vectorDimension", vectorDimension);
    m.put("embedder", embedder);
    return m;
  }
}
