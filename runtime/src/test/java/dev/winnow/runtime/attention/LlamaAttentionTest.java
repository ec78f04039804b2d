package dev.winnow.runtime.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.synth.Architecture;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.TensorSelector;
import dev.winnow.runtime.TensorView;
import dev.winnow.runtime.TestModels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java dense kernel against llama.cpp's own attention: from the post-RoPE {@code Qcur-L}, {@code Kcur-L} and
 * {@code Vcur-L} captured by taps, recompute every layer's probabilities and output and compare them with
 * {@code kq_soft_max-L} and {@code kqv_out-L} (flash attention off, F32 KV cache, so llama.cpp multiplies in f32).
 * One sequence decoded into a fresh cache: KV cell {@code i} holds token {@code i}; cells past the prompt are padding
 * and must carry probability 0.
 */
class LlamaAttentionTest {
    private static final double RTOL = 1e-4;

    @Test
    void storiesEveryLayerMatchesLlamaCpp() {
        // stories260K: 5 layers, 8 heads over 4 KV heads, head dim 8
        compareEveryLayer(TestModels.stories260K(), 5, 8, 4);
    }

    @Test
    void syntheticModelWithFourQueryHeadsPerKvHeadMatchesLlamaCpp(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("synth-gqa4.gguf");
        SyntheticModel.write(
                new SynthSpec(Architecture.LLAMA, 2, 128, 8, 2, 256, 0, GgmlType.F32, 7, 512, false),
                TestModels.stories260K(),
                model);
        compareEveryLayer(model, 2, 8, 2);
    }

    @Test
    void javaAttentionWrittenIntoKqvOutAsAnInterventionReproducesTheLogits() {
        try (Model model = Llama.load().loadModel(TestModels.stories260K());
                Arena arena = Arena.ofShared();
                Context ctx = model.newContext(ContextOptions.defaults()
                        .withContextSize(256)
                        .withMaxSequences(1)
                        .withFlashAttention(FlashAttention.DISABLED)
                        .withKvTypes(GgmlType.F32, GgmlType.F32)
                        .withThreads(1)
                        .withTaps(true));
                Batch batch = Batch.allocate(128, 1)) {
            int[] tokens = model.vocabulary().tokenize("One day, a little boy found a big red ball in the garden.");
            int n = tokens.length;
            batch.addSequence(tokens, 0, 0, true);
            ctx.decode(batch);
            float[] plain = ctx.logitsCopy(-1);

            // replace every layer's kqv_out by the Java kernel's output, from that layer's Q, K, V; then with
            // BlockRank's mask (two halves as independent documents after a 4-token instruction) the logits change
            Map<String, Captured> seen = new HashMap<>();
            for (String glob : new String[] {"Qcur-*", "Kcur-*", "Vcur-*"}) {
                ctx.taps().tap(TensorSelector.name(glob), v -> seen.put(v.name() + "/" + v.op(), copy(arena, v)));
            }
            int docs = (n - 4 - 2) / 2;
            SegmentMask blockRank = SegmentMask.blockRank(4, new int[] {docs, n - 4 - 2 - docs}, 2);
            float[][] results = new float[2][];
            for (int run = 0; run < 2; run++) {
                AttentionMask mask = run == 0 ? AttentionMask.causal(n, n) : blockRank;
                try (var s = ctx.taps().intervene(TensorSelector.name("kqv_out-*"), v -> {
                    int layer = v.layer();
                    Captured qc = seen.get("Qcur-" + layer + "/ROPE");
                    Captured kc = seen.get("Kcur-" + layer + "/ROPE");
                    Captured vc = vcur(seen, layer);
                    AttentionTensor q = AttentionTensor.fromGgml(
                            qc.data(),
                            ElementType.F32,
                            qc.ne()[0],
                            qc.ne()[1],
                            qc.ne()[2],
                            qc.nb()[0],
                            qc.nb()[1],
                            qc.nb()[2]);
                    AttentionTensor k = AttentionTensor.fromGgml(
                            kc.data(),
                            ElementType.F32,
                            kc.ne()[0],
                            kc.ne()[1],
                            kc.ne()[2],
                            kc.nb()[0],
                            kc.nb()[1],
                            kc.nb()[2]);
                    int d = q.dim();
                    AttentionTensor vt = vc.ne()[2] == n
                            ? AttentionTensor.fromGgml(
                                    vc.data(),
                                    ElementType.F32,
                                    vc.ne()[0],
                                    vc.ne()[1],
                                    vc.ne()[2],
                                    vc.nb()[0],
                                    vc.nb()[1],
                                    vc.nb()[2])
                            : new AttentionTensor(
                                    vc.data(),
                                    ElementType.F32,
                                    n,
                                    k.heads(),
                                    d,
                                    vc.nb()[1],
                                    d * vc.nb()[0],
                                    vc.nb()[0]);
                    AttentionTensor target = new AttentionTensor(
                            v.data(), ElementType.F32, n, q.heads(), d, v.nb(1), d * v.nb(0), v.nb(0));
                    Attention.blockSparse(AttentionInputs.of(q, k, vt), mask.toBlockMask(8), mask, target);
                })) {
                    ctx.kvCache().clear(true);
                    batch.clear();
                    batch.addSequence(tokens, 0, 0, true);
                    ctx.decode(batch);
                    results[run] = ctx.logitsCopy(-1);
                }
            }
            double same = 0;
            double changed = 0;
            for (int i = 0; i < plain.length; i++) {
                same = Math.max(same, Math.abs(results[0][i] - plain[i]));
                changed = Math.max(changed, Math.abs(results[1][i] - plain[i]));
            }
            assertTrue(same < 1e-4, "causal Java attention written into kqv_out moved the logits by " + same);
            assertTrue(changed > 1e-2, "BlockRank's mask should change the last token's logits, moved " + changed);
        }
    }

