package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.SearchMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code winnow index} streams an MS MARCO directory (collection.tsv) and, with --stream, a BEIR corpus. */
class IndexStreamingCommandTest {

    @Test
    void msMarcoDirectoryIsStreamedIntoTheIndex(@TempDir Path dir) throws Exception {
        Path coll = Files.createDirectories(dir.resolve("msmarco"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            lines.add(i + "\tpassage number " + i + " about subject " + (i % 11));
        }
        lines.add("no tab on this line");
        Files.write(coll.resolve("collection.tsv"), lines, StandardCharsets.UTF_8);
        Path idx = dir.resolve("idx");
        CliRun r = CliRun.of(
                "index", "--collection", coll.toString(), "--index", idx.toString(), "--batch", "100", "--skip-bad");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("indexed 300 documents (streamed from collection.tsv)"), r.out());
        assertTrue(r.out().contains("300 in the index"), r.out());
        assertTrue(r.out().contains("skipped lines 1,"), r.out());
        assertTrue(r.err().contains("indexing: 300 documents"), r.err());
        try (DocumentIndex index = DocumentIndex.open(idx)) {
            assertEquals(300, index.size());
            assertEquals(
                    "123",
                    index.search("passage number 123", 1, SearchMode.BM25)
                            .get(0)
                            .id());
        }
        // without --skip-bad the malformed line stops the read, naming its line
        CliRun bad = CliRun.of(
                "index",
                "--collection",
                coll.toString(),
                "--index",
                dir.resolve("idx2").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("301"), bad.err());
    }

    @Test
    void beirCorpusWithStream(@TempDir Path dir) throws Exception {
        Path coll = Files.createDirectories(dir.resolve("beir"));
        Files.write(
                coll.resolve("corpus.jsonl"),
                List.of(
                        "{\"_id\": \"d1\", \"title\": \"Tides\", \"text\": \"the moon pulls the sea\"}",
                        "{\"_id\": \"d2\", \"title\": \"Cats\", \"text\": \"cats sleep all day\"}"),
                StandardCharsets.UTF_8);
        CliRun r = CliRun.of(
                "index",
                "--collection",
                coll.toString(),
                "--index",
                dir.resolve("idx").toString(),
                "--stream");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("indexed 2 documents (streamed from corpus.jsonl)"), r.out());
    }
}
