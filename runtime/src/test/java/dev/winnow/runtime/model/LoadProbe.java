package dev.winnow.runtime.model;

import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.nio.file.Path;

/**
 * Run in a forked JVM by {@link ModelLoadSurvivalTest}: loads each file given, creates a context, decodes the
 * tokenized prompt, and prints one line per file: {@code OK <file>} or {@code REFUSED <file> <exception>}. If
 * llama.cpp aborts, the JVM dies and the parent sees the exit code.
 */
public final class LoadProbe {
  private LoadProbe() {}

  /**
   * @param args model files
   */
  public static void main(String[] args) {
    Llama llama = Llama.load();
    for (String a : args) {
      Path p = Path.of(a);
      try (Model m = llama.loadModel(p);
          Context c = m.newContext(ContextOptions.defaults().withContextSize(256));
          Batch b = Batch.allocate(64, 1)) {
        b.addSequence(m.vocabulary().tokenize("Once upon a time"), 0, 0, true);
        c.decode(b);
        c.logitsCopy(-1);
        System.out.println("OK " + p.getFileName());
      } catch (RuntimeException e) {
        System.out.println("REFUSED " + p.getFileName() + " " + e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      System.out.flush();
    }
  }
}