    /** A copy of a tapped tensor: its bytes and ggml shape, valid after the callback. */
    private record Captured(String op, MemorySegment data, long[] ne, long[] nb) {}

    private static void compareEveryLayer(Path modelFile, int layers, int heads, int kvHeads) {
        try (Model model = Llama.load().loadModel(modelFile);
                Arena arena = Arena.ofShared();
                Context ctx = model.newContext(ContextOptions.defaults()
                        .withContextSize(256)
                        .withMaxSequences(1)
                        .withFlashAttention(FlashAttention.DISABLED)
                        .withKvTypes(GgmlType.F32, GgmlType.F32)
                        .withThreads(1)
                        .withTaps(true));
                Batch batch = Batch.allocate(128, 1)) {
            int[] tokens = model.vocabulary()
                    .tokenize(
                            "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog.");
            int n = tokens.length;
            assertTrue(n > 20, "prompt tokens: " + n);
            Map<String, Captured> seen = new HashMap<>();
            for (String glob : new String[] {"Qcur-*", "Kcur-*", "Vcur-*", "kq_soft_max-*", "kqv_out-*"}) {
                ctx.taps().tap(TensorSelector.name(glob), v -> seen.put(v.name() + "/" + v.op(), copy(arena, v)));
            }
            batch.addSequence(tokens, 0, 0, true);
            ctx.decode(batch);

            for (int layer = 0; layer < layers; layer++) {
                Captured qc = seen.get("Qcur-" + layer + "/ROPE");
                Captured kc = seen.get("Kcur-" + layer + "/ROPE");
                Captured vc = vcur(seen, layer);
                Captured pc = seen.get("kq_soft_max-" + layer + "/SOFT_MAX");
                Captured oc = kqvOut(seen, layer);
                assertTrue(
                        qc != null && kc != null && vc != null && pc != null && oc != null,
                        "layer " + layer + " tapped: " + seen.keySet());
                AttentionTensor q = AttentionTensor.fromGgml(
                        qc.data(),
                        ElementType.F32,
                        qc.ne()[0],
                        qc.ne()[1],
                        qc.ne()[2],
                        qc.nb()[0],
                        qc.nb()[1],
                        qc.nb()[2]);
                AttentionTensor k = AttentionTensor.fromGgml(
                        kc.data(),
                        ElementType.F32,
                        kc.ne()[0],
                        kc.ne()[1],
                        kc.ne()[2],
                        kc.nb()[0],
                        kc.nb()[1],
                        kc.nb()[2]);
                int d = q.dim();
                assertEquals(heads, q.heads());
                assertEquals(kvHeads, k.heads());
                assertEquals(n, q.tokens());
                AttentionTensor v = vc.ne()[2] == n
                        ? AttentionTensor.fromGgml(
                                vc.data(),
                                ElementType.F32,
                                vc.ne()[0],
                                vc.ne()[1],
                                vc.ne()[2],
                                vc.nb()[0],
                                vc.nb()[1],
                                vc.nb()[2])
                        : new AttentionTensor(
                                vc.data(), ElementType.F32, n, kvHeads, d, vc.nb()[1], d * vc.nb()[0], vc.nb()[0]);
                // kqv_out-L is [d * n_head, n_tokens]
                AttentionTensor theirOut = new AttentionTensor(
                        oc.data(), ElementType.F32, n, heads, d, oc.nb()[1], d * oc.nb()[0], oc.nb()[0]);
                AttentionProbabilities theirP = AttentionProbabilities.fromGgml(
                        pc.data(), pc.ne()[0], pc.ne()[1], pc.ne()[2], pc.nb()[0], pc.nb()[1], pc.nb()[2]);
                int nKv = theirP.keys();
                assertTrue(nKv >= n, "n_kv " + nKv);

                AttentionInputs in = AttentionInputs.of(q, k, v);
                AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, n, heads, d);
                AttentionProbabilities p = AttentionProbabilities.allocate(arena, heads, n, n);
                Attention.dense(in, AttentionMask.causal(n, n), out, p);

                double worstP = 0;
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < n; i++) {
                        for (int cell = 0; cell < nKv; cell++) {
                            float theirs = theirP.get(h, i, cell);
                            if (cell >= n) {
                                assertEquals(0f, theirs, "padding cell " + cell);
                                continue;
                            }
                            float ours = p.get(h, i, cell);
                            double err = Math.abs(ours - theirs) / Math.max(Math.abs(theirs), 1e-6);
                            worstP = Math.max(worstP, err);
                            if (Math.abs(ours - theirs) > RTOL * Math.abs(theirs) + 1e-7) {
                                fail(modelFile.getFileName() + " layer " + layer + " head " + h + " row " + i + " cell "
                                        + cell + ": ours " + ours + ", llama.cpp " + theirs);
                            }
                        }
                    }
                }
                double worstO = 0;
                double worstAbs = 0;
                for (int i = 0; i < n; i++) {
                    for (int h = 0; h < heads; h++) {
                        for (int c = 0; c < d; c++) {
                            float ours = out.get(i, h, c);
                            float theirs = theirOut.get(i, h, c);
                            worstO = Math.max(worstO, Math.abs(ours - theirs) / Math.max(Math.abs(theirs), 1e-6));
                            worstAbs = Math.max(worstAbs, Math.abs(ours - theirs));
                            if (Math.abs(ours - theirs) > RTOL * Math.abs(theirs) + 1e-6) {
                                fail(modelFile.getFileName() + " layer " + layer + " kqv_out row " + i + " head " + h
                                        + " dim " + c + ": ours " + ours + ", llama.cpp " + theirs);
                            }
                        }
                    }
                }
                // BlockRank's score read from llama.cpp's probabilities (cells past the prompt: no segment) equals the
                // score computed from the captured Q and K
                int[] tokenSegments = new int[n];
                int[] cellSegments = new int[nKv];
                java.util.Arrays.fill(cellSegments, -1);
                for (int t = 0; t < n; t++) {
                    tokenSegments[t] = t * 4 / n;
                    cellSegments[t] = tokenSegments[t];
                }
                int[] rows = {n - 2, n - 1};
                int[] scored = {0, 1, 2};
                SegmentRelevance fromLlama = BlockRelevance.fromProbabilities(theirP, rows, cellSegments, scored);
                SegmentRelevance fromQk =
                        BlockRelevance.fromAttention(in, rows, AttentionMask.causal(n, n), tokenSegments, scored);
                for (int r = 0; r < rows.length; r++) {
                    for (int sg = 0; sg < scored.length; sg++) {
                        assertEquals(
                                fromLlama.perRow()[r][sg],
                                fromQk.perRow()[r][sg],
                                1e-5,
                                "block relevance, layer " + layer + " row " + rows[r] + " segment " + sg);
                    }
                }

