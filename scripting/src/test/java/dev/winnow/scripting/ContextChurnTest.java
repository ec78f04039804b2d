package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100 contexts created, used and closed keep the heap and the process's resident memory flat (within 50 MB). The
 * resident memory is compared without the Java heap's committed pages: the collector grows the committed heap as it
 * sees fit (up to -Xmx), which is not a leak; the heap itself is compared by its use after a full collection.
 */
class ContextChurnTest {
    @TempDir
    Path workspace;

    private static final long LIMIT = 50L << 20;

    private void churn(ScriptHost host, int contexts) throws ScriptFailure {
        for (int i = 0; i < contexts; i++) {
            Language lang = i % 2 == 0 ? Language.JS : Language.PYTHON;
            try (ScriptSession s = host.openSession()) {
                String code = lang == Language.JS
                        ? "let a = []; for (let j = 0; j < 1000; j++) a.push('x' + j); a.length"
                        : "a = ['x' + str(j) for j in range(1000)]\nlen(a)";
                RecordingSink sink = new RecordingSink();
                assertEquals(
                        "1000",
                        s.run(lang, code, "churn-" + i, sink)
                                .value()
                                .orElseThrow()
                                .plainText());
            }
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
            best = Math.min(
                    best,
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    private static long committedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
    }

    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void hundredContextsKeepHeapAndRssFlat() throws Exception {
        try (ScriptHost host = ScriptHost.create(Sandbox.of(workspace))) {
            churn(host, 20); // warm-up: engine, language caches, code paths
            long heap0 = heapAfterGc();
            long native0 = rss() - committedHeap();
            churn(host, 100);
            long heap1 = heapAfterGc();
            long native1 = rss() - committedHeap();
            System.out.printf(
                    "100 contexts: heap used %+.1f MB (%.1f -> %.1f), RSS outside the heap %+.1f MB (%.1f -> %.1f)%n",
                    (heap1 - heap0) / 1e6,
                    heap0 / 1e6,
                    heap1 / 1e6,
                    (native1 - native0) / 1e6,
                    native0 / 1e6,
                    native1 / 1e6);
            assertTrue(heap1 - heap0 < LIMIT, "heap grew by " + (heap1 - heap0) / 1e6 + " MB");
            assertTrue(native1 - native0 < LIMIT, "RSS outside the heap grew by " + (native1 - native0) / 1e6 + " MB");
        }
    }
}
