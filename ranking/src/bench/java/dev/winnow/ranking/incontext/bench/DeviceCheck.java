package dev.winnow.ranking.incontext.bench;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.blockrank.BlockRankRanker;
import dev.winnow.ranking.incontext.blockrank.ListwiseRanker;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.ModelOptions;
import dev.winnow.runtime.Vocabulary;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The device check's Java part (scripts/device-check.sh --run): on whatever llama.cpp build {@code
 * WINNOW_LLAMA_LIB_DIR} names (a CUDA build on the GPU machine), (1) stories260K's generation oracle ("Once upon a
 * time" + 30 greedy tokens, ../shared/models/SOURCES.md), (2) a synthetic model written to local disk, (3) BlockRank
 * at each N against its floor (its own decodes: instruction, document batches, query block) and full attention (the
 * listwise ranker: the same prompt in one causal sequence), wall seconds, every figure printed as it is measured.
 *
 * <p>Arguments: {@code STORIES.gguf ORACLE.txt MODEL_DIR PRESET N[,N...] DOC_TOKENS THREADS [skip-full]}; the model is
 * written as {@code MODEL_DIR/synth-PRESET-f16.gguf} unless it is there already.
 */
public final class DeviceCheck {

    private DeviceCheck() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 7) {
            throw new IllegalArgumentException("usage: DeviceCheck STORIES.gguf ORACLE.txt MODEL_DIR PRESET N[,N...]"
                    + " DOC_TOKENS THREADS [skip-full]");
        }
        Path stories = Path.of(args[0]);
        String oracle = Files.readString(Path.of(args[1])).strip();
        Path modelDir = Path.of(args[2]);
        String preset = args[3];
        int[] ns = java.util.Arrays.stream(args[4].split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        int docTokens = Integer.parseInt(args[5]);
        int threads = Integer.parseInt(args[6]);
        boolean skipFull = args.length > 7 && args[7].equals("skip-full");
        ModelOptions all = ModelOptions.defaults().withGpuLayers(-1);

        // 1. the generation oracle
        long t0 = System.nanoTime();
        try (Model model = Llama.load().loadModel(stories, all);
                Context ctx = model.newContext(
                        ContextOptions.defaults().withContextSize(256).withThreads(threads));
                Batch batch = Batch.allocate(512, 1)) {
            Vocabulary vocab = model.vocabulary();
            int[] prompt = vocab.tokenize("Once upon a time", true, false);
            batch.addSequence(prompt, 0, 0, true);
            ctx.decode(batch);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int pos = prompt.length;
            for (int step = 0; step < 30; step++) {
                int next = ctx.argmax(-1);
                out.writeBytes(vocab.piece(next, false));
                batch.clear();
                batch.add(next, pos++, 0, true);
                ctx.decode(batch);
            }
            String text = "Once upon a time" + out.toString(StandardCharsets.UTF_8);
            boolean ok = text.equals(oracle);
            say(
                    "oracle: stories260K greedy 30 tokens %s (%.2f s)%s",
                    ok ? "EQUAL to the oracle" : "DIFFERENT",
                    secs(t0),
                    ok ? "" : "\n  got:    " + text + "\n  oracle: " + oracle);
        }

        // 2. the synthetic model on local disk
        Files.createDirectories(modelDir);
        Path file = modelDir.resolve("synth-" + preset + "-f16.gguf");
        if (!Files.isRegularFile(file)) {
            t0 = System.nanoTime();
            SyntheticModel.write(SynthSpec.preset(preset, GgmlType.F16, 1), stories, file);
            say("synthetic %s written: %.1f GB in %.1f s", preset, Files.size(file) / 1e9, secs(t0));
        }

        // 3. BlockRank against its floor and full attention
        t0 = System.nanoTime();
        try (Model model = Llama.load().loadModel(file, all)) {
            say(
                    "model %s loaded in %.1f s: %d layers, embd %d, %d heads / %d KV heads",
                    file.getFileName(),
                    secs(t0),
                    model.layerCount(),
                    model.embeddingSize(),
                    model.headCount(),
                    model.headCountKv());
            InContextOptions base = InContextOptions.defaults()
                    .withThreads(threads)
                    .withBudgets(docTokens, 32)
                    .withFamily(PromptFamily.PLAIN)
                    .withEarlyExit(false)
                    .withMaxPromptCells(1 << 20)
                    .withBatchTokens(2048);
            warm(model, base);
            for (int n : ns) {
                List<Candidate> docs = candidates(n, new Random(n), docTokens * 3 / 2);
                String query = InContextBench.query(new Random(7));
                for (boolean early : new boolean[] {false, true}) {
                    InContextOptions o = base.withEarlyExit(early);
                    t0 = System.nanoTime();
                    Ranking r;
                    BlockRankRanker.Timings wall;
                    try (BlockRankRanker br = new BlockRankRanker(model, o)) {
                        r = br.rank(query, docs);
                        wall = br.lastTimings();
                    }
                    double total = secs(t0);
                    double floor = (wall.instruction() + wall.documents() + wall.query()) / 1e9;
                    say(
                            "N = %d, %d prompt tokens: BlockRank%s %.2f s wall; its decodes (the floor) %.2f s;"
                                    + " ratio %.2f (moves %.2f s, scoring %.2f s)",
                            n,
                            r.stats().promptTokens(),
                            early ? " with early exit" : "",
                            total,
                            floor,
                            total / floor,
                            wall.moves() / 1e9,
                            wall.scoring() / 1e9);
                }
                if (!skipFull) {
                    t0 = System.nanoTime();
                    try (ListwiseRanker lw = new ListwiseRanker(model, base)) {
                        lw.rank(query, docs);
                    }
                    say("N = %d: full attention (listwise, one causal prompt) %.2f s wall", n, secs(t0));
                }
            }
        }
    }

    private static void warm(Model model, InContextOptions base) {
        try (BlockRankRanker br = new BlockRankRanker(model, base)) {
            br.rank(InContextBench.query(new Random(2)), candidates(4, new Random(1), 40));
        }
    }

    static List<Candidate> candidates(int n, Random r, int words) {
        List<Candidate> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < words; w++) {
                sb.append(InContextBench.WORDS[r.nextInt(InContextBench.WORDS.length)])
                        .append(' ');
            }
            out.add(new Candidate("doc" + i, "", sb.toString().strip(), n - i));
        }
        return out;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void say(String format, Object... args) {
        System.out.printf(Locale.ROOT, format + "%n", args);
        System.out.flush();
    }
}
