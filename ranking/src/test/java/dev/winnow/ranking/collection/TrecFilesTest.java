package dev.winnow.ranking.collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrecFilesTest {

    private static final ReadReport STRICT = new ReadReport(false);

    @Test
    void readsClassicSgmlTopics(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("topics.301-302.txt");
        Files.writeString(f, """
        <top>
        <num> Number: 301
        <title> International Organized Crime

        <desc> Description:
        Identify organizations that participate in international criminal activity.

        <narr> Narrative:
        A relevant document must as a minimum identify the organization.
        </top>

        <top>
        <num> Number: 302 <title> Poliomyelitis and
          Post-Polio
        <desc> Description: Is the disease of Poliomyelitis (polio) under control?
        </top>
        """);
        assertEquals(
                List.of(
                        new Query("301", "International Organized Crime"),
                        new Query("302", "Poliomyelitis and Post-Polio")),
                TrecFiles.readTopics(f, STRICT));
    }

    @Test
    void readsXmlAndTsvTopics(@TempDir Path dir) throws Exception {
        Path xml = dir.resolve("topics.xml");
        Files.writeString(xml, """
        <topics>
        <topic number="1">
          <query>coronavirus origin</query>
          <question>what is the origin of COVID-19</question>
        </topic>
        <topic number="2"><query>coronavirus response to weather changes</query></topic>
        </topics>
        """);
        assertEquals(
                List.of(
                        new Query("1", "coronavirus origin"),
                        new Query("2", "coronavirus response to weather changes")),
                TrecFiles.readTopics(xml, STRICT));
        Path tsv = dir.resolve("topics.tsv");
        Files.writeString(tsv, "1048585\twhat is paula deen's brother\n2\tandorra\n");
        assertEquals(
                List.of(new Query("1048585", "what is paula deen's brother"), new Query("2", "andorra")),
                TrecFiles.readTopics(tsv, STRICT));
        Files.writeString(tsv, "1\tok\nno tab here\n");
        MalformedInputException e =
                assertThrows(MalformedInputException.class, () -> TrecFiles.readTopics(tsv, STRICT));
        assertEquals(2, e.line());
    }

    @Test
    void qrelsAndRunRoundTripWithProvenance(@TempDir Path dir) throws Exception {
        Path qrels = dir.resolve("qrels.txt");
        Files.writeString(qrels, "301 0 FBIS3-10082 1\n301 0 FBIS3-10169 0\n302 0 FT921-1 2");
        var q = TrecFiles.readQrels(qrels, STRICT);
        assertEquals(2, q.grade("302", "FT921-1"));
        assertEquals(1, q.relevantCount("301"));
        Files.writeString(qrels, "301 0 FBIS3-10082\n");
        assertThrows(MalformedInputException.class, () -> TrecFiles.readQrels(qrels, STRICT));

        Run run = new Run.Builder("bm25")
                .add("301", "a", 2.5)
                .add("301", "b", 2.5)
                .add("301", "c", 3)
                .add("302", "a", 1)
                .build();
        Path out = dir.resolve("runs/bm25.trec");
        Provenance p = Provenance.of(dir, "test", dir, Map.of("k1", 0.9), null, Map.of("k", 1000), 7L);
        TrecFiles.writeRun(out, run, p);
        List<String> lines = Files.readAllLines(out);
        assertEquals("301 Q0 c 1 3.0 bm25", lines.get(0));
        assertEquals("301 Q0 b 2 2.5 bm25", lines.get(1), "ties: document id descending");
        Run back = TrecFiles.readRun(out);
        assertEquals(run.ranking("301"), back.ranking("301"));
        assertEquals(List.of(new ScoredDoc("a", 1)), back.ranking("302"));
        Provenance read = TrecFiles.readProvenance(out);
        assertEquals(7L, read.seed());
        assertEquals("test", read.split());
        assertEquals(1000, read.parameters().get("k"));
        assertTrue(read.date().startsWith("20"));
        try (var s = Files.list(out.getParent())) {
            assertEquals(2, s.count(), "no temporary file left beside the run");
        }
        Files.writeString(dir.resolve("bad.trec"), "301 Q0 a 1 x bm25\n");
        MalformedInputException e =
                assertThrows(MalformedInputException.class, () -> TrecFiles.readRun(dir.resolve("bad.trec")));
        assertTrue(e.getMessage().contains("bad.trec:1"));
    }

    @Test
    void readsATrecCollectionDirectory(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("docs.trec"), """
        <DOC>
        <DOCNO> D1 </DOCNO>
        <TITLE>Polio vaccine</TITLE>
        <TEXT>
        The polio vaccine <B>works</B>.
        </TEXT>
        </DOC>
        <DOC>
        <DOCNO>D2</DOCNO>
        <TEXT>Organized crime in Europe.</TEXT>
        </DOC>
        """);
        Files.writeString(dir.resolve("topics.txt"), "1\tpolio\n2\tcrime\n");
        Files.writeString(dir.resolve("qrels.test.txt"), "1 0 D1 1\n2 0 D2 1\n2 0 D3 1\n");
        TestCollection c = TestCollection.open(dir, false);
        assertEquals(TestCollection.Format.TREC, c.format());
        assertEquals(
                new Document("D1", "Polio vaccine", "The polio vaccine works ."),
                c.documents().get(0));
        assertEquals(List.of("test"), c.splits());
        assertEquals(2, c.queries("test").size());
        assertEquals(1, c.report().qrelsUnknownDocuments());
    }
}
