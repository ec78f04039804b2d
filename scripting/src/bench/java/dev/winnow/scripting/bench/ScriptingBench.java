package dev.winnow.scripting.bench;

import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.scripting.CellResult;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.OutputSink;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptFailure;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.scripting.ScriptSession;
import dev.winnow.scripting.engine.SharedEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Scripting benchmarks, side by side in one JVM: cold and warm context creation per language, JS fib(30), a cell that
 * runs {@code winnow.search} over SciFact queries against the same searches from Java, and the cost of one host call.
 * Run by {@code scripting/bench.sh}, which starts it twice: with the Graal compiler (optimizing Truffle runtime) and
 * interpreted.
 *
 * <p>Arguments: {@code [SHARED_DIR]} (default {@code ../shared}).
 */
public final class ScriptingBench {
    private ScriptingBench() {}

    private static final OutputSink QUIET = OutputSink.discard();

    /**
     * Runs the benchmarks and prints a table.
     *
     * @param args {@code [SHARED_DIR]}
     * @throws Exception when a step fails
     */
    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared").toRealPath();
        Path scifact = shared.resolve("data").resolve("scifact");
        Path work = Files.createTempDirectory("winnow-bench");
        System.out.println("truffle runtime: "
                + (SharedEngine.optimizing() ? "optimizing (Graal compiler via JVMCI)" : "interpreted"));

        try (ScriptHost host = ScriptHost.create(Sandbox.of(work, scifact))) {
            // 1. context creation: the first context of each language in this JVM, then warm ones (shared engine)
            for (Language lang : Language.values()) {
                long t0 = System.nanoTime();
                try (ScriptSession s = host.openSession()) {
                    s.run(lang, "1", "cold", QUIET);
                }
                double cold = ms(t0);
                double[] warm = new double[10];
                for (int i = 0; i < warm.length; i++) {
                    long t = System.nanoTime();
                    try (ScriptSession s = host.openSession()) {
                        s.run(lang, "1", "warm", QUIET);
                    }
                    warm[i] = ms(t);
                }
                System.out.printf(
                        "%-7s context: cold %8.1f ms   warm median %7.1f ms%n", lang.id(), cold, median(warm));
            }

            // 2. fib(30) in JavaScript: best of 15 after warm-up
            try (ScriptSession s = host.openSession()) {
                s.run(Language.JS, "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }", "fib.js", QUIET);
                double[] t = new double[15];
                for (int i = 0; i < t.length; i++) {
                    long t0 = System.nanoTime();
                    s.run(Language.JS, "fib(30)", "fib.js", QUIET);
                    t[i] = ms(t0);
                }
                System.out.printf(
                        "js fib(30): best %.1f ms, median %.1f ms (of 15)%n",
                        Arrays.stream(t).min().orElseThrow(), median(t));
            }

            // 3. winnow.search on SciFact against the same calls from Java
            Path indexDir = work.resolve("scifact-index");
            TestCollection c = TestCollection.open(scifact, false);
            try (DocumentIndex index = DocumentIndex.create(indexDir, IndexConfig.DEFAULT)) {
                index.addAll(c.documents(), 1000);
                index.commit();
            }
            List<Query> queries = c.queries("test").subList(0, 100);
            double javaPerQuery;
            try (DocumentIndex index = DocumentIndex.open(indexDir)) {
                double[] reps = new double[7];
                for (int r = 0; r < reps.length; r++) {
                    long t0 = System.nanoTime();
                    for (Query q : queries) {
                        index.search(q.text(), 10, SearchMode.BM25);
                    }
                    reps[r] = ms(t0) / queries.size();
                }
                javaPerQuery = median(Arrays.copyOfRange(reps, 2, reps.length));
            }
            System.out.printf("search (BM25, k=10, 100 SciFact queries): Java %.3f ms/query%n", javaPerQuery);
            for (Language lang : Language.values()) {
                try (ScriptSession s = host.openSession(List.of(indexDir.toString(), scifact.toString()))) {
                    String setup = lang == Language.JS
                            ? "const index = winnow.openIndex(winnow.args()[0]);"
                                    + " const qs = Array.from(winnow.collection(winnow.args()[1]).queries('test')).slice(0, 100).map(q => q.text);"
                            : "index = winnow.openIndex(winnow.args()[0])\n"
                                    + "qs = [q.text for q in list(winnow.collection(winnow.args()[1]).queries('test'))[:100]]";
                    s.run(lang, setup, "setup", QUIET);
                    String cell = lang == Language.JS
                            ? "for (const q of qs) index.search(q, 10); qs.length"
                            : "for q in qs:\n  index.search(q, 10)\nlen(qs)";
                    double[] reps = new double[7];
                    for (int r = 0; r < reps.length; r++) {
                        long t0 = System.nanoTime();
                        CellResult res = s.run(lang, cell, "search-cell", QUIET);
                        reps[r] = ms(t0) / queries.size();
                        if (!res.value().orElseThrow().plainText().equals("100")) {
                            throw new IllegalStateException("search cell returned " + res.value());
                        }
                    }
                    double per = median(Arrays.copyOfRange(reps, 2, reps.length));
                    System.out.printf("  %-6s cell: %.3f ms/query  (%.2fx Java)%n", lang.id(), per, per / javaPerQuery);
                }
            }

            // 4. one host call (winnow.version()) against the same Java call
            int n = 200_000;
            dev.winnow.scripting.host.WinnowApi direct;
            try (ScriptSession s = host.openSession()) {
                direct = s.winnow();
                long t0 = System.nanoTime();
                int sink = 0;
                for (int r = 0; r < 5; r++) {
                    for (int i = 0; i < n; i++) {
                        sink += direct.version().length();
                    }
                }
                double javaNs = (System.nanoTime() - t0) / (5.0 * n);
                System.out.printf("host call winnow.version(): Java %.1f ns/call (checksum %d)%n", javaNs, sink);
                for (Language lang : Language.values()) {
                    String cell = lang == Language.JS
                            ? "(() => { let t = 0; for (let i = 0; i < " + n
                                    + "; i++) t += winnow.version().length; return t; })()"
                            : "t = 0\nfor i in range(" + n + "):\n  t += len(winnow.version())\nt";
                    double[] reps = new double[5];
                    for (int r = 0; r < reps.length; r++) {
                        long t1 = System.nanoTime();
                        s.run(lang, cell, "calls", QUIET);
                        reps[r] = (System.nanoTime() - t1) / (double) n;
                    }
                    double per = median(Arrays.copyOfRange(reps, 1, reps.length));
                    System.out.printf("  %-6s: %.1f ns/call  (%.1fx Java)%n", lang.id(), per, per / javaNs);
                }
            }
        } catch (ScriptFailure f) {
            System.err.println(f.traceback());
            System.exit(1);
        }
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
