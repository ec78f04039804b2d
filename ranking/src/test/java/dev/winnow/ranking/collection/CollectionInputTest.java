package dev.winnow.ranking.collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crafted collection files: an invalid UTF-8 byte deep in a file is reported on its own line and can be skipped; a
 * UTF-8 byte order mark is accepted; judged queries missing from the queries file are excluded and reported; an index
 * path that is a file is refused with a message naming it.
 */
class CollectionInputTest {

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    /** 60 documents, long enough that a read-ahead decoder would fail lines before the bad one. */
    private static byte[] corpusWithBadByteOnLine(int badLine) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 1; i <= 60; i++) {
            String line = "{\"_id\": \"d" + i + "\", \"title\": \"T" + i + "\", \"text\": \"" + "word ".repeat(60) + i
                    + "\"}";
            byte[] b = line.getBytes(StandardCharsets.UTF_8);
            if (i == badLine) {
                b[b.length - 5] = (byte) 0xFF;
            }
            out.writeBytes(b);
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static Path beir(Path dir, byte[] corpus, byte[] queries, byte[] qrels) throws IOException {
        Files.createDirectories(dir.resolve("qrels"));
        Files.write(dir.resolve("corpus.jsonl"), corpus);
        Files.write(dir.resolve("queries.jsonl"), queries);
        Files.write(dir.resolve("qrels/test.tsv"), qrels);
        return dir;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] withBom(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(BOM);
        out.writeBytes(utf8(s));
        return out.toByteArray();
    }

    @Test
    void invalidByteIsReportedOnItsLineAndSkipBadSkipsIt(@TempDir Path dir) throws Exception {
        beir(dir, corpusWithBadByteOnLine(40), utf8("{\"_id\": \"q1\", \"text\": \"word\"}\n"), utf8("q1\td1\t1\n"));
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> TestCollection.open(dir, false));
        assertEquals(40, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("corpus.jsonl:40: not valid UTF-8: byte 0xFF"), e.getMessage());
        TestCollection c = TestCollection.open(dir, true);
        assertEquals(1, c.report().skippedLines());
        assertEquals(59, c.documents().size());
        assertTrue(c.documents().stream().noneMatch(d -> d.id().equals("d40")));
        assertTrue(
                c.report().examples().get(0).contains("corpus.jsonl:40"),
                c.report().examples().toString());
    }

    @Test
    void invalidByteInQrelsTsvIsReportedOnItsLine(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        q.writeBytes(utf8("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t1\n"));
        q.writeBytes(new byte[] {'q', '1', '\t', 'd', (byte) 0xC0, '\t', '1', '\n'});
        beir(dir, corpusWithBadByteOnLine(-1), utf8("{\"_id\": \"q1\", \"text\": \"word\"}\n"), q.toByteArray());
        MalformedInputException e = assertThrows(MalformedInputException.class, () -> TestCollection.open(dir, false));
        assertTrue(e.getMessage().contains("test.tsv:4: not valid UTF-8"), e.getMessage());
        assertEquals(2, TestCollection.open(dir, true).qrels("test").size());
    }

    @Test
    void byteOrderMarkAtTheStartOfJsonlAndTsvIsAccepted(@TempDir Path dir) throws Exception {
        beir(
                dir,
                withBom(
                        "{\"_id\": \"d1\", \"title\": \"A\", \"text\": \"alpha\"}\n{\"_id\": \"d2\", \"text\": \"beta\"}\n"),
                withBom("{\"_id\": \"q1\", \"text\": \"alpha?\"}\n"),
                withBom("query-id\tcorpus-id\tscore\nq1\td1\t1\n"));
        TestCollection c = TestCollection.open(dir, false);
        assertEquals(
                List.of("d1", "d2"), c.documents().stream().map(Document::id).toList());
        assertEquals(List.of("q1"), c.queries("test").stream().map(Query::id).toList());
        assertEquals(1, c.qrels("test").size());
        assertTrue(c.report().isClean(), c.report().summary());
        // a BOM-less header-less qrels file: the first line is a judgment, still read
        Files.write(dir.resolve("qrels/test.tsv"), withBom("q1\td2\t1\n"));
        assertEquals(1, TestCollection.open(dir, false).qrels("test").relevantCount("q1"));
    }

    @Test
    void judgedQueriesMissingFromTheQueriesFileAreExcludedAndReported(@TempDir Path dir) throws Exception {
        beir(
                dir,
                utf8("{\"_id\": \"d1\", \"text\": \"alpha\"}\n{\"_id\": \"d2\", \"text\": \"beta\"}\n"),
                utf8("{\"_id\": \"q1\", \"text\": \"alpha\"}\n{\"_id\": \"q2\", \"text\": \"beta\"}\n"),
                utf8("q1\td1\t1\nq2\td2\t1\nq3\td1\t1\nq3\td2\t1\n"));
        TestCollection c = TestCollection.open(dir, false);
        assertEquals(List.of("q3"), c.report().excludedJudgedQueries());
        assertEquals(2, c.report().qrelsUnknownQueries(), "rows counted as before");
        assertEquals(List.of("q1", "q2"), List.copyOf(c.qrels("test").queryIds()));
        assertTrue(
                c.report().summary().contains("judged queries excluded: 1 [q3]"),
                c.report().summary());
        // a perfect run over the two real queries scores 1, not 2/3 (q3 would have been a zero-score query)
        Run perfect = new Run.Builder("p").add("q1", "d1", 1).add("q2", "d2", 1).build();
        Evaluation e = new Evaluation(c.qrels("test")).complete(true);
        assertEquals(1.0, e.mean(perfect, Metric.NDCG_10), 1e-12);
        assertEquals(2, e.coverage(perfect).judged());
    }

    @Test
    void anIndexPathThatIsAFileIsRefusedByName(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "not an index");
        IOException open = assertThrows(IOException.class, () -> DocumentIndex.open(file));
        assertEquals(
                file + " is a regular file, not an index directory (an index is the directory winnow index writes)",
                open.getMessage());
        IOException create =
                assertThrows(IOException.class, () -> DocumentIndex.openOrCreate(file, IndexConfig.DEFAULT));
        assertEquals(open.getMessage(), create.getMessage());
        IOException below =
                assertThrows(IOException.class, () -> DocumentIndex.create(file.resolve("idx"), IndexConfig.DEFAULT));
        assertTrue(below.getMessage().contains(file + " is a regular file"), below.getMessage());
        IOException empty =
                assertThrows(IOException.class, () -> DocumentIndex.open(Files.createDirectory(dir.resolve("e"))));
        assertTrue(empty.getMessage().contains("holds no Lucene index"), empty.getMessage());
        assertEquals("not an index", Files.readString(file), "the file was left alone");
    }
}