                System.out.printf(
                        "%s layer %d: worst relative difference, probabilities %.2e, kqv_out %.2e (absolute %.2e)%n",
                        modelFile.getFileName(), layer, worstP, worstO, worstAbs);
            }
        }
    }

    private static Captured vcur(Map<String, Captured> seen, int layer) {
        Captured best = null;
        for (Map.Entry<String, Captured> e : seen.entrySet()) {
            if (e.getKey().startsWith("Vcur-" + layer + "/")) {
                // prefer the 3-d [d, n_head_kv, n_tokens] node (the reshape); a 2-d projection also maps
                if (best == null || e.getValue().ne()[2] > best.ne()[2]) {
                    best = e.getValue();
                }
            }
        }
        return best;
    }

    private static Captured kqvOut(Map<String, Captured> seen, int layer) {
        for (Map.Entry<String, Captured> e : seen.entrySet()) {
            if (e.getKey().startsWith("kqv_out-" + layer + "/")) {
                return e.getValue();
            }
        }
        return null;
    }

    private static Captured copy(Arena arena, TensorView v) {
        assertEquals(GgmlType.F32, v.type(), v.name() + " is not F32");
        MemorySegment src = v.data();
        MemorySegment dst = arena.allocate(src.byteSize(), 16);
        dst.copyFrom(src);
        return new Captured(v.op(), dst, v.shape(), v.strides());
    }
}
