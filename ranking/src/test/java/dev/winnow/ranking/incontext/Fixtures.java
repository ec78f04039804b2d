package dev.winnow.ranking.incontext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test inputs: the real stories260K model and small candidate lists. */
public final class Fixtures {

    private Fixtures() {}

    /** ../shared (Surefire's winnow.shared.dir). */
    public static Path shared() {
        String dir = System.getProperty("winnow.shared.dir");
        if (dir == null) {
            throw new IllegalStateException("system property winnow.shared.dir is not set (Surefire sets it)");
        }
        return Path.of(dir);
    }

    /** The real stories260K.gguf (5 layers, n_embd 64, 8 heads). */
    public static Path stories260K() {
        Path p = shared().resolve("models/stories260K.gguf");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("missing test model " + p);
        }
        return p;
    }

    private static final String[] TEXTS = {
        "Lily went to the park with her mom. She saw a big red ball and played all day.",
        "Tom had a little dog named Max. Max liked to run and jump in the garden.",
        "The sun was hot, so Sue ate a cold ice cream by the sea.",
        "Ben found a shiny stone under a tree. He gave it to his sister.",
        "A small bird could not fly. The kind girl helped the bird get better.",
        "Once there was a big bear who loved honey. He looked for bees in the forest.",
        "Anna and her friend built a tall tower with blocks, and then it fell down.",
        "The cat sat on the mat and looked at the fish in the bowl.",
    };

    /** {@code n} candidates (n <= 8) with distinct first-stage scores n, n-1, ..., 1. */
    public static List<Candidate> stories(int n) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Candidate("d" + i, "Story " + i, TEXTS[i % TEXTS.length], n - i));
        }
        return out;
    }
}
