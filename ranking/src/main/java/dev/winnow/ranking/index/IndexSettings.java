package dev.winnow.ranking.index;

import dev.winnow.ranking.dense.EmbedderIdentity;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;

/**
 * How an index is built; stored in the index's commit data (read and written by one class, {@code SettingsStore}) so
 * that {@link DocumentIndex#open} analyses queries the same way. Immutable; made by {@link #builder()} or derived from
 * {@link #DEFAULT}.
 *
 * <p>The default is Anserini's BEIR "flat" setting: title and text in one field, {@link EnglishAnalyzer} (standard
 * tokenizer, possessive removal, lower-casing, Lucene's English stopwords, Porter stemming), BM25 with k1 0.9 and
 * b 0.4.
 */
public final class IndexSettings {

    /** Anserini's BEIR flat default: english analyzer, k1 0.9, b 0.4, no vectors. */
    public static final IndexSettings DEFAULT = builder().build();

    private final String analyzer;
    private final float k1;
    private final float b;
    private final int vectorDimension;
    private final String embedder;
    private final EmbedderIdentity embedderIdentity;

    private IndexSettings(Builder bu) {
        String a = bu.analyzer == null ? "english" : bu.analyzer.toLowerCase(Locale.ROOT);
        if (!a.equals("english") && !a.equals("standard")) {
            throw new IllegalArgumentException("unknown analyzer '" + a + "' (english, standard)");
        }
        if (!(bu.k1 >= 0) || !Float.isFinite(bu.k1)) {
            throw new IllegalArgumentException("BM25 k1 must be finite and >= 0, got " + bu.k1);
        }
        if (!(bu.b >= 0 && bu.b <= 1)) {
            throw new IllegalArgumentException("BM25 b must be in [0, 1], got " + bu.b);
        }
        if (bu.vectorDimension < 0 || bu.vectorDimension > 4096) {
            throw new IllegalArgumentException("vector dimension must be in 0..4096, got " + bu.vectorDimension);
        }
        this.analyzer = a;
        this.k1 = bu.k1;
        this.b = bu.b;
        this.vectorDimension = bu.vectorDimension;
        this.embedder = bu.embedder;
        this.embedderIdentity = bu.identity != null
                ? bu.identity
                : bu.embedder == null ? null : EmbedderIdentity.fromDescription(bu.embedder, bu.vectorDimension);
    }

    /**
     * Starts settings from the default (english, k1 0.9, b 0.4, no vectors).
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a builder holding these settings.
     *
     * @return a builder
     */
    public Builder toBuilder() {
        return builder()
                .analyzer(analyzer)
                .bm25(k1, b)
                .vectors(vectorDimension, embedder)
                .identity(embedderIdentity);
    }

    /**
     * Returns the analyzer name.
     *
     * @return {@code english} (EnglishAnalyzer) or {@code standard} (StandardAnalyzer: no stemming, no stopwords)
     */
    public String analyzer() {
        return analyzer;
    }

    /**
     * Returns BM25's term-frequency saturation.
     *
     * @return k1, {@code >= 0}
     */
    public float k1() {
        return k1;
    }

    /**
     * Returns BM25's length normalisation.
     *
     * @return b, in [0, 1]
     */
    public float b() {
        return b;
    }

    /**
     * Returns the dense vector size.
     *
     * @return the dimension, 0 while the index holds no vectors
     */
    public int vectorDimension() {
        return vectorDimension;
    }

    /**
     * Returns the {@code describe()} of the embedder that made the vectors.
     *
     * @return the description, or null while the index holds no vectors
     */
    public String embedder() {
        return embedder;
    }

    /**
     * Returns the structured identity of the embedder that made the vectors: recorded by the index since identities
     * exist, or read out of the recorded {@link #embedder()} description for indexes written before.
     *
     * @return the identity, or null while the index holds no vectors
     */
    public EmbedderIdentity embedderIdentity() {
        return embedderIdentity;
    }

    /**
     * Returns a copy with other BM25 parameters.
     *
     * @param k1 the new k1
     * @param b the new b
     * @return the copy
     * @throws IllegalArgumentException when k1 or b is out of range
     */
    public IndexSettings withBm25(float k1, float b) {
        return toBuilder().bm25(k1, b).build();
    }

    /**
     * Returns a copy with another analyzer.
     *
     * @param name {@code english} or {@code standard}
     * @return the copy
     * @throws IllegalArgumentException when the name is unknown
     */
    public IndexSettings withAnalyzer(String name) {
        return toBuilder().analyzer(name).build();
    }

    /** A copy recording the dense vectors' embedder (set by the vector backfill). */
    IndexSettings withVectors(int dimension, String description) {
        return toBuilder().vectors(dimension, description).identity(null).build();
    }

    /** A copy recording the dense vectors' embedder by its identity (set by the vector backfill). */
    IndexSettings withVectors(int dimension, EmbedderIdentity identity) {
        return toBuilder()
                .vectors(dimension, identity.description())
                .identity(identity)
                .build();
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
        if (embedderIdentity != null) {
            m.put("embedderIdentity", embedderIdentity.asMap());
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IndexSettings s
                && analyzer.equals(s.analyzer)
                && Float.compare(k1, s.k1) == 0
                && Float.compare(b, s.b) == 0
                && vectorDimension == s.vectorDimension
                && Objects.equals(embedder, s.embedder)
                && Objects.equals(embedderIdentity, s.embedderIdentity);
    }

    @Override
    public int hashCode() {
        return Objects.hash(analyzer, k1, b, vectorDimension, embedder, embedderIdentity);
    }

    /** The same text the former record printed (demo index directories hash it, so it must stay stable). */
    @Override
    public String toString() {
        return "IndexSettings[analyzer=" + analyzer + ", k1=" + k1 + ", b=" + b + ", vectorDimension=" + vectorDimension
                + ", embedder=" + embedder + "]";
    }

    /** Builds {@link IndexSettings}; every setter returns the builder, {@link #build()} validates. */
    public static final class Builder {
        private String analyzer = "english";
        private float k1 = 0.9f;
        private float b = 0.4f;
        private int vectorDimension;
        private String embedder;
        private EmbedderIdentity identity;

        private Builder() {}

        /**
         * Sets the analyzer.
         *
         * @param name {@code english} (default) or {@code standard}, case-insensitive
         * @return this builder
         */
        public Builder analyzer(String name) {
            this.analyzer = name;
            return this;
        }

        /**
         * Sets BM25's parameters.
         *
         * @param k1 term-frequency saturation, {@code >= 0} (default 0.9)
         * @param b length normalisation in [0, 1] (default 0.4)
         * @return this builder
         */
        public Builder bm25(float k1, float b) {
            this.k1 = k1;
            this.b = b;
            return this;
        }

        /** Records the vectors' dimension and embedder (only the index itself does this). */
        Builder vectors(int dimension, String description) {
            this.vectorDimension = dimension;
            this.embedder = description;
            return this;
        }

        /** Records the vectors' embedder identity (only the index itself does this; null: read it from the description). */
        Builder identity(EmbedderIdentity identity) {
            this.identity = identity;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the settings
         * @throws IllegalArgumentException when the analyzer is unknown or k1, b are out of range
         */
        public IndexSettings build() {
            return new IndexSettings(this);
        }
    }
}
