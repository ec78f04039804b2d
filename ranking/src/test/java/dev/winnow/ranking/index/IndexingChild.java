package dev.winnow.ranking.index;

import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.TestCollection;
import java.nio.file.Path;
import java.util.List;

/**
 * Forked by {@link DocumentIndexCrashTest}: indexes SciFact in batches of 500, printing "added N" after adding a batch
 * (uncommitted) and "committed N" after committing it, pausing in between so the parent can kill it mid-batch.
 */
public final class IndexingChild {

    private IndexingChild() {}

    /**
     * Runs the child.
     *
     * @param args index directory, collection directory
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        List<Document> docs = TestCollection.open(Path.of(args[1]), false).documents();
        DocumentIndex index = DocumentIndex.create(Path.of(args[0]), IndexConfig.DEFAULT);
        for (int i = 0; i < docs.size(); i += 500) {
            int end = Math.min(docs.size(), i + 500);
            for (Document d : docs.subList(i, end)) {
                index.add(d);
            }
            System.out.println("added " + end);
            System.out.flush();
            Thread.sleep(300);
            index.commit();
            System.out.println("committed " + end);
            System.out.flush();
        }
        Thread.sleep(60_000);
    }
}
