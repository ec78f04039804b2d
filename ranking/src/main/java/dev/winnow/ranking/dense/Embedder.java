package dev.winnow.ranking.dense;

import dev.winnow.runtime.UnitVectors;
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
     * What a text is embedded as: a model may give queries and documents different instructions (bge: {@value
     * dev.winnow.models.convert.EmbeddingModelSpec#BGE_QUERY_INSTRUCTION} before a query), so the same string can
     * give two vectors.
     */
    enum Role {
        /** A search query: stripped, then prefixed with the model's query instruction. */
        QUERY,
        /** A document (its title and text): prefixed with the model's document instruction, usually none. */
        DOCUMENT
    }

    /**
     * Returns the vector size.
     *
     * @return the dimension, {@code >= 1}
     */
    int dimension();

    /**
     * Embeds texts in one role: the one entry point every user of embeddings goes through (the index's backfill and
     * query embedding, the embedding re-ranker, scripts).
     *
     * @param texts the texts, in order
     * @param role what the texts are
     * @return one vector of {@link #dimension()} floats per text, in the same order
     */
    float[][] embed(List<String> texts, Role role);

    /**
     * Embeds documents (each already formed as its title and text): {@code embed(texts, Role.DOCUMENT)}.
     *
     * @param texts the texts, in order
     * @return one vector of {@link #dimension()} floats per text, in the same order
     */
    default float[][] embedDocuments(List<String> texts) {
        return embed(texts, Role.DOCUMENT);
    }

    /**
     * Embeds a query: {@code embed(List.of(text), Role.QUERY)[0]}.
     *
     * @param text the query text
     * @return a vector of {@link #dimension()} floats
     */
    default float[] embedQuery(String text) {
        return embed(List.of(text == null ? "" : text), Role.QUERY)[0];
    }

    /**
     * Describes the embedder for provenance and cache keys: for a model, its file, SHA-256, pooling, token budget and
     * document instruction; two embedders with the same description must produce the same document vectors.
     *
     * @return a one-line description
     */
    String describe();

    /**
     * Returns what makes this embedder's document vectors, as structured facts an index records beside its vectors
     * (model file SHA-256, pooling, normalisation, token budget, instructions); an index compares these, not the model
     * file's place. The default knows only {@link #describe()}: embedders backed by a model file should override it.
     *
     * @return the identity
     */
    default EmbedderIdentity embedderIdentity() {
        return EmbedderIdentity.opaque(describe(), dimension());
    }

    /**
     * Says how many texts were cut to the embedder's token budget so far (nothing is cut silently); an embedder without
     * a budget returns 0.
     *
     * @return the count of truncated texts since the embedder was opened
     */
    default long truncatedCount() {
        return 0;
    }

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
        for (float x : v) {
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException("embedding has a non-finite component: " + x);
            }
        }
        return UnitVectors.normalize(v.clone());
    }
}
