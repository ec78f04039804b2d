package dev.winnow.ranking.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.RankedDocument;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.embedding.EmbeddingRanker;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One embedding path, through the real all-MiniLM-L6-v2 and bge-small-en-v1.5 GGUFs and llama.cpp: the embedding
 * re-ranker and the index (backfill and query embedding) produce bit-identical vectors for the same text and role,
 * bge's query instruction reaches the re-ranker, and truncation to the token budget is counted, not silent.
 */
class EmbeddingPathTest {

    private static float dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return (float) s;
    }

    /** The vectors an index stores (field {@code vector}, see DocumentIndex.VECTOR), by document id. */
    private static Map<String, float[]> storedVectors(Path index) throws Exception {
        Map<String, float[]> out = new HashMap<>();
        try (DirectoryReader r = DirectoryReader.open(FSDirectory.open(index))) {
            for (LeafReaderContext leaf : r.leaves()) {
                FloatVectorValues vv = leaf.reader().getFloatVectorValues("vector");
                if (vv == null) {
                    continue;
                }
                KnnVectorValues.DocIndexIterator it = vv.iterator();
                for (int d = it.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
                    String id = leaf.reader().storedFields().document(d).get("id");
                    out.put(id, vv.vectorValue(it.index()).clone());
                }
            }
        }
        return out;
    }

    /**
     * Four SciFact documents: the first over the 256-token budget and three under it, of distinct lengths, so that both
     * paths sort the texts into the same batches.
     */
    private static List<Document> documents(LlamaEmbedder e) throws Exception {
        TestCollection scifact = TestCollection.open(SharedData.collection("scifact"), false);
        Document over = null;
        List<Document> under = new ArrayList<>();
        Set<Integer> lengths = new HashSet<>();
        for (Document d : scifact.documents()) {
            int n = e.tokenize(DocumentIndex.embeddingText(d)).length;
            if (n > e.maxTokens()) {
                over = over == null ? d : over;
            } else if (n < e.maxTokens() && under.size() < 3 && lengths.add(n)) {
                under.add(d);
            }
            if (over != null && under.size() == 3) {
                break;
            }
        }
        assertNotNull(over);
        List<Document> out = new ArrayList<>(under);
        out.add(1, over);
        return out;
    }

    @Test
    void theReRankerAndTheIndexEmbedIdentically(@TempDir Path dir) throws Exception {
        Path minilm = EmbeddingModels.fromEnvironment().ensure("minilm");
        String query = "Vitamin D deficiency raises the risk of multiple sclerosis.";
        Path idx = dir.resolve("idx");
        List<Document> docs;
        // the index as `winnow index --dense MODEL` builds it: Embedders.open, defaults
        try (Embedder e = Embedders.open(minilm.toString());
                DocumentIndex index = DocumentIndex.create(
                        idx, IndexConfig.builder().embedder(e).build())) {
            docs = documents((LlamaEmbedder) e);
            index.addAll(docs, 100);
            assertEquals(4, index.embedMissing(64));
            assertEquals(1, e.truncatedCount(), "the long document was cut, and counted");
            index.commit();
        }
        Map<String, float[]> stored = storedVectors(idx);
        assertEquals(4, stored.size());

        List<Candidate> candidates = new ArrayList<>();
        for (Document d : docs) {
            candidates.add(new Candidate(d.id(), d.title(), d.text(), 0));
        }
        try (Model model = Llama.load().loadModel(minilm);
                EmbeddingRanker ranker = new EmbeddingRanker(model, InContextOptions.defaults());
                Embedder queries = Embedders.fromDescription(
                        DocumentIndex.readSettings(idx).embedder());
                DocumentIndex index = DocumentIndex.open(
                        idx, IndexConfig.builder().embedder(queries).build())) {
            // documents: the re-ranker's vectors are the stored ones, bit for bit
            float[][] mine =
                    ranker.embed(candidates.stream().map(Candidate::content).toList(), Embedder.Role.DOCUMENT);
            for (int i = 0; i < docs.size(); i++) {
                assertArrayEquals(
                        stored.get(docs.get(i).id()),
                        mine[i],
                        0f,
                        "document " + docs.get(i).id());
            }
            // queries: dense search scores each document with the index's query vector; the re-ranker's query vector
            // gives exactly those scores
            float[] q = ranker.embed(List.of(query), Embedder.Role.QUERY)[0];
            List<Hit> hits = index.search(query, 4, SearchMode.DENSE_EXACT);
            assertEquals(4, hits.size());
            for (Hit h : hits) {
                assertEquals(
                        VectorSimilarityFunction.DOT_PRODUCT.compare(q, stored.get(h.id())),
                        (float) h.score(),
                        0f,
                        "document " + h.id());
            }
            // and the re-ranker orders them as dense search does, with the cosines of those vectors
            Ranking r = ranker.rank(query, candidates);
            assertEquals(hits.stream().map(Hit::id).toList(), r.docIds());
            for (RankedDocument d : r.documents()) {
                assertEquals(dot(q, stored.get(d.docId())), (float) d.score(), 0f, d.docId());
            }
            assertEquals(1, r.stats().truncatedDocuments(), "the re-ranker reports the cut document");
        }
    }

    @Test
    void theReRankerGivesQueriesTheModelsInstruction() throws Exception {
        Path bge = EmbeddingModels.fromEnvironment().ensure("bge-small");
        String query = "does sunlight deficiency raise MS risk";
        float[] indexQuery;
        float[] instructedDocument;
        try (LlamaEmbedder e = LlamaEmbedder.open(bge)) {
            assertEquals(
                    EmbeddingModelSpec.BGE_QUERY_INSTRUCTION, e.instructions().query());
            assertEquals("", e.instructions().document());
            indexQuery = Embedder.unitLength(e.embedQuery(query));
            instructedDocument = Embedder.unitLength(e.embedDocuments(List.of(e.queryInstruction() + query))[0]);
        }
        try (Model model = Llama.load().loadModel(bge);
                EmbeddingRanker ranker = new EmbeddingRanker(model, InContextOptions.defaults())) {
            float[] q = ranker.embed(List.of(query), Embedder.Role.QUERY)[0];
            float[] d = ranker.embed(List.of(query), Embedder.Role.DOCUMENT)[0];
            assertArrayEquals(indexQuery, q, 0f, "the re-ranker's query vector is the index's");
            assertArrayEquals(instructedDocument, q, 0f, "a query is embedded as instruction + query");
            assertTrue(dot(q, d) < 0.99, "the document role has no instruction: cosine " + dot(q, d));
        }
    }

    @Test
    void truncationIsCountedWhereverItHappens() throws Exception {
        Path minilm = EmbeddingModels.fromEnvironment().ensure("minilm");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            text.append("Mitochondrial dysfunction alters calcium signalling in neurons. ");
        }
        String longText = text.toString();
        try (Model model = Llama.load().loadModel(minilm)) {
            try (LlamaEmbedder e =
                    LlamaEmbedder.over(model, LlamaEmbedder.Options.defaults().withMaxTokens(32))) {
                assertEquals(32, e.maxTokens());
                e.embedDocuments(List.of("short", longText, "also short", longText.substring(0, 400)));
                assertEquals(2, e.truncatedCount(), "two documents over 32 tokens");
                assertEquals(4, e.embeddedCount());
                e.embedQuery(longText);
                assertEquals(3, e.truncatedCount(), "a query over the budget counts too");
                e.embedQuery(longText);
                assertEquals(3, e.truncatedCount(), "a cached query is not embedded, nor counted, again");
                int[] cut = e.tokens(longText);
                assertEquals(32, cut.length);
                assertEquals(model.vocabulary().sep(), cut[31], "the cut keeps the closing [SEP]");
                assertEquals(3, e.truncatedCount(), "tokens() only looks");
            }
            // the re-ranker cuts at the index's 256 tokens, not the in-context document budget, and says how many it
            // cut
            try (EmbeddingRanker ranker = new EmbeddingRanker(
                    model, InContextOptions.defaults().withBudgets(384, 64).withThreads(2))) {
                assertEquals(LlamaEmbedder.DEFAULT_MAX_TOKENS, ranker.embedder().maxTokens());
                // over 256 tokens, under 384
                StringBuilder m = new StringBuilder();
                while (ranker.embedder().tokenize(m.toString()).length <= 300) {
                    m.append("Calcium channels open in the membrane. ");
                }
                String medium = m.toString();
                assertTrue(ranker.embedder().tokenize(medium).length < 384);
                Ranking r = ranker.rank(
                        "calcium in neurons",
                        List.of(
                                new Candidate("a", "", longText, 0),
                                new Candidate("b", "", "Calcium signalling.", 0),
                                new Candidate("c", "", medium, 0)));
                assertEquals(2, r.stats().truncatedDocuments());
                assertEquals(2, ranker.embedder().truncatedCount());
                assertEquals("b", r.docIds().getFirst(), "the short, on-topic document first");
            }
        }
    }

    @Test
    void aDocumentInstructionIsPartOfTheIdentityAndSurvivesReopening() throws Exception {
        Path stories = SharedData.model("stories260K.gguf");
        LlamaEmbedder.Options o = LlamaEmbedder.Options.defaults()
                .withMaxTokens(64)
                .withThreads(2)
                .withInstructions(new EmbeddingInstructions("query: ", "passage: "));
        try (LlamaEmbedder e = LlamaEmbedder.open(stories, o);
                LlamaEmbedder plain = LlamaEmbedder.open(stories, o.withInstructions(EmbeddingInstructions.NONE))) {
            assertTrue(e.describe().endsWith(" documentInstruction=passage%3A+"), e.describe());
            assertFalse(plain.describe().contains("documentInstruction"), plain.describe());
            float[] doc = e.embedDocuments(List.of("The cat sat on the mat."))[0];
            assertArrayEquals(plain.embedDocuments(List.of("passage: The cat sat on the mat."))[0], doc, 0f);
            assertArrayEquals(plain.embedDocuments(List.of("query: a cat"))[0], e.embedQuery("  a cat "), 0f);
            try (Embedder reopened = Embedders.fromDescription(e.describe())) {
                LlamaEmbedder r = (LlamaEmbedder) reopened;
                assertEquals(e.describe(), r.describe());
                assertEquals("passage: ", r.documentInstruction());
                assertEquals("", r.queryInstruction(), "stories260K's own query instruction: none");
                // re-opened with the default threads (the machine's cores): equal up to rounding
                assertArrayEquals(doc, r.embedDocuments(List.of("The cat sat on the mat."))[0], 1e-6f);
            }
        }
    }
}
