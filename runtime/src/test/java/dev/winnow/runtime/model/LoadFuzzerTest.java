package dev.winnow.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.fuzz.Mutation;
import dev.winnow.runtime.TestModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100 cases of the load fuzzer ({@code winnow models fuzz}'s default mode): byte-level and structure-aware variants of
 * stories260K and a synthetic BERT, each loaded and decoded by the real runtime in a worker JVM. No worker may die or
 * hang, and every refusal at load or context creation names the file.
 */
class LoadFuzzerTest {
    @TempDir
    Path tmp;

    @Test
    void hundredCasesNoDeathNoHangEveryRefusalNamesTheFile() throws Exception {
        LoadFuzzer.Summary s = LoadFuzzer.run(
                TestModels.stories260K(), 1, 100, Duration.ofSeconds(60), tmp, tmp.resolve("failures"), null);
        StringWriter sw = new StringWriter();
        s.print(new PrintWriter(sw));
        assertEquals(
                100, s.byStatus().values().stream().mapToLong(Long::longValue).sum(), sw.toString());
        assertEquals(0, s.deaths(), sw.toString());
        assertEquals(0, s.hangs(), sw.toString());
        assertEquals(0, s.refusalsWithoutFile(), sw.toString());
        assertTrue(s.passed(), sw.toString());
        // both sides are reached: some variants load and decode, many are refused
        assertTrue(s.accepted() >= 10, sw.toString());
        assertTrue(s.refused() >= 30, sw.toString());
        for (Mutation m : Mutation.values()) {
            if (m.structural()) {
                assertTrue(s.byMutation().containsKey(m), m + " never drawn: " + sw);
            }
        }
        assertTrue(!Files.exists(tmp.resolve("failures")), "files of failed cases were saved: " + sw);
    }
}
