package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cells, output, values, errors and interrupts in both languages, on one shared session (GraalPy starts slowly). */
class ScriptSessionTest {
    @TempDir
    static Path workspace;

    static ScriptHost host;
    static ScriptSession session;
    static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor();

    @BeforeAll
    static void open() {
        host = ScriptHost.create(Sandbox.of(workspace)).prewarm(Language.PYTHON, Language.JS);
        session = host.openSession();
    }

    @AfterAll
    static void close() {
        host.close();
        TIMER.shutdownNow();
    }

    static String valueText(CellResult r) {
        return r.value().orElseThrow().plainText();
    }

    @Test
    void jsValueOutputAndState() throws ScriptFailure {
        RecordingSink sink = new RecordingSink();
        CellResult r = session.run(Language.JS, "console.log('héllo', 1+1); let x = 20; x * 2 + 2", "a.js", sink);
        assertEquals("42", valueText(r));
        assertEquals("héllo 2\n", sink.out.toString());
        CellResult r2 = session.run(Language.JS, "({a: x, b: [1, 2]})", "b.js", new RecordingSink());
        assertEquals(
                "{\"a\":20,\"b\":[1,2]}", r2.value().orElseThrow().mimeBundle().get("application/json"));
        assertTrue(session.run(Language.JS, "undefined", "c.js", new RecordingSink())
                .value()
                .isEmpty());
    }

    @Test
    void pythonValueOutputAndState() throws ScriptFailure {
        RecordingSink sink = new RecordingSink();
        CellResult r = session.run(
                Language.PYTHON,
                "import sys\nprint('héllo', 1+1)\nprint('oops', file=sys.stderr)\ny = 20\ny * 2 + 2",
                "a.py",
                sink);
        assertEquals("42", valueText(r));
        assertEquals("héllo 2\n", sink.out.toString());
        assertEquals("oops\n", sink.err.toString());
        assertEquals("'text'", valueText(session.run(Language.PYTHON, "str(y) and 'text'", "b.py", sink)));
        assertTrue(
                session.run(Language.PYTHON, "z = y + 1", "c.py", sink).value().isEmpty());
        assertEquals("21", valueText(session.run(Language.PYTHON, "z", "d.py", sink)));
    }

    @Test
    void displayInBothLanguages() throws ScriptFailure {
        RecordingSink sink = new RecordingSink();
        session.run(
                Language.JS,
                "display('<b>x</b>', 'text/html'); display({k: 3}); display(new Uint8Array([137, 80]), 'image/png')",
                "d.js",
                sink);
        assertEquals(3, sink.displays.size());
        assertEquals("<b>x</b>", sink.displays.get(0).mimeBundle().get("text/html"));
        assertEquals("{\"k\":3}", sink.displays.get(1).mimeBundle().get("application/json"));
        assertEquals("iVA=", sink.displays.get(2).mimeBundle().get("image/png"));

        RecordingSink py = new RecordingSink();
        CellResult r = session.run(
                Language.PYTHON,
                "class T:\n  def _repr_html_(self): return '<i>t</i>'\n  def __repr__(self): return 'T()'\n"
                        + "display(T())\ndisplay(b'\\x89P', 'image/png')\ndisplay('# h', 'text/markdown')\nT()",
                "d.py",
                py);
        assertEquals(3, py.displays.size());
        assertEquals(
                Map.of("text/html", "<i>t</i>", "text/plain", "T()"),
                py.displays.get(0).mimeBundle());
        assertEquals("iVA=", py.displays.get(1).mimeBundle().get("image/png"));
        assertEquals("# h", py.displays.get(2).mimeBundle().get("text/markdown"));
        assertEquals("<i>t</i>", r.value().orElseThrow().mimeBundle().get("text/html"));
    }

