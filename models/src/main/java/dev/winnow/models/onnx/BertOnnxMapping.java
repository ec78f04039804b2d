package dev.winnow.models.onnx;

import dev.winnow.models.onnx.proto.AttributeProto;
import dev.winnow.models.onnx.proto.NodeProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Maps the ONNX export of a Hugging Face BERT encoder (as shipped in the langchain4j embedding jars) onto llama.cpp's
 * BERT tensor names, and reads its hyperparameters off the graph.
 *
 * <p>Biases and LayerNorm parameters carry their PyTorch names ({@code encoder.layer.N.attention.self.query.bias});
 * the projection weights are anonymous ({@code onnx::MatMul_787}, shape {@code [in, out]}). Each weight is found
 * through the graph: the single {@code Add} that reads the named bias takes the output of a {@code MatMul} whose
 * second input is the weight. Every expected tensor must be found exactly once, with the expected shape; anything
 * else is an {@link OnnxFormatException} naming the tensor.
 *
 * <p>llama.cpp names (src/llama-arch.cpp, LLM_ARCH_BERT): {@code token_embd}, {@code position_embd},
 * {@code token_types}, {@code token_embd_norm}, and per layer {@code blk.N.attn_q}, {@code attn_k}, {@code attn_v},
 * {@code attn_output}, {@code attn_output_norm}, {@code ffn_up}, {@code ffn_down}, {@code layer_output_norm}, each with
 * {@code .weight} and {@code .bias}.
 *
 * <p>Hyperparameters: sizes from the embedding and weight shapes; the LayerNorm epsilon from the constant added to the
 * variance before {@code Sqrt} (or the {@code epsilon} attribute of a fused {@code LayerNormalization}); the head count
 * from the attention-score scale {@code 1/sqrt(head_dim)} (a {@code Div} by, or {@code Mul} with, a scalar before the
 * first {@code Softmax}).
 */
public final class BertOnnxMapping {
    private static final String[][] LINEAR_PARTS = {
        {"attention.self.query", "attn_q"},
        {"attention.self.key", "attn_k"},
        {"attention.self.value", "attn_v"},
        {"attention.output.dense", "attn_output"},
        {"intermediate.dense", "ffn_up"},
        {"output.dense", "ffn_down"},
    };
    private static final String[][] NORM_PARTS = {
        {"attention.output.LayerNorm", "attn_output_norm"},
        {"output.LayerNorm", "layer_output_norm"},
    };

    private final OnnxGraph graph;
    private final BertConfig config;
    private final List<BertTensor> tensors;

    private BertOnnxMapping(OnnxGraph graph, BertConfig config, List<BertTensor> tensors) {
        this.graph = graph;
        this.config = config;
        this.tensors = List.copyOf(tensors);
    }

    /**
     * Maps a graph.
     *
     * @param graph an ONNX BERT encoder
     * @return the mapping
     * @throws OnnxFormatException if a tensor is missing, found twice, or has an unexpected shape, or a hyperparameter
     *     cannot be read off the graph
     */
    public static BertOnnxMapping of(OnnxGraph graph) throws OnnxFormatException {
        String src = graph.source();
        long[] wordShape = shape2d(graph, "embeddings.word_embeddings.weight");
        int vocab = (int) wordShape[0];
        int embd = (int) wordShape[1];
        int ctx = (int) shape2d(graph, "embeddings.position_embeddings.weight")[0];
        int types = (int) shape2d(graph, "embeddings.token_type_embeddings.weight")[0];
        int layers = 0;
        while (graph.hasInitializer("encoder.layer." + layers + ".attention.self.query.bias")) {
            layers++;
        }
        if (layers == 0) {
            throw new OnnxFormatException(
                    src, "no encoder layer found (no initializer encoder.layer.0.attention.self.query.bias)");
        }
        String ffWeight = matmulWeightFor(graph, "encoder.layer.0.intermediate.dense.bias");
        int ff = (int) shape2d(graph, ffWeight)[1];

        List<BertTensor> out = new ArrayList<>();
        Map<String, String> used = new HashMap<>();
        plain(graph, out, used, "token_embd.weight", "embeddings.word_embeddings.weight", embd, vocab);
        plain(graph, out, used, "position_embd.weight", "embeddings.position_embeddings.weight", embd, ctx);
        plain(graph, out, used, "token_types.weight", "embeddings.token_type_embeddings.weight", embd, types);
        plain(graph, out, used, "token_embd_norm.weight", "embeddings.LayerNorm.weight", embd);
        plain(graph, out, used, "token_embd_norm.bias", "embeddings.LayerNorm.bias", embd);
        for (int l = 0; l < layers; l++) {
            String hf = "encoder.layer." + l + ".";
            String blk = "blk." + l + ".";
            for (String[] part : LINEAR_PARTS) {
                int in = part[1].equals("ffn_down") ? ff : embd;
                int outDim = part[1].equals("ffn_up") ? ff : embd;
                String bias = hf + part[0] + ".bias";
                String weight = matmulWeightFor(graph, bias);
                long[] ws = shape2d(graph, weight);
                if (ws[0] != in || ws[1] != outDim) {
                    throw new OnnxFormatException(
                            src,
                            "MatMul weight '" + weight + "' for " + bias + " has shape " + Arrays.toString(ws)
                                    + ", expected [" + in + ", " + outDim + "]");
                }
                claim(src, used, weight, blk + part[1] + ".weight");
                out.add(new BertTensor(blk + part[1] + ".weight", weight, true, new long[] {in, outDim}));
                plain(graph, out, used, blk + part[1] + ".bias", bias, outDim);
            }
            for (String[] part : NORM_PARTS) {
                plain(graph, out, used, blk + part[1] + ".weight", hf + part[0] + ".weight", embd);
                plain(graph, out, used, blk + part[1] + ".bias", hf + part[0] + ".bias", embd);
            }
        }
        float eps = layerNormEps(graph, "embeddings.LayerNorm.weight");
        for (int l = 0; l < layers; l++) {
            for (String[] part : NORM_PARTS) {
                String w = "encoder.layer." + l + "." + part[0] + ".weight";
                float e = layerNormEps(graph, w);
                if (e != eps) {
                    throw new OnnxFormatException(
                            src, "LayerNorm of " + w + " has epsilon " + e + ", the embeddings' has " + eps);
                }
            }
        }
        int headDim = headDim(graph);
        if (headDim <= 0 || embd % headDim != 0) {
            throw new OnnxFormatException(
                    src, "attention scale gives head size " + headDim + ", which does not divide " + embd);
        }
        BertConfig config = new BertConfig(layers, embd, embd / headDim, ff, vocab, ctx, types, eps);
        return new BertOnnxMapping(graph, config, out);
    }

