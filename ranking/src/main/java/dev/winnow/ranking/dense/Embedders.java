package dev.winnow.ranking.dense;

import dev.winnow.models.WinnowHome;
import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.convert.OnnxModelSpec;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.ranking.eval.Provenance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Opens an embedder from a command-line spec or from the description an index recorded.
 *
 * <p>Specs (the one parser of {@code --dense}, {@code --embedding-model} and scripts):
 *
 * <ul>
 *   <li>{@code hashed-bow:DIM}: a {@link HashedBagOfWordsEmbedder} of dimension DIM;
 *   <li>{@code minilm-onnx}, {@code minilm-onnx-int8}, {@code bge-small-onnx}, {@code bge-small-onnx-int8} ({@link
 *       OnnxModelSpec}): an {@link OnnxEmbedder} over the ONNX file from Maven Central, extracted once into the model
 *       directory;
 *   <li>{@code minilm}, {@code bge-small} ({@link EmbeddingModelSpec}): a {@link LlamaEmbedder} over the GGUF converted
 *       from Maven Central ({@link EmbeddingModels#ensure});
 *   <li>a {@code .gguf} file: a {@link LlamaEmbedder};
 *   <li>an {@code .onnx} file (with {@code tokenizer.json} beside it) or a directory holding {@code model.onnx} and
 *       {@code tokenizer.json}: an {@link OnnxEmbedder}.
 * </ul>
 *
 * <p>Model embedders get the model's pooling and instructions and 256 tokens per text unless {@link #openModel} is
 * given other settings.
 */
public final class Embedders {

    private static final Pattern HASHED_SPEC = Pattern.compile("hashed-bow:(\\d{1,4})");

    private Embedders() {}

    /**
     * Opens the embedder a spec names (see the class description).
     *
     * @param spec {@code hashed-bow:DIM}, a catalog name, a GGUF or ONNX model file, or an ONNX model directory
     * @return the embedder (the caller closes it)
     * @throws IllegalArgumentException when the spec is malformed or names no model and no existing file
     * @throws IOException when the model cannot be had or read
     */
    public static Embedder open(String spec) throws IOException {
        Matcher m = HASHED_SPEC.matcher(spec.trim());
        if (m.matches()) {
            return new HashedBagOfWordsEmbedder(Integer.parseInt(m.group(1)));
        }
        if (spec.startsWith("hashed-bow")) {
            throw new IllegalArgumentException(
                    "bad embedder spec '" + spec + "': expected hashed-bow:DIM, e.g. hashed-bow:256");
        }
        return openModel(
                spec, LlamaEmbedder.DEFAULT_MAX_TOKENS, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Opens a model-backed embedder a spec names, with a token budget and threads (the demo's and benchmarks' form).
     *
     * @param spec a catalog name ({@code minilm-onnx-int8}, {@code minilm}, ...), a GGUF or ONNX model file, or an
     *     ONNX model directory
     * @param maxTokens tokens per text, special tokens included (capped at the model's positions)
     * @param threads CPU threads of the engine
     * @return the embedder (the caller closes it)
     * @throws IllegalArgumentException when the spec names no model and no existing file
     * @throws IOException when the model cannot be had or read
     */
    public static BatchingEmbedder openModel(String spec, int maxTokens, int threads) throws IOException {
        String s = spec.strip();
        var onnx = OnnxModelSpec.find(s);
        if (onnx.isPresent()) {
            return OnnxEmbedder.open(
                    onnx.get(),
                    EmbeddingModels.fromEnvironment(),
                    OnnxEmbedder.Options.defaults().withMaxTokens(maxTokens).withThreads(threads));
        }
        Path file = Path.of(s);
        if (Files.isDirectory(file)
                || (Files.isRegularFile(file) && s.toLowerCase(Locale.ROOT).endsWith(".onnx"))) {
            return OnnxEmbedder.open(
                    file,
                    OnnxEmbedder.Options.defaults().withMaxTokens(maxTokens).withThreads(threads));
        }
        if (Files.isRegularFile(file)) {
            return LlamaEmbedder.open(
                    file,
                    LlamaEmbedder.Options.defaults().withMaxTokens(maxTokens).withThreads(threads));
        }
        if (isConvertedName(s)) {
            Path gguf = EmbeddingModels.fromEnvironment().ensure(s);
            return LlamaEmbedder.open(
                    gguf,
                    LlamaEmbedder.Options.defaults().withMaxTokens(maxTokens).withThreads(threads));
        }
        throw new IllegalArgumentException("embedder '" + spec
                + "' is neither hashed-bow:DIM nor an existing GGUF model file; also accepted: an ONNX"
                + " model name (" + OnnxModelSpec.names() + "), a GGUF model converted from Maven Central (minilm,"
                + " bge-small), an .onnx file with tokenizer.json beside it, a directory with model.onnx and"
                + " tokenizer.json");
    }

    private static boolean isConvertedName(String s) {
        try {
            EmbeddingModelSpec.byName(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The model file an index's embedder description names, so a caller can check it (e.g. against a sandbox's
     * readable roots) before {@link #fromDescription} loads it.
     *
     * @param description the {@link Embedder#describe()} stored in the index settings
     * @return the GGUF file of a {@link LlamaEmbedder} description, the ONNX file of an {@link OnnxEmbedder} one (for a
     *     catalog model, where {@link EmbeddingModels#ensureOnnx} keeps it); empty for a model-free embedder or an
     *     unknown one
     */
    public static Optional<Path> modelFile(String description) {
        EmbedderIdentity id = EmbedderIdentity.fromDescription(description == null ? "" : description, 0);
        return id.modelFile() != null ? Optional.of(Path.of(id.modelFile())) : OnnxEmbedder.modelFileOf(description);
    }

    /**
     * Re-opens the embedder that made an index's vectors, from the description the index recorded. Same as {@link
     * #fromIdentity} with the identity read out of the description.
     *
     * @param description the {@link Embedder#describe()} stored in the index settings
     * @return the embedder
     * @throws UnsupportedOperationException when the description names an embedder this build cannot open
     * @throws IOException when no model file with the recorded SHA-256 is found
     */
    public static Embedder fromDescription(String description) throws IOException {
        return fromIdentity(EmbedderIdentity.fromDescription(description, 0));
    }

    /**
     * Re-opens the embedder that made an index's vectors ({@link
     * dev.winnow.ranking.index.IndexSettings#embedderIdentity()}). A model is found by its content: the recorded file
     * when it still has the recorded SHA-256, otherwise a GGUF file with that SHA-256 (and size, when recorded) in
     * Winnow's models directory ({@link WinnowHome#modelsDir()}) or beside the recorded file's name there; a moved
     * model file therefore does not orphan an index.
     *
     * @param id the recorded identity
     * @return the embedder, making the same document vectors as the recorded one
     * @throws UnsupportedOperationException when the identity names an embedder this build cannot open
     * @throws IOException when no model file with the recorded SHA-256 is found
     */
    public static Embedder fromIdentity(EmbedderIdentity id) throws IOException {
        if (id.engine().equals("hashed-bow")) {
            HashedBagOfWordsEmbedder e = new HashedBagOfWordsEmbedder(id.dimension());
            if (e.embedderIdentity().sameVectors(id)) {
                return e;
            }
        }
        if (id.engine().equals("llama.cpp") && id.modelSha256() != null) {
            Path file = locate(id);
            LlamaEmbedder.Options o = LlamaEmbedder.Options.defaults()
                    .withPooling(Pooling.valueOf(id.pooling().toUpperCase(Locale.ROOT)))
                    .withMaxTokens(id.maxTokens());
            if (!id.documentInstruction().isEmpty()) {
                o = o.withInstructions(new EmbeddingInstructions("", id.documentInstruction()));
            }
            LlamaEmbedder e = LlamaEmbedder.open(file, o);
            if (id.queryInstruction() != null) {
                e.setQueryInstruction(id.queryInstruction());
            } else if (!id.documentInstruction().isEmpty()) {
                // the recorded document instruction, with the model's own query instruction
                e.setQueryInstruction(
                        EmbeddingInstructions.forModel(e.modelName()).query());
            }
            if (!e.embedderIdentity().sameVectors(id)) {
                e.close();
                throw new IOException("the model file " + file + " does not make the vectors the index recorded ("
                        + id.contentKey() + ")");
            }
            return e;
        }
        if (OnnxEmbedder.describes(id.description())) {
            return OnnxEmbedder.reopen(id.description());
        }
        throw new UnsupportedOperationException("cannot open the embedder the index recorded: " + id.description());
    }

    /** The recorded model file if it still has the recorded content, else a file with that content in the models dir. */
    private static Path locate(EmbedderIdentity id) throws IOException {
        Path recorded = id.modelFile() == null ? null : Path.of(id.modelFile());
        if (recorded != null && Files.isRegularFile(recorded) && matches(recorded, id)) {
            return recorded;
        }
        Path dir = WinnowHome.modelsDir();
        if (Files.isDirectory(dir)) {
            List<Path> candidates = new ArrayList<>();
            if (recorded != null && recorded.getFileName() != null) {
                candidates.add(dir.resolve(recorded.getFileName().toString()));
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".gguf"))
                        .sorted()
                        .forEach(candidates::add);
            }
            for (Path p : candidates) {
                if (Files.isRegularFile(p) && matches(p, id)) {
                    return p;
                }
            }
        }
        throw new IOException("the index's embedding model is gone: no file with SHA-256 " + id.modelSha256() + " at "
                + (recorded == null ? "its recorded place" : recorded) + " or in " + dir
                + " (put the model file there, or set WINNOW_HOME to the home it was converted in)");
    }

    private static boolean matches(Path p, EmbedderIdentity id) throws IOException {
        if (id.modelBytes() >= 0 && Files.size(p) != id.modelBytes()) {
            return false;
        }
        return Provenance.sha256(p).equals(id.modelSha256());
    }
}
