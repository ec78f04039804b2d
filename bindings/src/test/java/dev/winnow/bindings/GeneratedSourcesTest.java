package dev.winnow.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed bindings are exactly what bindings/generator/gen_bindings.py makes of the downloaded headers: nobody
 * edited a generated file by hand, and no generator change was left unregenerated.
 */
class GeneratedSourcesTest {

    private static final Path COMMITTED = Path.of("src/main/java/dev/winnow/bindings/llama");
    private static final Path MANIFEST = Path.of("src/test/resources/dev/winnow/bindings/abi-manifest.tsv");

    @Test
    void committedSourcesAreTheGeneratorsOutput() throws Exception {
        Path out = Path.of("target", "regenerated");
        Path java = out.resolve("java");
        Path manifest = out.resolve("abi-manifest.tsv");
        Path include = LibraryLocation.fromEnvironment(LlamaNative.npmVersion()).includeDirectory();
        List<String> cmd = List.of(
                "python3",
                "generator/gen_bindings.py",
                "--include",
                include.toString(),
                "--java-out",
                java.toString(),
                "--manifest-out",
                manifest.toString());
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("python3 is needed by this test (Debian: apt-get install python3)", e);
        }
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "generator timed out");
        assertEquals(0, p.exitValue(), "generator failed:\n" + log);

        assertEquals(
                names(COMMITTED), names(java), "generated file set (run python3 bindings/generator/gen_bindings.py)");
        List<String> differing = new ArrayList<>();
        for (String n : names(java)) {
            if (!Files.readString(java.resolve(n)).equals(Files.readString(COMMITTED.resolve(n)))) {
                differing.add(n);
            }
        }
        if (!Files.readString(manifest).equals(Files.readString(MANIFEST))) {
            differing.add("abi-manifest.tsv");
        }
        assertEquals(
                List.of(),
                differing,
                "committed files that differ from the generator's output (regenerate with "
                        + "python3 bindings/generator/gen_bindings.py; never edit them by hand)");
    }

    private static TreeSet<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".java"))
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }
}
