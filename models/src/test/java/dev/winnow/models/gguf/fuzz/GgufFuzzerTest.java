package dev.winnow.models.gguf.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.SharedFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFuzzerTest {
    @TempDir
    Path tmp;

    @Test
    void fiveHundredMutatedVariantsParseOrAreRejected() throws Exception {
        GgufFuzzer fuzzer = new GgufFuzzer(Files.readAllBytes(SharedFiles.stories260K()), 1)
                .saveFailures(tmp)
                .saveAccepted(tmp.resolve("accepted"), 5);
        GgufFuzzer.Summary s = fuzzer.run(500, null);
        StringWriter sw = new StringWriter();
        s.print(new PrintWriter(sw));
        assertTrue(s.passed(), sw.toString());
        assertEquals(
                500, s.byOutcome().values().stream().mapToLong(Long::longValue).sum());
        // the mutations reach both sides of the validator
        assertTrue(s.byOutcome().getOrDefault(GgufFuzzer.Outcome.REJECTED, 0L) > 200, sw.toString());
        assertTrue(s.byOutcome().getOrDefault(GgufFuzzer.Outcome.ACCEPTED, 0L) > 10, sw.toString());
        for (Mutation m : Mutation.byteLevel()) {
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
        Map<String, byte[]> corpus = regressionCorpus();
        assertTrue(corpus.size() >= 7, "corpus has " + corpus.keySet());
        for (Map.Entry<String, byte[]> c : corpus.entrySet()) {
            boolean rejected = false;
            try {
                GgufFuzzer.check(c.getValue(), c.getKey());
            } catch (dev.winnow.models.gguf.GgufFormatException expected) {
                rejected = true;
            }
            if (c.getKey().startsWith("llama-abort-")) {
                assertTrue(rejected, c.getKey() + " made llama.cpp abort: the validator must refuse it");
            }
        }
    }

    /**
     * The regression inputs: each line of {@code /gguf-corpus/recipes.txt} ({@code NAME LENGTH OFFSET=HEX...}: a prefix
     * of stories260K with bytes replaced), plus a metadata value of arrays nested 1000 deep.
     */
    static Map<String, byte[]> regressionCorpus() throws Exception {
        byte[] original = Files.readAllBytes(SharedFiles.stories260K());
        Map<String, byte[]> out = new java.util.TreeMap<>();
        Path recipes = Path.of(
                GgufFuzzerTest.class.getResource("/gguf-corpus/recipes.txt").toURI());
        for (String line : Files.readAllLines(recipes)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            byte[] b = java.util.Arrays.copyOf(original, Integer.parseInt(f[1]));
            for (int i = 2; i < f.length; i++) {
                String[] edit = f[i].split("=");
                byte[] bytes = java.util.HexFormat.of().parseHex(edit[1]);
                System.arraycopy(bytes, 0, b, Integer.parseInt(edit[0]), bytes.length);
            }
            out.put(f[0], b);
        }
        // GGUF v3, no tensors, one key "k" whose value is an array of arrays ... 1000 deep, the innermost an empty
        // int32 array
        java.nio.ByteBuffer nested =
                java.nio.ByteBuffer.allocate(37 + 1001 * 12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        nested.put("GGUF".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .putInt(3)
                .putLong(0)
                .putLong(1);
        nested.putLong(1).put((byte) 'k').putInt(9);
        for (int i = 0; i < 1000; i++) {
            nested.putInt(9).putLong(1);
        }
        nested.putInt(5).putLong(0);
        out.put("arrays-nested-1000", nested.array());
        return out;
    }
}
