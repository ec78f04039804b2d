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

/**
 * Issue 15 items 1 and 3 in real GraalVM contexts: no write reaches GraalVM's resource cache (GraalPy home) or any
 * directory outside the workspace, protected trees stay read-only inside the workspace, and no guest action ends the
 * JVM.
 */
class SandboxEscapeTest {
    @TempDir
    static Path root;

    static Path workspace;
    static Path protectedDir;
    static ScriptHost host;
    static ScriptSession session;

    @BeforeAll
    static void open() throws Exception {
        workspace = Files.createDirectories(root.resolve("ws"));
        protectedDir = Files.createDirectories(workspace.resolve("winnow-home"));
        Files.writeString(protectedDir.resolve("lib.so"), "native");
        host = ScriptHost.create(Sandbox.of(workspace).withProtectedTrees(protectedDir));
        session = host.openSession();
    }

    @AfterAll
    static void close() {
        host.close();
    }

    private static String value(Language lang, String code) throws ScriptFailure {
        return session.run(lang, code, "cell", new RecordingSink())
                .value()
                .map(DisplayData::plainText)
                .orElse("");
    }

    @Test
    void pythonCannotWriteAnywhereReachableOutsideTheWorkspace() throws Exception {
        // every directory reachable from sys.path, sys.prefix, sys.executable, the polyglot cache, java.home, the home,
        // java.io.tmpdir, the workspace's parent and the protected tree inside the workspace
        String dirs = "import sys, os\n"
                + "dirs = set(p for p in sys.path if p) | {sys.prefix, sys.exec_prefix, os.path.dirname(sys.executable) or sys.prefix,"
                + " os.path.dirname(sys.prefix), os.path.dirname(os.path.dirname(os.path.dirname(sys.prefix)))}\n"
                + "dirs |= {" + py(System.getProperty("java.home")) + ", " + py(System.getProperty("user.home")) + ", "
                + py(System.getProperty("java.io.tmpdir")) + ", " + py(root) + ", " + py(protectedDir) + ", "
                + py(Path.of(System.getProperty("user.home"), ".cache", "org.graalvm.polyglot")) + "}\n"
                + "dirs = sorted(dirs)\n"
                + "len(dirs)";
        int n = Integer.parseInt(value(Language.PYTHON, dirs));
        assertTrue(n >= 8, "directories probed: " + n);
        String attempts = "import os, shutil\n"
                + "results = []\n"
                + "def attempt(what, f):\n"
                + "    try:\n"
                + "        f()\n"
                + "        results.append('WROTE ' + what)\n"
                + "    except PermissionError as e:\n"
                + "        pass\n"
                + "    except Exception as e:\n"
                + "        results.append('OTHER ' + what + ' ' + type(e).__name__ + ': ' + str(e))\n"
                + "for d in dirs:\n"
                + "    t = os.path.join(d, 'winnow-escape.txt')\n"
                + "    attempt('create ' + t, lambda: open(t, 'w').write('x'))\n"
                + "    attempt('append ' + t, lambda: open(t, 'a').write('x'))\n"
                + "    attempt('mkdir ' + t, lambda: os.mkdir(t + '.d'))\n"
                + "    attempt('symlink ' + t, lambda: os.symlink('/etc/passwd', t + '.lnk'))\n"
                + "    attempt('copy ' + t, lambda: shutil.copyfile(" + py(workspace.resolve("seed.txt")) + ", t))\n"
                + "    victims = [os.path.join(d, e) for e in sorted(os.listdir(d))[:2]] if os.path.isdir(d) else []\n"
                + "    victims += [os.path.join(d, 'release'), os.path.join(d, 'os.py'), os.path.join(d, 'lib.so')]\n"
                + "    for v in victims:\n"
                + "        if not os.path.lexists(v) and not v.startswith(" + py(System.getProperty("java.home"))
                + "): continue\n"
                + "        attempt('rename ' + v, lambda: os.rename(v, v + '.moved'))\n"
                + "        attempt('remove ' + v, lambda: os.remove(v) if os.path.isfile(v) else os.rmdir(v))\n"
                + "        if os.path.isfile(v):\n"
                + "            attempt('overwrite ' + v, lambda: open(v, 'r+b').write(b'x'))\n"
                + "    attempt('rename dir ' + d, lambda: os.rename(d, d + '.moved'))\n"
                + "results";
        Files.writeString(workspace.resolve("seed.txt"), "seed");
        assertEquals("[]", value(Language.PYTHON, attempts));
        assertEquals("native", Files.readString(protectedDir.resolve("lib.so")));
        // the clear error names the path
        ScriptFailure f = assertThrows(
                ScriptFailure.class,
                () -> session.run(
                        Language.PYTHON, "import sys\nopen(sys.path[0] + '/os.py', 'a')", "c", new RecordingSink()));
        assertTrue(
                f.getMessage().startsWith("PermissionError") && f.getMessage().contains("os.py"), f.getMessage());
        // importing a stdlib module writes no __pycache__ into the GraalPy home; reading it works
        assertEquals(
                "(False, True)",
                value(
                        Language.PYTHON,
                        "import colorsys, os\nd = os.path.dirname(colorsys.__file__)\n"
                                + "(os.path.exists(os.path.join(d, '__pycache__')), len(open(colorsys.__file__).read()) > 100)"));
        // the workspace is still writable, the protected tree still readable
        assertEquals(
                "'ok'",
                value(Language.PYTHON, "with open('mine.txt', 'w') as f:\n  f.write('ok')\nopen('mine.txt').read()"));
        assertEquals("'native'", value(Language.PYTHON, "open('winnow-home/lib.so').read()"));
    }