    /**
     * @return the hyperparameters read off the graph
     */
    public BertConfig config() {
        return config;
    }

    /**
     * @return every tensor llama.cpp's BERT needs, in GGUF order (embeddings, then layer by layer)
     */
    public List<BertTensor> tensors() {
        return tensors;
    }

    /**
     * Decodes one tensor's values in the order GGUF stores them (row-major with {@code ne[0]} innermost: for a
     * projection, one row of {@code in} values per output feature).
     *
     * @param t one of {@link #tensors()}
     * @return its float32 values, length {@link BertTensor#elementCount()}
     * @throws OnnxFormatException if the initializer cannot be decoded
     */
    public float[] load(BertTensor t) throws OnnxFormatException {
        OnnxTensor v = graph.initializer(t.onnxName());
        return t.transpose() ? v.transpose2d().data() : v.data();
    }

    private static void plain(
            OnnxGraph g,
            List<BertTensor> out,
            Map<String, String> used,
            String gguf,
            String onnx,
            long... expectedOnnxShape)
            throws OnnxFormatException {
        long[] s = g.initializerShape(onnx);
        // expectedOnnxShape is given innermost first (GGUF order): reverse to compare with the ONNX shape
        long[] onnxOrder = new long[expectedOnnxShape.length];
        for (int i = 0; i < onnxOrder.length; i++) {
            onnxOrder[i] = expectedOnnxShape[expectedOnnxShape.length - 1 - i];
        }
        if (!Arrays.equals(s, onnxOrder)) {
            throw new OnnxFormatException(
                    g.source(),
                    "initializer '" + onnx + "' has shape " + Arrays.toString(s) + ", expected "
                            + Arrays.toString(onnxOrder));
        }
        claim(g.source(), used, onnx, gguf);
        out.add(new BertTensor(gguf, onnx, false, expectedOnnxShape.clone()));
    }

    private static void claim(String src, Map<String, String> used, String onnx, String gguf)
            throws OnnxFormatException {
        String before = used.putIfAbsent(onnx, gguf);
        if (before != null) {
            throw new OnnxFormatException(src, "initializer '" + onnx + "' maps to both " + before + " and " + gguf);
        }
    }

    private static long[] shape2d(OnnxGraph g, String name) throws OnnxFormatException {
        long[] s = g.initializerShape(name);
        if (s.length != 2) {
            throw new OnnxFormatException(
                    g.source(), "initializer '" + name + "' should be 2-D, has shape " + Arrays.toString(s));
        }
        return s;
    }

