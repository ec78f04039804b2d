package dev.winnow.ranking.incontext.blockrank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.ranking.incontext.prompt.PromptWording;
import dev.winnow.ranking.incontext.score.HeadShape;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.TensorSelector;
import dev.winnow.runtime.attention.AttentionInputs;
import dev.winnow.runtime.attention.AttentionTensor;
import dev.winnow.runtime.attention.BlockRelevance;
import dev.winnow.runtime.attention.ElementType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BlockRank's structured attention and Java-side scores checked against llama.cpp itself (stories260K: 5 layers,
 * 8 query heads over 4 KV heads, F32 KV cache).
 */
class BlockRankCorrectnessTest {

    private static Model model;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(Fixtures.stories260K());
    }

    @AfterAll
    static void unload() {
        model.close();
    }

    private static InContextOptions options() {
        return InContextOptions.defaults()
                .withKvType(GgmlType.F32)
                .withThreads(1)
                .withBatchTokens(512);
    }

    private static PromptLayout layout(InContextOptions o, String query, List<Candidate> ordered) {
        return layout(model, o, query, ordered);
    }

    private static PromptLayout layout(Model model, InContextOptions o, String query, List<Candidate> ordered) {
        return new PromptBuilder(
                        new ModelTokenizer(model.vocabulary()),
                        PromptFamily.PLAIN,
                        o.wording(),
                        o.documentTokenBudget(),
                        o.queryTokenBudget())
                .blockRank(query, ordered);
    }

    /** Runs the ranker and returns the l_out rows (hidden states entering the scoring layer) of document "d2". */
    private static float[] hiddenStateOfD2(InContextOptions o, List<Candidate> docs, String query) {
        int layer = o.scoringLayer(model.layerCount()) - 1;
        List<float[]> decodes = new ArrayList<>();
        int[] width = new int[1];
        try (BlockRankRanker ranker = new BlockRankRanker(model, o)) {
            ranker.observeDocuments(TensorSelector.name("l_out-" + layer), v -> {
                width[0] = (int) v.ne(0);
                decodes.add(v.toFloatArray());
            });
            ranker.rank(query, docs);
        }
        assertEquals(2, decodes.size(), "instruction, then every document in one batch");
        List<Candidate> ordered = Rankings.canonicalOrder(docs);
        PromptLayout layout = layout(o, query, ordered);
        int offset = 0;
        int length = -1;
        for (int i = 0; i < ordered.size(); i++) {
            if (ordered.get(i).docId().equals("d2")) {
                length = layout.documents().get(i).length();
                break;
            }
            offset += layout.documents().get(i).length();
        }
        float[] all = decodes.get(1);
        assertEquals(layout.documentTokens() * width[0], all.length);
        return Arrays.copyOfRange(all, offset * width[0], (offset + length) * width[0]);
    }

    private static void assertClose(float[] want, float[] got, double tol) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol, "element " + i);
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void aDocumentsHiddenStateDoesNotDependOnTheOtherDocumentsOrTheirOrder() {
        String query = "Who found a shiny stone?";
        List<Candidate> five = Fixtures.stories(5);
        Candidate d2 = five.get(2);
        List<Candidate> d2First = new ArrayList<>(five);
        d2First.set(2, new Candidate("d2", d2.title(), d2.text(), 100));
        List<Candidate> d2Last = new ArrayList<>(five);
        d2Last.set(2, new Candidate("d2", d2.title(), d2.text(), -100));

        // Flash attention off: llama.cpp's masked softmax, exact but for f32 rounding (3e-6 measured on an AVX2
        // machine). Documents labelled by docId: the block is the same alone, among others, first or last.
        InContextOptions byId =
                options().withFlashAttention(false).withWording(PromptWording.DEFAULT.withDocIdLabels(true));
        float[] alone = hiddenStateOfD2(byId, List.of(d2), query);
        double maxAbs = 0;
        for (float v : alone) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        assertTrue(maxAbs > 0.1, "hidden state is not trivial");
        assertClose(alone, hiddenStateOfD2(byId, five, query), 1e-4);
        assertClose(alone, hiddenStateOfD2(byId, d2First, query), 1e-4);
        assertClose(alone, hiddenStateOfD2(byId, d2Last, query), 1e-4);

        // labelled by position: d2 last (ID 5) after two different sets of other documents
        InContextOptions byPosition = options().withFlashAttention(false);
        List<Candidate> others = new ArrayList<>(Fixtures.stories(8).subList(4, 8));
        others.add(new Candidate("d2", d2.title(), d2.text(), -100));
        assertClose(hiddenStateOfD2(byPosition, d2Last, query), hiddenStateOfD2(byPosition, others, query), 1e-4);

        // Flash attention on (the ranker's default): llama.cpp's CPU kernel is not exact, and its rounding follows the
        // batch's shape (on an AVX2 machine d2's state moved by 1.2e-3 with four other documents in the batch, while
        // the kernel's own error against the exact path was 6.8e-3; on an AVX-512 machine both stayed below 1e-4).
        // What the structure must guarantee: the other documents move d2's state by no more than the kernel's own
        // error on d2 alone. A document that saw another would move it by orders of magnitude more.
        InContextOptions fa = byId.withFlashAttention(true);
        float[] aloneFa = hiddenStateOfD2(fa, List.of(d2), query);
        double kernelError = Math.max(1e-4, maxDiff(alone, aloneFa));
        for (List<Candidate> docs : List.of(five, d2First, d2Last)) {
            double moved = maxDiff(aloneFa, hiddenStateOfD2(fa, docs, query));
            assertTrue(
                    moved <= kernelError,
                    "with flash attention on, other documents moved d2's state by " + moved
                            + ", more than the kernel's own error " + kernelError);
        }
    }

    /** Scores from one unified context holding the whole BlockRank prompt, documents decoded one by one. */
    private record Reference(double[] fromKqSoftMax, double[] fromCapturedQk) {}

    private static Reference reference(InContextOptions o, PromptLayout layout, boolean flashAttention) {
        return reference(model, o, layout, flashAttention, false);
    }

    private static Reference reference(Model model, InContextOptions o, PromptLayout layout, boolean flashAttention) {
        return reference(model, o, layout, flashAttention, false);
    }

    /**
     * @param oneBatch decode every document in one batch (each in its own sequence), as the ranker's document context
     *                 does, instead of one decode per document
     */
    private static Reference reference(
            Model model, InContextOptions o, PromptLayout layout, boolean flashAttention, boolean oneBatch) {
        int n = layout.documents().size();
        int scoring = o.scoringLayer(model.layerCount());
        int instruction = layout.instruction().length();
        int querySeq = n + 1;
        ContextOptions co = ContextOptions.defaults()
                .withContextSize(1024)
                .withBatchSize(512)
                .withMaxSequences(n + 2)
                .withThreads(1)
                .withFlashAttention(flashAttention ? FlashAttention.ENABLED : FlashAttention.DISABLED)
                .withKvTypes(GgmlType.F32, GgmlType.F32)
                .withKvUnified(true)
                .withTaps(true);
        List<float[]> keys = new ArrayList<>();
        List<float[]> queries = new ArrayList<>();
        List<float[][]> probs = new ArrayList<>();
        int[] heads = new int[3];
        try (Context ctx = model.newContext(co);
                Batch batch = Batch.allocate(512, 1)) {
            ctx.taps().tap(TensorSelector.name("Kcur-" + scoring).withOp("ROPE"), v -> {
                heads[1] = (int) v.ne(1);
                keys.add(v.toFloatArray());
            });
            ctx.taps().tap(TensorSelector.name("Qcur-" + scoring).withOp("ROPE"), v -> {
                heads[0] = (int) v.ne(1);
                heads[2] = (int) v.ne(0);
                queries.add(v.toFloatArray());
            });
            ctx.taps().tap(TensorSelector.name("kq_soft_max-" + scoring).withOp("SOFT_MAX"), v -> {
                int nKv = (int) v.ne(0);
                int row = (int) v.ne(1) - 1;
                float[][] p = new float[(int) v.ne(2)][nKv];
                for (int h = 0; h < p.length; h++) {
                    for (int c = 0; c < nKv; c++) {
                        p[h][c] = v.get(c, row, h, 0);
                    }
                }
                probs.add(p);
            });
            batch.addSequence(layout.instruction().tokens(), 0, 0, false);
            ctx.decode(batch);
            if (oneBatch) {
                batch.clear();
                for (int i = 0; i < n; i++) {
                    ctx.kvCache().copySequence(0, i + 1, -1, -1);
                    batch.addSequence(layout.documents().get(i).tokens(), instruction, i + 1, false);
                }
                ctx.decode(batch);
                for (int i = 0; i < n; i++) {
                    ctx.kvCache().copySequence(i + 1, querySeq, -1, -1);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    ctx.kvCache().copySequence(0, i + 1, -1, -1);
                    batch.clear();
                    batch.addSequence(layout.documents().get(i).tokens(), instruction, i + 1, false);
                    ctx.decode(batch);
                    ctx.kvCache().copySequence(i + 1, querySeq, -1, -1);
                }
            }
            batch.clear();
            batch.addSequence(layout.query().tokens(), instruction + layout.maxDocumentLength(), querySeq, false);
            ctx.decode(batch);
        }
        // Java-side from the captured Q (signal = last query token) and the documents' K
        HeadShape shape = HeadShape.standard(heads[0], heads[1], heads[2]);
        float[] lastQ = queries.getLast();
        float[] signal = Arrays.copyOfRange(lastQ, lastQ.length - shape.qWidth(), lastQ.length);
        List<float[]> docKeys = keys.subList(1, oneBatch ? 2 : 1 + n);
        if (oneBatch) {
            // one K tensor for the whole document batch: cut it into the documents' rows
            float[] all = docKeys.getFirst();
            docKeys = new ArrayList<>();
            int row = 0;
            for (PromptLayout.Block b : layout.documents()) {
                docKeys.add(Arrays.copyOfRange(all, row * shape.kWidth(), (row + b.length()) * shape.kWidth()));
                row += b.length();
            }
            assertEquals(all.length, row * shape.kWidth());
        }
        double[] captured = blockRelevance(shape, signal, docKeys);
        if (flashAttention) {
            return new Reference(null, captured);
        }
        // kq_soft_max: cells were filled in decode order (instruction, documents 0..n-1, query)
        assertEquals(n + 2, probs.size());
        float[][] p = probs.getLast();
        double[] want = new double[n];
        for (float[] head : p) {
            double rowSum = 0;
            for (int c = 0; c < head.length; c++) {
                rowSum += head[c];
                if (c >= layout.totalTokens()) {
                    assertEquals(0f, head[c], "padding cell " + c);
                }
            }
            assertEquals(1.0, rowSum, 1e-4);
            double[] mass = new double[n];
            double docTotal = 0;
            int cell = instruction;
            for (int i = 0; i < n; i++) {
                for (int t = 0; t < layout.documents().get(i).length(); t++) {
                    mass[i] += head[cell++];
                }
                docTotal += mass[i];
            }
            for (int i = 0; i < n; i++) {
                want[i] += mass[i] / docTotal / p.length;
            }
        }
        return new Reference(want, captured);
    }

    /** The runtime's block relevance of one signal row over the documents' keys (one segment per document). */
    private static double[] blockRelevance(HeadShape shape, float[] signal, List<float[]> docKeys) {
        int tokens = docKeys.stream().mapToInt(k -> k.length / shape.kWidth()).sum();
        float[] keys = new float[tokens * shape.kWidth()];
        int[] segment = new int[tokens];
        int at = 0;
        for (int d = 0; d < docKeys.size(); d++) {
            float[] k = docKeys.get(d);
            System.arraycopy(k, 0, keys, at * shape.kWidth(), k.length);
            Arrays.fill(segment, at, at + k.length / shape.kWidth(), d);
            at += k.length / shape.kWidth();
        }
        AttentionTensor q = AttentionTensor.contiguous(
                MemorySegment.ofArray(signal), ElementType.F32, 1, shape.nHead(), shape.headDim());
        AttentionTensor k = AttentionTensor.contiguous(
                MemorySegment.ofArray(keys), ElementType.F32, tokens, shape.nHeadKv(), shape.headDim());
        float[] mean = BlockRelevance.fromAttention(
                        new AttentionInputs(q, k, k, shape.scale()),
                        new int[] {0},
                        null,
                        segment,
                        IntStream.range(0, docKeys.size()).toArray())
                .meanOverRows();
        return IntStream.range(0, mean.length).mapToDouble(d -> mean[d]).toArray();
    }

    private static double[] rankerScores(InContextOptions o, String query, List<Candidate> ordered) {
        return rankerScores(model, o, query, ordered);
    }

    private static double[] rankerScores(Model model, InContextOptions o, String query, List<Candidate> ordered) {
        Map<String, Double> got;
        try (BlockRankRanker ranker = new BlockRankRanker(model, o)) {
            got = BlockRankRankerTest.scores(ranker.rank(query, ordered));
        }
        return ordered.stream().mapToDouble(c -> got.get(c.docId())).toArray();
    }

    @Test
    void javaSideScoresEqualKqSoftMaxOfAFlashAttentionOffRun() {
        String query = "The cat looked at the fish.";
        List<Candidate> ordered = Rankings.canonicalOrder(Fixtures.stories(6));
        InContextOptions o = options().withFlashAttention(false);
        Reference ref = reference(o, layout(o, query, ordered), false);
        double[] got = rankerScores(o, query, ordered);
        for (int i = 0; i < got.length; i++) {
            assertEquals(ref.fromKqSoftMax()[i], got[i], 1e-4, ordered.get(i).docId());
            assertEquals(
                    ref.fromKqSoftMax()[i],
                    ref.fromCapturedQk()[i],
                    1e-4,
                    ordered.get(i).docId());
        }
    }

    @Test
    void javaSideScoresEqualKqSoftMaxOnASyntheticTiny4lModel(@TempDir Path dir) throws Exception {
        // tiny-4l: 4 layers, 256 wide, 8 query heads over 4 KV heads, head size 32 (f32 weights, seed 3)
        Path file = dir.resolve("tiny-4l.gguf");
        SyntheticModel.write(SynthSpec.preset("tiny-4l", GgmlType.F32, 3), Fixtures.stories260K(), file);
        String query = "A bear looked for honey.";
        List<Candidate> ordered = Rankings.canonicalOrder(Fixtures.stories(5));
        InContextOptions o = options().withFlashAttention(false);
        try (Model tiny = Llama.load().loadModel(file)) {
            assertEquals(2, o.scoringLayer(tiny.layerCount()));
            Reference ref = reference(tiny, o, layout(tiny, o, query, ordered), false);
            double[] got = rankerScores(tiny, o, query, ordered);
            for (int i = 0; i < got.length; i++) {
                assertEquals(
                        ref.fromKqSoftMax()[i], got[i], 1e-4, ordered.get(i).docId());
            }
        }
    }

    @Test
    void flashAttentionPipelineEqualsOneContextHoldingTheWholePrompt() {
        // the two-context pipeline (state moves, shared start positions) reproduces the single-context layout
        String query = "Tom played with his dog.";
        List<Candidate> ordered = Rankings.canonicalOrder(Fixtures.stories(7));
        InContextOptions o = options();
        // The reference decodes the documents in one batch, as the ranker's document context does: llama.cpp's CPU
        // flash-attention kernel rounds differently for another batch shape (one decode per document moved these
        // scores by up to 1.2e-4 on an AVX2 machine), which says nothing about the pipeline. With the same shape the
        // pipeline matches to 3e-9 there: the state moves lose nothing.
        Reference ref = reference(model, o, layout(o, query, ordered), true, true);
        double[] got = rankerScores(o, query, ordered);
        for (int i = 0; i < got.length; i++) {
            assertEquals(ref.fromCapturedQk()[i], got[i], 1e-6, ordered.get(i).docId());
        }
    }
}
