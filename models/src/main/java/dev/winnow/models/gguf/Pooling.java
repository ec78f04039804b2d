package dev.winnow.models.gguf;

/**
 * How per-token hidden states become one embedding per sequence: llama.cpp's {@code enum llama_pooling_type}. A GGUF
 * file stores its model's pooling as {@code <arch>.pooling_type} (the converter writes it); a runtime context takes one
 * too ({@code ContextOptions.withEmbeddings}), where {@link #MODEL} means the file's own. It lives beside {@link
 * GgmlType} because it is a value of the GGUF format that both the converter (which writes it) and the runtime's API
 * (contexts, embedders) use; the models module cannot see the runtime's packages.
 */
public enum Pooling {
    /** The model's own pooling ({@code LLAMA_POOLING_TYPE_UNSPECIFIED}); for contexts only, never stored in a file. */
    MODEL(-1),
    /** No pooling: one embedding per token. */
    NONE(0),
    /** The mean of the last hidden states over the sequence's tokens ([CLS] and [SEP] included). */
    MEAN(1),
    /** The last hidden state of the first token ([CLS]). */
    CLS(2),
    /** The last hidden state of the last token. */
    LAST(3),
    /** A reranker's classification head output: one score per sequence ({@code LLAMA_POOLING_TYPE_RANK}). */
    RANK(4);

    private final int id;

    Pooling(int id) {
        this.id = id;
    }

    /**
     * @return the value of {@code llama_pooling_type}, -1 to 4
     */
    public int id() {
        return id;
    }

    /**
     * @param id a value of {@code llama_pooling_type}, -1 to 4
     * @return the pooling
     * @throws IllegalArgumentException for other values
     */
    public static Pooling of(int id) {
        for (Pooling p : values()) {
            if (p.id == id) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown llama_pooling_type " + id + ", expected -1 to 4");
    }
}