    /** The anonymous weight of the MatMul whose output the single Add reading {@code bias} adds it to. */
    private static String matmulWeightFor(OnnxGraph g, String bias) throws OnnxFormatException {
        String src = g.source();
        if (!g.hasInitializer(bias)) {
            throw new OnnxFormatException(src, "no initializer named '" + bias + "'");
        }
        List<NodeProto> readers = g.consumers(bias);
        if (readers.size() != 1 || !readers.getFirst().getOpType().equals("Add")) {
            throw new OnnxFormatException(
                    src,
                    "bias '" + bias + "' should be read by exactly one Add node, is read by "
                            + readers.stream()
                                    .map(n -> n.getOpType() + " " + n.getName())
                                    .toList());
        }
        NodeProto add = readers.getFirst();
        if (add.getInputCount() != 2) {
            throw new OnnxFormatException(src, "Add node '" + add.getName() + "' should have 2 inputs");
        }
        String other = add.getInput(0).equals(bias) ? add.getInput(1) : add.getInput(0);
        Optional<NodeProto> mm = g.producer(other);
        if (mm.isEmpty() || !mm.get().getOpType().equals("MatMul") || mm.get().getInputCount() != 2) {
            throw new OnnxFormatException(
                    src,
                    "the Add reading '" + bias + "' should add it to a MatMul output, but '" + other + "' comes from "
                            + mm.map(n -> n.getOpType() + " " + n.getName()).orElse("no node"));
        }
        String weight = mm.get().getInput(1);
        if (!g.hasInitializer(weight)) {
            throw new OnnxFormatException(
                    src,
                    "the MatMul before the bias '" + bias + "' multiplies by '" + weight
                            + "', which is not an initializer");
        }
        if (g.consumers(weight).size() != 1) {
            throw new OnnxFormatException(
                    src,
                    "MatMul weight '" + weight + "' (for " + bias + ") is read by "
                            + g.consumers(weight).size() + " nodes, expected 1");
        }
        return weight;
    }

    /** Epsilon of the LayerNorm that scales by {@code weight}. */
    private static float layerNormEps(OnnxGraph g, String weight) throws OnnxFormatException {
        String src = g.source();
        List<NodeProto> readers = g.consumers(weight);
        if (readers.size() != 1) {
            throw new OnnxFormatException(
                    src, "LayerNorm weight '" + weight + "' should be read by one node, is read by " + readers.size());
        }
        NodeProto n = readers.getFirst();
        if (n.getOpType().equals("LayerNormalization")) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals("epsilon")) {
                    return a.getF();
                }
            }
            return 1e-5f; // the operator's documented default
        }
        // decomposed: Mul(Div(x - mean, Sqrt(Add(ReduceMean(...), eps))), weight)
        NodeProto div = producerOf(g, n, weight, "Mul", "Div");
        NodeProto sqrt = g.producer(div.getInput(1)).orElse(null);
        if (sqrt == null || !sqrt.getOpType().equals("Sqrt")) {
            throw new OnnxFormatException(src, "LayerNorm of '" + weight + "': the divisor is not a Sqrt");
        }
        NodeProto add = g.producer(sqrt.getInput(0)).orElse(null);
        if (add == null || !add.getOpType().equals("Add")) {
            throw new OnnxFormatException(src, "LayerNorm of '" + weight + "': no Add of epsilon under the Sqrt");
        }
        for (String in : add.getInputList()) {
            Optional<OnnxTensor> c = g.constant(in);
            if (c.isPresent() && c.get().data().length == 1) {
                return c.get().data()[0];
            }
        }
        throw new OnnxFormatException(
                src, "LayerNorm of '" + weight + "': the Add under the Sqrt has no scalar constant");
    }

    private static NodeProto producerOf(OnnxGraph g, NodeProto n, String known, String op, String wantedOp)
            throws OnnxFormatException {
        if (!n.getOpType().equals(op) || n.getInputCount() != 2) {
            throw new OnnxFormatException(
                    g.source(), "'" + known + "' should be read by a " + op + ", is read by " + n.getOpType());
        }
        String other = n.getInput(0).equals(known) ? n.getInput(1) : n.getInput(0);
        NodeProto p = g.producer(other).orElse(null);
        if (p == null || !p.getOpType().equals(wantedOp)) {
            throw new OnnxFormatException(
                    g.source(),
                    "the " + op + " reading '" + known + "' should take a " + wantedOp + " output, got "
                            + (p == null ? "no node" : p.getOpType()));
        }
        return p;
    }

    /** head_dim from the attention-score scale before the first Softmax (Div by sqrt(d) or Mul by 1/sqrt(d)). */
    private static int headDim(OnnxGraph g) throws OnnxFormatException {
        NodeProto softmax = g.nodes().stream()
                .filter(n -> n.getOpType().equals("Softmax"))
                .findFirst()
                .orElseThrow(() -> new OnnxFormatException(g.source(), "no Softmax node: not an attention model"));
        List<NodeProto> frontier = List.of(softmax);
        for (int depth = 0; depth < 4; depth++) {
            List<NodeProto> next = new ArrayList<>();
            for (NodeProto n : frontier) {
                for (String in : n.getInputList()) {
                    Optional<NodeProto> p = g.producer(in);
                    if (p.isEmpty()) {
                        continue;
                    }
                    NodeProto q = p.get();
                    if ((q.getOpType().equals("Div") || q.getOpType().equals("Mul")) && q.getInputCount() == 2) {
                        Optional<OnnxTensor> c = g.constant(q.getInput(1));
                        if (c.isPresent() && c.get().data().length == 1) {
                            double s = c.get().data()[0];
                            double d = q.getOpType().equals("Div") ? s * s : 1.0 / (s * s);
                            if (d >= 1 && d <= 65536) { // skips the attention-mask Mul by a huge negative number
                                return (int) Math.round(d);
                            }
                        }
                    }
                    next.add(q);
                }
            }
            frontier = next;
        }
        throw new OnnxFormatException(
                g.source(), "no attention-score scale (Div or Mul by a scalar) before the first Softmax");
    }
}
