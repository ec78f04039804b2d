package dev.winnow.runtime.attention;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link AttentionBench} side by side in one JMH run and prints, per shape: the dense kernel's time and useful
 * GFLOP/s, block-sparse at 1/8 of the tiles and its speed-up over dense, and MoBA's gating time as a fraction of its
 * block-sparse attention time. Times are each benchmark's fastest measured iteration, the figure least disturbed by
 * other processes on a shared machine (JMH's own table, printed before, has the means). Arguments: optional shape names (default both); system property
 * {@code bench.quick=true} shortens warm-up and measurement.
 */
public final class AttentionBenchReport {
    private AttentionBenchReport() {
    }

    /**
     * Entry point.
     *
     * @throws RunnerException when JMH fails
     */
    public static void main(String[] args) throws RunnerException {
        boolean quick = Boolean.getBoolean("bench.quick");
        String[] given = java.util.Arrays.stream(args).filter(a -> !a.isBlank()).flatMap(a -> java.util.Arrays.stream(a.split(","))).toArray(String[]::new);
        String[] shapes = given.length > 0 ? given : new String[] {"prefill", "query64"};
        Options opts = new OptionsBuilder()
                .include(AttentionBench.class.getName() + "\\.")
                .param("shape", shapes)
                .warmupIterations(quick ? 1 : 3)
                .warmupTime(TimeValue.seconds(quick ? 1 : 2))
                .measurementIterations(quick ? 2 : 5)
                .measurementTime(TimeValue.seconds(quick ? 1 : 3))
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<String, Double> ms = new HashMap<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark();
            String name = bench.substring(bench.lastIndexOf('.') + 1);
            double best = Double.POSITIVE_INFINITY;
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                for (IterationResult it : b.getIterationResults()) {
                    best = Math.min(best, it.getPrimaryResult().getScore());
                }
            }
            ms.put(r.getParams().getParam("shape") + "/" + name, best);
        }
        System.out.println();
        System.out.println("Fastest iteration of each benchmark (ms per operation; the least disturbed by other load on a shared machine):");
        System.out.printf("%-8s %10s %9s %12s %9s %10s %12s %14s%n", "shape", "dense ms", "GFLOP/s", "sparse1/8 ms", "speed-up",
                "gate ms", "moba ms", "gate/sparse");
        for (String s : shapes) {
            double dense = ms.getOrDefault(s + "/dense", Double.NaN);
            double sparse = ms.getOrDefault(s + "/sparseEighth", Double.NaN);
            double gate = ms.getOrDefault(s + "/mobaGate", Double.NaN);
            double moba = ms.getOrDefault(s + "/mobaAttend", Double.NaN);
            System.out.printf("%-8s %10.1f %9.1f %12.1f %8.2fx %10.2f %12.1f %13.1f%%%n", s, dense,
                    AttentionBench.flops(s) / (dense * 1e-3) / 1e9, sparse, dense / sparse, gate, moba, 100 * gate / (moba - gate));
        }
    }
}
