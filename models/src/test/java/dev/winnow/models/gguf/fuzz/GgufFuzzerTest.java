package dev.winnow.models.gguf.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.SharedFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFuzzerTest {
  @TempDir Path tmp;

  @Test
  void fiveHundredMutatedVariantsParseOrAreRejected() throws Exception {
    GgufFuzzer fuzzer = new GgufFuzzer(Files.readAllBytes(SharedFiles.stories260K()), 1).saveFailures(tmp)
        .saveAccepted(tmp.resolve("accepted"), 5);
    GgufFuzzer.Summary s = fuzzer.run(500, null);
    StringWriter sw = new StringWriter();
    s.print(new PrintWriter(sw));
    assertTrue(s.passed(), sw.toString());
    assertEquals(500, s.byOutcome().values().stream().mapToLong(Long::longValue).sum());
    // the mutations reach both sides of the validator
    assertTrue(s.byOutcome().getOrDefault(GgufFuzzer.Outcome.REJECTED, 0L) > 200, sw.toString());
    assertTrue(s.byOutcome().getOrDefault(GgufFuzzer.Outcome.ACCEPTED, 0L) > 10, sw.toString());
    for (Mutation m : Mutation.values()) {
      assertTrue(s.byMutation().containsKey(m), "mutation " + m + " never drawn: " + sw);
    }
    try (var files = Files.list(tmp.resolve("accepted"))) {
      assertEquals(5, files.count());
    }
  }

  @Test
  void casesAreReproducible() throws Exception {
    byte[] original = Files.readAllBytes(SharedFiles.stories260K());
    GgufFuzzer.CaseResult a = new GgufFuzzer(original, 42).runCase(17);
    GgufFuzzer.CaseResult b = new GgufFuzzer(original, 42).runCase(17);
    assertArrayEquals(a.input(), b.input());
    assertEquals(a.outcome(), b.outcome());
    assertEquals(a.detail(), b.detail());
  }

  @Test
  void regressionCorpusParsesOrIsRejected() throws Exception {
    Path corpus = Path.of(GgufFuzzerTest.class.getResource("/gguf-corpus").toURI());
    int n = 0;
    try (var files = Files.list(corpus)) {
      for (Path p : files.sorted().toList()) {
        if (!p.toString().endsWith(".gguf")) {
          continue;
        }
        boolean rejected = false;
        try {
          GgufFuzzer.check(Files.readAllBytes(p), p.getFileName().toString());
        } catch (dev.winnow.models.gguf.GgufFormatException expected) {
          rejected = true;
        }
        if (p.getFileName().toString().startsWith("llama-abort-")) {
          assertTrue(rejected, p + " made llama.cpp abort: the validator must refuse it");
        }
        n++;
      }
    }
    assertTrue(n > 0, "corpus is empty");
  }
}
