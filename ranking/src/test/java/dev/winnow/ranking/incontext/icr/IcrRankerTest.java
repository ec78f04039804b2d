package dev.winnow.ranking.incontext.icr;

import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.runtime.GgmlType;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IcrRankerTest {

    private static Model model;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(Fixtures.stories260K());
    }

    @AfterAll
    static void unload() {
        model.close();
    }

    @Test
    void calibrationReusesTheDocumentsKvCacheAndEqualsTwoFullPasses() {
        InContextOptions o = InContextOptions.defaults().withKvType(GgmlType.F32).withThreads(2);
        String query = "Ben gave the stone to his sister.";
        Ranking reused;
        Ranking twice;
        try (IcrRanker a = new IcrRanker(model, o, true); IcrRanker b = new IcrRanker(model, o, false)) {
            reused = a.rank(query, Fixtures.stories(5));
            twice = b.rank(query, Fixtures.stories(5));
        }
        // prompt tokens = instruction + documents + query block + "N/A" block, each decoded once when reused
        long prompt = reused.stats().promptTokens();
        assertEquals(prompt, reused.stats().tokensEvaluated());
        long queryBlocks = twice.stats().tokensEvaluated() - prompt;
        assertTrue(queryBlocks > 0);
        long prefix = queryBlocks; // the second pass re-decodes instruction + documents
        assertEquals(prompt + prefix, twice.stats().tokensEvaluated());
        Map<String, Double> s = new HashMap<>();
        for (RankedDocument d : twice.documents()) {
            s.put(d.docId(), d.score());
        }
        boolean anyNonZero = false;
        for (RankedDocument d : reused.documents()) {
            assertEquals(s.get(d.docId()), d.score(), 1e-5, d.docId());
            anyNonZero |= Math.abs(d.score()) > 1e-6;
            double sum = 0;
            for (float w : d.detail().weights()) {
                sum += w;
            }
            assertEquals(d.score(), sum, 1e-4);
        }
        assertTrue(anyNonZero);
    }
}
