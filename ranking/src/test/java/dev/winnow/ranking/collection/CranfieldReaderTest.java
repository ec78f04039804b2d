package dev.winnow.ranking.collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.eval.Qrels;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CranfieldReaderTest {

    @Test
    void readsRealCranfieldWithItsPitfalls() throws Exception {
        TestCollection c = TestCollection.open(SharedData.collection("cranfield"), false);
        assertEquals(TestCollection.Format.CRANFIELD, c.format());
        assertEquals(1400, c.documents().size());
        Map<String, Document> docs =
                c.documents().stream().collect(Collectors.toMap(Document::id, Function.identity()));
        // docs 471 and 995 are empty, and reported
        assertTrue(docs.get("471").isEmpty());
        assertTrue(docs.get("995").isEmpty());
        assertEquals(2, c.report().emptyDocuments());
        // doc 576 has two .W sections: both are kept
        String t576 = docs.get("576").text();
        assertTrue(t576.startsWith("viscous and inviscid stagnation flow"), t576);
        assertTrue(t576.contains("limit characteristics . the analysis indicated"), t576);
        assertTrue(t576.endsWith("blades is included ."), t576);
        // query ids are positions 1..225, not the .I numbers (001, 002, 004, 008, ...)
        assertEquals(225, c.queries("all").size());
        assertEquals(
                "what problems of heat conduction in composite slabs have been solved so far .",
                c.allQueries().get("3").text());
        assertTrue(c.allQueries().get("4").text().startsWith("can a criterion be developed"));
        assertTrue(c.allQueries().containsKey("225"));
        // cranqrel: 1837 rows (last without newline, trailing spaces), grades -1 (one per query) and 1..4
        Qrels q = c.qrels("all");
        assertEquals(1837, q.size());
        assertEquals(225, q.queryIds().size());
        Map<Integer, Integer> grades = new HashMap<>();
        for (String qid : q.queryIds()) {
            q.judgments(qid).values().forEach(g -> grades.merge(g, 1, Integer::sum));
        }
        assertEquals(Map.of(-1, 225, 1, 128, 2, 387, 3, 734, 4, 363), grades);
        assertEquals(2, q.grade("1", "184"));
        assertEquals(c.gains().gain(1), 4.0);
        assertEquals(c.gains().gain(-1), 0.0);
        assertEquals(
                0,
                c.report().qrelsUnknownDocuments() + c.report().qrelsUnknownQueries(),
                c.report().summary());
    }
}
