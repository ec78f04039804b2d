package dev.winnow.runtime.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What invalidating result views costs per decode: a shared arena (closable from any thread, as Context uses for its
 * logits and embedding views) against a confined one, each created, given one view of a 32,000-float buffer, read
 * once and closed. Run: {@code java --enable-native-access=ALL-UNNAMED
 * runtime/src/bench/java/dev/winnow/runtime/bench/ArenaCloseCost.java}.
 */
public final class ArenaCloseCost {
    private ArenaCloseCost() {}

    /**
     * @param args ignored
     */
    public static void main(String[] args) {
        int n = 20_000;
        MemorySegment buf = Arena.global().allocate(4 * 32_000);
        float sink = 0;
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Arena a = Arena.ofShared();
                sink += buf.reinterpret(4 * 32_000, a, null).asReadOnly().getAtIndex(ValueLayout.JAVA_FLOAT, i % 100);
                a.close();
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Arena a = Arena.ofConfined();
                sink += buf.reinterpret(4 * 32_000, a, null).asReadOnly().getAtIndex(ValueLayout.JAVA_FLOAT, i % 100);
                a.close();
            }
            long t2 = System.nanoTime();
            System.out.printf(
                    "shared %.2f us, confined %.2f us per create + view + close%n",
                    (t1 - t0) / (n * 1e3), (t2 - t1) / (n * 1e3));
        }
        System.out.println(sink == 0 ? "" : "?");
    }
}
