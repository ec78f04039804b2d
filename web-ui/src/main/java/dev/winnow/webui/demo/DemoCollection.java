package dev.winnow.webui.demo;

import dev.winnow.ranking.collection.TestCollection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The collection the demo runs on: a BEIR directory ({@code corpus.jsonl}, {@code queries.jsonl}, {@code
 * qrels/test.tsv}), checked file by file before anything is read so that a wrong directory gets a message saying
 * what is missing and what to do.
 */
public final class DemoCollection {

    /** The split the demo evaluates (BEIR's test queries); the others are for tuning. */
    public static final String SPLIT = "test";

    private DemoCollection() {}

    /**
     * Checks that a directory is a BEIR collection with test judgments, then reads it.
     *
     * @param dir the collection directory
     * @return the collection
     * @throws DemoException naming the missing file and the fix, or the first malformed line
     */
    public static TestCollection open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new DemoException("collection directory " + dir.toAbsolutePath()
                    + " does not exist: give a BEIR directory with --collection "
                    + "(one holding corpus.jsonl, queries.jsonl and qrels/test.tsv, e.g. ../shared/data/scifact)");
        }
        require(dir, "corpus.jsonl", "the documents, one JSON object per line with _id, title and text");
        require(dir, "queries.jsonl", "the queries, one JSON object per line with _id and text");
        require(dir, "qrels/" + SPLIT + ".tsv", "the test judgments: a header line, then query-id, corpus-id, score");
        try {
            return TestCollection.open(dir, false);
        } catch (IOException e) {
            throw new DemoException("cannot read the collection at " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    private static void require(Path dir, String file, String what) {
        if (!Files.isRegularFile(dir.resolve(file))) {
            throw new DemoException(
                    "collection " + dir.toAbsolutePath() + " has no " + file + " (" + what + "). The demo needs a BEIR "
                            + "directory: corpus.jsonl, queries.jsonl and qrels/test.tsv; point --collection at one");
        }
    }
}
