package dev.winnow.ranking.incontext.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.Fixtures;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddingRankerTest {

    @Test
    void cosineIsOneForTheDocumentEqualToTheQueryAndBatchingChangesNothing() {
        InContextOptions o = InContextOptions.defaults().withThreads(1).withParallelSequences(4);
        List<Candidate> docs = Fixtures.stories(6);
        String query = docs.get(3).content();
        try (Model model = Llama.load().loadModel(Fixtures.stories260K());
                EmbeddingRanker ranker = new EmbeddingRanker(model, o);
                EmbeddingRanker single = new EmbeddingRanker(model, o.withParallelSequences(1))) {
            Ranking r = ranker.rank(query, docs);
            assertEquals("d3", r.documents().getFirst().docId());
            assertEquals(1.0, r.documents().getFirst().score(), 1e-5);
            assertTrue(r.documents().get(1).score() < 0.9999);
            Ranking s = single.rank(query, docs);
            for (int i = 0; i < docs.size(); i++) {
                assertEquals(s.documents().get(i).docId(), r.documents().get(i).docId());
                assertEquals(s.documents().get(i).score(), r.documents().get(i).score(), 1e-4);
            }
        }
    }
}
