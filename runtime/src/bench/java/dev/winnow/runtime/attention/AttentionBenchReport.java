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
 * block-sparse attention time. Figures are each benchmark's fastest measured iteration, in wall time and in CPU time
 * of all threads ({@link AttentionBench.Cpu}); ratios use CPU time, which other processes on a shared machine disturb
 * less (JMH's own table, printed before, has the mean wall times). Arguments: optional shape names (default both); system property
 * {@code bench.quick=true} shortens warm-up and measurement.
 */
public final class AttentionBenchReport {
    private AttentionBenchReport() {}

    /**
     * Entry point.
     *
     * @throws RunnerException when JMH fails
     */
    public static void main(String[] args) throws RunnerException {
        boolean quick = Boolean.getBoolean("bench.quick");
        String[] given = java.util.Arrays.stream(args)
                .filter(a -> !a.isBlank())
                .flatMap(a -> java.util.Arrays.stream(a.split(",")))
                .toArray(String[]::new);
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
        Map<String, Double> wall = new HashMap<>();
        Map<String, Double> cpu = new HashMap<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark();
            String key = r.getParams().getParam("shape") + "/" + bench.substring(bench.lastIndexOf('.') + 1);
            double bestWall = Double.POSITIVE_INFINITY;
            double bestCpu = Double.POSITIVE_INFINITY;
            for (BenchmarkResult b : r.getBenchmarkResults()) {
                for (IterationResult it : b.getIterationResults()) {
                    bestWall = Math.min(bestWall, it.getPrimaryResult().getScore());
                    double calls = it.getSecondaryResults().get("calls").getScore();
                    if (calls > 0) {
                        bestCpu = Math.min(
                                bestCpu,
                                it.getSecondaryResults().get("cpuNanos").getScore() / calls / 1e6);
                    }
                }
            }
            wall.put(key, bestWall);
            cpu.put(key, bestCpu);
        }
        System.out.println();
        System.out.println(
                "Each benchmark's fastest iteration, in wall ms and in CPU ms (all threads) per operation; ratios and GFLOP/s per");
        System.out.println("core from CPU time, which other load on a shared machine disturbs less than wall time:");
        System.out.printf(
                "%-8s %-16s %9s %9s %12s %12s%n",
                "shape", "benchmark", "wall ms", "cpu ms", "GFLOP/s/core", "vs dense");
        for (String s : shapes) {
            double denseCpu = cpu.getOrDefault(s + "/dense", Double.NaN);
            for (String b :
                    new String[] {"dense", "denseF16", "sparseEighth", "mobaGate", "mobaSelectPooled", "mobaAttend"}) {
                double c = cpu.getOrDefault(s + "/" + b, Double.NaN);
                String gflops = b.startsWith("dense")
                        ? String.format("%12.1f", AttentionBench.flops(s) / (c * 1e-3) / 1e9)
                        : String.format("%12s", "");
                System.out.printf(
                        "%-8s %-16s %9.1f %9.1f %s %11.2fx%n",
                        s, b, wall.getOrDefault(s + "/" + b, Double.NaN), c, gflops, denseCpu / c);
            }
            double gate = cpu.getOrDefault(s + "/mobaGate", Double.NaN);
            double moba = cpu.getOrDefault(s + "/mobaAttend", Double.NaN);
            double selectPooled = cpu.getOrDefault(s + "/mobaSelectPooled", Double.NaN);
            System.out.printf(
                    "%-8s sparse 1/8 speed-up over dense: %.2fx (CPU), %.2fx (wall); MoBA gating / its sparse attention: %.1f%%,"
                            + " with pooled keys reused %.1f%% (CPU)%n",
                    s,
                    denseCpu / cpu.getOrDefault(s + "/sparseEighth", Double.NaN),
                    wall.getOrDefault(s + "/dense", Double.NaN) / wall.getOrDefault(s + "/sparseEighth", Double.NaN),
                    100 * gate / (moba - gate),
                    100 * selectPooled / (moba - gate));
        }
    }
}
