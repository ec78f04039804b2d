package dev.winnow.runtime.attention;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH benchmarks of the attention kernels on two shapes (f32 inputs, causal):
 * {@code prefill}: n_q = n_kv = 4096, d = 64, 8 heads (8 KV heads); {@code query64}: 64 queries at the end of
 * n_kv = 16384 keys, d = 128, 32 heads over 8 KV heads. Block size 64. The block-sparse mask keeps exactly 1/8 of the
 * tiles the causal dense kernel computes (every diagonal tile plus random earlier ones); the MoBA gate's top-k is
 * chosen for about the same density. {@code denseF16} repeats the dense case with K and V stored as f16. Run through
 * {@link AttentionBenchReport}, which prints the ratios.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx3g"})
public class AttentionBench {
    /** Block size B of the sparse kernels. */
    static final int BLOCK = 64;

    @Param({"prefill", "query64"})
    public String shape;

    private Arena arena;
    private AttentionInputs in;
    /** The same Q, with K and V rounded to f16 (llama.cpp's default KV cache type). */
    private AttentionInputs inF16;

    private AttentionMask causal;
    private BlockMask eighth;
    private MobaGate gate;
    private MobaGate.PooledKeys pooled;
    private AttentionTensor out;

    /** Shape parameters {n_q, n_kv, d, n_head, n_head_kv, MoBA top-k}. */
    static int[] shape(String name) {
        return switch (name) {
            case "prefill" -> new int[] {4096, 4096, 64, 8, 8, 3};
            case "query64" -> new int[] {64, 16384, 128, 32, 8, 31};
            default -> throw new IllegalArgumentException("unknown shape " + name);
        };
    }

    /** Useful floating-point operations of attention over the causally visible (query, key) pairs: 4 d n_head pairs. */
    static double flops(String name) {
        int[] s = shape(name);
        long pairs = 0;
        for (int i = 0; i < s[0]; i++) {
            pairs += s[1] - s[0] + i + 1;
        }
        return 4.0 * s[2] * s[3] * pairs;
    }

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = shape(shape);
        int nq = s[0], nkv = s[1], d = s[2], heads = s[3], kvHeads = s[4];
        arena = Arena.ofShared();
        Random rnd = new Random(42);
        in = AttentionInputs.of(random(rnd, nq, heads, d), random(rnd, nkv, kvHeads, d), random(rnd, nkv, kvHeads, d));
        out = AttentionTensor.allocate(arena, ElementType.F32, nq, heads, d);
        inF16 = new AttentionInputs(in.q(), toF16(in.k()), toF16(in.v()), in.scale());
        causal = AttentionMask.causal(nq, nkv);
        eighth = eighthOfCausal(causal, rnd);
        gate = new MobaGate(BLOCK, s[5], null);
        pooled = gate.pool(in.k());
    }

    /** Keeps every partially visible (diagonal) tile and random wholly visible ones, 1/8 of the visible tiles in all. */
    static BlockMask eighthOfCausal(AttentionMask causal, Random rnd) {
        BlockMask visible = causal.toBlockMask(BLOCK);
        BlockMask m = BlockMask.empty(causal.queryCount(), causal.keyCount(), BLOCK, 1);
        List<int[]> past = new ArrayList<>();
        long kept = 0;
        for (int qb = 0; qb < visible.queryBlocks(); qb++) {
            for (int kb = 0; kb < visible.keyBlocks(); kb++) {
                if (!visible.isKept(0, qb, kb)) {
                    continue;
                }
                int q0 = qb * BLOCK, k0 = kb * BLOCK;
                if (causal.coverage(
                                q0,
                                Math.min(causal.queryCount(), q0 + BLOCK),
                                k0,
                                Math.min(causal.keyCount(), k0 + BLOCK))
                        == AttentionMask.Coverage.PARTIAL) {
                    m.keep(0, qb, kb);
                    kept++;
                } else {
                    past.add(new int[] {qb, kb});
                }
            }
        }
        long target = visible.keptCount() / 8;
        java.util.Collections.shuffle(past, rnd);
        for (int i = 0; kept < target && i < past.size(); i++, kept++) {
            m.keep(0, past.get(i)[0], past.get(i)[1]);
        }
        return m;
    }

    private AttentionTensor random(Random rnd, int tokens, int heads, int d) {
        AttentionTensor t = AttentionTensor.allocate(arena, ElementType.F32, tokens, heads, d);
        long n = (long) tokens * heads * d;
        for (long i = 0; i < n; i++) {
            t.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() * 2 - 1);
        }
        return t;
    }

    private AttentionTensor toF16(AttentionTensor t) {
        AttentionTensor h = AttentionTensor.allocate(arena, ElementType.F16, t.tokens(), t.heads(), t.dim());
        for (int i = 0; i < t.tokens(); i++) {
            for (int g = 0; g < t.heads(); g++) {
                for (int c = 0; c < t.dim(); c++) {
                    h.set(i, g, c, t.get(i, g, c));
                }
            }
        }
        return h;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /**
     * CPU time of all the JVM's threads spent in the measured calls (summed over the fork-join workers and the caller),
     * per iteration; on a machine shared with other work this is steadier than wall time.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Cpu {
        private static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        /** CPU nanoseconds of the calls this iteration. */
        public long cpuNanos;
        /** Calls this iteration. */
        public long calls;

        @Setup(Level.Iteration)
        public void reset() {
            cpuNanos = 0;
            calls = 0;
        }

        static long now() {
            long sum = 0;
            for (long t : THREADS.getThreadCpuTime(THREADS.getAllThreadIds())) {
                sum += Math.max(0, t);
            }
            return sum;
        }

        void add(long start) {
            cpuNanos += now() - start;
            calls++;
        }
    }

    /** Dense causal attention (the tiled kernel, every visible tile). */
    @Benchmark
    public AttentionTensor dense(Cpu cpu) {
        long t = Cpu.now();
        Attention.dense(in, causal, out);
        cpu.add(t);
        return out;
    }

    /** Dense causal attention with f16 K and V. */
    @Benchmark
    public AttentionTensor denseF16(Cpu cpu) {
        long t = Cpu.now();
        Attention.dense(inF16, causal, out);
        cpu.add(t);
        return out;
    }

    /** Block-sparse attention over 1/8 of the visible tiles. */
    @Benchmark
    public AttentionTensor sparseEighth(Cpu cpu) {
        long t = Cpu.now();
        Attention.blockSparse(in, eighth, causal, out);
        cpu.add(t);
        return out;
    }

    /** MoBA gating alone: pooling keys, scoring blocks, top-k. */
    @Benchmark
    public BlockMask mobaGate(Cpu cpu) {
        long t = Cpu.now();
        BlockMask m = gate.select(in, causal);
        cpu.add(t);
        return m;
    }

    /** MoBA gating with the pooled keys computed before (K unchanged): block scoring and top-k only. */
    @Benchmark
    public BlockMask mobaSelectPooled(Cpu cpu) {
        long t = Cpu.now();
        BlockMask m = gate.select(in, causal, pooled);
        cpu.add(t);
        return m;
    }

    /** MoBA end to end: gating then block-sparse attention. */
    @Benchmark
    public BlockMask mobaAttend(Cpu cpu) {
        long t = Cpu.now();
        BlockMask m = gate.attend(in, causal, out);
        cpu.add(t);
        return m;
    }
}
