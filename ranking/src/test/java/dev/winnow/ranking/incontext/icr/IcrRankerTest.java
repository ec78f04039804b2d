package dev.winnow.ranking.incontext.icr;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
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
        InContextOptions o = InContextOptions.defaults().withKvType(GgmlType.F32).withThreads(1);
        String query = "Ben gave the stone to his sister.";
        Ranking reused;
        Ranking twice;
        try (IcrRanker a = new IcrRanker(model, o, true); IcrRanker b = new IcrRanker(model, o, false)) {
            reused = a.rank(query, Fixtures.stories(5));
            twice = b.rank(query, Fixtures.stories(5));
        }
        // reused: instruction + documents once, then the query block and the "N/A" block;
        // two full passes: instruction + documents twice
        PromptBuilder b = new PromptBuilder(new ModelTokenizer(model.vocabulary()), PromptFamily.PLAIN, o.wording(),
                o.documentTokenBudget(), o.queryTokenBudget());
        PromptLayout layout = b.queryLast(query, Rankings.canonicalOrder(Fixtures.stories(5)));
        long prefix = layout.instruction().length() + layout.documentTokens();
        long blocks = layout.query().length() + b.queryBlock(IcrRanker.CONTENT_FREE_QUERY).length();
        assertTrue(prefix > 5 * 20, "documents were decoded: " + prefix);
        assertEquals(prefix + blocks, reused.stats().tokensEvaluated());
        assertEquals(2 * prefix + blocks, twice.stats().tokensEvaluated());
        assertEquals(prefix + blocks, reused.stats().promptTokens());
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
