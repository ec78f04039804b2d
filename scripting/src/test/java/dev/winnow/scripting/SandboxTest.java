package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The escapes a user might try, each refused with a clear error; and what the sandbox does allow. */
class SandboxTest {
    @TempDir
    static Path root;

    static Path workspace;
    static Path data;
    static Path secret;
    static ScriptHost host;
    static ScriptSession session;

    @BeforeAll
    static void open() throws Exception {
        workspace = Files.createDirectories(root.resolve("ws"));
        data = Files.createDirectories(root.resolve("data"));
        Path outside = Files.createDirectories(root.resolve("outside"));
        secret = Files.writeString(outside.resolve("secret.txt"), "top secret");
        Files.writeString(data.resolve("docs.txt"), "doc one\ndoc two\n");
        Files.writeString(workspace.resolve("notes.txt"), "mine");
        Files.createSymbolicLink(workspace.resolve("escape"), outside);
        Files.createSymbolicLink(workspace.resolve("escape.txt"), secret);
        Files.createSymbolicLink(workspace.resolve("dangling"), outside.resolve("new.txt"));
        host = ScriptHost.create(Sandbox.of(workspace, data));
        session = host.openSession();
    }

    @AfterAll
    static void close() {
        host.close();
    }

    private static ScriptFailure fails(Language lang, String code) {
        return assertThrows(ScriptFailure.class, () -> session.run(lang, code, "escape-attempt", new RecordingSink()));
    }

    private static String value(Language lang, String code) throws ScriptFailure {
        return session.run(lang, code, "allowed", new RecordingSink())
                .value()
                .orElseThrow()
                .plainText();
    }

    @Test
    void jsHasNoJavaInteropNoPolyglotNoRequireNoProcess() {
        assertEquals(
                "ReferenceError: Java is not defined",
                fails(Language.JS, "Java.type('java.lang.Runtime')").getMessage());
        assertEquals(
                "ReferenceError: Polyglot is not defined",
                fails(Language.JS, "Polyglot.eval('python', '1')").getMessage());
        assertEquals(
                "ReferenceError: require is not defined",
                fails(Language.JS, "require('child_process')").getMessage());
        assertEquals(
                "ReferenceError: process is not defined",
                fails(Language.JS, "process.env").getMessage());
        // host objects expose their exported members only: no getClass() to reach reflection
        ScriptFailure f = fails(Language.JS, "winnow.getClass().forName('java.lang.Runtime')");
        assertTrue(f.getMessage().contains("getClass"), f.getMessage());
    }

    @Test
    void pythonHasNoJavaNoProcessesNoThreadsNoSocketsNoPolyglot() {
        assertEquals(
                "NotImplementedError: host lookup is not allowed",
                fails(Language.PYTHON, "import java\njava.type('java.lang.Runtime')")
                        .getMessage());
        assertTrue(fails(Language.PYTHON, "import os\nos.system('id')")
                .getMessage()
                .contains("Process creation is not allowed"));
        // the executable cannot even be looked up outside the sandbox: GraalPy reports it as not found, and the failure
        // adds the sandbox's reason (issue 15)
        Path marker = root.resolve("ran.txt");
        ScriptFailure sub =
                fails(Language.PYTHON, "import subprocess\nsubprocess.run(['/bin/sh', '-c', 'touch " + marker + "'])");
        assertEquals(
                "FileNotFoundError: [Errno 2] No such file or directory: '/bin/sh' (outside the sandbox (outside the workspace):"
                        + " scripts may read and write only under the workspace and read its read-only folders)",
                sub.getMessage());
        assertEquals(2, sub.line());
        assertFalse(Files.exists(marker));
        assertTrue(fails(Language.PYTHON, "import threading\nthreading.Thread(target=print).start()")
                .getMessage()
                .contains("Creating threads is not allowed"));
        assertTrue(fails(Language.PYTHON, "import socket\nsocket.socket().connect(('127.0.0.1', 80))")
                .getMessage()
                .contains("socket"));
        assertEquals(
                "RuntimeError: polyglot access is not allowed",
                fails(Language.PYTHON, "import polyglot\npolyglot.eval(language='js', string='1')")
                        .getMessage());
    }

