package dev.winnow.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.EmbeddingJars;
import dev.winnow.models.onnx.proto.GraphProto;
import dev.winnow.models.onnx.proto.ModelProto;
import dev.winnow.models.onnx.proto.NodeProto;
import dev.winnow.models.onnx.proto.TensorProto;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The graph mapping of the real all-MiniLM-L6-v2 ONNX export, and the errors of broken variants of it. */
class BertOnnxMappingTest {
    static byte[] bytes;
    static OnnxGraph graph;
    static BertOnnxMapping mapping;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = EmbeddingJars.open(EmbeddingJars.MINILM_ONNX)) {
            bytes = in.readAllBytes();
        }
        graph = OnnxGraph.read(new ByteArrayInputStream(bytes), "minilm");
        mapping = BertOnnxMapping.of(graph);
    }

    @Test
    void readsHyperparametersOffTheGraph() {
        assertEquals(new BertConfig(6, 384, 12, 1536, 30522, 512, 2, 1e-12f), mapping.config());
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), graph.inputNames());
        assertEquals(List.of("last_hidden_state"), graph.outputNames());
    }

    @Test
    void everyExpectedTensorFoundExactlyOnce() throws Exception {
        List<BertTensor> ts = mapping.tensors();
        assertEquals(5 + 6 * 16, ts.size());
        Set<String> gguf = ts.stream().map(BertTensor::ggufName).collect(Collectors.toSet());
        assertEquals(ts.size(), gguf.size(), "GGUF names are unique");
        Set<String> onnx = ts.stream().map(BertTensor::onnxName).collect(Collectors.toSet());
        assertEquals(ts.size(), onnx.size(), "no initializer is used twice");
        Set<String> unused = new HashSet<>(graph.initializerNames());
        unused.removeAll(onnx);
        assertEquals(Set.of("embeddings.position_ids"), unused, "every weight is used");
        for (int l = 0; l < 6; l++) {
            for (String p : List.of(
                    "attn_q",
                    "attn_k",
                    "attn_v",
                    "attn_output",
                    "attn_output_norm",
                    "ffn_up",
                    "ffn_down",
                    "layer_output_norm")) {
                assertTrue(
                        gguf.contains("blk." + l + "." + p + ".weight")
                                && gguf.contains("blk." + l + "." + p + ".bias"),
                        p);
            }
        }
        long anonymous = ts.stream()
                .filter(t -> t.onnxName().startsWith("onnx::MatMul_"))
                .count();
        assertEquals(36, anonymous);
    }

    @Test
    void shapesAreInGgufOrder() {
        assertArrayEquals(new long[] {384, 30522}, find("token_embd.weight").ne());
        assertArrayEquals(new long[] {384, 512}, find("position_embd.weight").ne());
        assertArrayEquals(new long[] {384, 2}, find("token_types.weight").ne());
        assertArrayEquals(new long[] {384, 1536}, find("blk.3.ffn_up.weight").ne());
        assertArrayEquals(new long[] {1536, 384}, find("blk.3.ffn_down.weight").ne());
        assertArrayEquals(new long[] {1536}, find("blk.3.ffn_up.bias").ne());
        assertTrue(find("blk.0.attn_q.weight").transpose());
        assertTrue(!find("blk.0.attn_q.bias").transpose());
    }

    @Test
    void projectionWeightsAreTransposedToOneRowPerOutput() throws Exception {
        BertTensor up = find("blk.2.ffn_up.weight");
        OnnxTensor onnx = graph.initializer(up.onnxName()); // [in 384, out 1536]
        float[] gguf = mapping.load(up); // rows of 384 inputs, one per output feature
        for (int o : new int[] {0, 7, 1535}) {
            for (int i : new int[] {0, 5, 383}) {
                assertEquals(onnx.data()[i * 1536 + o], gguf[o * 384 + i], "out " + o + " in " + i);
            }
        }
    }

    @Test
    void missingBiasIsNamed() throws Exception {
        ModelProto m = ModelProto.parseFrom(bytes);
        GraphProto.Builder g = m.getGraph().toBuilder();
        int idx = indexOf(g.getInitializerList(), "encoder.layer.4.attention.self.key.bias");
        g.removeInitializer(idx);
        OnnxGraph broken = OnnxGraph.read(
                new ByteArrayInputStream(m.toBuilder().setGraph(g).build().toByteArray()), "broken");
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> BertOnnxMapping.of(broken));
        assertTrue(e.getMessage().contains("encoder.layer.4.attention.self.key.bias"), e.getMessage());
    }

    @Test
    void sharedMatMulWeightIsRejected() throws Exception {
        ModelProto m = ModelProto.parseFrom(bytes);
        GraphProto.Builder g = m.getGraph().toBuilder();
        // make layer 1's key projection multiply by layer 1's query weight as well
        String q = mapping.tensors().stream()
                .filter(t -> t.ggufName().equals("blk.1.attn_q.weight"))
                .findFirst()
                .orElseThrow()
                .onnxName();
        String k = find("blk.1.attn_k.weight").onnxName();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (n.getOpType().equals("MatMul")
                    && n.getInputCount() == 2
                    && n.getInput(1).equals(k)) {
                g.setNode(i, n.toBuilder().setInput(1, q));
            }
        }
        OnnxGraph broken = OnnxGraph.read(
                new ByteArrayInputStream(m.toBuilder().setGraph(g).build().toByteArray()), "broken");
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> BertOnnxMapping.of(broken));
        assertTrue(e.getMessage().contains(q), e.getMessage());
    }

    @Test
    void notAnOnnxFileIsReported() {
        byte[] junk = "this is not protobuf at all \u0000\u0001".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        OnnxFormatException e = assertThrows(
                OnnxFormatException.class, () -> OnnxGraph.read(new ByteArrayInputStream(junk), "junk.onnx"));
        assertTrue(e.getMessage().startsWith("junk.onnx"), e.getMessage());
    }

    static int indexOf(List<TensorProto> ts, String name) {
        for (int i = 0; i < ts.size(); i++) {
            if (ts.get(i).getName().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name);
    }

    static BertTensor find(String gguf) {
        return mapping.tensors().stream()
                .filter(t -> t.ggufName().equals(gguf))
                .findFirst()
                .orElseThrow();
    }
}
