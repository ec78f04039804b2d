package dev.winnow.ranking.incontext.blockrank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BlockRankRankerTest {

    private static Model model;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(Fixtures.stories260K());
    }

    @AfterAll
    static void unload() {
        model.close();
    }

    static InContextOptions exact() {
        return InContextOptions.defaults()
                .withKvType(GgmlType.F32)
                .withThreads(1)
                .withBatchTokens(256);
    }

    static Map<String, Double> scores(Ranking r) {
        Map<String, Double> m = new HashMap<>();
        for (RankedDocument d : r.documents()) {
            m.put(d.docId(), d.score());
        }
        return m;
    }

    @Test
    void scoresAreAttentionMassesThatSumToOneAndDetailsAddUp() {
        try (BlockRankRanker ranker = new BlockRankRanker(model, exact())) {
            Ranking r = ranker.rank("Where did Lily play?", Fixtures.stories(6));
            assertEquals(6, r.documents().size());
            assertEquals(3, ranker.layers()[0], "5 layers * 5 / 8 = 3");
            double total = 0;
            for (RankedDocument d : r.documents()) {
                assertTrue(d.score() > 0 && d.score() < 1, d.toString());
                double sum = 0;
                for (float w : d.detail().weights()) {
                    sum += w;
                }
                assertEquals(d.score(), sum, 1e-5);
                total += d.score();
            }
            assertEquals(1.0, total, 1e-9);
            for (int i = 1; i < r.documents().size(); i++) {
                assertTrue(
                        r.documents().get(i - 1).score() >= r.documents().get(i).score());
            }
            assertEquals(1, r.stats().windows());
        }
    }

    @Test
    void scoresDoNotDependOnCandidateOrder() {
        List<Candidate> docs = Fixtures.stories(7);
        try (BlockRankRanker ranker = new BlockRankRanker(model, exact())) {
            Map<String, Double> base = scores(ranker.rank("The dog ran in the garden.", docs));
            Random rnd = new Random(5);
            for (int trial = 0; trial < 3; trial++) {
                List<Candidate> shuffled = new ArrayList<>(docs);
                Collections.shuffle(shuffled, rnd);
                Map<String, Double> s = scores(ranker.rank("The dog ran in the garden.", shuffled));
                for (String id : base.keySet()) {
                    assertEquals(base.get(id), s.get(id), 1e-9, id);
                }
            }
        }
    }

    @Test
    void earlyExitGivesTheSameScoresAsAFullPass() {
        List<Candidate> docs = Fixtures.stories(5);
        try (BlockRankRanker early = new BlockRankRanker(model, exact());
                BlockRankRanker full = new BlockRankRanker(model, exact().withEarlyExit(false))) {
            Map<String, Double> a = scores(early.rank("A bird could not fly.", docs));
            Map<String, Double> b = scores(full.rank("A bird could not fly.", docs));
            for (String id : a.keySet()) {
                assertEquals(b.get(id), a.get(id), 1e-5, id);
            }
        }
    }
}
