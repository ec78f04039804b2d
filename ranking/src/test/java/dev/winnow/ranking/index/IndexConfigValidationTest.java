package dev.winnow.ranking.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.dense.HashedBagOfWordsEmbedder;
import dev.winnow.ranking.fusion.Fusion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration is fixed and validated when an index opens: settings missing from, or broken in, the commit data
 * of a real on-disk Lucene index fail with an error that names the index directory and the problem.
 */
class IndexConfigValidationTest {

    /** Writes a real Lucene index (one document) whose commit carries {@code userData}, as another tool might. */
    private static Path luceneIndex(Path dir, Map<String, String> userData) throws IOException {
        Files.createDirectories(dir);
        try (Directory d = FSDirectory.open(dir);
                IndexWriter w = new IndexWriter(d, new IndexWriterConfig(new StandardAnalyzer()))) {
            org.apache.lucene.document.Document doc = new org.apache.lucene.document.Document();
            doc.add(new StringField("id", "x", Field.Store.YES));
            w.addDocument(doc);
            w.setLiveCommitData(userData.entrySet());
            w.commit();
        }
        return dir;
    }

    /** Both ways in (open and readSettings) refuse the index with the same message, which names the directory. */
    private static String refused(Path p) {
        IOException open =
                assertThrows(IOException.class, () -> DocumentIndex.open(p).close());
        IOException read = assertThrows(IOException.class, () -> DocumentIndex.readSettings(p));
        assertEquals(open.getMessage(), read.getMessage());
        assertTrue(open.getMessage().contains(p.toString()), open.getMessage());
        return open.getMessage();
    }

    @Test
    void anIndexWithoutWinnowSettingsIsRefusedNamingTheDirectory(@TempDir Path dir) throws Exception {
        Path p = luceneIndex(dir.resolve("foreign"), Map.of("other.tool", "1"));
        String m = refused(p);
        assertTrue(m.contains("has no Winnow settings") && m.contains("winnow.settings"), m);
    }

    @Test
    void unreadableSettingsAreRefusedNamingTheDirectory(@TempDir Path dir) throws Exception {
        String notJson =
                refused(luceneIndex(dir.resolve("a"), Map.of("winnow.settings", "{\"analyzer\": \"english\",")));
        assertTrue(notJson.contains("unreadable Winnow settings") && notJson.contains("not JSON"), notJson);
        String notObject = refused(luceneIndex(dir.resolve("b"), Map.of("winnow.settings", "[1, 2]")));
        assertTrue(notObject.contains("not a JSON object"), notObject);
    }

    @Test
    void invalidSettingsAreRefusedNamingTheDirectoryAndTheValue(@TempDir Path dir) throws Exception {
        String b = refused(luceneIndex(
                dir.resolve("b"), Map.of("winnow.settings", "{\"analyzer\":\"english\",\"k1\":0.9,\"b\":1.5}")));
        assertTrue(b.contains("invalid Winnow settings: BM25 b must be in [0, 1], got 1.5"), b);
        String k1 = refused(
                luceneIndex(dir.resolve("k1"), Map.of("winnow.settings", "{\"analyzer\":\"english\",\"b\":0.4}")));
        assertTrue(k1.contains("'k1' is missing"), k1);
        String analyzer = refused(luceneIndex(
                dir.resolve("an"), Map.of("winnow.settings", "{\"analyzer\":\"klingon\",\"k1\":0.9,\"b\":0.4}")));
        assertTrue(analyzer.contains("unknown analyzer 'klingon'"), analyzer);
    }

    @Test
    void aDirectoryWithoutAnIndexIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertTrue(refused(empty).startsWith("no index at " + empty), refused(empty));
        Path missing = dir.resolve("missing");
        assertTrue(refused(missing).contains("directory not found"), refused(missing));
    }

    /** What Winnow writes reads back equal, through the one store, and survives a reopen with another configuration. */
    @Test
    void settingsRoundTripAndTheConfigurationIsFixedPerInstance(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("idx");
        IndexSettings built =
                IndexSettings.builder().analyzer("STANDARD").bm25(1.2f, 0.75f).build();
        try (HashedBagOfWordsEmbedder e = new HashedBagOfWordsEmbedder(8);
                DocumentIndex index = DocumentIndex.create(
                        p,
                        IndexConfig.builder()
                                .settings(built)
                                .embedder(e)
                                .fusion(Fusion.rrf(10), 5)
                                .knnCandidates(7)
                                .build())) {
            index.addAll(List.of(new Document("a", "", "alpha beta"), new Document("b", "", "beta gamma")), 1);
            assertEquals(2, index.embedMissing(2));
            assertEquals(5, index.config().fusionDepth());
            assertEquals(7, index.config().knnCandidates());
        }
        IndexSettings read = DocumentIndex.readSettings(p);
        assertEquals("standard", read.analyzer());
        assertEquals(1.2f, read.k1());
        assertEquals(0.75f, read.b());
        assertEquals(8, read.vectorDimension());
        assertEquals(new HashedBagOfWordsEmbedder(8).describe(), read.embedder());
        assertEquals(built.toBuilder().vectors(8, read.embedder()).build(), read);
        // an embedder that made other vectors is refused at open, naming the index
        try (HashedBagOfWordsEmbedder other = new HashedBagOfWordsEmbedder(16)) {
            IllegalArgumentException wrong = assertThrows(
                    IllegalArgumentException.class,
                    () -> DocumentIndex.open(
                                    p, IndexConfig.builder().embedder(other).build())
                            .close());
            assertTrue(
                    wrong.getMessage().contains(p.toString())
                            && wrong.getMessage().contains("8-dimensional"),
                    wrong.getMessage());
        }
        // no embedder: BM25 works, the vector backfill and dense search say what is missing
        try (DocumentIndex bm25 = DocumentIndex.open(p)) {
            assertEquals("b", bm25.search("gamma", 1, SearchMode.BM25).get(0).id());
            IllegalStateException noEmbedder = assertThrows(IllegalStateException.class, () -> bm25.embedMissing(1));
            assertTrue(noEmbedder.getMessage().contains(p.toString()), noEmbedder.getMessage());
            assertThrows(IllegalStateException.class, () -> bm25.search("gamma", 1, SearchMode.DENSE));
        }
    }

    @Test
    void buildersRejectBadOptions() {
        assertEquals(
                "fusion depth must be >= 1, got 0",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> IndexConfig.builder().fusion(Fusion.rrf(60), 0))
                        .getMessage());
        assertEquals(
                "KNN candidates must be >= 1, got 0",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> IndexConfig.builder().knnCandidates(0))
                        .getMessage());
        assertEquals(
                "BM25 k1 must be finite and >= 0, got -1.0",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> IndexConfig.builder().bm25(-1f, 0.4f))
                        .getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> IndexSettings.builder().analyzer("klingon").build());
        assertEquals(IndexSettings.DEFAULT, IndexConfig.DEFAULT.settings());
        assertEquals(
                "IndexSettings[analyzer=english, k1=0.9, b=0.4, vectorDimension=0, embedder=null]",
                IndexSettings.DEFAULT.toString(),
                "demo index directories hash this text: it must not change");
    }
}
