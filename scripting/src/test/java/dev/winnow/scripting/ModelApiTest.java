package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.generate.Generation;
import dev.winnow.runtime.generate.GenerationOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model verbs of the {@code winnow} object on the real stories260K model, checked against the Java API. */
class ModelApiTest {
    @TempDir
    static Path workspace;

    static Path models;
    static String modelPath;
    static ScriptHost host;
    static ScriptSession session;
    static String javaText;
    static int[] javaTokens;
    static String javaDetokenized;

    @BeforeAll
    static void open() throws Exception {
        models = Path.of(System.getProperty("winnow.shared.dir", "../../shared"), "models")
                .toRealPath();
        modelPath = models.resolve("stories260K.gguf").toString();
        try (Model m = Llama.load().loadModel(Path.of(modelPath));
                Context c = m.newContext(ContextOptions.defaults().withThreads(1));
                Generation g = Generation.start(c, "Once upon a time", GenerationOptions.greedy(24))) {
            g.run(p -> {});
            javaText = g.text();
            javaTokens = m.vocabulary().tokenize("Once upon a time", true, false);
            javaDetokenized = m.vocabulary().detokenize(javaTokens, true, false);
        }
        host = ScriptHost.create(Sandbox.of(workspace, models));
        session = host.openSession();
        // one llama.cpp thread: the test machines are shared, and spinning worker threads slow down under load
        String load = "m = winnow.loadModel(" + quote(modelPath) + ", {'threads': 1})";
        session.run(Language.JS, "var " + load, "load.js", new RecordingSink());
        session.run(Language.PYTHON, load, "load.py", new RecordingSink());
    }

    @AfterAll
    static void close() {
        host.close();
    }

    static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    static String value(Language lang, String code) throws ScriptFailure {
        return session.run(lang, code, "cell", new RecordingSink())
                .value()
                .orElseThrow()
                .plainText();
    }

    @Test
    void generationMatchesTheJavaApiInBothLanguages() throws ScriptFailure {
        assertEquals(javaText, value(Language.JS, "m.generate('Once upon a time', {maxTokens: 24})"));
        assertEquals(
                "'" + javaText.replace("'", "\\'") + "'",
                value(Language.PYTHON, "m.generate('Once upon a time', {'maxTokens': 24})"));
        // streamed pieces add up to the same text, and arrive one by one
        assertEquals(
                "true",
                value(
                        Language.JS,
                        "const pieces = []; const all = m.stream('Once upon a time', {maxTokens: 24}, p => pieces.push(p));"
                                + " pieces.length > 5 && pieces.join('') === all && all === m.generate('Once upon a time', {maxTokens: 24})"));
        assertEquals(
                "True",
                value(
                        Language.PYTHON,
                        "pieces = []\nall = m.stream('Once upon a time', {'maxTokens': 24}, pieces.append)\n"
                                + "len(pieces) > 5 and ''.join(pieces) == all"));
    }

    @Test
    void tokenizeMatchesTheVocabulary() throws ScriptFailure {
        assertEquals(
                Arrays.toString(javaTokens),
                value(Language.PYTHON, "str(list(m.tokenize('Once upon a time'))).replace(' ', '').replace(',', ', ')")
                        .replace("'", ""));
        assertEquals(javaDetokenized, value(Language.JS, "m.detokenize(Array.from(m.tokenize('Once upon a time')))"));
        assertEquals("Once upon a time", javaDetokenized.strip());
    }

    @Test
    void embeddingsReachJsAsTypedArraysAndPythonAsSequences() throws ScriptFailure {
        String js = value(
                Language.JS,
                "const t = m.embed('a little cat'); const f = new Float32Array(t.buffer());"
                        + " let ss = 0; for (const x of f) ss += x*x;"
                        + " JSON.stringify([Array.from(t.shape()), f.length, Math.abs(ss - 1) < 1e-4, f[3] === t.get(3)])");
        int nEmbd = Integer.parseInt(value(Language.PYTHON, "m.info()['embeddingSize']"));
        assertEquals("[[" + nEmbd + "]," + nEmbd + ",true,true]", js);
        assertEquals(
                "True",
                value(
                        Language.PYTHON,
                        "v = m.embed('a little cat').values()\nl = tolist(v)\n"
                                + "type(l) is list and len(l) == len(v) and abs(sum(x*x for x in l) - 1) < 1e-4 and l[3] == v[3]"));
        // the same text gives the same vector in both languages
        String a = value(
                Language.JS,
                "Array.from(new Float32Array(m.embed('a little cat').buffer())).slice(0, 4).map(x => x.toFixed(5)).join(',')");
        String b = value(Language.PYTHON, "','.join('%.5f' % x for x in tolist(m.embed('a little cat').values())[:4])");
        assertEquals(a, b.replace("'", ""));
    }

