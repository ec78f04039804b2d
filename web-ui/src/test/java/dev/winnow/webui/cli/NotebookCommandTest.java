package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.scripting.DisplayData;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.OutputSink;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptFailure;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.scripting.ScriptSession;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code winnow notebook}: the idle timeout option, and what cells may read by default. */
class NotebookCommandTest {
    @TempDir
    Path dir;

    @Test
    void idleTimeoutTakesUnitsAndBareSeconds() {
        assertEquals(Duration.ofMinutes(30), NotebookCommand.parseDuration("--kernel-idle-timeout", "30m"));
        assertEquals(Duration.ofSeconds(3600), NotebookCommand.parseDuration("--kernel-idle-timeout", "3600s"));
        assertEquals(Duration.ofHours(1), NotebookCommand.parseDuration("--kernel-idle-timeout", "1h"));
        assertEquals(Duration.ofMillis(500), NotebookCommand.parseDuration("--kernel-idle-timeout", "500ms"));
        assertEquals(Duration.ofSeconds(90), NotebookCommand.parseDuration("--kernel-idle-timeout", "90"));
        assertEquals(Duration.ZERO, NotebookCommand.parseDuration("--kernel-idle-timeout", "0"));
        var e = assertThrows(
                IllegalArgumentException.class, () -> NotebookCommand.parseDuration("--kernel-idle-timeout", "-5m"));
        assertTrue(e.getMessage().contains("--kernel-idle-timeout '-5m' is not a duration"), e.getMessage());
    }

    @Test
    void aBadIdleTimeoutIsRefusedBeforeServing() {
        CliRun r = CliRun.of("notebook", dir.toString(), "--port", "0", "--kernel-idle-timeout", "soon");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--kernel-idle-timeout 'soon' is not a duration"), r.err());
    }

    @Test
    void winnowsHomeIsReadableByDefaultAndNeverWritable() throws Exception {
        Path home = java.nio.file.Files.createDirectories(dir.resolve("home/indexes"));
        java.nio.file.Files.writeString(home.resolve("note.txt"), "built by winnow demo");
        Path workspace = java.nio.file.Files.createDirectories(dir.resolve("notebooks"));
        Path extra = java.nio.file.Files.createDirectories(dir.resolve("extra"));
        List<Path> roots = NotebookCommand.readableRoots(List.of(extra), null, dir.resolve("home"));
        assertEquals(List.of(extra, dir.resolve("home")), roots);
        assertEquals(List.of(extra), NotebookCommand.readableRoots(List.of(extra), null, dir.resolve("no-such-home")));
        assertEquals(
                List.of(dir.resolve("home")),
                NotebookCommand.readableRoots(List.of(dir.resolve("home")), null, dir.resolve("home")),
                "no duplicate");
        // a real Python cell in a sandbox built like the command's (the home is a protected tree as WINNOW_HOME is)
        Sandbox sandbox = new Sandbox(workspace, roots, 0).withProtectedTrees(dir.resolve("home"));
        try (ScriptHost host = ScriptHost.create(sandbox);
                ScriptSession s = host.openSession()) {
            String file = home.resolve("note.txt").toString();
            var read = s.run(Language.PYTHON, "open(" + quote(file) + ").read()", "read.py", new NullSink());
            assertEquals(
                    "built by winnow demo",
                    read.value().orElseThrow().plainText().replace("'", ""));
            ScriptFailure f = assertThrows(
                    ScriptFailure.class,
                    () -> s.run(
                            Language.PYTHON, "open(" + quote(file) + ", 'w').write('x')", "write.py", new NullSink()));
            assertTrue(f.getMessage().contains("Permission") || f.getMessage().contains("read-only"), f.getMessage());
            assertEquals("built by winnow demo", java.nio.file.Files.readString(home.resolve("note.txt")));
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static final class NullSink implements OutputSink {
        @Override
        public void stdout(String text) {}

        @Override
        public void stderr(String text) {}

        @Override
        public void display(DisplayData data) {}
    }
}
