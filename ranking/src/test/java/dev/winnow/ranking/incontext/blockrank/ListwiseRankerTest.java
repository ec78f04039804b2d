package dev.winnow.ranking.incontext.blockrank;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.FlashAttention;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.TensorSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ListwiseRankerTest {

    @Test
    void scoresEqualKqSoftMaxOfTheCausalPromptAndWindowsStillSumToOne() {
        InContextOptions o = InContextOptions.defaults()
                .withKvType(GgmlType.F32)
                .withThreads(1)
                .withFlashAttention(false)
                .withSignalTokens(2);
        String query = "The girl helped the bird.";
        List<Candidate> ordered = Rankings.canonicalOrder(Fixtures.stories(5));
        try (Model model = Llama.load().loadModel(Fixtures.stories260K());
                ListwiseRanker ranker = new ListwiseRanker(model, o)) {
            Map<String, Double> got = BlockRankRankerTest.scores(ranker.rank(query, ordered));
            PromptLayout layout = new PromptBuilder(
                            new ModelTokenizer(model.vocabulary()),
                            PromptFamily.PLAIN,
                            o.wording(),
                            o.documentTokenBudget(),
                            o.queryTokenBudget())
                    .blockRank(query, ordered);
            int layer = o.scoringLayer(model.layerCount());
            List<float[][][]> probs = new ArrayList<>();
            try (Context ctx = model.newContext(ContextOptions.defaults()
                            .withContextSize(1024)
                            .withBatchSize(1024)
                            .withThreads(1)
                            .withFlashAttention(FlashAttention.DISABLED)
                            .withKvTypes(GgmlType.F32, GgmlType.F32)
                            .withTaps(true));
                    Batch b = Batch.allocate(1024, 1)) {
                ctx.taps().tap(TensorSelector.name("kq_soft_max-" + layer).withOp("SOFT_MAX"), v -> {
                    int nKv = (int) v.ne(0);
                    int nTok = (int) v.ne(1);
                    float[][][] p = new float[2][(int) v.ne(2)][nKv];
                    for (int r = 0; r < 2; r++) {
                        for (int h = 0; h < v.ne(2); h++) {
                            for (int c = 0; c < nKv; c++) {
                                p[r][h][c] = v.get(c, nTok - 2 + r, h, 0);
                            }
                        }
                    }
                    probs.add(p);
                });
                b.addSequence(layout.causalTokens(), 0, 0, false);
                ctx.decode(b);
            }
            float[][][] p = probs.getFirst();
            int n = ordered.size();
            double[] want = new double[n];
            for (float[][] row : p) {
                for (float[] head : row) {
                    double[] mass = new double[n];
                    double total = 0;
                    int cell = layout.instruction().length();
                    for (int i = 0; i < n; i++) {
                        for (int t = 0; t < layout.documents().get(i).length(); t++) {
                            mass[i] += head[cell++];
                        }
                        total += mass[i];
                    }
                    for (int i = 0; i < n; i++) {
                        want[i] += mass[i] / total / (2.0 * row.length);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                assertEquals(
                        want[i],
                        got.get(ordered.get(i).docId()),
                        1e-4,
                        ordered.get(i).docId());
            }
        }
        // more candidates than one prompt holds: windows, merged into one softmax
        try (Model model = Llama.load().loadModel(Fixtures.stories260K());
                ListwiseRanker ranker = new ListwiseRanker(model, o.withMaxPromptCells(256))) {
            Ranking r = ranker.rank(query, Fixtures.stories(8));
            assertEquals(8, r.documents().size());
            assertEquals(true, r.stats().windows() > 1, "windows: " + r.stats().windows());
            assertEquals(1.0, r.documents().stream().mapToDouble(d -> d.score()).sum(), 1e-9);
        }
    }
}
