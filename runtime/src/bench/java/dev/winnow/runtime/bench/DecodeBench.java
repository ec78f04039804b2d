package dev.winnow.runtime.bench;

import dev.winnow.bindings.LlamaNative;
import dev.winnow.bindings.llama.llama_batch;
import dev.winnow.bindings.llama.llama_context_params;
import dev.winnow.bindings.llama.llama_h;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.TensorSelector;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decode benchmark: the same greedy loop from Java (this runtime) and from C ({@code src/bench/c/decode_bench.c},
 * compiled here with gcc against the same llama.cpp library), same model, same threads, side by side in alternating
 * rounds. Prompt processing: one batch of PP tokens into an empty KV cache; generation: TG single-token decodes, each
 * followed by an argmax over the logits. Prints the median tokens/s of each and the Java/C ratio (target &gt;= 0.97),
 * then the cost of an attention tap on every layer ({@code kq_soft_max-*}, flash attention off on both sides of that
 * comparison) as a ratio to the same context without the tap.
 *
 * <p>Arguments: {@code MODEL [THREADS=1] [PP=512] [TG=128] [ROUNDS=5]}.
 */
public final class DecodeBench {
    private DecodeBench() {}

    /** Seconds of one repetition: wall and CPU time of prompt processing and of generation. */
    record Times(double pp, double tg, double ppCpu, double tgCpu) {}

