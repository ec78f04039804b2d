package dev.winnow.ranking.incontext.icr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.ModelTokenizer;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Rankings;
import dev.winnow.ranking.incontext.prompt.PromptBuilder;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.ranking.incontext.prompt.PromptLayout;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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
        InContextOptions o =
                InContextOptions.defaults().withKvType(GgmlType.F32).withThreads(1);
        String query = "Ben gave the stone to his sister.";
        Ranking reused;
        Ranking twice;
        try (IcrRanker a = new IcrRanker(model, o, true);
                IcrRanker b = new IcrRanker(model, o, false)) {
            reused = a.rank(query, Fixtures.stories(5));
            twice = b.rank(query, Fixtures.stories(5));
        }
        // reused: instruction + documents once, then the query block and the "N/A" block;
        // two full passes: instruction + documents twice
        PromptBuilder b = new PromptBuilder(
                new ModelTokenizer(model.vocabulary()),
                PromptFamily.PLAIN,
                o.wording(),
                o.documentTokenBudget(),
                o.queryTokenBudget());
        PromptLayout layout = b.queryLast(query, Rankings.canonicalOrder(Fixtures.stories(5)));
        long prefix = layout.instruction().length() + layout.documentTokens();
        long blocks = layout.query().length()
                + b.queryBlock(IcrRanker.CONTENT_FREE_QUERY).length();
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

    @Test
    void candidatesBeyondOnePromptAreRankedInWindowsEachEqualToItsDocumentsRankedAlone() {
        InContextOptions o = InContextOptions.defaults()
                .withKvType(GgmlType.F32)
                .withThreads(1)
                .withMaxPromptCells(256);
        String query = "The bird could not fly.";
        List<Candidate> docs = Fixtures.stories(13);
        try (IcrRanker windowed = new IcrRanker(model, o)) {
            List<IcrRanker.Window> windows = windowed.windows(query, Rankings.canonicalOrder(docs));
            assertTrue(windows.size() >= 2, "windows: " + windows.size());
            Ranking r = windowed.rank(query, docs);
            assertEquals(windows.size(), r.stats().windows());
            assertEquals(13, r.documents().size());
            Map<String, RankedDocument> got = new HashMap<>();
            r.documents().forEach(d -> got.put(d.docId(), d));
            int maxCells =
                    windows.stream().mapToInt(IcrRanker.Window::cells).max().orElseThrow();
            boolean scaled = false;
            double largest = 0;
            List<Candidate> ordered = Rankings.canonicalOrder(docs);
            for (IcrRanker.Window w : windows) {
                assertTrue(w.cells() <= 256, "window of " + w.cells() + " cells");
                double factor = (double) w.cells() / maxCells;
                scaled |= factor < 0.99;
                List<Candidate> members = ordered.subList(w.first(), w.first() + w.size());
                try (IcrRanker alone = new IcrRanker(model, o)) {
                    Ranking a = alone.rank(query, members);
                    assertEquals(1, a.stats().windows());
                    for (RankedDocument d : a.documents()) {
                        RankedDocument in = got.get(d.docId());
                        assertEquals(d.score() * factor, in.score(), 1e-5, d.docId());
                        double sum = 0;
                        for (float x : in.detail().weights()) {
                            sum += x;
                        }
                        assertEquals(in.score(), sum, 1e-4, d.docId());
                        if (factor < 0.99) {
                            largest = Math.max(largest, Math.abs(d.score()));
                        }
                    }
                }
            }
            assertTrue(scaled, "a window shorter than the longest one is rescaled");
            assertTrue(largest > 1e-3, "the rescaled window's scores are not trivial: " + largest);
        }
    }
}
