package dev.winnow.webui.cli;

import dev.winnow.models.gguf.fuzz.GgufFuzzer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code winnow models fuzz}: runs seeded mutated variants of a GGUF file through the validating reader; exits 1 when
 * any variant made the reader fail with something other than a format error, or hang.
 */
@Command(
    name = "fuzz",
    mixinStandardHelpOptions = true,
    description = "Fuzz the GGUF reader with mutated and truncated variants of a valid file: each must parse or be "
        + "rejected with a format error, within the time limit.")
public final class ModelsFuzzCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--input", paramLabel = "FILE",
      description = "the valid GGUF file to mutate (default: stories260K.gguf of the shared directory)")
  Path input;

  @Option(names = "--cases", paramLabel = "N", defaultValue = "10000", description = "cases (default ${DEFAULT-VALUE})")
  long cases;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "2000",
      description = "time limit per case (default ${DEFAULT-VALUE})")
  long timeoutMs;

  @Option(names = "--accepted-dir", paramLabel = "DIR",
      description = "save accepted variants here (for loading them with llama.cpp)")
  Path acceptedDir;

  @Option(names = "--accepted-max", paramLabel = "N", defaultValue = "300",
      description = "most accepted variants to save (default ${DEFAULT-VALUE})")
  int acceptedMax;

  @Option(names = "--failures-dir", paramLabel = "DIR", description = "save failing variants here (regression inputs)")
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
    GgufFuzzer fuzzer = new GgufFuzzer(Files.readAllBytes(file), seed).timeoutMillis(timeoutMs);
    if (acceptedDir != null) {
      fuzzer.saveAccepted(acceptedDir, acceptedMax);
    }
    if (failuresDir != null) {
      fuzzer.saveFailures(failuresDir);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("fuzzing %s: %d cases, seed %d, %d ms per case%n", file, cases, seed, timeoutMs);
    GgufFuzzer.Summary s = fuzzer.run(cases, out);
    s.print(out);
    out.println(s.passed() ? "PASS: every variant parsed or was rejected with a format error"
        : "FAIL: some variants failed or hung (see above)");
    out.flush();
    return s.passed() ? 0 : 1;
  }

  private static Path defaultInput() {
    String repo = System.getProperty("winnow.repo.dir", ".");
    return Path.of(repo).resolve("../shared/models/stories260K.gguf").normalize();
  }
}
