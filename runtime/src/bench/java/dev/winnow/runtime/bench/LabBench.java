package dev.winnow.runtime.bench;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.lab.AblationMode;
import dev.winnow.runtime.lab.ActivationCache;
import dev.winnow.runtime.lab.Lab;
import dev.winnow.runtime.lab.PatchSite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The lab's cost: each experiment's wall time against the plain forward passes it runs (the same number of passes
 * of the same prompt without taps, timed separately on the same lab), on a synthetic model written from a models
 * preset (stories260K's pass is too short to time). Not a test: run it with
 * {@code mvn -B -q -Pbench-lab -pl runtime -am verify -DskipTests [-Dbench.preset=wide-8l] [-Dbench.tokens=32]
 * [-Dbench.threads=1]}.
 *
 * <p>Arguments: {@code VOCAB_GGUF [PRESET=wide-8l] [TOKENS=32] [THREADS=1]}.
 */
public final class LabBench {
    private LabBench() {}

    /** The clean prompt, for the plain passes measured before each experiment. */
    private static final int[][] BENCH_PROMPT = new int[1][];

    /**
     * @param args vocabulary GGUF (stories260K), preset, prompt tokens, threads
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path vocab = Path.of(args[0]);
        String preset = args.length > 1 ? args[1] : "wide-8l";
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        Path dir = Files.createTempDirectory("lab-bench");
        Path file = dir.resolve(preset + ".gguf");
        SyntheticModel.write(SynthSpec.preset(preset, GgmlType.F32, 42), vocab, file);
        try (Model model = Llama.load().loadModel(file);
                Lab lab = Lab.open(model, 2 * n + 1, threads)) {
            Random rnd = new Random(1);
            int[] clean = new int[n];
            int[] corrupt = new int[n];
            clean[0] = corrupt[0] = 1;
            for (int i = 1; i < n; i++) {
                clean[i] = corrupt[i] = 3 + rnd.nextInt(model.vocabulary().size() - 3);
            }
            corrupt[n / 2] = 3 + rnd.nextInt(model.vocabulary().size() - 3);
            BENCH_PROMPT[0] = clean;
            // warm up, then the plain pass: median of 5
            for (int i = 0; i < 3; i++) {
                lab.logits(clean);
            }
            double[] plain = new double[5];
            for (int i = 0; i < plain.length; i++) {
                long t0 = System.nanoTime();
                lab.logits(clean);
                plain[i] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(plain);
            double pass = plain[2];
            System.out.printf(
                    Locale.ROOT,
                    "model %s (F32, %d layers, %d heads), %d tokens, %d thread(s): plain forward"
                            + " pass %.1f ms (median of 5)%n",
                    preset,
                    model.layerCount(),
                    model.headCount(),
                    n,
                    threads,
                    pass * 1e3);
            System.out.printf(
                    "%-22s  %7s  %9s  %12s  %6s%n", "experiment", "passes", "time (s)", "passes x plain", "ratio");
            // a pass with the cache's taps but no copying, in a context like the lab's: the cache's own baseline
            double tapped = tappedPass(model, clean, threads, "l_out-*");
            double tappedKq = tappedPass(model, clean, threads, "kq_soft_max-*");
            System.out.printf(
                    Locale.ROOT,
                    "pass with a no-op tap on l_out-*: %.1f ms, on kq_soft_max-*: %.1f ms" + " (median of 5)%n",
                    tapped * 1e3,
                    tappedKq * 1e3);
            double[] cacheL = new double[5];
            double[] cacheKq = new double[5];
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                try (ActivationCache c = lab.cache(List.of(clean), List.of("l_out-*"), Lab.DEFAULT_CACHE_LIMIT)) {
                    cacheL[i] = (System.nanoTime() - t0) / 1e9;
                }
                t0 = System.nanoTime();
                try (ActivationCache c = lab.cache(List.of(clean), List.of("kq_soft_max-*"), Lab.DEFAULT_CACHE_LIMIT)) {
                    cacheKq[i] = (System.nanoTime() - t0) / 1e9;
                }
            }
            Arrays.sort(cacheL);
            Arrays.sort(cacheKq);
            System.out.printf(
                    Locale.ROOT,
                    "cache l_out-*: %.1f ms = %.2fx the tapped pass; cache kq_soft_max-*: %.1f ms ="
                            + " %.2fx (medians of 5)%n",
                    cacheL[2] * 1e3,
                    cacheL[2] / tapped,
                    cacheKq[2] * 1e3,
                    cacheKq[2] / tappedKq);
            List<int[]> two = List.of(clean, corrupt);
            row(lab, 1.0, "cache l_out-*", () -> {
                try (ActivationCache c = lab.cache(List.of(clean), List.of("l_out-*"), Lab.DEFAULT_CACHE_LIMIT)) {
                    return c.bytes();
                }
            });
            row(lab, 1.0, "cache kq_soft_max-*", () -> {
                try (ActivationCache c = lab.cache(List.of(clean), List.of("kq_soft_max-*"), Lab.DEFAULT_CACHE_LIMIT)) {
                    return c.bytes();
                }
            });
            row(lab, 1.0, "logit-lens", () -> lab.logitLens(clean, 5));
            row(lab, 1.0, "patch residual", () -> lab.patch(clean, corrupt, 5, 6, PatchSite.RESIDUAL));
            row(lab, 1.0, "patch head", () -> lab.patch(clean, corrupt, 5, 6, PatchSite.HEAD));
            row(lab, 1.0, "ablate mean", () -> lab.ablateHeads(clean, 5, 6, AblationMode.MEAN, two));
            row(lab, 1.0, "steer (direction)", () -> lab.steeringVector(List.of(clean), List.of(corrupt)));
            // induction's sequences are 2 n / 2 + 1 = n + 1 tokens long, close to the plain pass's n
            row(lab, (n + 1.0) / n, "induction", () -> lab.induction(n / 2, 1, 3));
        }
        try (var s = Files.list(dir)) {
            for (Path p : new ArrayList<>(s.toList())) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    private static double tappedPass(Model model, int[] tokens, int threads, String glob) {
        int nCtx = Math.max(256, (tokens.length * 2 + 1 + 255) / 256 * 256);
        try (dev.winnow.runtime.Context ctx = model.newContext(dev.winnow.runtime.ContextOptions.defaults()
                        .withContextSize(nCtx)
                        .withBatchSize(nCtx)
                        .withUbatchSize(nCtx)
                        .withFlashAttention(dev.winnow.runtime.FlashAttention.DISABLED)
                        .withKvTypes(GgmlType.F32, GgmlType.F32)
                        .withThreads(threads)
                        .withTaps(true));
                dev.winnow.runtime.Batch b = dev.winnow.runtime.Batch.allocate(tokens.length, 1);
                var tap = ctx.taps().tap(dev.winnow.runtime.TensorSelector.name(glob), v -> {})) {
            double[] t = new double[8];
            for (int i = 0; i < t.length; i++) {
                ctx.kvCache().clear(false);
                b.clear();
                for (int k = 0; k < tokens.length; k++) {
                    b.add(tokens[k], k, 0, true);
                }
                long t0 = System.nanoTime();
                ctx.decode(b);
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(t, 3, t.length); // the first 3 warm up
            return t[3 + 2];
        }
    }

    private static void row(Lab lab, double scale, String name, Supplier<Object> run) {
        // the plain pass again just before each experiment (median of 3): the shared machine's load drifts
        int[] prompt = BENCH_PROMPT[0];
        double[] plain = new double[3];
        for (int i = 0; i < plain.length; i++) {
            long t0 = System.nanoTime();
            lab.logits(prompt);
            plain[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(plain);
        double pass = plain[1] * scale;
        long p0 = lab.passes();
        long t0 = System.nanoTime();
        run.get();
        double t = (System.nanoTime() - t0) / 1e9;
        long passes = lab.passes() - p0;
        System.out.printf(
                Locale.ROOT, "%-22s  %7d  %9.2f  %12.2f  %6.2f%n", name, passes, t, passes * pass, t / (passes * pass));
    }
}