    @Test
    void sessionsAreIsolatedAndPrewarmedSparesAreRefilled() throws ScriptFailure {
        session.run(Language.PYTHON, "secret = 41", "own.py", new RecordingSink());
        for (int i = 0; i < 2; i++) {
            try (ScriptSession other = host.openSession()) {
                assertEquals(
                        "False",
                        valueText(
                                other.run(Language.PYTHON, "'secret' in globals()", "other.py", new RecordingSink())));
                assertEquals(
                        "'undefined'",
                        valueText(other.run(
                                Language.PYTHON,
                                "import builtins\n'undefined' if not hasattr(builtins, 'secret') else 'leak'",
                                "other.py",
                                new RecordingSink())));
                assertEquals(
                        "undefined", valueText(other.run(Language.JS, "typeof kept", "other.js", new RecordingSink())));
            }
        }
        assertEquals("42", valueText(session.run(Language.PYTHON, "secret + 1", "own.py", new RecordingSink())));
    }

    @Test
    void aReadySpareIsUsedAndHasTheSandboxOfAContextBuiltOnDemand() throws Exception {
        String write = "open('/tmp/../etc/winnow-spare-escape.txt', 'w').write('x')";
        String read = "open('/etc/hostname').read()";
        host.spareReady(Language.PYTHON).get(300, java.util.concurrent.TimeUnit.SECONDS);
        List<String> spare;
        try (ScriptSession warm = host.openSession()) {
            spare = refusals(warm, write, read);
            assertTrue(warm.prewarmed(Language.PYTHON), "a ready spare was not used");
        }
        List<String> fresh;
        try (ScriptHost cold = ScriptHost.create(Sandbox.of(workspace));
                ScriptSession onDemand = cold.openSession()) {
            fresh = refusals(onDemand, write, read);
            assertFalse(onDemand.prewarmed(Language.PYTHON), "a host that keeps no spare reported one");
        }
        assertEquals(fresh, spare, "a spare refuses differently from a context built on demand");
        assertTrue(spare.getFirst().startsWith("PermissionError"), spare.toString());
        assertFalse(java.nio.file.Files.exists(Path.of("/etc/winnow-spare-escape.txt")));
    }

    /** The error type and message of each cell, which must fail. */
    private static List<String> refusals(ScriptSession s, String... cells) {
        List<String> out = new java.util.ArrayList<>();
        for (String c : cells) {
            ScriptFailure f =
                    assertThrows(ScriptFailure.class, () -> s.run(Language.PYTHON, c, "cell.py", new RecordingSink()));
            out.add(f.errorType() + " | " + f.getMessage());
        }
        return out;
    }

    @Test
    void pythonErrorHasFileLineAndTraceback() {
        ScriptFailure f = assertThrows(
                ScriptFailure.class,
                () -> session.run(
                        Language.PYTHON,
                        "def f(k):\n    raise ValueError('k must be positive')\n\nf(-1)\n",
                        "cell-7.py",
                        new RecordingSink()));
        assertFalse(f.interrupted());
        assertEquals("ValueError", f.errorType());
        assertEquals("ValueError: k must be positive", f.getMessage());
        assertEquals("cell-7.py", f.sourceName());
        assertEquals(2, f.line());
        assertTrue(f.traceback().startsWith("Traceback (most recent call last):"), f.traceback());
        assertTrue(f.traceback().contains("File \"cell-7.py\", line 4, in <module>"), f.traceback());
        assertTrue(f.traceback().contains("raise ValueError('k must be positive')"), f.traceback());
        assertFalse(f.traceback().contains("winnow-prelude"), f.traceback());
    }

