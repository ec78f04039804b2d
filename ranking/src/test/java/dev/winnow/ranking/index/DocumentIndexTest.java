package dev.winnow.ranking.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DocumentIndexTest {

    private static final List<Document> DOCS = List.of(
            new Document("d1", "Polio vaccines", "The oral polio vaccine protects children.", Map.of("year", "1961")),
            new Document("d2", "Malaria", "Mosquito nets reduce malaria in children."),
            new Document("d3", "Vaccines and vaccination", "Vaccination programmes and vaccine safety."),
            new Document("q1", "", "a document whose id equals a query id: vaccine vaccine"));

    /**
     * Indexing the same collection again keeps unchanged documents and their vectors (so an interrupted dense indexing
     * run resumes instead of starting over); a changed document is replaced and loses its vector; a document that only
     * gained metadata counts as changed.
     */
    @Test
    void reindexingKeepsUnchangedDocumentsWithTheirVectors(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("idx");
        try (dev.winnow.ranking.dense.Embedder e = new dev.winnow.ranking.dense.HashedBagOfWordsEmbedder(32);
                DocumentIndex index = DocumentIndex.create(
                        p, IndexConfig.builder().embedder(e).build())) {
            assertEquals(4, index.addAll(DOCS, 3));
            assertEquals(4, index.embedMissing(2));
            assertEquals(0, index.addAll(DOCS, 3), "nothing changed, nothing written");
            assertEquals(4, index.vectorCount(), "the vectors survive re-indexing");
            assertEquals(0, index.embedMissing(2));
        }
        try (dev.winnow.ranking.dense.Embedder e = new dev.winnow.ranking.dense.HashedBagOfWordsEmbedder(32);
                DocumentIndex index =
                        DocumentIndex.open(p, IndexConfig.builder().embedder(e).build())) {
            List<Document> changed = List.of(
                    DOCS.get(0),
                    new Document("d2", "Malaria", "Bed nets treated with insecticide reduce malaria."),
                    new Document("d3", DOCS.get(2).title(), DOCS.get(2).text(), Map.of("year", "2001")),
                    DOCS.get(3),
                    new Document("d5", "Measles", "Two doses of measles vaccine."));
            assertEquals(3, index.addAll(changed, 2), "d2's text, d3's metadata and the new d5");
            assertEquals(5, index.size());
            assertEquals(2, index.vectorCount(), "d1 and q1 kept theirs; d2, d3 and d5 need embedding");
            assertEquals(3, index.embedMissing(2));
            assertEquals(
                    "Bed nets treated with insecticide reduce malaria.",
                    index.get("d2").orElseThrow().text());
            assertEquals(Map.of("year", "2001"), index.get("d3").orElseThrow().metadata());
        }
    }

    /**
     * Searches running while another thread writes and commits (each commit makes the next search refresh the reader)
     * must never see a reader closed under them: every search returns the documents that existed before it started.
     */
    @Test
    void searchesInFlightSurviveConcurrentRefreshes(@TempDir Path dir) throws Exception {
        try (DocumentIndex index = DocumentIndex.create(dir.resolve("idx"), IndexConfig.DEFAULT)) {
            index.addAll(DOCS, 4);
            java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        index.add(new Document("w" + i, "", "vaccine trial number " + i));
                        if (i % 3 == 0) {
                            index.commit();
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } finally {
                    writing.set(false);
                }
            });
            List<Query> queries =
                    List.of(new Query("a", "vaccine"), new Query("b", "children"), new Query("c", "trial"));
            int rounds = 0;
            while (writing.get() || rounds < 5) {
                Map<String, List<Hit>> all = index.searchAll(queries, 10, SearchMode.BM25);
                assertTrue(all.get("a").size() >= 3, "the three original vaccine documents are always there");
                assertEquals(
                        3,
                        index.run(queries, 10, SearchMode.BM25, "r").queryIds().size());
                rounds++;
            }
            writer.join();
            assertEquals(304, index.size());
        }
    }

    @Test
    void addSearchUpdateDeleteAndReopen(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("idx");
        try (DocumentIndex index = DocumentIndex.create(
                p,
                IndexConfig.builder()
                        .settings(IndexSettings.DEFAULT.withBm25(1.2f, 0.75f))
                        .build())) {
            index.addAll(DOCS, 2);
            assertEquals(4, index.size());
            List<Hit> stemmed = index.search("vaccinated", 10, SearchMode.BM25);
            // "vaccinated" stems to "vaccin", matching vaccine(s)/vaccination: Porter stemming is on
            assertEquals(
                    java.util.Set.of("d3", "q1", "d1"),
                    java.util.Set.copyOf(stemmed.stream().map(Hit::id).toList()));
            assertEquals("d3", stemmed.get(0).id(), "four occurrences of the stem");
            assertEquals(1, stemmed.get(0).rank());
            assertEquals("Vaccines and vaccination", stemmed.get(0).title());
            List<Hit> hits = index.search("vaccinated children", 10, SearchMode.BM25);
            assertEquals("d1", hits.get(0).id(), "the only document with both terms");
            assertEquals(4, hits.size());
            assertTrue(index.search("the and of", 10, SearchMode.BM25).isEmpty(), "stopwords only: no terms, no hits");
            assertEquals(Map.of("year", "1961"), index.get("d1").orElseThrow().metadata());

            // batch search removes a query's own id from its results
            Map<String, List<Hit>> all = index.searchAll(List.of(new Query("q1", "vaccine")), 10, SearchMode.BM25);
            assertTrue(all.get("q1").stream().noneMatch(h -> h.id().equals("q1")));
            assertTrue(index.search("vaccine", 10, SearchMode.BM25).stream().anyMatch(h -> h.id().equals("q1")));
            assertEquals(2, all.get("q1").size());

            index.update(new Document("d2", "Malaria", "Bed nets."));
            assertEquals("Bed nets.", index.get("d2").orElseThrow().text());
            assertThrows(NoSuchElementException.class, () -> index.update(new Document("nope", "", "x")));
            assertTrue(index.delete("d1"));
            assertFalse(index.delete("d1"));
            assertEquals(3, index.size());
        }
        try (DocumentIndex index = DocumentIndex.open(p)) {
            assertEquals(3, index.size(), "close commits");
            assertEquals(1.2f, index.settings().k1());
            assertEquals(0.75f, index.settings().b());
            assertEquals("english", index.settings().analyzer());
        }
        assertThrows(IOException.class, () -> DocumentIndex.create(p, IndexConfig.DEFAULT));
        assertThrows(IOException.class, () -> DocumentIndex.open(dir.resolve("missing")));
    }

    @Test
    void analyzerAndBm25ParametersMatter(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("std");
        double before;
        try (DocumentIndex std = DocumentIndex.create(
                p,
                IndexConfig.builder()
                        .settings(IndexSettings.DEFAULT.withAnalyzer("standard"))
                        .build())) {
            std.addAll(DOCS, 10);
            // no stemming: "vaccinated" matches nothing
            assertTrue(std.search("vaccinated", 10, SearchMode.BM25).isEmpty());
            before = std.search("children", 1, SearchMode.BM25).get(0).score();
        }
        // BM25's k1 and b are fixed when an instance opens; another instance may override them at query time
        try (DocumentIndex std =
                DocumentIndex.open(p, IndexConfig.builder().bm25(0.9f, 0.0f).build())) {
            double after = std.search("children", 1, SearchMode.BM25).get(0).score();
            assertTrue(before != after, "b changes BM25 scores at query time");
            assertEquals(0.0f, std.settings().b(), "the settings in force carry the override");
            assertEquals("standard", std.settings().analyzer());
        }
        assertEquals(0.4f, DocumentIndex.readSettings(p).b(), "the recorded settings are not changed by an override");
        assertThrows(IllegalArgumentException.class, () -> IndexSettings.DEFAULT.withBm25(0.9f, 1.5f));
        assertThrows(IllegalArgumentException.class, () -> IndexSettings.DEFAULT.withAnalyzer("klingon"));
    }

    @Test
    void denseWithoutEmbedderIsAClearError(@TempDir Path dir) throws Exception {
        try (DocumentIndex index = DocumentIndex.create(dir.resolve("i"), IndexConfig.DEFAULT)) {
            index.addAll(DOCS, 10);
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> index.search("x", 10, SearchMode.DENSE));
            assertTrue(e.getMessage().contains("embedder"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> index.search("x", 0, SearchMode.BM25));
            assertEquals(
                    4,
                    index.search("vaccine children malaria", Integer.MAX_VALUE, SearchMode.BM25)
                            .size());
            assertEquals(
                    3,
                    index.searchAll(
                                    List.of(new Query("q1", "vaccine children malaria")),
                                    Integer.MAX_VALUE,
                                    SearchMode.BM25)
                            .get("q1")
                            .size());
        }
    }
}
