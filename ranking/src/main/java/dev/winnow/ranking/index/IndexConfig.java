package dev.winnow.ranking.index;

import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.fusion.Fusion;
import java.util.Objects;

/**
 * How a {@link DocumentIndex} is opened: fixed for the life of the open index (there are no setters that reconfigure
 * it afterwards). Made by {@link #builder()}; {@link #DEFAULT} is a BM25-only configuration.
 *
 * <ul>
 *   <li>{@link Builder#settings}: the analyzer and BM25 parameters of a <em>new</em> index (recorded in its commits;
 *       an existing index keeps the settings it was built with).
 *   <li>{@link Builder#bm25}: BM25's k1 and b for this instance's searches, overriding the recorded ones (Lucene
 *       applies them at query time, so no reindexing is needed; the recorded settings are not changed).
 *   <li>{@link Builder#embedder}: the embedder of dense and hybrid queries and of the vector backfill ({@link
 *       DocumentIndex#embedMissing}); checked at open against the vectors the index holds.
 *   <li>{@link Builder#fusion}: how hybrid search fuses its BM25 and dense lists, and how deep each list is.
 *   <li>{@link Builder#knnCandidates}: the HNSW search beam.
 * </ul>
 */
public final class IndexConfig {

    /** BM25 only: default settings for a new index, no embedder, RRF(60) over 1000 hits, a beam of 100. */
    public static final IndexConfig DEFAULT = builder().build();

    private final IndexSettings settings;
    private final Float k1;
    private final Float b;
    private final Embedder embedder;
    private final Fusion fusion;
    private final int fusionDepth;
    private final int knnCandidates;

    private IndexConfig(Builder bu) {
        this.settings = bu.settings;
        this.k1 = bu.k1;
        this.b = bu.b;
        this.embedder = bu.embedder;
        this.fusion = bu.fusion;
        this.fusionDepth = bu.fusionDepth;
        this.knnCandidates = bu.knnCandidates;
    }

    /**
     * Starts a configuration from {@link #DEFAULT}.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a builder holding this configuration (to open another instance configured a little differently).
     *
     * @return a builder
     */
    public Builder toBuilder() {
        Builder bu = builder()
                .settings(settings)
                .embedder(embedder)
                .fusion(fusion, fusionDepth)
                .knnCandidates(knnCandidates);
        bu.k1 = k1;
        bu.b = b;
        return bu;
    }

    /**
     * Returns the settings a new index is created with.
     *
     * @return the settings (default {@link IndexSettings#DEFAULT})
     */
    public IndexSettings settings() {
        return settings;
    }

    /**
     * Returns the settings an index recorded, with this configuration's BM25 override applied.
     *
     * @param stored the recorded settings
     * @return the settings searches use
     */
    IndexSettings effective(IndexSettings stored) {
        return k1 == null ? stored : stored.withBm25(k1, b);
    }

    /**
     * Returns the query and backfill embedder.
     *
     * @return the embedder, or null for BM25 only
     */
    public Embedder embedder() {
        return embedder;
    }

    /**
     * Returns how hybrid search fuses.
     *
     * @return the fusion (default RRF with k = 60)
     */
    public Fusion fusion() {
        return fusion;
    }

    /**
     * Returns how many hits each list contributes to hybrid fusion.
     *
     * @return the depth (default 1000)
     */
    public int fusionDepth() {
        return fusionDepth;
    }

    /**
     * Returns the HNSW search beam.
     *
     * @return the number of candidates (default 100)
     */
    public int knnCandidates() {
        return knnCandidates;
    }

    /** Builds an {@link IndexConfig}; setters validate their arguments at once. */
    public static final class Builder {
        private IndexSettings settings = IndexSettings.DEFAULT;
        private Float k1;
        private Float b;
        private Embedder embedder;
        private Fusion fusion = Fusion.rrf(60);
        private int fusionDepth = 1000;
        private int knnCandidates = 100;

        private Builder() {}

        /**
         * Sets the analyzer and BM25 parameters of a new index (ignored when the index exists: it keeps its own).
         *
         * @param settings the settings
         * @return this builder
         */
        public Builder settings(IndexSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * Overrides BM25's k1 and b for this instance's searches; the index's recorded settings are not changed.
         *
         * @param k1 term-frequency saturation, {@code >= 0}
         * @param b length normalisation in [0, 1]
         * @return this builder
         * @throws IllegalArgumentException when k1 or b is out of range
         */
        public Builder bm25(float k1, float b) {
            IndexSettings.DEFAULT.withBm25(k1, b); // validates
            this.k1 = k1;
            this.b = b;
            return this;
        }

        /**
         * Sets the embedder of dense and hybrid queries and of {@link DocumentIndex#embedMissing}. The index does not
         * close it.
         *
         * @param embedder the embedder, or null for BM25 only
         * @return this builder
         */
        public Builder embedder(Embedder embedder) {
            this.embedder = embedder;
            return this;
        }

        /**
         * Sets how hybrid search fuses its BM25 and dense lists.
         *
         * @param fusion the fusion (default RRF with k = 60)
         * @param depth how many hits each list contributes, {@code >= 1} (default 1000)
         * @return this builder
         * @throws IllegalArgumentException when depth is below 1
         */
        public Builder fusion(Fusion fusion, int depth) {
            if (depth < 1) {
                throw new IllegalArgumentException("fusion depth must be >= 1, got " + depth);
            }
            this.fusion = Objects.requireNonNull(fusion, "fusion");
            this.fusionDepth = depth;
            return this;
        }

        /**
         * Sets how many nearest-neighbour candidates an HNSW search collects before keeping the top k (the search beam,
         * Elasticsearch's {@code num_candidates}): more candidates, higher recall against exact search, slower queries.
         *
         * @param candidates the beam width, {@code >= 1} (default 100; a search uses {@code max(k, candidates)})
         * @return this builder
         * @throws IllegalArgumentException when candidates is below 1
         */
        public Builder knnCandidates(int candidates) {
            if (candidates < 1) {
                throw new IllegalArgumentException("KNN candidates must be >= 1, got " + candidates);
            }
            this.knnCandidates = candidates;
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the configuration
         */
        public IndexConfig build() {
            return new IndexConfig(this);
        }
    }
}