    /**
     * @param args model path, then optional threads, pp, tg, rounds
     * @throws Exception on a failed compile or run
     */
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]).toAbsolutePath();
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int pp = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int tg = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        Path libDir = LlamaNative.load().libraryDir();
        Path exe = compile(libDir);
        Llama llama = Llama.load();
        List<Double> cPp = new ArrayList<>();
        List<Double> cTg = new ArrayList<>();
        List<Double> jPp = new ArrayList<>();
        List<Double> jTg = new ArrayList<>();
        List<Double> noTap = new ArrayList<>();
        List<Double> tap = new ArrayList<>();
        List<Double> cPpCpu = new ArrayList<>();
        List<Double> cTgCpu = new ArrayList<>();
        List<Double> jPpCpu = new ArrayList<>();
        List<Double> jTgCpu = new ArrayList<>();
        List<Double> rPp = new ArrayList<>();
        List<Double> rTg = new ArrayList<>();
        List<Double> rPpCpu = new ArrayList<>();
        List<Double> rTgCpu = new ArrayList<>();
        List<Double> noTapCpu = new ArrayList<>();
        List<Double> tapCpu = new ArrayList<>();
        try (Model m = llama.loadModel(model)) {
            ContextOptions base = ContextOptions.defaults()
                    .withContextSize(pp + tg + 16)
                    .withBatchSize(pp)
                    .withThreads(threads);
            ContextOptions tapped =
                    base.withFlashAttention(FlashAttention.DISABLED).withTaps(true);
            // warm-up of both sides
            runC(exe, model, libDir, threads, pp, tg, 1);
            runJava(m, base, pp, tg, 1, false);
            runRaw(model, threads, pp, tg);
            for (int r = 0; r < rounds; r++) {
                Times c = runC(exe, model, libDir, threads, pp, tg, 1).get(0);
                Times j = runJava(m, base, pp, tg, 1, false).get(0);
                cPp.add(pp / c.pp());
                cTg.add(tg / c.tg());
                jPp.add(pp / j.pp());
                jTg.add(tg / j.tg());
                Times raw = runRaw(model, threads, pp, tg);
                rPp.add(pp / raw.pp());
                rTg.add(tg / raw.tg());
                rPpCpu.add(pp / raw.ppCpu());
                rTgCpu.add(tg / raw.tgCpu());
                cPpCpu.add(pp / c.ppCpu());
                cTgCpu.add(tg / c.tgCpu());
                jPpCpu.add(pp / j.ppCpu());
                jTgCpu.add(tg / j.tgCpu());
                Times nt = runJava(m, tapped, pp, tg, 1, false).get(0);
                Times t = runJava(m, tapped, pp, tg, 1, true).get(0);
                noTap.add(tg / nt.tg());
                tap.add(tg / t.tg());
                noTapCpu.add(tg / nt.tgCpu());
                tapCpu.add(tg / t.tgCpu());
            }
        }
        System.out.printf(
                "model %s, %d thread(s), %d rounds; median tokens/s by wall time and by CPU time%n",
                model.getFileName(), threads, rounds);
        System.out.printf(
                "%-26s %10s %10s %8s | %10s %10s %8s%n",
                "", "C wall", "Java wall", "Java/C", "C cpu", "Java cpu", "Java/C");
        row("pp" + pp, cPp, jPp, cPpCpu, jPpCpu);
        row("tg" + tg, cTg, jTg, cTgCpu, jTgCpu);
        row("pp" + pp + " raw bindings", cPp, rPp, cPpCpu, rPpCpu);
        row("tg" + tg + " raw bindings", cTg, rTg, cTgCpu, rTgCpu);
        System.out.printf(
                "%-26s %10s %10s %8s | %10s %10s %8s%n", "", "no tap", "tap", "tap/no", "no tap", "tap", "tap/no");
        row("tg" + tg + " kq_soft_max-*", noTap, tap, noTapCpu, tapCpu);
    }

    static void row(String name, List<Double> a, List<Double> b, List<Double> aCpu, List<Double> bCpu) {
        System.out.printf(
                "%-26s %10.1f %10.1f %8.3f | %10.1f %10.1f %8.3f%n",
                name,
                median(a),
                median(b),
                median(b) / median(a),
                median(aCpu),
                median(bCpu),
                median(bCpu) / median(aCpu));
    }

    /** This thread's CPU time with 1 thread (llama.cpp then computes on the calling thread), else the process's. */
    static long cpu(int threads) {
        if (threads == 1) {
            return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        }
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    static Path compile(Path libDir) throws IOException, InterruptedException {
        Path src = Path.of("src/bench/c/decode_bench.c").toAbsolutePath();
        if (!Files.exists(src)) {
            src = Path.of("runtime/src/bench/c/decode_bench.c").toAbsolutePath();
        }
        Path include = libDir.getParent().resolve("include");
        Path out = Files.createTempDirectory("winnow-bench").resolve("decode_bench");
        List<String> cmd = List.of(
                "gcc",
                "-O2",
                src.toString(),
                "-I" + include,
                "-L" + libDir,
                "-l:" + lib(libDir, "libllama"),
                "-l:" + lib(libDir, "libggml."),
                "-l:libggml-base.so",
                "-Wl,-rpath," + libDir,
                "-o",
                out.toString());
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("gcc failed: " + String.join(" ", cmd));
        }
        return out;
    }

    static String lib(Path dir, String prefix) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith(prefix) && n.endsWith(".so"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + prefix + "*.so in " + dir));
        }
    }

    static List<Times> runC(Path exe, Path model, Path libDir, int threads, int pp, int tg, int reps)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        exe.toString(), model.toString(), libDir.toString(), "" + threads, "" + pp, "" + tg, "" + reps)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<Times> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            double ppT = 0;
            double ppC = 0;
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split(" ");
                if (f[0].equals("pp")) {
                    ppT = Double.parseDouble(f[2]);
                    ppC = Double.parseDouble(f[3]);
                } else {
                    out.add(new Times(ppT, Double.parseDouble(f[2]), ppC, Double.parseDouble(f[3])));
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("C benchmark failed");
        }
        return out;
    }

    /** The same loop on the raw bindings (no runtime checks), to separate FFM cost from the runtime API's own. */
    static Times runRaw(Path model, int threads, int pp, int tg) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment m = llama_h.llama_model_load_from_file(
                    arena.allocateFrom(model.toString()), llama_h.llama_model_default_params(arena));
            MemorySegment vocab = llama_h.llama_model_get_vocab(m);
            int nVocab = llama_h.llama_vocab_n_tokens(vocab);
            MemorySegment cp = llama_h.llama_context_default_params(arena);
            llama_context_params.n_ctx(cp, pp + tg + 16);
            llama_context_params.n_batch(cp, pp);
            llama_context_params.n_ubatch(cp, pp);
            llama_context_params.n_threads(cp, threads);
            llama_context_params.n_threads_batch(cp, threads);
            llama_context_params.kv_unified(cp, true);
            MemorySegment ctx = llama_h.llama_init_from_model(m, cp);
            MemorySegment batch = llama_h.llama_batch_init(arena, pp, 0, 1);
            MemorySegment tokens = llama_batch.token(batch).reinterpret(4L * pp);
            MemorySegment pos = llama_batch.pos(batch).reinterpret(4L * pp);
            MemorySegment nSeq = llama_batch.n_seq_id(batch).reinterpret(4L * pp);
            MemorySegment seqIds = llama_batch.seq_id(batch).reinterpret(8L * pp);
            MemorySegment logitsFlags = llama_batch.logits(batch).reinterpret(pp);
            for (int i = 0; i < pp; i++) {
                tokens.setAtIndex(
                        ValueLayout.JAVA_INT, i, i == 0 ? llama_h.llama_vocab_bos(vocab) : (i * 7 + 3) % nVocab);
                pos.setAtIndex(ValueLayout.JAVA_INT, i, i);
                nSeq.setAtIndex(ValueLayout.JAVA_INT, i, 1);
                seqIds.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(4).set(ValueLayout.JAVA_INT, 0, 0);
                logitsFlags.set(ValueLayout.JAVA_BYTE, i, (byte) (i == pp - 1 ? 1 : 0));
            }
            llama_batch.n_tokens(batch, pp);
            long c0 = cpu(threads);
            long t0 = System.nanoTime();
            llama_h.llama_decode(ctx, batch);
            int tok = argmax(llama_h.llama_get_logits_ith(ctx, pp - 1).reinterpret(4L * nVocab), nVocab);
            long t1 = System.nanoTime();
            long c1 = cpu(threads);
            long c2 = cpu(threads);
            long t2 = System.nanoTime();
            for (int i = 0; i < tg; i++) {
                llama_batch.n_tokens(batch, 1);
                tokens.setAtIndex(ValueLayout.JAVA_INT, 0, tok);
                pos.setAtIndex(ValueLayout.JAVA_INT, 0, pp + i);
                logitsFlags.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
                llama_h.llama_decode(ctx, batch);
                tok = argmax(llama_h.llama_get_logits_ith(ctx, 0).reinterpret(4L * nVocab), nVocab);
            }
            long t3 = System.nanoTime();
            long c3 = cpu(threads);
            llama_h.llama_batch_free(batch);
            llama_h.llama_free(ctx);
            llama_h.llama_model_free(m);
            return new Times((t1 - t0) * 1e-9, (t3 - t2) * 1e-9, (c1 - c0) * 1e-9, (c3 - c2) * 1e-9);
        }
    }

    static int argmax(MemorySegment l, int n) {
        int best = 0;
        float bestV = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            float v = l.getAtIndex(ValueLayout.JAVA_FLOAT, k);
            if (v > bestV) {
                bestV = v;
                best = k;
            }
        }
        return best;
    }

    static List<Times> runJava(Model m, ContextOptions o, int pp, int tg, int reps, boolean withTap) {
        List<Times> out = new ArrayList<>();
        int nVocab = m.vocabulary().size();
        int threads = o.threads();
        try (Context c = m.newContext(o);
                Batch b = Batch.allocate(pp, 1)) {
            float[] sink = new float[1];
            if (withTap) {
                c.taps()
                        .tap(
                                TensorSelector.name("kq_soft_max-*"),
                                v -> sink[0] += v.data().byteSize());
            }
            for (int rep = 0; rep < reps; rep++) {
                c.kvCache().clear(true);
                b.clear();
                for (int i = 0; i < pp; i++) {
                    b.add(i == 0 ? m.vocabulary().bos() : (i * 7 + 3) % nVocab, i, 0, i == pp - 1);
                }
                long c0 = cpu(threads);
                long t0 = System.nanoTime();
                c.decode(b);
                int tok = c.argmax(pp - 1);
                long t1 = System.nanoTime();
                long c1 = cpu(threads);
                long c2 = cpu(threads);
                long t2 = System.nanoTime();
                for (int i = 0; i < tg; i++) {
                    b.clear();
                    b.add(tok, pp + i, 0, true);
                    c.decode(b);
                    tok = c.argmax(0);
                }
                long t3 = System.nanoTime();
                long c3 = cpu(threads);
                out.add(new Times((t1 - t0) * 1e-9, (t3 - t2) * 1e-9, (c1 - c0) * 1e-9, (c3 - c2) * 1e-9));
            }
        }
        return out;
    }
}
