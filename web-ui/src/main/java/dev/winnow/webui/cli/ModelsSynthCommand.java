package dev.winnow.webui.cli;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufWriter;
import dev.winnow.models.synth.Architecture;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code winnow models synth}: writes a model with seeded random weights and a real model's shape, for benchmarks.
 */
@Command(
        name = "synth",
        mixinStandardHelpOptions = true,
        description =
                "Write a synthetic llama/qwen2 model (seeded random weights, a real tokenizer) that llama.cpp loads: "
                        + "a preset shape, or every dimension given. Options given with --preset override the preset's values.")
public final class ModelsSynthCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", paramLabel = "NAME", description = "tiny-4l, wide-8l or qwen2.5-0.5b-shape")
    String preset;

    @Option(names = "--arch", paramLabel = "ARCH", description = "llama or qwen2")
    String arch;

    @Option(names = "--layers", paramLabel = "N", description = "transformer blocks")
    Integer layers;

    @Option(names = "--embd", paramLabel = "D", description = "embedding width")
    Integer embd;

    @Option(names = "--heads", paramLabel = "H", description = "attention heads")
    Integer heads;

    @Option(names = "--kv-heads", paramLabel = "K", description = "key/value heads (grouped-query attention)")
    Integer kvHeads;

    @Option(names = "--ff", paramLabel = "F", description = "feed-forward width")
    Integer ff;

    @Option(
            names = "--vocab-from",
            paramLabel = "FILE",
            description = "GGUF file whose tokenizer is copied (default: stories260K.gguf of the shared directory)")
    Path vocabFrom;

    @Option(
            names = "--vocab-size",
            paramLabel = "N",
            description = "pad the vocabulary with synthetic tokens up to N tokens (default: the file's size)")
    Integer vocabSize;

    @Option(
            names = "--type",
            paramLabel = "TYPE",
            defaultValue = "f16",
            description = "weight storage: f32, f16, bf16 or q8_0 (default ${DEFAULT-VALUE})")
    String type;

    @Option(
            names = "--seed",
            paramLabel = "S",
            defaultValue = "1",
            description = "weight seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--context-length", paramLabel = "N", description = "training context recorded in the file")
    Integer contextLength;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE",
            description = "output file (default: $WINNOW_HOME/models/synth-<preset or shape>-<type>.gguf)")
    Path output;

    @Override
    public Integer call() throws Exception {
        GgmlType t = GgmlType.byName(type)
                .orElseThrow(
                        () -> new CommandLine.ParameterException(spec.commandLine(), "unknown --type '" + type + "'"));
        SynthSpec s;
        try {
            s = buildSpec(t);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Path vocab = vocabFrom != null ? vocabFrom : defaultVocab();
        if (!Files.isRegularFile(vocab)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no such vocabulary file: " + vocab);
        }
        Path out = output != null ? output : defaultOutput(s);
        if (out.toAbsolutePath().getParent() != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        PrintWriter pw = spec.commandLine().getOut();
        long start = System.nanoTime();
        try (GgufFile v = GgufFile.open(vocab)) {
            GgufWriter w = SyntheticModel.writer(s, v);
            int nVocab = w.metadata().get("tokenizer.ggml.tokens").asList().size();
            pw.printf(
                    "writing %s: %s, %d layers, embd %d, %d heads (%d KV), ff %d, vocab %,d, %s, seed %d, %,d weights%n",
                    out,
                    s.arch().ggufName(),
                    s.layers(),
                    s.embd(),
                    s.heads(),
                    s.kvHeads(),
                    s.ff(),
                    nVocab,
                    t.ggmlName(),
                    s.seed(),
                    SyntheticModel.parameterCount(s, nVocab));
            pw.flush();
            w.write(out);
        }
        pw.printf("wrote %s: %,d bytes in %.1f s%n", out, Files.size(out), (System.nanoTime() - start) / 1e9);
        pw.flush();
        return 0;
    }

    private SynthSpec buildSpec(GgmlType t) {
        SynthSpec base;
        if (preset != null) {
            base = SynthSpec.preset(preset, t, seed);
        } else {
            if (arch == null || layers == null || embd == null || heads == null || ff == null) {
                throw new IllegalArgumentException(
                        "give --preset NAME, or --arch, --layers, --embd, --heads and --ff (and optionally --kv-heads)");
            }
            base = new SynthSpec(
                    Architecture.parse(arch),
                    layers,
                    embd,
                    heads,
                    kvHeads != null ? kvHeads : heads,
                    ff,
                    0,
                    t,
                    seed,
                    4096,
                    false);
        }
        return new SynthSpec(
                arch != null ? Architecture.parse(arch) : base.arch(),
                layers != null ? layers : base.layers(),
                embd != null ? embd : base.embd(),
                heads != null ? heads : base.heads(),
                kvHeads != null ? kvHeads : base.kvHeads(),
                ff != null ? ff : base.ff(),
                vocabSize != null ? vocabSize : base.vocabSize(),
                t,
                seed,
                contextLength != null ? contextLength : base.contextLength(),
                base.tiedEmbeddings());
    }

    private Path defaultOutput(SynthSpec s) {
        String home = System.getenv("WINNOW_HOME");
        Path dir = home != null
                ? Path.of(home, "models")
                : Path.of(System.getProperty("user.home"), ".cache", "winnow", "models");
        String shape = preset != null
                        && layers == null
                        && embd == null
                        && heads == null
                        && kvHeads == null
                        && ff == null
                        && arch == null
                        && vocabSize == null
                ? preset
                : s.arch().ggufName() + "-" + s.layers() + "x" + s.embd();
        return dir.resolve("synth-" + shape + "-" + s.type().ggmlName() + ".gguf");
    }

    private static Path defaultVocab() {
        String repo = System.getProperty("winnow.repo.dir", ".");
        return Path.of(repo).resolve("../shared/models/stories260K.gguf").normalize();
    }
}
