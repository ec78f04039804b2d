package dev.winnow.ranking.collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.eval.Qrels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BeirReaderTest {

    @Test
    void readsRealScifactWithSplitsFilteredByQrels() throws Exception {
        TestCollection c = TestCollection.open(SharedData.collection("scifact"), false);
        assertEquals(TestCollection.Format.BEIR, c.format());
        assertEquals(5183, c.documents().size());
        assertEquals(1109, c.allQueries().size());
        assertEquals(List.of("test", "train"), c.splits());
        assertEquals(300, c.queries("test").size());
        assertEquals(809, c.queries("train").size());
        assertEquals(339, c.qrels("test").size());
        assertEquals(919, c.qrels("train").size());
        assertTrue(c.report().isClean(), c.report().summary());
        Document first = c.documents().get(0);
        assertEquals("4983", first.id());
        assertTrue(first.title().startsWith("Microstructural development of human newborn"));
        // test and train queries do not overlap, and the header line was not taken for a judgment
        assertTrue(c.queries("test").stream()
                .noneMatch(q -> c.qrels("train").queryIds().contains(q.id())));
        assertTrue(!c.qrels("test").queryIds().contains("query-id"));
    }

    private static Path writeBeir(Path dir, String corpus, String queries, String qrels) throws Exception {
        Files.createDirectories(dir.resolve("qrels"));
        Files.writeString(dir.resolve("corpus.jsonl"), corpus);
        Files.writeString(dir.resolve("queries.jsonl"), queries);
        Files.writeString(dir.resolve("qrels/test.tsv"), qrels);
        return dir;
    }

    @Test
    void malformedJsonLineNamesFileAndLineOrIsSkippedAndCounted(@TempDir Path dir) throws Exception {
        writeBeir(dir, """
        {"_id": "d1", "title": "A", "text": "alpha"}
        {"_id": "d2", "title": "B", "text": "beta"}
        {"_id": "d3", "title": "C", "text": "gamma"
        {"title": "no id", "text": "x"}
        {"_id": "d4", "title": "D", "text": "delta"}
        """, """
        {"_id": "q1", "text": "alpha?"}
        """, "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> TestCollection.open(dir, false));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("corpus.jsonl:3"), e.getMessage());
        TestCollection c = TestCollection.open(dir, true);
        assertEquals(2, c.report().skippedLines());
        assertEquals(
                List.of("d1", "d2", "d4"),
                c.documents().stream().map(Document::id).toList());
        assertTrue(
                c.report().examples().get(1).contains("corpus.jsonl:4"),
                c.report().examples().toString());
    }

    @Test
    void duplicatesEmptyDocsAndUnknownIdsInQrelsAreCounted(@TempDir Path dir) throws Exception {
        writeBeir(dir, """
        {"_id": "d1", "title": "A", "text": "alpha"}
        {"_id": "d1", "title": "A again", "text": "alpha again"}
        {"_id": "d2", "title": "", "text": "  "}
        """, """
        {"_id": "q1", "text": "alpha?"}
        {"_id": "q2", "text": "unjudged"}
        """, "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\tnope\t1\nq9\td1\t2\n");
        TestCollection c = TestCollection.open(dir, false);
        ReadReport r = c.report();
        assertEquals(1, r.duplicateDocIds());
        assertEquals("alpha", c.documents().get(0).text(), "first occurrence kept");
        assertEquals(1, r.emptyDocuments());
        assertEquals(1, r.qrelsUnknownDocuments());
        assertEquals(1, r.qrelsUnknownQueries());
        assertEquals(List.of("q1"), c.queries("test").stream().map(Query::id).toList());
        Qrels q = c.qrels("test");
        assertEquals(2, q.relevantCount("q1"), "a judged unknown document still counts as relevant");
    }

    @Test
    void invalidUtf8NamesTheFile(@TempDir Path dir) throws Exception {
        writeBeir(dir, "", "{\"_id\": \"q1\", \"text\": \"x\"}\n", "q1\td1\t1\n");
        Files.write(dir.resolve("corpus.jsonl"), new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> TestCollection.open(dir, false));
        assertTrue(e.getMessage().contains("corpus.jsonl:1: not valid UTF-8"), e.getMessage());
        // --skip-bad skips that line like any other malformed one
        TestCollection c = TestCollection.open(dir, true);
        assertEquals(1, c.report().skippedLines());
        assertEquals(0, c.documents().size());
    }

    @Test
    void badTsvRowNamesFileAndLine(@TempDir Path dir) throws Exception {
        writeBeir(
                dir,
                "{\"_id\": \"d1\", \"title\": \"A\", \"text\": \"alpha\"}\n",
                "{\"_id\": \"q1\", \"text\": \"alpha?\"}\n",
                "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1 d1 1\nq1\td1\tyes\n");
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> TestCollection.open(dir, false));
        assertTrue(e.getMessage().contains("test.tsv:3"), e.getMessage());
        TestCollection c = TestCollection.open(dir, true);
        assertEquals(2, c.report().skippedLines());
        assertEquals(1, c.qrels("test").size());
    }
}
