package dev.winnow.bindings;

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

/**
 * Loads stories260K through the bindings in a fresh JVM: the progress callback (a Java upcall) runs up to 1.0, and
 * llama.cpp's log reaches SLF4J's {@code dev.winnow.llama} logger, its INFO lines at DEBUG (silent at SLF4J's default
 * INFO level).
 */
class UpcallAndLogTest {

    private static Path model() {
        Path p = Path.of(System.getProperty("winnow.shared.dir", "../../shared"), "models", "stories260K.gguf");
        assertTrue(Files.isRegularFile(p), "test model missing: " + p.toAbsolutePath());
        return p.toAbsolutePath();
    }

    private static String run(String... jvmFlags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path")));
        cmd.addAll(List.of(jvmFlags));
        cmd.add(ModelLoadMain.class.getName());
        cmd.add(model().toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void progressUpcallRunsToOneAndLogIsQuietByDefault() throws Exception {
        String out = run();
        // stories260K: 5 layers, 512 tokens (shared/models/SOURCES.md)
        assertTrue(out.contains("n_layer=5\n"), out);
        assertTrue(out.contains("n_vocab=512\n"), out);
        assertTrue(out.matches("(?s).*progress calls=[1-9]\\d* last=1\\.0\n.*"), out);
        // llama.cpp's own warnings (this model lacks two special tokens) stay WARN; its INFO chatter is DEBUG
        assertFalse(
                out.contains("DEBUG dev.winnow.llama") || out.contains("INFO dev.winnow.llama"),
                "llama.cpp's INFO lines must be DEBUG in Java:\n" + out);
        assertFalse(out.contains("llama_model_loader"), "nothing printed by llama.cpp itself:\n" + out);
    }

    @Test
    void llamaLogReachesSlf4jAtDebug() throws Exception {
        String out = run("-Dorg.slf4j.simpleLogger.log.dev.winnow.llama=debug");
        List<String> llamaLines =
                out.lines().filter(l -> l.contains(" dev.winnow.llama - ")).toList();
        assertTrue(llamaLines.stream().anyMatch(l -> l.contains("DEBUG dev.winnow.llama - llama_model_loader: ")), out);
        assertTrue(llamaLines.stream().noneMatch(l -> l.endsWith("\n") || l.endsWith(" - ")), "one event per line");
        assertTrue(llamaLines.size() > 10, out);
    }
}
