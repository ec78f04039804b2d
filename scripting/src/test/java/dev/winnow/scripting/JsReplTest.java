package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.scripting.engine.JsRepl;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** REPL semantics of JavaScript cells: top-level const/let/class declared again, also after an interrupt. */
class JsReplTest {
    @TempDir
    static Path workspace;

    static ScriptHost host;
    static ScriptSession session;
    static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor();

    @BeforeAll
    static void open() {
        host = ScriptHost.create(Sandbox.of(workspace));
        session = host.openSession();
    }

    @AfterAll
    static void close() {
        host.close();
        TIMER.shutdownNow();
    }

    static String js(String code) throws ScriptFailure {
        return session.run(Language.JS, code, "cell.js", new RecordingSink())
                .value()
                .map(DisplayData::plainText)
                .orElse("");
    }

    @Test
    void constLetAndClassCanBeDeclaredAgain() throws ScriptFailure {
        js("const a = 1");
        assertEquals("2", js("const a = 2; a"));
        js("let b = 'x'");
        assertEquals("y", js("let b = 'y'; b"));
        js("class C { v() { return 1; } }");
        assertEquals("2", js("class C { v() { return 2; } }\nnew C().v()"));
        // the same cell run twice, with a destructuring declaration and a class followed by a parenthesised line
        String cell = "const {p, q: [r]} = {p: 3, q: [4]}\nclass D extends C {}\n(p + r) * new D().v()";
        assertEquals("14", js(cell));
        assertEquals("14", js(cell));
    }

    @Test
    void nestedDeclarationsKeepTheirBlockScope() throws ScriptFailure {
        js("const outer = 'top'");
        assertEquals("top", js("{ const outer = 'block'; } for (let i = 0; i < 2; i++) { let outer = i; } outer"));
        assertEquals("top", js("function f() { const outer = 'fn'; return outer; } f(); outer"));
        // the words inside strings, templates, comments and regular expressions are left alone
        assertEquals("const k = 1 // let z", js("const s = 'const k = 1 // let z'; /* class X {} */ s"));
        assertEquals("a const b", js("const t = `a ${'const'} b`; t"));
        assertEquals("true", js("const re = /let x = [}{]/; re.test('let x = }')"));
    }

    @Test
    void interruptedDeclarationCanBeReadAndDeclaredAgain() throws ScriptFailure {
        TIMER.schedule(session::interrupt, 500, TimeUnit.MILLISECONDS);
        ScriptFailure f = assertThrows(ScriptFailure.class, () -> js("const rr = (() => { while (true) {} })()"));
        assertTrue(f.interrupted(), f.toString());
        assertEquals("undefined", js("typeof rr"));
        assertEquals("5", js("const rr = 5; rr"));
    }

    @Test
    void syntaxErrorsQuoteTheCellAsWritten() {
        ScriptFailure f = assertThrows(ScriptFailure.class, () -> js("let ok = 1;\nconst broken = ;"));
        assertEquals("SyntaxError", f.errorType(), f.toString());
        assertEquals(2, f.line(), f.toString());
        // GraalJS quotes the offending line: the user's, not the rewritten one
        assertTrue(f.getMessage().contains("\nconst broken = ;\n"), f.getMessage());
        assertTrue(!f.getMessage().contains("var "), f.getMessage());
    }

    @Test
    void rewriteKeepsLinesAndColumns() {
        assertEquals("var   a = 1;\nvar b = 2", JsRepl.rewrite("const a = 1;\nlet b = 2"));
        assertEquals("var C = class C {};\nC", JsRepl.rewrite("class C {}\nC"));
        assertEquals("x.const = 1; let = 3; ({let: 2})", JsRepl.rewrite("x.const = 1; let = 3; ({let: 2})"));
        assertThrows(IllegalArgumentException.class, () -> JsRepl.rewrite(null));
    }
}