    @Test
    void embeddingsGoThroughTheOneEmbeddingPath() throws ScriptFailure {
        // a text over the token budget is cut, as the index's embedder cuts it, and counted
        assertEquals(
                "1 True mean 1",
                value(
                                Language.PYTHON,
                                "s0 = m.embeddingStats()\nm.embed('a little cat ' * 200)\nst = m.embeddingStats()\n"
                                        + "'%d %s %s %d' % (st['truncated'] - s0['truncated'],"
                                        + " st['maxTokens'] == min(256, m.info()['contextSize']), st['pooling'],"
                                        + " st['embedded'] - s0['embedded'])")
                        .replace("'", ""));
        // the query role strips the text (stories260K has no query instruction) and is then the document path
        assertEquals(
                "[true]",
                value(
                        Language.JS,
                        "const q = Array.from(new Float32Array(m.embed('  a little cat  ', {role: 'query'}).buffer()));"
                                + " const d = Array.from(new Float32Array(m.embed('a little cat', {role: 'document'}).buffer()));"
                                + " JSON.stringify([q.length > 0 && q.every((x, i) => x === d[i])])"));
        ScriptFailure bad = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.JS, "m.embed('x', {role: 'passage'})", "e.js", new RecordingSink()));
        assertTrue(bad.getMessage().contains("role must be 'document' or 'query'"), bad.getMessage());
    }

    @Test
    void attentionMapsAreCausalDistributions() throws ScriptFailure {
        String r = value(
                Language.PYTHON,
                "a = m.attention('Once upon a time there was', 1)\n"
                        + "h, n, n2 = a.probs.shape()\np = a.probs.values()\n"
                        + "rows_ok = all(abs(sum(p[(i*n + q)*n + k] for k in range(n)) - 1) < 1e-3 for i in range(h) for q in range(n))\n"
                        + "causal = all(p[(i*n + q)*n + k] == 0 for i in range(h) for q in range(n) for k in range(q+1, n))\n"
                        + "(n == n2 == len(a.tokens), rows_ok, causal, a.meanOverHeads(0, 0))");
        assertEquals("(True, True, True, 1.0)", r);
        RecordingSink sink = new RecordingSink();
        session.run(Language.JS, "display(m.attention('Once upon a time', 0))", "show.js", sink);
        assertTrue(sink.displays.get(0).mimeBundle().get("image/svg+xml").startsWith("<svg"));
    }

    @Test
    void modelErrorsAreWinnowErrors() throws Exception {
        ScriptFailure outside = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.PYTHON, "winnow.loadModel('/etc/passwd')", "e.py", new RecordingSink()));
        assertEquals("WinnowError", outside.errorType());
        assertTrue(outside.getMessage().contains("outside the sandbox"), outside.getMessage());
        Files.writeString(workspace.resolve("fake.gguf"), "not a model");
        ScriptFailure fake = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.JS, "winnow.loadModel('fake.gguf')", "e.js", new RecordingSink()));
        assertEquals("WinnowError", fake.errorType());
        assertTrue(fake.getMessage().contains("fake.gguf"), fake.getMessage());
        ScriptFailure layer = assertThrows(
                ScriptFailure.class,
                () -> session.run(Language.JS, "m.attention('x', 99)", "e.js", new RecordingSink()));
        assertTrue(layer.getMessage().contains("layer must be in [0,"), layer.getMessage());
    }

    @Test
    void generationLoopsAreInterruptibleAndTheModelStaysUsable() throws ScriptFailure {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            long[] fired = new long[1];
            timer.schedule(
                    () -> {
                        fired[0] = System.nanoTime();
                        session.interrupt();
                    },
                    500,
                    TimeUnit.MILLISECONDS);
            ScriptFailure f = assertThrows(
                    ScriptFailure.class,
                    () -> session.run(
                            Language.PYTHON,
                            "while True:\n  m.stream('Once upon a time', {'maxTokens': 200}, lambda p: None)",
                            "gen.py",
                            new RecordingSink()));
            assertTrue(f.interrupted(), f.toString());
            assertTrue((System.nanoTime() - fired[0]) / 1_000_000 < 1000);
            assertEquals(javaText, value(Language.JS, "m.generate('Once upon a time', {maxTokens: 24})"));
        } finally {
            timer.shutdownNow();
        }
    }
}
