package dev.winnow.ranking.incontext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.runtime.Cancellation;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the shared skeleton does for every decoder ranker (real stories260K through llama.cpp): the same refusals with
 * the same messages, rankings that do not depend on the order of the candidates, statistics that add up, and a
 * ranking equal with a never-cancelled token and with the calling thread's interrupt.
 */
class AbstractInContextRankerTest {

    private static final List<String> NAMES = List.of("blockrank", "icr", "listwise", "pointwise", "embedding");
    private static final String QUERY = "Where did the bear look for honey?";

    private static Model model;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(Fixtures.stories260K());
    }

    @AfterAll
    static void unload() {
        if (model != null) {
            model.close();
        }
    }

    private static InContextRanker ranker(String name) {
        return InContextRanker.byName(
                name,
                model,
                InContextOptions.defaults()
                        .withKvType(GgmlType.F32)
                        .withThreads(1)
                        .withFlashAttention(false));
    }

    @Test
    void everyRankerRefusesBadInputWithTheSameMessages() {
        List<Candidate> docs = Fixtures.stories(3);
        for (String name : NAMES) {
            try (InContextRanker r = ranker(name)) {
                assertInstanceOf(AbstractInContextRanker.class, r, name);
                assertEquals(name, r.name());
                assertEquals(
                        "query is blank",
                        assertThrows(IllegalArgumentException.class, () -> r.rank(" \t", docs))
                                .getMessage(),
                        name);
                assertEquals(
                        "query",
                        assertThrows(NullPointerException.class, () -> r.rank(null, docs))
                                .getMessage(),
                        name);
                assertEquals(
                        "no candidates to rank",
                        assertThrows(IllegalArgumentException.class, () -> r.rank(QUERY, List.of()))
                                .getMessage(),
                        name);
                List<Candidate> twice = List.of(docs.get(0), docs.get(1), docs.get(0));
                assertEquals(
                        "candidate docId " + docs.get(0).docId() + " appears twice",
                        assertThrows(IllegalArgumentException.class, () -> r.rank(QUERY, twice))
                                .getMessage(),
                        name);
                assertEquals(
                        "cancellation",
                        assertThrows(NullPointerException.class, () -> r.rank(QUERY, docs, null))
                                .getMessage(),
                        name);
            }
        }
    }

    @Test
    void rankingsDoNotDependOnCandidateOrderAndStatisticsAddUp() {
        List<Candidate> docs = Fixtures.stories(6);
        List<Candidate> reversed = new ArrayList<>(docs);
        Collections.reverse(reversed);
        for (String name : NAMES) {
            try (InContextRanker r = ranker(name)) {
                Ranking a = r.rank(QUERY, docs, Cancellation.none());
                Ranking b = r.rank(QUERY, reversed);
                assertEquals(name, a.ranker());
                assertEquals(QUERY, a.query());
                assertEquals(a.docIds(), b.docIds(), name);
                for (int i = 0; i < docs.size(); i++) {
                    RankedDocument d = a.documents().get(i);
                    assertEquals(i + 1, d.rank(), name);
                    assertEquals(d.score(), b.documents().get(i).score(), 0.0, name + " " + d.docId());
                    if (i > 0) {
                        assertTrue(a.documents().get(i - 1).score() >= d.score(), name + ": best first");
                    }
                }
                assertTrue(a.stats().nanos() > 0, name);
                assertTrue(a.stats().tokensEvaluated() > 0, name);
                assertTrue(a.stats().promptTokens() > 0, name);
                assertEquals(1, a.stats().windows(), name);
            }
        }
    }
}
