package dev.winnow.ranking.incontext.pointwise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.runtime.Batch;
import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import org.junit.jupiter.api.Test;

class PointwiseRankerTest {

    @Test
    void batchedScoresEqualEachPromptDecodedAloneAndAreLogProbabilities() {
        InContextOptions o = InContextOptions.defaults()
                .withKvType(GgmlType.F32)
                .withThreads(1)
                .withFlashAttention(false)
                .withParallelSequences(3);
        String query = "Where did the bear look for honey?";
        try (Model model = Llama.load().loadModel(Fixtures.stories260K());
                PointwiseRanker ranker = new PointwiseRanker(model, o)) {
            Ranking r = ranker.rank(query, Fixtures.stories(7));
            PromptBuilder builder = new PromptBuilder(
                    new ModelTokenizer(model.vocabulary()),
                    PromptFamily.PLAIN,
                    o.wording(),
                    o.documentTokenBudget(),
                    o.queryTokenBudget());
            for (RankedDocument d : r.documents()) {
                assertTrue(d.score() < 0, "a log-probability: " + d.score());
                Candidate c = d.candidate();
                int[] prompt = builder.pointwise(query, c, PointwiseRanker.QUESTION);
                try (Context ctx = model.newContext(ContextOptions.defaults()
                                .withContextSize(512)
                                .withThreads(1)
                                .withFlashAttention(dev.winnow.runtime.FlashAttention.DISABLED)
                                .withKvTypes(GgmlType.F32, GgmlType.F32));
                        Batch b = Batch.allocate(512, 1)) {
                    b.addSequence(prompt, 0, 0, true);
                    ctx.decode(b);
                    float[] logits = ctx.logitsCopy(-1);
                    double max = Double.NEGATIVE_INFINITY;
                    for (float v : logits) {
                        max = Math.max(max, v);
                    }
                    double z = 0;
                    for (float v : logits) {
                        z += Math.exp(v - max);
                    }
                    double want = logits[ranker.answerToken()] - max - Math.log(z);
                    assertEquals(want, d.score(), 1e-4, c.docId());
                }
            }
            assertEquals(r.stats().promptTokens(), r.stats().tokensEvaluated(), "each prompt decoded once");
        }
    }
}
