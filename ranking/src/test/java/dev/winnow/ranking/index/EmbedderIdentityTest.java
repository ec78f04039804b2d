package dev.winnow.ranking.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.EmbedderIdentity;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.eval.Provenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An index records its embedder by content (model file SHA-256 and size, pooling, normalisation, token budget,
 * instructions), not by the model file's place: with the real MiniLM through llama.cpp, an index keeps opening after
 * its model file moves, in the current format and in the format written before identities existed (only a description
 * string holding the absolute path), and an embedder that would make other vectors is still refused.
 */
class EmbedderIdentityTest {

    private static final List<Document> DOCS = List.of(
            new Document("d0", "Vitamin D", "Vitamin D deficiency is associated with multiple sclerosis risk."),
            new Document("d1", "Wings", "An airplane wing stalls when the angle of attack exceeds a critical value."),
            new Document("d2", "Coffee", "Caffeine blocks adenosine receptors in the brain."),
            new Document("d3", "Tides", "The moon's gravity raises the tides of the oceans."));

    private static LlamaEmbedder.Options options() {
        return LlamaEmbedder.Options.defaults().withMaxTokens(64).withThreads(2).withPooling(Pooling.MEAN);
    }

    private static Path copyOfMiniLm(Path dir) throws Exception {
        Files.createDirectories(dir);
        return Files.copy(EmbeddingModels.fromEnvironment().ensure("minilm"), dir.resolve("minilm-copy.gguf"));
    }

    private static void build(Path index, Path model) throws Exception {
        try (LlamaEmbedder e = LlamaEmbedder.open(model, options());
                DocumentIndex idx = DocumentIndex.create(
                        index, IndexConfig.builder().embedder(e).build())) {
            idx.addAll(DOCS, 10);
            assertEquals(DOCS.size(), idx.embedMissing(2));
        }
    }

    @Test
    void theIndexRecordsStructuredFactsAndSurvivesAMovedModel(@TempDir Path tmp) throws Exception {
        Path a = copyOfMiniLm(tmp.resolve("a"));
        Path index = tmp.resolve("index");
        build(index, a);
        EmbedderIdentity id = DocumentIndex.readSettings(index).embedderIdentity();
        assertEquals("llama.cpp", id.engine());
        assertEquals(Provenance.sha256(a), id.modelSha256());
        assertEquals(Files.size(a), id.modelBytes());
        assertEquals("all-MiniLM-L6-v2", id.model());
        assertEquals("mean", id.pooling());
        assertTrue(id.normalized());
        assertEquals(64, id.maxTokens());
        assertEquals(384, id.dimension());
        assertEquals("", id.documentInstruction());
        assertEquals("", id.queryInstruction());
        // stored as a JSON object in the commit data, beside the description
        String json;
        try (FSDirectory d = FSDirectory.open(index)) {
            json = SegmentInfos.readLatestCommit(d).getUserData().get(SettingsStore.KEY);
        }
        assertEquals(
                id.modelSha256(),
                new ObjectMapper()
                        .readTree(json)
                        .path("embedderIdentity")
                        .path("modelSha256")
                        .asText());

        // move the model: the index opens with the model at its new place, and finds the same top document
        Path home = tmp.resolve("home");
        Path moved = Files.createDirectories(home.resolve("models")).resolve("renamed.gguf");
        Files.move(a, moved);
        try (LlamaEmbedder e = LlamaEmbedder.open(moved, options());
                DocumentIndex idx = DocumentIndex.open(
                        index, IndexConfig.builder().embedder(e).build())) {
            assertEquals(
                    "d1",
                    idx.search("why do airplane wings stall", 2, SearchMode.DENSE)
                            .get(0)
                            .id());
        }
        // the recorded identity re-opens the model by its content, found in Winnow's models directory
        String before = System.getProperty("winnow.home");
        System.setProperty("winnow.home", home.toString());
        try (Embedder reopened = Embedders.fromIdentity(id)) {
            assertEquals(moved, ((LlamaEmbedder) reopened).file());
            assertTrue(reopened.embedderIdentity().sameVectors(id));
        } finally {
            if (before == null) {
                System.clearProperty("winnow.home");
            } else {
                System.setProperty("winnow.home", before);
            }
        }
        // an embedder that makes other vectors (another token budget) is still refused
        try (LlamaEmbedder other = LlamaEmbedder.open(moved, options().withMaxTokens(32))) {
            IllegalArgumentException ex = assertThrows(
                    IllegalArgumentException.class,
                    () -> DocumentIndex.open(
                            index, IndexConfig.builder().embedder(other).build()));
            assertTrue(
                    ex.getMessage().contains("maxTokens=64") && ex.getMessage().contains("maxTokens=32"),
                    ex.getMessage());
        }
    }

    @Test
    void anIndexWrittenInTheFormerFormatKeepsOpeningAfterItsModelMoves(@TempDir Path tmp) throws Exception {
        Path a = copyOfMiniLm(tmp.resolve("a"));
        Path index = tmp.resolve("index");
        build(index, a);
        // rewrite the settings as the former code wrote them: no identity object, only the description with the path
        String description;
        try (LlamaEmbedder e = LlamaEmbedder.open(a, options())) {
            description = e.describe();
        }
        assertTrue(description.startsWith("llama.cpp model=" + a + " sha256="), description);
        ObjectNode old = new ObjectMapper().createObjectNode();
        old.put("analyzer", "english");
        old.put("k1", 0.9f);
        old.put("b", 0.4f);
        old.put("vectorDimension", 384);
        old.put("embedder", description);
        try (FSDirectory d = FSDirectory.open(index);
                IndexWriter w =
                        new IndexWriter(d, new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.APPEND))) {
            w.setLiveCommitData(Map.of(SettingsStore.KEY, old.toString()).entrySet(), true);
            w.commit();
        }
        IndexSettings s = DocumentIndex.readSettings(index);
        assertEquals(description, s.embedder());
        EmbedderIdentity id = s.embedderIdentity();
        assertEquals("llama.cpp", id.engine());
        assertEquals(a.toString(), id.modelFile());
        assertEquals(-1, id.modelBytes());
        assertNull(id.queryInstruction(), "the former format did not record the query instruction");

        Path moved = Files.move(a, tmp.resolve("elsewhere.gguf"));
        assertFalse(Files.exists(a));
        try (LlamaEmbedder e = LlamaEmbedder.open(moved, options());
                DocumentIndex idx = DocumentIndex.open(
                        index, IndexConfig.builder().embedder(e).build())) {
            assertEquals(DOCS.size(), idx.vectorCount());
            assertEquals(
                    "d0",
                    idx.search("does sunlight deficiency raise MS risk", 2, SearchMode.DENSE)
                            .get(0)
                            .id());
        }
    }
}