    @Test
    void jsErrorHasFileLineAndStack() {
        ScriptFailure f = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.JS, "function f() {\n  null.x;\n}\nf();", "cell-2.js", new RecordingSink()));
        assertEquals("TypeError", f.errorType());
        assertEquals("cell-2.js", f.sourceName());
        assertEquals(2, f.line());
        assertTrue(f.traceback().contains("cell-2.js:2"), f.traceback());
    }

    @Test
    void syntaxErrorsAreLocated() {
        ScriptFailure py = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.PYTHON, "x = 1\ny = (2 +\n", "s.py", new RecordingSink()));
        assertEquals("SyntaxError", py.errorType());
        assertEquals("s.py", py.sourceName());
        assertTrue(py.line() >= 2, "line " + py.line());
        ScriptFailure js = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.JS, "let a = 1;\nlet = = 2;", "s.js", new RecordingSink()));
        assertEquals("SyntaxError", js.errorType());
        assertEquals(2, js.line());
    }

    @Test
    void hostErrorsAreCatchableWinnowErrors() throws ScriptFailure {
        String py = valueText(session.run(
                Language.PYTHON,
                "try:\n  winnow.sleep(-5)\nexcept Exception as e:\n  r = type(e).__name__ + ': ' + str(e)\nr",
                "h.py",
                new RecordingSink()));
        assertEquals("'WinnowError: sleep: millis must be in [0, 86400000], got -5'", py);
        String js = valueText(session.run(
                Language.JS,
                "let r; try { winnow.sleep(-5) } catch (e) { r = e.name + ': ' + e.message } r",
                "h.js",
                new RecordingSink()));
        assertEquals("WinnowError: sleep: millis must be in [0, 86400000], got -5", js);
        ScriptFailure f = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.PYTHON, "winnow.sleep(-1)", "u.py", new RecordingSink()));
        assertEquals("WinnowError", f.errorType());
        assertEquals("u.py", f.sourceName());
        assertEquals(1, f.line());
    }

    private static void assertInterruptsWithinASecond(Language lang, String code) throws ScriptFailure {
        long[] fired = new long[1];
        TIMER.schedule(
                () -> {
                    fired[0] = System.nanoTime();
                    session.interrupt();
                },
                300,
                TimeUnit.MILLISECONDS);
        ScriptFailure f = assertThrows(ScriptFailure.class, () -> session.run(lang, code, "loop", new RecordingSink()));
        long stoppedMs = (System.nanoTime() - fired[0]) / 1_000_000;
        assertTrue(f.interrupted(), f.toString());
        assertTrue(f instanceof ScriptInterrupted);
        assertTrue(stoppedMs < 1000, "stopped " + stoppedMs + " ms after the interrupt");
        assertEquals("2", valueText(session.run(lang, "1 + 1", "after", new RecordingSink())));
    }

    @Test
    void interruptStopsRunawayLoopsAndHostCalls() throws ScriptFailure {
        session.run(Language.JS, "var kept = 7", "k.js", new RecordingSink());
        assertInterruptsWithinASecond(Language.JS, "while (true) {}");
        assertInterruptsWithinASecond(Language.PYTHON, "while True:\n  pass");
        assertInterruptsWithinASecond(
                Language.PYTHON, "try:\n  while True: pass\nexcept BaseException:\n  pass\nwhile True: pass");
        assertInterruptsWithinASecond(Language.JS, "winnow.sleep(60000)");
        assertInterruptsWithinASecond(Language.PYTHON, "winnow.sleep(60000)");
        assertEquals("7", valueText(session.run(Language.JS, "kept", "k2.js", new RecordingSink())));
    }

    @Test
    void deadlineInterrupts() throws ScriptFailure {
        long t0 = System.nanoTime();
        ScriptFailure f = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.JS, "for(;;){}", "d.js", new RecordingSink(), Duration.ofMillis(300)));
        assertTrue(f.interrupted());
        assertTrue(f.getMessage().contains("deadline of 300 ms exceeded"), f.getMessage());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 1300);
        assertEquals(
                "3", valueText(session.run(Language.JS, "1 + 2", "after", new RecordingSink(), Duration.ofSeconds(5))));
    }

    @Test
    void pythonOutputStreamsWhileTheCellRuns() throws ScriptFailure {
        RecordingSink sink = new RecordingSink();
        long t0 = System.nanoTime();
        session.run(Language.PYTHON, "for i in range(3):\n  print('tick', i)\n  winnow.sleep(200)", "s.py", sink);
        long end = System.nanoTime();
        assertEquals("tick 0\ntick 1\ntick 2\n", sink.out.toString());
        assertTrue(sink.stdoutTimes.size() >= 3);
        assertTrue(end - sink.stdoutTimes.get(0) > 300_000_000L, "first line arrived only at the end");
        assertTrue(sink.stdoutTimes.get(0) - t0 >= 0);
    }
}
