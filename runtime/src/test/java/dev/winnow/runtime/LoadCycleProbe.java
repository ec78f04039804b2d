package dev.winnow.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a forked JVM by {@link ResourceCycleTest}: CYCLES times load the model, create a context, decode, close
 * everything; prints "rss CYCLE KB" after the first and the last cycle.
 */
public final class LoadCycleProbe {
    private LoadCycleProbe() {}

    /**
     * @param args model path, cycle count
     * @throws IOException if /proc/self/status cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]);
        int cycles = Integer.parseInt(args[1]);
        Llama llama = Llama.load();
        for (int i = 1; i <= cycles; i++) {
            try (Model m = llama.loadModel(model);
                    Context c = m.newContext(
                            ContextOptions.defaults().withContextSize(256).withThreads(1));
                    Batch b = Batch.allocate(32, 1)) {
                b.addSequence(m.vocabulary().tokenize("Once upon a time"), 0, 0, true);
                c.decode(b);
                if (c.argmax(-1) < 0) {
                    throw new IllegalStateException();
                }
            }
            if (i == 1 || i == cycles) {
                System.out.println("rss " + i + " " + rssKb());
            }
        }
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
