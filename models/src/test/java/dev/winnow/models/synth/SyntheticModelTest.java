package dev.winnow.models.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufTensorInfo;
import dev.winnow.models.gguf.GgufWriter;
import dev.winnow.models.gguf.SharedFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticModelTest {
    @TempDir
    Path tmp;

    private static Map<String, GgufTensorInfo> byName(List<GgufTensorInfo> tensors) {
        return tensors.stream().collect(Collectors.toMap(GgufTensorInfo::name, t -> t));
    }

    @Test
    void tiny4lWritesAValidLlamaModelWithTheStoriesVocabulary() throws Exception {
        Path out = tmp.resolve("tiny.gguf");
        SynthSpec spec = SynthSpec.preset("tiny-4l", GgmlType.F16, 3);
        SyntheticModel.write(spec, SharedFiles.stories260K(), out);
        try (GgufFile f = GgufFile.open(out);
                GgufFile vocab = GgufFile.open(SharedFiles.stories260K())) {
            assertEquals("llama", f.requireString("general.architecture"));
            assertEquals(4, f.requireLong("llama.block_count"));
            assertEquals(256, f.requireLong("llama.embedding_length"));
            assertEquals(8, f.requireLong("llama.attention.head_count"));
            assertEquals(4, f.requireLong("llama.attention.head_count_kv"));
            assertEquals(1024, f.requireLong("llama.feed_forward_length"));
            assertEquals(32, f.requireLong("llama.rope.dimension_count"));
            assertEquals(vocab.value("tokenizer.ggml.tokens"), f.value("tokenizer.ggml.tokens"));
            assertEquals(vocab.value("tokenizer.ggml.scores"), f.value("tokenizer.ggml.scores"));
            assertEquals(vocab.value("tokenizer.ggml.bos_token_id"), f.value("tokenizer.ggml.bos_token_id"));
            Map<String, GgufTensorInfo> t = byName(f.tensors());
            assertEquals(3 + 4 * 9, t.size());
            assertArrayEquals(new long[] {256, 512}, t.get("token_embd.weight").shape());
            assertArrayEquals(new long[] {256, 512}, t.get("output.weight").shape());
            assertArrayEquals(
                    new long[] {256, 256}, t.get("blk.3.attn_q.weight").shape());
            assertArrayEquals(
                    new long[] {256, 128}, t.get("blk.3.attn_k.weight").shape());
            assertArrayEquals(
                    new long[] {256, 1024}, t.get("blk.0.ffn_up.weight").shape());
            assertArrayEquals(
                    new long[] {1024, 256}, t.get("blk.0.ffn_down.weight").shape());
            assertEquals(GgmlType.F32, t.get("blk.0.attn_norm.weight").type());
            assertEquals(GgmlType.F16, t.get("blk.0.ffn_gate.weight").type());
            assertFalse(t.containsKey("blk.0.attn_q.bias"));
            assertEquals(
                    SyntheticModel.parameterCount(spec, 512),
                    f.tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum());
            // norms are 1; a weight matrix has mean ~0 and standard deviation ~1/sqrt(fan_in) = 1/16
            for (float v : f.readFloats(t.get("output_norm.weight"))) {
                assertEquals(1f, v);
            }
            float[] w = f.readFloats(t.get("blk.1.ffn_down.weight"));
            double sum = 0;
            double sq = 0;
            for (float v : w) {
                assertTrue(Float.isFinite(v));
                sum += v;
                sq += (double) v * v;
            }
            double mean = sum / w.length;
            double std = Math.sqrt(sq / w.length - mean * mean);
            assertEquals(0, mean, 0.002);
            assertEquals(1 / Math.sqrt(1024), std, 0.001);
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherWeights() throws Exception {
        SynthSpec spec = new SynthSpec(Architecture.QWEN2, 2, 64, 4, 2, 128, 0, GgmlType.Q8_0, 5, 512, false);
        Path a = tmp.resolve("a.gguf");
        Path b = tmp.resolve("b.gguf");
        Path c = tmp.resolve("c.gguf");
        SyntheticModel.write(spec, SharedFiles.stories260K(), a);
        SyntheticModel.write(spec, SharedFiles.stories260K(), b);
        SyntheticModel.write(
                new SynthSpec(Architecture.QWEN2, 2, 64, 4, 2, 128, 0, GgmlType.Q8_0, 6, 512, false),
                SharedFiles.stories260K(),
                c);
        assertEquals(-1L, Files.mismatch(a, b));
        assertEquals(Files.size(a), Files.size(c));
        assertTrue(Files.mismatch(a, c) > 0);
        try (GgufFile f = GgufFile.open(a)) {
            Map<String, GgufTensorInfo> t = byName(f.tensors());
            assertArrayEquals(new long[] {64}, t.get("blk.1.attn_q.bias").shape());
            assertArrayEquals(new long[] {32}, t.get("blk.1.attn_v.bias").shape());
            assertEquals(GgmlType.Q8_0, t.get("blk.1.attn_v.weight").type());
            assertEquals(7, f.requireLong("general.file_type"));
            assertEquals(1_000_000f, (float)
                    f.value("qwen2.rope.freq_base").orElseThrow().asDouble());
        }
    }

    @Test
    void qwenShapePresetHasTheRealModelsShapeAndPaddedVocabulary() throws Exception {
        SynthSpec spec = SynthSpec.preset("qwen2.5-0.5b-shape", GgmlType.Q8_0, 1);
        try (GgufFile vocab = GgufFile.open(SharedFiles.stories260K())) {
            GgufWriter w = SyntheticModel.writer(spec, vocab);
            List<String> tokens = w.metadata().get("tokenizer.ggml.tokens").asStringList();
            assertEquals(151_936, tokens.size());
            assertEquals("<s>", tokens.get(1));
            assertEquals("<synth_151935>", tokens.get(151_935));
            assertEquals(
                    151_936, w.metadata().get("tokenizer.ggml.scores").asList().size());
            assertEquals(
                    151_936,
                    w.metadata().get("tokenizer.ggml.token_type").asList().size());
            Map<String, GgufTensorInfo> t = byName(w.tensors());
            assertEquals(2 + 24 * 12, t.size());
            assertFalse(t.containsKey("output.weight"), "Qwen2.5-0.5B ties its output to the embeddings");
            assertArrayEquals(
                    new long[] {896, 151_936}, t.get("token_embd.weight").shape());
            assertArrayEquals(
                    new long[] {896, 128}, t.get("blk.23.attn_k.weight").shape());
            assertArrayEquals(
                    new long[] {4864, 896}, t.get("blk.23.ffn_down.weight").shape());
            // Qwen2.5-0.5B has 494M parameters (tied embeddings)
            assertEquals(494_032_768L, SyntheticModel.parameterCount(spec, 151_936));
            assertEquals(24, w.metadata().get("qwen2.block_count").asLong());
            assertEquals(2, w.metadata().get("qwen2.attention.head_count_kv").asLong());
        }
    }

    @Test
    void mistralShapePresetHasMistral7bsShape() throws Exception {
        SynthSpec spec = SynthSpec.preset("mistral-7b-shape", GgmlType.F16, 1);
        try (GgufFile vocab = GgufFile.open(SharedFiles.stories260K())) {
            GgufWriter w = SyntheticModel.writer(spec, vocab);
            assertEquals(
                    32_000,
                    w.metadata().get("tokenizer.ggml.tokens").asStringList().size());
            Map<String, GgufTensorInfo> t = byName(w.tensors());
            assertEquals(3 + 32 * 9, t.size());
            assertArrayEquals(new long[] {4096, 32_000}, t.get("output.weight").shape());
            assertArrayEquals(
                    new long[] {4096, 1024}, t.get("blk.31.attn_k.weight").shape());
            assertArrayEquals(
                    new long[] {14_336, 4096}, t.get("blk.31.ffn_down.weight").shape());
            assertEquals(GgmlType.F16, t.get("blk.0.attn_q.weight").type());
            // Mistral-7B-v0.1 has 7,241,732,096 parameters
            assertEquals(7_241_732_096L, SyntheticModel.parameterCount(spec, 32_000));
            assertEquals(8, w.metadata().get("llama.attention.head_count_kv").asLong());
        }
    }

    @Test
    void invalidShapesAreRefusedWithTheParameterNamed() throws Exception {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new SynthSpec(Architecture.LLAMA, 2, 100, 3, 1, 64, 0, GgmlType.F16, 1, 512, false));
        assertTrue(e.getMessage().startsWith("heads 3"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new SynthSpec(Architecture.LLAMA, 2, 64, 8, 3, 64, 0, GgmlType.F16, 1, 512, false));
        assertTrue(e.getMessage().startsWith("kv-heads 3"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new SynthSpec(Architecture.LLAMA, 2, 64, 4, 4, 100, 0, GgmlType.Q8_0, 1, 512, false));
        assertTrue(e.getMessage().contains("multiples of 32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SynthSpec.preset("huge", GgmlType.F16, 1));
        assertTrue(e.getMessage().contains("tiny-4l"), e.getMessage());
        SynthSpec small = new SynthSpec(Architecture.LLAMA, 1, 64, 4, 4, 64, 100, GgmlType.F16, 1, 512, false);
        try (GgufFile vocab = GgufFile.open(SharedFiles.stories260K())) {
            e = assertThrows(IllegalArgumentException.class, () -> SyntheticModel.writer(small, vocab));
            assertTrue(e.getMessage().contains("smaller than the 512 tokens"), e.getMessage());
        }
    }
}
