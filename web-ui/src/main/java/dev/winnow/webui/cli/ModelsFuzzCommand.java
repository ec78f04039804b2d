package dev.winnow.webui.cli;

import dev.winnow.models.gguf.fuzz.GgufFuzzer;
import dev.winnow.runtime.model.LoadFuzzer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code winnow models fuzz}: by default loads and decodes seeded variants of a model (byte-level header damage and
 * structure-aware defects: tensor types, per-layer arrays, split shards, non-finite weights, BERT positions) through the
 * real runtime in a worker JVM ({@link LoadFuzzer}); exits 1 on any worker death, hang, or load/context refusal whose
 * message does not name the file. {@code --reader-only} runs the older in-process mode: the variants only go through
 * the validating reader, which must parse or reject each with a format error.
 */
@Command(
        name = "fuzz",
        mixinStandardHelpOptions = true,
        description =
                "Fuzz model loading: each variant of a valid file (header damage, wrong tensor types, per-layer "
                        + "arrays, split shards, NaN/Inf weights, BERT positions) is loaded and decoded in a worker JVM; prints the "
                        + "accepted, refused, worker deaths and hangs. --reader-only fuzzes the GGUF reader alone, in this JVM.")
public final class ModelsFuzzCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--input",
            paramLabel = "FILE",
            description = "the valid GGUF file to mutate (default: stories260K.gguf of the shared directory)")
    Path input;

    @Option(
            names = "--cases",
            paramLabel = "N",
            defaultValue = "10000",
            description = "cases (default ${DEFAULT-VALUE})")
    long cases;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(
            names = "--timeout-ms",
            paramLabel = "MS",
            description = "time limit per case (default 60000 when loading, 2000 with --reader-only)")
    Long timeoutMs;

    @Option(names = "--reader-only", description = "only parse and validate each variant, in this JVM (no llama.cpp)")
    boolean readerOnly;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description = "where case files and worker logs go while loading (default: a temporary directory)")
    Path workDir;

    @Option(
            names = "--accepted-dir",
            paramLabel = "DIR",
            description = "save accepted variants here (for loading them with llama.cpp)")
    Path acceptedDir;

    @Option(
            names = "--accepted-max",
            paramLabel = "N",
            defaultValue = "300",
            description = "most accepted variants to save (default ${DEFAULT-VALUE})")
    int acceptedMax;

    @Option(
            names = "--failures-dir",
            paramLabel = "DIR",
            description = "save failing variants here (regression inputs)")
    Path failuresDir;

    @Override
    public Integer call() throws Exception {
        Path file = input != null ? input : defaultInput();
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no such file: " + file);
        }
        if (cases < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--cases must be at least 1, got " + cases);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (!readerOnly) {
            long ms = timeoutMs == null ? 60_000 : timeoutMs;
            Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("winnow-fuzz");
            out.printf(
                    "fuzzing model loading with %s: %d cases, seed %d, %d ms per case, worker JVMs, work dir %s%n",
                    file, cases, seed, ms, dir);
            out.flush();
            LoadFuzzer.Summary s = LoadFuzzer.run(file, seed, cases, Duration.ofMillis(ms), dir, failuresDir, out);
            s.print(out);
            out.println(
                    s.passed()
                            ? "PASS: no worker died or hung, every load/context refusal names the file"
                            : "FAIL: see the problems above");
            out.flush();
            return s.passed() ? 0 : 1;
        }
        GgufFuzzer fuzzer =
                new GgufFuzzer(Files.readAllBytes(file), seed).timeoutMillis(timeoutMs == null ? 2_000 : timeoutMs);
        if (acceptedDir != null) {
            fuzzer.saveAccepted(acceptedDir, acceptedMax);
        }
        if (failuresDir != null) {
            fuzzer.saveFailures(failuresDir);
        }
        out.printf("fuzzing the reader with %s: %d cases, seed %d%n", file, cases, seed);
        GgufFuzzer.Summary s = fuzzer.run(cases, out);
        s.print(out);
        out.println(
                s.passed()
                        ? "PASS: every variant parsed or was rejected with a format error"
                        : "FAIL: some variants failed or hung (see above)");
        out.flush();
        return s.passed() ? 0 : 1;
    }

    private static Path defaultInput() {
        String repo = System.getProperty("winnow.repo.dir", ".");
        return Path.of(repo).resolve("../shared/models/stories260K.gguf").normalize();
    }
}
