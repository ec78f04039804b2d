package dev.winnow.ranking.incontext.bench;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.ranking.incontext.blockrank.BlockRankRanker;
import dev.winnow.ranking.incontext.blockrank.ListwiseRanker;
import dev.winnow.ranking.incontext.pointwise.PointwiseRanker;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The in-context ranking efficiency benchmark (issue 7): side by side for N candidates of about 100 tokens, a
 * 64-token instruction and a 32-token query, on a synthetic model: the floor (instruction once, every document once
 * attending only to the instruction and itself, batched densely, and the query attending to everything — timed
 * decodes only; the faster of two ways to run them: documents in separate KV streams of a {@code kv_unified=false}
 * context, or BlockRank's own decodes in one unified context with the other documents masked), BlockRank (whole {@code rank} call), BlockRank with early exit,
 * full-attention listwise (whole call) and pointwise (whole call), each with flash attention on, plus the KV cache
 * each allocates.
 *
 * <pre>
 * mvn -B -q -Pbench-incontext -pl ranking -am verify -DskipTests \
 *     [-Dbench.preset=tiny-4l] [-Dbench.n=10,20,50,100,200] [-Dbench.threads=2] [-Dbench.model=FILE]
 *     [-Dbench.blockRankOnly=true: BlockRank and its floor only, with BlockRank's phases]
 *     [-Dbench.batchTokens=512] [-Dbench.parallelSequences=64] [-Dbench.floorTaps=true: the floor with a key tap]
 * </pre>
 */
public final class InContextBench {

    static final String[] WORDS = ("the a little big girl boy dog cat park sun tree ball red blue happy sad "
                    + "mom dad friend play run jump look find help give take house garden bird fish water day night "
                    + "story time toy box car book apple cake king queen forest river hill moon star rain snow green "
                    + "small tall warm cold kind brave funny quiet loud fast slow went saw said liked loved wanted "
                    + "made found gave was had could would very then after before with under over into")
            .split(" ");

    private InContextBench() {}

    public static void main(String[] args) throws IOException {
        String preset = System.getProperty("bench.preset", "tiny-4l");
        int threads = Integer.getInteger("bench.threads", 2);
        int[] ns = Arrays.stream(
                        System.getProperty("bench.n", "10,20,50,100,200").split(","))
                .map(String::trim)
                .mapToInt(Integer::parseInt)
                .toArray();
        Path shared = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
        String modelProp = System.getProperty("bench.model", "");
        Path modelFile = modelProp.isBlank() ? synth(preset, shared) : Path.of(modelProp);

        InContextOptions base = InContextOptions.defaults()
                .withThreads(threads)
                .withBudgets(88, 32)
                .withEarlyExit(false)
                .withFamily(PromptFamily.PLAIN)
                .withBatchTokens(Integer.getInteger("bench.batchTokens", 512))
                .withParallelSequences(Integer.getInteger("bench.parallelSequences", 64));
        try (Model model = Llama.load().loadModel(modelFile)) {
            if (threads != 1) {
                System.out.println(
                        "note: with more than one thread, CPU times below count only the calling thread's share");
            }
            System.out.printf(
                    Locale.ROOT,
                    "model %s (%s): %d layers, embd %d, %d heads / %d KV heads; %d threads, "
                            + "flash attention on, F16 KV cache%n",
                    modelFile.getFileName(),
                    model.description(),
                    model.layerCount(),
                    model.embeddingSize(),
                    model.headCount(),
                    model.headCountKv(),
                    threads);
            warmUp(model, base);
            System.out.println();
            System.out.println("Times are the benchmark thread's CPU seconds (with 1 thread llama.cpp computes on the "
                    + "calling thread, so this is the work done, robust to other load on the machine); wall seconds "
                    + "in brackets.");
            System.out.println(
                    "| N | prompt tokens | floor (streams / unified) | BlockRank | BlockRank / floor "
                            + "| BlockRank, early exit | listwise | pointwise | ceiling = listwise / floor "
                            + "| BlockRank speed-up over listwise | speed-up / ceiling | KV MiB BlockRank / listwise / pointwise |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
            double blockRank100 = 0;
            for (int n : ns) {
                List<Candidate> docs = candidates(n, new Random(n));
                String query = query(new Random(7));
                PromptLayout layout = layout(model, base, query, docs);

                Clock block = new Clock();
                BlockRankRanker.Timings phases;
                try (BlockRankRanker br = new BlockRankRanker(model, base)) {
                    block.start();
                    br.rank(query, docs);
                    block.stop();
                    phases = br.lastCpuTimings();
                }
                // the floor: the faster of two ways to run exactly its decodes, timed alone
                long unifiedDecodes = phases.instruction() + phases.documents() + phases.query();
                long streamDecodes = floor(model, layout, threads) + phases.query();
                long tFloor = Math.min(unifiedDecodes, streamDecodes);
                if (Boolean.getBoolean("bench.blockRankOnly")) {
                    // BlockRank against its floor only, with where BlockRank's time goes (CPU seconds)
                    System.out.printf(
                            Locale.ROOT,
                            "| %d | %d | %.3f (%.3f / %.3f) | %s | %.3f | phases: instruction %.3f,"
                                    + " documents %.3f, moves %.3f, query %.3f, scoring %.3f |%n",
                            n,
                            layout.totalTokens(),
                            tFloor / 1e9,
                            streamDecodes / 1e9,
                            unifiedDecodes / 1e9,
                            block,
                            (double) block.cpu / tFloor,
                            phases.instruction() / 1e9,
                            phases.documents() / 1e9,
                            phases.moves() / 1e9,
                            phases.query() / 1e9,
                            phases.scoring() / 1e9);
                    if (n == 100) {
                        blockRank100 = block.cpu;
                    }
                    if (n == 200 && blockRank100 > 0) {
                        System.out.printf(
                                Locale.ROOT, "BlockRank t(200)/t(100) = %.3f (CPU time)%n", block.cpu / blockRank100);
                    }
                    continue;
                }
                Clock early = new Clock();
                try (BlockRankRanker br = new BlockRankRanker(model, base.withEarlyExit(true))) {
                    early.start();
                    br.rank(query, docs);
                    early.stop();
                }
                Clock list = new Clock();
                try (ListwiseRanker lw = new ListwiseRanker(model, base)) {
                    list.start();
                    lw.rank(query, docs);
                    list.stop();
                }
                Clock point = new Clock();
                try (PointwiseRanker pw = new PointwiseRanker(model, base.withParallelSequences(8))) {
                    point.start();
                    pw.rank(query, docs);
                    point.stop();
                }
                long tBlock = block.cpu;
                double ceiling = (double) list.cpu / tFloor;
                double speedUp = (double) list.cpu / tBlock;
                int inst = layout.instruction().length();
                int total = layout.totalTokens();
                long brCells = Math.max(1024, round(inst + Math.max(512, layout.maxDocumentLength()), 256))
                        + round(total, 4096);
                long lwCells = round(total, 256);
                long pwCells = round(512, 256);
                double perCell = 2.0 * model.layerCount() * kvWidth(model) * 2 / (1024.0 * 1024.0);
                System.out.printf(
                        Locale.ROOT,
                        "| %d | %d | %.2f (%.2f / %.2f) | %s | %.2f | %s | %s | %s | %.1f | %.1f "
                                + "| %.2f | %.0f / %.0f / %.0f |%n",
                        n,
                        total,
                        tFloor / 1e9,
                        streamDecodes / 1e9,
                        unifiedDecodes / 1e9,
                        block,
                        (double) tBlock / tFloor,
                        early,
                        list,
                        point,
                        ceiling,
                        speedUp,
                        speedUp / ceiling,
                        brCells * perCell,
                        lwCells * perCell,
                        pwCells * perCell);
                if (n == 100) {
                    blockRank100 = tBlock;
                }
                if (n == 200 && blockRank100 > 0) {
                    System.out.printf(
                            Locale.ROOT, "BlockRank t(200)/t(100) = %.2f (CPU time)%n", tBlock / blockRank100);
                }
            }
            System.out.printf(Locale.ROOT, "peak RSS of the process: %.0f MiB%n", peakRssMiB());
        }
    }

    /** CPU time of the calling thread and wall time of one measured call. */
    private static final class Clock {
        private static final java.lang.management.ThreadMXBean THREADS =
                java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu;
        long wall;

        void start() {
            cpu = -THREADS.getCurrentThreadCpuTime();
            wall = -System.nanoTime();
        }

        void stop() {
            cpu += THREADS.getCurrentThreadCpuTime();
            wall += System.nanoTime();
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.2f (%.2f)", cpu / 1e9, wall / 1e9);
        }
    }

    private static int kvWidth(Model m) {
        return m.embeddingSize() / m.headCount() * m.headCountKv();
    }

    private static long round(long n, long m) {
        return (n + m - 1) / m * m;
    }

    private static void warmUp(Model model, InContextOptions base) {
        List<Candidate> docs = candidates(10, new Random(1));
        String q = query(new Random(2));
        try (BlockRankRanker br = new BlockRankRanker(model, base);
                ListwiseRanker lw = new ListwiseRanker(model, base)) {
            br.rank(q, docs);
            lw.rank(q, docs);
        }
    }

    private static PromptLayout layout(Model model, InContextOptions o, String query, List<Candidate> docs) {
        return new PromptBuilder(
                        new ModelTokenizer(model.vocabulary()),
                        PromptFamily.PLAIN,
                        o.wording(),
                        o.documentTokenBudget(),
                        o.queryTokenBudget())
                .blockRank(query, Rankings.canonicalOrder(docs));
    }

    /**
     * The floor's instruction and document decodes: a context of separate KV streams (kv_unified=false), the
     * instruction decoded once and copied into every stream (untimed), then documents decoded {@code streams} at a
     * time, each in its own stream, so that each attends only to the instruction and itself.
     */
    static long floor(Model model, PromptLayout layout, int threads) {
        int inst = layout.instruction().length();
        int maxDoc = layout.maxDocumentLength();
        int streams = Math.max(1, Math.min(8, 512 / maxDoc));
        int perStream = (int) round(inst + maxDoc, 256);
        ContextOptions o = ContextOptions.defaults()
                .withContextSize(streams * perStream)
                .withBatchSize(Math.max(inst, streams * maxDoc))
                .withMaxSequences(streams)
                .withThreads(threads)
                .withFlashAttention(FlashAttention.ENABLED)
                .withKvTypes(GgmlType.F16, GgmlType.F16)
                .withKvUnified(false)
                .withTaps(Boolean.getBoolean("bench.floorTaps"));
        java.lang.management.ThreadMXBean threadsBean = java.lang.management.ManagementFactory.getThreadMXBean();
        long timed = 0;
        try (Context ctx = model.newContext(o);
                Batch batch = Batch.allocate(Math.max(inst, streams * maxDoc), 1)) {
            if (Boolean.getBoolean("bench.floorTaps")) {
                // diagnostics: the floor with a tap like BlockRank's key capture
                ctx.taps()
                        .tap(
                                dev.winnow.runtime.TensorSelector.name("Kcur-" + (model.layerCount() * 5 / 8))
                                        .withOp("ROPE"),
                                v -> v.toFloatArray());
            }
            batch.addSequence(layout.instruction().tokens(), 0, 0, false);
            long t0 = threadsBean.getCurrentThreadCpuTime();
            ctx.decode(batch);
            timed += threadsBean.getCurrentThreadCpuTime() - t0;
            for (int s = 1; s < streams; s++) {
                ctx.kvCache().copySequence(0, s, -1, -1);
            }
            List<PromptLayout.Block> docs = layout.documents();
            for (int first = 0; first < docs.size(); first += streams) {
                batch.clear();
                int last = Math.min(docs.size(), first + streams);
                for (int j = first; j < last; j++) {
                    batch.addSequence(docs.get(j).tokens(), inst, j - first, false);
                }
                long t1 = threadsBean.getCurrentThreadCpuTime();
                ctx.decode(batch);
                timed += threadsBean.getCurrentThreadCpuTime() - t1;
                for (int j = first; j < last; j++) {
                    ctx.kvCache().removeSequence(j - first, inst, -1);
                }
            }
        }
        return timed;
    }

    static List<Candidate> candidates(int n, Random r) {
        List<Candidate> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < 140; w++) {
                sb.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
            }
            out.add(new Candidate("doc" + i, "", sb.toString().strip(), n - i));
        }
        return out;
    }

    static String query(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int w = 0; w < 14; w++) {
            sb.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
        }
        return sb.toString().strip();
    }

    private static Path synth(String preset, Path shared) throws IOException {
        Path dir = Path.of("target", "bench-models");
        Files.createDirectories(dir);
        Path out = dir.resolve("synth-" + preset + "-f16.gguf");
        if (!Files.isRegularFile(out)) {
            SynthSpec spec = SynthSpec.preset(preset, GgmlType.F16, 1);
            SyntheticModel.write(spec, shared.resolve("models/stories260K.gguf"), out);
        }
        return out;
    }

    private static double peakRssMiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return -1;
    }
}
