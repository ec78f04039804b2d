package dev.winnow.runtime.model;

import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.nio.file.Path;

/**
 * Run in a forked JVM by {@link ModelLoadSurvivalTest} and {@link ForkedLoads}: loads each file given, creates a
 * context, decodes the tokenized prompt and {@value #GREEDY} greedy tokens, and prints one line per file, as soon as
 * it is done: {@code OK <file> finite} or {@code OK <file> non-finite} (whether every logit was finite), or
 * {@code REFUSED <file> <exception>}. If llama.cpp aborts, the JVM dies and the parent sees the exit code; the file
 * that killed it is the first one without a line.
 */
public final class LoadProbe {
    /** Greedy tokens decoded after the prompt. */
    static final int GREEDY = 4;

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
                int[] prompt = m.vocabulary().tokenize("Once upon a time");
                b.addSequence(prompt, 0, 0, true);
                c.decode(b);
                boolean finite = true;
                for (int i = 0; i < GREEDY; i++) {
                    for (float v : c.logitsCopy(-1)) {
                        finite &= Float.isFinite(v);
                    }
                    int next = c.argmax(-1);
                    b.clear();
                    b.add(next, prompt.length + i, 0, true);
                    c.decode(b);
                }
                System.out.println("OK " + p.getFileName() + (finite ? " finite" : " non-finite"));
            } catch (RuntimeException e) {
                System.out.println(
                        "REFUSED " + p.getFileName() + " " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            System.out.flush();
        }
    }
}
