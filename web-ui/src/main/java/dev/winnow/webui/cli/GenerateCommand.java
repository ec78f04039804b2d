package dev.winnow.webui.cli;

import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.SamplerOptions;
import dev.winnow.runtime.generate.Generation;
import dev.winnow.runtime.generate.GenerationOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code winnow generate}: loads a GGUF model and continues a prompt, streaming the text to stdout (the prompt
 * first, then each generated piece as soon as it is a whole character). Greedy unless {@code --temp} is above 0.
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = "Generate text with a local GGUF model (greedy by default), streamed to stdout.")
public final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "GGUF model file")
    Path model;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "text to continue")
    String prompt;

    @Option(
            names = "-n",
            paramLabel = "N",
            defaultValue = "64",
            description = "tokens to generate (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--threads", paramLabel = "T", description = "CPU threads (default: the cores the JVM can use)")
    Integer threads;

    @Option(names = "--temp", paramLabel = "X", defaultValue = "0", description = "temperature; 0 is greedy (default)")
    float temperature;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "random seed when --temp > 0")
    int seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop before this text (repeatable)")
    List<String> stops = List.of();

    @Override
    public Integer call() {
        if (tokens < 0) {
            throw new IllegalArgumentException("-n must be >= 0, got " + tokens);
        }
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        PrintWriter out = spec.commandLine().getOut();
        Llama llama = Llama.load();
        try (Model m = llama.loadModel(model)) {
            int[] promptTokens = m.vocabulary().tokenize(prompt, true, false);
            ContextOptions co =
                    ContextOptions.defaults().withContextSize(Math.max(256, promptTokens.length + tokens + 1));
            if (threads != null) {
                co = co.withThreads(threads);
            }
            SamplerOptions sampling =
                    temperature == 0 ? SamplerOptions.greedy() : SamplerOptions.sampling(temperature, seed);
            GenerationOptions go =
                    GenerationOptions.greedy(tokens).withSampling(sampling).withStopStrings(stops);
            try (Context ctx = m.newContext(co);
                    Generation g = Generation.start(ctx, promptTokens, go)) {
                out.print(prompt);
                out.flush();
                g.run(piece -> {
                    out.print(piece);
                    out.flush();
                });
                out.println();
                out.flush();
            }
        }
        return 0;
    }
}
