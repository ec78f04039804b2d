package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code winnow run}: output, arguments, exit codes 0, 1 (with the traceback) and 130 (timeout, and SIGINT in a child process). */
class RunCommandTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {}

    private Result run(String... args) {
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void jsScriptPrintsArgumentsAndWritesItsWorkspace() throws Exception {
        Path script = Files.writeString(
                dir.resolve("hello.js"),
                "console.log('args', winnow.args().join(','));\ndisplay({n: winnow.args().length});\n");
        Result r = run("run", "--workspace", dir.toString(), script.toString(), "a", "b c");
        assertEquals(0, r.code(), r.err());
        assertEquals("args a,b c\n{\n  \"n\": 2\n}\n", r.out());
    }

    @Test
    void pythonErrorExitsWithOneAndTheTraceback() throws Exception {
        Path script =
                Files.writeString(dir.resolve("bad.py"), "print('before')\n\ndef f():\n    return 1 / 0\n\nf()\n");
        Result r = run("run", "--workspace", dir.toString(), script.toString());
        assertEquals(1, r.code());
        assertEquals("before\n", r.out());
        assertTrue(r.err().contains("Traceback (most recent call last):"), r.err());
        assertTrue(r.err().contains("File \"" + script + "\", line 6, in <module>"), r.err());
        assertTrue(r.err().contains("ZeroDivisionError: division by zero"), r.err());
    }

    @Test
    void timeoutInterruptsWith130() throws Exception {
        Path script = Files.writeString(dir.resolve("spin.js"), "while (true) {}\n");
        Result r = run("run", "--workspace", dir.toString(), "--timeout", "0.5", script.toString());
        assertEquals(RunCommand.EXIT_INTERRUPTED, r.code());
        assertTrue(r.err().contains("deadline of 500 ms exceeded"), r.err());
    }

    /**
     * Ctrl-C in a real {@code winnow run} process: the JVM's SIGINT handler interrupts the spinning script, which ends
     * with the interruption message on stderr and exit code 130, within a few seconds of the signal.
     */
    @Test
    void sigintInterruptsARunningScriptWith130Promptly() throws Exception {
        Path script = Files.writeString(
                dir.resolve("spin.js"), "console.log('spinning');\nlet n = 0;\nwhile (true) { n++; }\n");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx1g"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WinnowCli.class.getName()));
        cmd.addAll(List.of("run", "--workspace", dir.toString(), script.toString()));
        Process p = new ProcessBuilder(cmd)
                .redirectError(dir.resolve("err.txt").toFile())
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("spinning", out.readLine(), "the script's first line (then it loops)");
            Thread.sleep(300); // well inside the loop
            assertTrue(p.isAlive(), "the script loops until interrupted");
            long signalled = System.nanoTime();
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid()))
                    .inheritIO()
                    .start();
            assertEquals(0, kill.waitFor());
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "winnow run still running 10 s after SIGINT");
            double seconds = (System.nanoTime() - signalled) / 1e9;
            String err = Files.readString(dir.resolve("err.txt"));
            assertEquals(RunCommand.EXIT_INTERRUPTED, p.exitValue(), err);
            assertTrue(err.contains("Interrupted: interrupted (at " + script + ":3)"), err);
            assertTrue(seconds < 3, "exited " + seconds + " s after SIGINT");
            assertEquals(null, out.readLine(), "nothing more on stdout");
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * Ctrl-C at a terminal signals the whole foreground process group: here the real {@code ./winnow} launcher (its
     * JDK lookup and stderr filter, over a jar whose manifest names this build's classpath) runs in a process group of
     * its own, which gets SIGINT. The interruption message must still reach stderr (the launcher's filter once died of
     * the same SIGINT and the message was lost), with exit code 130, promptly.
     */
    @Test
    void ctrlCOfTheLauncherGroupKeepsTheMessage() throws Exception {
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo.resolve("scripts"));
        Files.createDirectories(repo.resolve("web-ui/target/lib"));
        Path launcher = Files.copy(Path.of("..", "winnow"), repo.resolve("winnow"));
        Files.copy(Path.of("..", "scripts", "find-jdk.sh"), repo.resolve("scripts/find-jdk.sh"));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        StringBuilder classPath = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            classPath.append(Path.of(entry).toAbsolutePath().toUri()).append(' ');
        }
        manifest.getMainAttributes()
                .put(Attributes.Name.CLASS_PATH, classPath.toString().strip());
        try (JarOutputStream jar = new JarOutputStream(
                Files.newOutputStream(repo.resolve("web-ui/target/winnow-web-ui-test.jar")), manifest)) {
            jar.flush();
        }
        Files.writeString(repo.resolve("web-ui/target/.launcher-build"), ""); // built: nothing is newer
        Path script = Files.writeString(
                dir.resolve("spin.js"), "console.log('spinning');\nlet n = 0;\nwhile (true) { n++; }\n");
        Path errFile = dir.resolve("launcher-err.txt");
        ProcessBuilder pb = new ProcessBuilder(
                        "setsid", "bash", launcher.toString(), "run", "--workspace", dir.toString(), script.toString())
                .redirectError(errFile.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("WINNOW_JAVA_OPTS", "-Xmx1g");
        Process p = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("spinning", out.readLine(), Files.readString(errFile));
            Thread.sleep(300);
            // setsid made the launcher (which execs the JVM) the leader of a new process group: signal that group only
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            long group =
                    Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2]);
            assertEquals(p.pid(), group, "the launcher leads its own process group");
            long signalled = System.nanoTime();
            Process kill = new ProcessBuilder("kill", "-INT", "--", "-" + group)
                    .inheritIO()
                    .start();
            assertEquals(0, kill.waitFor());
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "winnow still running 10 s after Ctrl-C");
            double seconds = (System.nanoTime() - signalled) / 1e9;
            assertEquals(RunCommand.EXIT_INTERRUPTED, p.exitValue(), Files.readString(errFile));
            assertTrue(seconds < 3, "exited " + seconds + " s after Ctrl-C");
            // the filter passes the JVM's last lines on when the JVM's stderr closes, just after the JVM exits
            String err = "";
            for (int i = 0; i < 50 && !err.contains("Interrupted: interrupted"); i++) {
                Thread.sleep(100);
                err = Files.readString(errFile);
            }
            assertTrue(err.contains("Interrupted: interrupted (at " + script + ":3)"), "stderr: " + err);
            assertFalse(err.contains("WARNING: Using incubator modules"), err);
        } finally {
            p.destroyForcibly();
        }
    }

    /** Issue 15: {@code sys.exit(n)} / {@code os._exit(n)} end {@code winnow run} with exit code n, and nothing is added. */
    @Test
    void pythonExitStatusBecomesTheExitCode() throws Exception {
        String[][] cases = {
            {"import sys\nprint('a')\nsys.exit(3)\nprint('never')\n", "3"},
            {"import sys\nsys.exit(0)\n", "0"},
            {"import sys\nsys.exit(None)\n", "0"},
            {"import sys\nsys.exit()\n", "0"},
            {"raise SystemExit(4)\n", "4"},
            {"import os\nos._exit(5)\n", "5"},
            {"import sys\nsys.exit('bye')\n", "1"}
        };
        for (String[] c : cases) {
            Path script = Files.writeString(dir.resolve("exit.py"), c[0]);
            Result r = run("run", "--workspace", dir.toString(), script.toString());
            assertEquals(Integer.parseInt(c[1]), r.code(), c[0] + " stderr: " + r.err());
            assertFalse(r.out().contains("never"), r.out());
            assertFalse(r.err().contains("context was reset"), "winnow adds nothing to an exit: " + r.err());
        }
        Path js = Files.writeString(dir.resolve("exit.js"), "process.exit(3)\n");
        Result r = run("run", "--workspace", dir.toString(), js.toString());
        assertEquals(1, r.code(), "JavaScript has no process.exit in the sandbox: a script error");
        assertTrue(r.err().contains("ReferenceError: process is not defined"), r.err());
    }

    /** The same through the real {@code main} in a child JVM: the process's exit code is the script's status. */
    @Test
    void pythonExitStatusIsTheProcessExitCode() throws Exception {
        Path script = Files.writeString(dir.resolve("exit7.py"), "import sys\nprint('bye')\nsys.exit(7)\n");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx1g"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WinnowCli.class.getName()));
        cmd.addAll(List.of("run", "--workspace", dir.toString(), script.toString()));
        Process p = new ProcessBuilder(cmd)
                .redirectError(dir.resolve("err7.txt").toFile())
                .start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "winnow run did not end");
            assertEquals(7, p.exitValue(), Files.readString(dir.resolve("err7.txt")));
            assertEquals("bye\n", out);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void unknownExtensionIsRefused() throws Exception {
        Path script = Files.writeString(dir.resolve("x.rb"), "puts 1\n");
        Result r = run("run", script.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("must end in .js or .py"), r.err());
    }
}
