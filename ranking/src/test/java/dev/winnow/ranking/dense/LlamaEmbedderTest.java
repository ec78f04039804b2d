package dev.winnow.ranking.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.Pooling;
import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Cancellation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The llama.cpp embedder on the real stories260K model (a causal Llama: the decode path): batching, truncation,
 * provenance, and dense retrieval through a real index.
 */
class LlamaEmbedderTest {

    private static final Path MODEL = SharedData.model("stories260K.gguf");

    private static final List<String> TEXTS = List.of(
            "Once upon a time there was a little dog.",
            "The cat sat on the mat and looked at the sun.",
            "Tom and Lily went to the park to play with a red ball.",
            "",
            "The big bird flew over the tall tree.");

    @Test
    void batchedEmbeddingsEqualOneByOne() throws Exception {
        try (LlamaEmbedder batched = LlamaEmbedder.open(MODEL, Pooling.MEAN, 64, 3, 2)) {
            assertEquals(64, batched.dimension());
            float[][] all = batched.embedDocuments(TEXTS);
            assertEquals(TEXTS.size(), all.length);
            for (int i = 0; i < TEXTS.size(); i++) {
                float[] one = batched.embedQuery(TEXTS.get(i));
                assertArrayEquals(one, all[i], 1e-4f, "text " + i);
                assertEquals(64, all[i].length);
            }
            assertFalse(java.util.Arrays.equals(all[0], all[1]), "different texts, different vectors");
            assertTrue(batched.describe().contains("sha256=" + Provenance.sha256(MODEL)), batched.describe());
        }
    }

    @Test
    void aCancelledTokenStopsBetweenBatchesAndALaterCallWorks() throws Exception {
        // one text per batch: the progress listener cancels the attached token after the first batch
        try (LlamaEmbedder e = LlamaEmbedder.open(MODEL, Pooling.MEAN, 64, 1, 2)) {
            float[][] reference = e.embedDocuments(TEXTS);
            Cancellation token = new Cancellation();
            AtomicLong reported = new AtomicLong();
            long before = e.embeddedCount();
            e.cancellation(token);
            e.progressListener((done, total, unit) -> {
                assertEquals("texts", unit);
                assertEquals(-1, total);
                reported.set(done);
                token.cancel("user pressed stop");
            });
            CancellationException stopped = assertThrows(CancellationException.class, () -> e.embedDocuments(TEXTS));
            assertEquals("embedding cancelled after 1 of 5 texts: user pressed stop", stopped.getMessage());
            assertEquals(before + 1, reported.get(), "one batch ran before the stop");
            assertEquals(before + 1, e.embeddedCount());
            // the call's own token stops it too, before the first batch
            token.reset();
            e.progressListener(null);
            Cancellation call = new Cancellation();
            call.cancel("call stopped");
            CancellationException own =
                    assertThrows(CancellationException.class, () -> e.embed(TEXTS, Embedder.Role.DOCUMENT, call));
            assertEquals("embedding cancelled after 0 of 5 texts: call stopped", own.getMessage());
            // reset (and detached): the embedder embeds again, the same vectors
            float[][] again = e.embedDocuments(TEXTS);
            e.cancellation(null);
            float[][] detached = e.embedDocuments(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                assertArrayEquals(reference[i], again[i], 1e-5f, "text " + i);
                assertArrayEquals(reference[i], detached[i], 1e-5f, "text " + i);
            }
        }
    }

    @Test
    void theContextGrowsToTheLongestTextAndKeepsItsPooling() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            sb.append("The dog ran in the park. ");
        }
        LlamaEmbedder.Options small = LlamaEmbedder.Options.defaults()
                .withPooling(Pooling.MEAN)
                .withMaxTokens(96)
                .withMaxSequences(2)
                .withBatchTokens(4)
                .withThreads(2);
        try (LlamaEmbedder grown = LlamaEmbedder.open(MODEL, small);
                LlamaEmbedder large = LlamaEmbedder.open(MODEL, small.withBatchTokens(512))) {
            float[] shortFirst = grown.embedDocuments(List.of("A dog.")).clone()[0];
            // a text of up to 96 tokens does not fit the 4-token batch: the context is replaced by a larger one
            float[][] v = grown.embedDocuments(List.of(sb.toString(), "A dog."));
            float[][] ref = large.embedDocuments(List.of(sb.toString(), "A dog."));
            assertEquals(Pooling.MEAN, grown.pooling());
            assertTrue(grown.tokens(sb.toString()).length > 4);
            assertArrayEquals(ref[0], v[0], 1e-4f);
            assertArrayEquals(ref[1], v[1], 1e-4f);
            assertArrayEquals(shortFirst, v[1], 1e-4f);
        }
    }

    @Test
    void longTextsAreTruncatedToMaxTokens() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("The dog ran and ran in the green park. ");
        }
        try (LlamaEmbedder e = LlamaEmbedder.open(MODEL, Pooling.LAST, 16, 2, 2)) {
            // two texts sharing their first 16 tokens get the same vector once cut to 16 tokens
            float[][] v = e.embedDocuments(List.of(sb.toString(), sb + " But then something else happened."));
            assertArrayEquals(v[0], v[1], 1e-5f);
        }
    }

    @Test
    void describesItselfForReopening(@TempDir Path dir) throws Exception {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < TEXTS.size(); i++) {
            docs.add(new Document("d" + i, "", TEXTS.get(i)));
        }
        try (LlamaEmbedder e = LlamaEmbedder.open(MODEL, Pooling.MEAN, 64, 4, 2);
                DocumentIndex index = DocumentIndex.create(
                        dir.resolve("i"), IndexConfig.builder().embedder(e).build())) {
            index.addAll(docs, 10);
            assertEquals(docs.size(), index.embedMissing(2));
            assertEquals(e.describe(), index.settings().embedder());
            // a document's own text retrieves it first (exact and HNSW search agree on it)
            for (int i : new int[] {0, 2, 4}) {
                List<Hit> exact = index.search(TEXTS.get(i), 3, SearchMode.DENSE_EXACT);
                assertEquals("d" + i, exact.get(0).id());
                assertEquals(1.0, exact.get(0).score(), 1e-4, "cosine 1 with itself: score (1 + 1) / 2");
                assertEquals(
                        "d" + i,
                        index.search(TEXTS.get(i), 3, SearchMode.DENSE).get(0).id());
            }
        }
        try (Embedder reopened = Embedders.fromDescription(
                LlamaEmbedder.open(MODEL, Pooling.MEAN, 64, 4, 2).describe())) {
            assertTrue(reopened instanceof LlamaEmbedder);
        }
        assertThrows(IllegalArgumentException.class, () -> LlamaEmbedder.open(MODEL, Pooling.NONE, 64, 4, 2));
        assertThrows(java.io.IOException.class, () -> LlamaEmbedder.open(dir.resolve("missing.gguf")));
    }
}
