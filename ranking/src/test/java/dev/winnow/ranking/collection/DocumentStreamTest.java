package dev.winnow.ranking.collection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming readers on small generated MS MARCO files and on the real SciFact corpus. */
class DocumentStreamTest {

    /** Writes an MS MARCO collection.tsv of n passages (pid i, text naming i), with a BOM and CRLF endings. */
    private static Path collection(Path dir, int n) throws IOException {
        StringBuilder sb = new StringBuilder("\uFEFF");
        for (int i = 0; i < n; i++) {
            sb.append(i)
                    .append('\t')
                    .append("passage number ")
                    .append(i)
                    .append(" about topic ")
                    .append(i % 7)
                    .append(i % 2 == 0 ? "\r\n" : "\n");
        }
        Path f = dir.resolve("collection.tsv");
        Files.writeString(f, sb, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void msMarcoPassagesStreamInOrderAndInBatches(@TempDir Path dir) throws IOException {
        collection(dir, 1000);
        List<Document> seen = new ArrayList<>();
        ReadReport report = new ReadReport(false);
        assertEquals(1000, DocumentStream.forEach(dir, report, seen::add));
        assertEquals(1000, seen.size());
        for (int i = 0; i < 1000; i++) {
            assertEquals(Integer.toString(i), seen.get(i).id());
            assertEquals(
                    "passage number " + i + " about topic " + (i % 7),
                    seen.get(i).text());
            assertEquals("", seen.get(i).title());
        }
        assertTrue(report.isClean(), report.summary());
        List<Integer> sizes = new ArrayList<>();
        List<String> firstIds = new ArrayList<>();
        assertEquals(1000, DocumentStream.forEachBatch(dir.resolve("collection.tsv"), new ReadReport(false), 300, b -> {
            sizes.add(b.size());
            firstIds.add(b.get(0).id());
        }));
        assertEquals(List.of(300, 300, 300, 100), sizes);
        assertEquals(List.of("0", "300", "600", "900"), firstIds);
    }

    @Test
    void malformedPassageLinesNameTheirLineOrAreCounted(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("collection.tsv");
        Files.write(
                f,
                List.of("1\tfirst passage", "no tab here", "\tempty id", "4\tsecond\twith a tab", "5\t"),
                StandardCharsets.UTF_8);
        MalformedInputException e = assertThrows(
                MalformedInputException.class, () -> DocumentStream.forEach(f, new ReadReport(false), d -> {}));
        assertEquals(2, e.line());
        assertTrue(e.problem().contains("pid TAB passage"), e.problem());
        ReadReport report = new ReadReport(true);
        List<Document> seen = new ArrayList<>();
        assertEquals(3, DocumentStream.forEach(f, report, seen::add));
        assertEquals(List.of("1", "4", "5"), seen.stream().map(Document::id).toList());
        assertEquals("second\twith a tab", seen.get(1).text());
        assertEquals(2, report.skippedLines());
        assertEquals(1, report.emptyDocuments());
        // invalid UTF-8 on line 2 is reported on line 2
        Files.write(f, new byte[] {'1', '\t', 'a', '\n', '2', '\t', (byte) 0xC3, '\n'});
        MalformedInputException bad = assertThrows(
                MalformedInputException.class, () -> MsMarcoFiles.forEachPassage(f, new ReadReport(false), d -> {}));
        assertEquals(2, bad.line());
        assertThrows(
                IOException.class, () -> DocumentStream.forEach(dir.resolve("none"), new ReadReport(false), d -> {}));
    }

    @Test
    void msMarcoQueriesAndQrels(@TempDir Path dir) throws IOException {
        Path q = dir.resolve("queries.dev.tsv");
        Files.write(
                q,
                List.of("1048585\twhat is paula deen's brother", "2\t  )what was the immediate impact  ", "3"),
                StandardCharsets.UTF_8);
        ReadReport report = new ReadReport(true);
        List<Query> queries = MsMarcoFiles.readQueries(q, report);
        assertEquals(
                List.of(
                        new Query("1048585", "what is paula deen's brother"),
                        new Query("2", ")what was the immediate impact")),
                queries);
        assertEquals(1, report.skippedLines());
        Path qrels = dir.resolve("qrels.dev.tsv");
        Files.write(
                qrels, List.of("1048585\t0\t7187158\t1", "2\t0\t7187157\t1", "2\t0\t12\t1"), StandardCharsets.UTF_8);
        Qrels judged = MsMarcoFiles.readQrels(qrels, new ReadReport(false));
        assertEquals(1, judged.relevantCount("1048585"));
        assertEquals(2, judged.relevantCount("2"));
        assertEquals(1, judged.judgments("2").get("12"));
    }

    @Test
    void beirCorpusStreamsTheDocumentsTheInMemoryReaderHolds() throws IOException {
        Path scifact = SharedData.collection("scifact");
        List<Document> all = TestCollection.open(scifact, false).documents();
        List<Document> streamed = new ArrayList<>();
        assertEquals(all.size(), DocumentStream.forEach(scifact, new ReadReport(false), streamed::add));
        assertEquals(all, streamed);
    }

    @Test
    void streamedBatchesIndexAndSearch(@TempDir Path dir) throws IOException {
        collection(dir, 2000);
        try (DocumentIndex index = DocumentIndex.create(dir.resolve("index"), IndexConfig.DEFAULT)) {
            long n = DocumentStream.forEachBatch(dir, new ReadReport(false), 500, b -> index.addAll(b, 500));
            assertEquals(2000, n);
            index.commit();
            List<Hit> hits = index.search("passage number 1234", 3, SearchMode.BM25);
            assertEquals("1234", hits.get(0).id());
        }
    }
}
