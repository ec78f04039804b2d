package dev.winnow.ranking.dense;

import dev.winnow.models.convert.EmbeddingModelSpec;
import java.util.Objects;

/**
 * The texts an embedding model wants before a query and before a document, taken as given (end them with a space).
 * The one place they come from: {@link #forModel} looks the model up in {@link EmbeddingModelSpec} by the GGUF
 * file's {@code general.name} (bge-small-en-v1.5: {@value EmbeddingModelSpec#BGE_QUERY_INSTRUCTION} before queries,
 * nothing before documents; all-MiniLM-L6-v2 and unknown models: nothing).
 *
 * @param query the prefix of every query; empty for none
 * @param document the prefix of every document; empty for none. It changes every stored vector, so an embedder with
 *     one names it in its {@link Embedder#describe() description}
 */
public record EmbeddingInstructions(String query, String document) {

    /** No instruction for either role. */
    public static final EmbeddingInstructions NONE = new EmbeddingInstructions("", "");

    /** @throws NullPointerException when an instruction is null (use "" for none) */
    public EmbeddingInstructions {
        Objects.requireNonNull(query, "query instruction");
        Objects.requireNonNull(document, "document instruction");
    }

    /**
     * The instructions the model's authors recommend for retrieval, found from the model's name.
     *
     * @param generalName the GGUF file's {@code general.name}, or null
     * @return the catalog model's instructions, or {@link #NONE} for a model the catalog does not know
     */
    public static EmbeddingInstructions forModel(String generalName) {
        return EmbeddingModelSpec.byDisplayName(generalName)
                .map(s -> new EmbeddingInstructions(s.queryInstruction(), ""))
                .orElse(NONE);
    }

    /**
     * @param role what the text is
     * @return the prefix of that role
     */
    public String of(Embedder.Role role) {
        return role == Embedder.Role.QUERY ? query : document;
    }

    /**
     * @param instruction the new query prefix
     * @return a copy with that query instruction
     */
    public EmbeddingInstructions withQuery(String instruction) {
        return new EmbeddingInstructions(instruction, document);
    }
}
