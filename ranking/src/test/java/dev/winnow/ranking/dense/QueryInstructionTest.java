package dev.winnow.ranking.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.convert.EmbeddingModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link LlamaEmbedder}'s query instruction on the real converted models through llama.cpp: bge-small-en-v1.5 gets its
 * model card's instruction by default and MiniLM none; a query is embedded exactly as the document "instruction +
 * query" would be, documents never get it, and it is not part of the description an index records.
 */
class QueryInstructionTest {

    private static final String QUERY = "vitamin D deficiency and the risk of multiple sclerosis";

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
        }
        return dot; // both unit length
    }

    @Test
    void bgeGetsItsModelCardInstructionAndMiniLmNone() throws Exception {
        Path bge = EmbeddingModels.fromEnvironment().ensure("bge-small");
        try (LlamaEmbedder e =
                LlamaEmbedder.open(bge, LlamaEmbedder.Options.defaults().withMaxTokens(64))) {
            assertEquals(EmbeddingModelSpec.BGE_QUERY_INSTRUCTION, e.queryInstruction());
            assertEquals("Represent this sentence for searching relevant passages: ", e.queryInstruction());
            float[] q = e.embedQuery(QUERY);
            float[][] docs = e.embedDocuments(List.of(EmbeddingModelSpec.BGE_QUERY_INSTRUCTION + QUERY, QUERY));
            assertArrayEquals(docs[0], q, 1e-4f, "the query is embedded as instruction + query");
            assertTrue(
                    cosine(docs[1], q) < 0.99, "documents are embedded without the instruction: " + cosine(docs[1], q));
            assertFalse(e.describe().contains("Represent"), e.describe());
            String before = e.describe();
            e.setQueryInstruction("");
            assertArrayEquals(
                    docs[1], e.embedQuery(QUERY), 1e-4f, "no instruction: the query path is the document path");
            assertEquals(before, e.describe(), "the instruction changes no stored vector, so not the description");
        }
        Path minilm = EmbeddingModels.fromEnvironment().ensure("minilm");
        try (LlamaEmbedder e =
                LlamaEmbedder.open(minilm, LlamaEmbedder.Options.defaults().withMaxTokens(64))) {
            assertEquals("", e.queryInstruction());
            e.setQueryInstruction("query: ");
            float[] q = e.embedQuery(QUERY);
            assertArrayEquals(e.embedDocuments(List.of("query: " + QUERY))[0], q, 1e-4f);
            e.setQueryInstruction("");
            float[] plain = e.embedQuery(QUERY);
            assertTrue(cosine(plain, q) < 0.9999, "the cache is keyed by the prefixed text: " + cosine(plain, q));
        }
    }
}
