package dev.winnow.ranking.incontext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19: a library user's JVM without {@code --add-modules jdk.incubator.vector} ranks with BlockRank and runs the
 * Java attention kernels (scalar fallback) instead of dying with {@code NoClassDefFoundError}, and gets the results
 * the Vector API kernels give in this JVM (Surefire adds the module here): BlockRank's scores on stories260K to 1e-6,
 * attention outputs and probabilities to 1e-5. The fallback says so in exactly one log line.
 */
class VectorApiOptionalTest {
    @TempDir
    Path dir;

    @Test
    void withoutTheIncubatorModuleTheScalarKernelsGiveTheVectorisedResults() throws Exception {
        List<String> vectorised = VectorApiOptionalMain.compute();
        assertEquals(
                "vectorApi true", vectorised.get(0), "this JVM should run with --add-modules jdk.incubator.vector");

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED"); // and deliberately no --add-modules jdk.incubator.vector
        cmd.add("-Xmx1g");
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("winnow.")) {
                cmd.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(VectorApiOptionalMain.class.getName());
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        boolean done = p.waitFor(300, TimeUnit.SECONDS); // generous: about 5 s on an idle machine
        if (!done) {
            p.destroyForcibly();
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertTrue(done, "the child JVM did not finish in 300 s; stderr:\n" + err);
        assertEquals(0, p.exitValue(), "child JVM failed; stderr:\n" + err);
        assertFalse(err.contains("NoClassDefFoundError") || err.contains("jdk/incubator/vector"), err);
        assertEquals(1, count(err, "jdk.incubator.vector is not enabled"), "one log line about the fallback:\n" + err);

        List<String> scalar = Files.readAllLines(stdout, StandardCharsets.UTF_8);
        assertEquals("vectorApi false", scalar.get(0));
        assertEquals(vectorised.size(), scalar.size());
        int blockRank = 0;
        for (int i = 1; i < scalar.size(); i++) {
            String[] s = scalar.get(i).split(" ");
            String[] v = vectorised.get(i).split(" ");
            assertEquals(v[0], s[0], "line " + i);
            double expected = Double.parseDouble(v[1]);
            double actual = Double.parseDouble(s[1]);
            double tol = s[0].startsWith("blockrank.") ? 1e-6 : 1e-5 * Math.max(1, Math.abs(expected));
            assertEquals(expected, actual, tol, s[0]);
            if (s[0].startsWith("blockrank.")) {
                blockRank++;
                assertTrue(actual > 0 && actual < 1, s[0] + " should be an attention mass, was " + actual);
            }
        }
        assertEquals(6, blockRank, "BlockRank should score the 6 candidates (in the same order)");
        assertTrue(scalar.size() > 10_000, "attention values compared: " + scalar.size());
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