    @Test
    void jsWritesThroughTheHostApiAreRefusedOutsideTheWorkspace() throws Exception {
        Path coll = Files.createDirectories(workspace.resolve("coll"));
        Files.writeString(
                coll.resolve("corpus.jsonl"), "{\"_id\": \"d1\", \"title\": \"t\", \"text\": \"hello world\"}\n");
        Files.writeString(coll.resolve("queries.jsonl"), "{\"_id\": \"q1\", \"text\": \"hello\"}\n");
        Files.createDirectories(coll.resolve("qrels"));
        Files.writeString(coll.resolve("qrels/test.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        for (Path target : new Path[] {
            Path.of(System.getProperty("java.io.tmpdir"), "winnow-escape-idx"),
            root.resolve("escape-idx"),
            Path.of(System.getProperty("user.home"), ".cache", "org.graalvm.polyglot", "escape-idx"),
            Path.of(System.getProperty("java.home"), "escape-idx"),
            protectedDir.resolve("idx")
        }) {
            ScriptFailure f = assertThrows(
                    ScriptFailure.class,
                    () -> session.run(
                            Language.JS,
                            "winnow.buildIndex(winnow.collection('coll'), '" + target + "', null)",
                            "c.js",
                            new RecordingSink()));
            // the reason says why, and names host folders by placeholders (issue 15: no absolute host paths in errors)
            assertTrue(
                    f.getMessage().contains(": outside the sandbox (outside the workspace)")
                            || f.getMessage().contains(": read-only to scripts: inside "),
                    f.getMessage());
            assertFalse(f.getMessage().contains(System.getProperty("java.home")), f.getMessage());
            assertFalse(f.getMessage().contains("/org.graalvm.polyglot"), f.getMessage());
            assertFalse(Files.exists(target), target.toString());
        }
        assertEquals("1", value(Language.JS, "winnow.buildIndex(winnow.collection('coll'), 'idx', null).size()"));
    }

    @Test
    void noGuestActionEndsTheJvm() throws Exception {
        for (String code : new String[] {"import sys\nsys.exit(3)", "import os\nos._exit(2)", "raise SystemExit(4)"}) {
            value(Language.PYTHON, "kept = 1");
            ScriptFailure f = assertThrows(
                    ScriptFailure.class, () -> session.run(Language.PYTHON, code, "c.py", new RecordingSink()));
            assertTrue(f.exited(), f.getMessage());
            assertTrue(f instanceof ScriptExited e && e.exitStatus() >= 1, f.getMessage());
            assertEquals("2", value(Language.PYTHON, "1 + 1"));
        }
        ScriptExited three = (ScriptExited) assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.PYTHON, "import sys\nsys.exit(3)", "c.py", new RecordingSink()));
        assertEquals(3, three.exitStatus());
        for (String code : new String[] {
            "import signal\nsignal.raise_signal(signal.SIGTERM)",
            "import signal\nsignal.raise_signal(signal.SIGINT)",
            "import signal\nsignal.alarm(1)",
            "import signal\nsignal.setitimer(signal.ITIMER_REAL, 0.01)",
            "import _signal\n_signal.raise_signal(15)",
            "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)",
            "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
            "import os\nos.abort()",
            "exit()",
            "quit()"
        }) {
            assertThrows(
                    ScriptFailure.class, () -> session.run(Language.PYTHON, code, "c.py", new RecordingSink()), code);
        }
        // a handler is recorded, never installed in the JVM
        assertEquals(
                "True",
                value(
                        Language.PYTHON,
                        "import signal\nh = lambda s, f: None\nsignal.signal(signal.SIGINT, h)\nsignal.getsignal(signal.SIGINT) is h"));
        for (String code : new String[] {"quit()", "exit(1)", "process.exit(1)"}) {
            assertThrows(ScriptFailure.class, () -> session.run(Language.JS, code, "c.js", new RecordingSink()), code);
        }
        Thread.sleep(1500); // an alarm, had it been set, would have fired by now
        assertEquals("3", value(Language.JS, "1 + 2"));
        assertEquals("6", value(Language.PYTHON, "2 * 3"));
        try (ScriptSession fresh = host.openSession()) {
            assertEquals(
                    "7",
                    fresh.run(Language.PYTHON, "3 + 4", "n.py", new RecordingSink())
                            .value()
                            .orElseThrow()
                            .plainText());
        }
    }

    private static String py(Object p) {
        return "'" + p.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