    @Test
    void hostEnvironmentIsHidden() throws ScriptFailure {
        // GraalPy sets UNSAFE_PYO3_SKIP_VERSION_CHECK itself; nothing of the host's environment is there
        assertEquals("['UNSAFE_PYO3_SKIP_VERSION_CHECK']", value(Language.PYTHON, "import os\nsorted(os.environ)"));
    }

    @Test
    void pythonFileAccessIsLimitedToTheWorkspaceAndReadOnlyRoots() throws ScriptFailure {
        assertTrue(fails(Language.PYTHON, "open('/etc/passwd').read()")
                .getMessage()
                .startsWith("PermissionError"));
        String dotdot = "open('../outside/secret.txt').read()";
        assertTrue(
                fails(Language.PYTHON, dotdot).getMessage().startsWith("PermissionError"),
                fails(Language.PYTHON, dotdot).getMessage());
        assertTrue(fails(Language.PYTHON, "open('escape/secret.txt').read()")
                .getMessage()
                .startsWith("PermissionError"));
        assertTrue(
                fails(Language.PYTHON, "open('escape.txt').read()").getMessage().startsWith("PermissionError"));
        assertTrue(fails(Language.PYTHON, "open('dangling', 'w').write('x')")
                .getMessage()
                .startsWith("PermissionError"));
        assertFalse(Files.exists(secret.resolveSibling("new.txt")));
        assertTrue(fails(Language.PYTHON, "open(" + pyStr(data.resolve("new.txt")) + ", 'w').write('x')")
                .getMessage()
                .startsWith("PermissionError"));
        assertTrue(fails(Language.PYTHON, "import os\nos.symlink('/etc', 'etc')")
                .getMessage()
                .startsWith("PermissionError"));
        // allowed: read-write in the workspace, read in the data root
        assertEquals("'mine'", value(Language.PYTHON, "open('notes.txt').read()"));
        assertEquals("5", value(Language.PYTHON, "with open('out.txt', 'w') as f:\n  n = f.write('hello')\nn"));
        assertEquals("'hello'", value(Language.PYTHON, "open(" + pyStr(workspace.resolve("out.txt")) + ").read()"));
        assertEquals(
                "'doc one'",
                value(Language.PYTHON, "open(" + pyStr(data.resolve("docs.txt")) + ").readline().strip()"));
        assertEquals(
                "['dangling', 'escape', 'escape.txt', 'notes.txt', 'out.txt']",
                value(Language.PYTHON, "import os\nsorted(os.listdir('.'))"));
    }

    @Test
    void jsLoadIsLimitedToo() throws ScriptFailure {
        assertTrue(fails(Language.JS, "load('/etc/passwd')").getMessage().contains("/etc/passwd"));
        assertTrue(
                fails(Language.JS, "load('../outside/secret.txt')").getMessage().contains("secret.txt"));
    }

    @Test
    void statementLimitStopsACellAndTheSessionRecovers() throws Exception {
        try (ScriptHost limited = ScriptHost.create(Sandbox.of(workspace).withStatementLimit(10_000));
                ScriptSession s = limited.openSession()) {
            RecordingSink sink = new RecordingSink();
            assertEquals(
                    "45",
                    s.run(Language.JS, "let t = 0; for (let i = 0; i < 10; i++) t += i; t", "ok.js", sink)
                            .value()
                            .orElseThrow()
                            .plainText());
            ScriptFailure f = assertThrows(
                    ScriptFailure.class, () -> s.run(Language.JS, "for (let i = 0; i < 1e9; i++) {}", "big.js", sink));
            assertTrue(f.resourceExhausted(), f.toString());
            assertFalse(f.interrupted());
            assertTrue(f.getMessage().contains("statement limit of 10000"), f.getMessage());
            // a fresh context: earlier variables are gone, the limit applies per cell again
            assertEquals(
                    "undefined",
                    s.run(Language.JS, "typeof t", "after.js", sink)
                            .value()
                            .orElseThrow()
                            .plainText());
            ScriptFailure py = assertThrows(
                    ScriptFailure.class, () -> s.run(Language.PYTHON, "while True:\n  pass", "big.py", sink));
            assertTrue(py.resourceExhausted(), py.toString());
            assertEquals(
                    "3",
                    s.run(Language.PYTHON, "1 + 2", "after.py", sink)
                            .value()
                            .orElseThrow()
                            .plainText());
        }
    }

    private static String pyStr(Path p) {
        return "'" + p.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
