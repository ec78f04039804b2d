package dev.winnow.scripting;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Small real collections for tests: a part of the shared SciFact collection written as a BEIR directory. */
final class SciFactSubset {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SciFactSubset() {}

    /** The shared SciFact collection. */
    static TestCollection scifact() throws Exception {
        return TestCollection.open(
                Path.of(System.getProperty("winnow.shared.dir", "../../shared"), "data", "scifact")
                        .toRealPath(),
                false);
    }

    /**
     * Writes the first {@code queries} SciFact test queries, their judgments and relevant documents, and other
     * documents (in corpus order) up to {@code docs} documents, as a BEIR directory ({@code corpus.jsonl},
     * {@code queries.jsonl}, {@code qrels/test.tsv}).
     *
     * @return {@code dst}
     */
    static Path write(Path dst, int queries, int docs) throws Exception {
        TestCollection scifact = scifact();
        List<Query> qs = scifact.queries("test").subList(0, queries);
        Set<String> keep = new LinkedHashSet<>();
        for (Query q : qs) {
            keep.addAll(scifact.qrels("test").judgments(q.id()).keySet());
        }
        for (Document d : scifact.documents()) {
            if (keep.size() >= docs) {
                break;
            }
            keep.add(d.id());
        }
        Files.createDirectories(dst.resolve("qrels"));
        List<String> corpus = new ArrayList<>();
        for (Document d : scifact.documents()) {
            if (keep.contains(d.id())) {
                corpus.add(JSON.createObjectNode()
                        .put("_id", d.id())
                        .put("title", d.title())
                        .put("text", d.text())
                        .toString());
            }
        }
        List<String> queryLines = new ArrayList<>();
        List<String> qrels = new ArrayList<>(List.of("query-id\tcorpus-id\tscore"));
        for (Query q : qs) {
            queryLines.add(JSON.createObjectNode()
                    .put("_id", q.id())
                    .put("text", q.text())
                    .toString());
            scifact.qrels("test")
                    .judgments(q.id())
                    .forEach((doc, grade) -> qrels.add(q.id() + "\t" + doc + "\t" + grade));
        }
        Files.write(dst.resolve("corpus.jsonl"), corpus);
        Files.write(dst.resolve("queries.jsonl"), queryLines);
        Files.write(dst.resolve("qrels/test.tsv"), qrels);
        return dst;
    }
}
