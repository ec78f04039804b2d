package dev.winnow.models.convert;

import dev.winnow.models.onnx.OnnxFormatException;
import dev.winnow.models.onnx.OnnxGraph;
import dev.winnow.models.onnx.proto.NodeProto;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The sizes of a BERT-type encoder's ONNX graph that an embedder checks its tokenizer and token budget against,
 * read without decoding any weight: the rows of the word-embedding table that {@code input_ids} indexes (directly,
 * through a Cast, or through a DequantizeLinear of an int8 table) and the rows of the position embeddings.
 *
 * @param vocabularyRows rows of the word embeddings; 0 when the graph does not show them
 * @param positionRows rows of the position embeddings (the longest input); 0 when the graph does not show them
 */
public record EncoderShape(long vocabularyRows, long positionRows) {

    /**
     * Reads an encoder's ONNX file (the whole graph, with Winnow's own protobuf reader) and its sizes.
     *
     * @param onnx the ONNX file
     * @return its sizes
     * @throws OnnxFormatException when the file is not an ONNX model (the message names the file)
     * @throws IOException when it cannot be read
     */
    public static EncoderShape read(Path onnx) throws IOException {
        return of(OnnxGraph.read(onnx));
    }

    /**
     * @param graph an encoder's graph
     * @return its sizes
     * @throws OnnxFormatException when an initializer cannot be read
     */
    static EncoderShape of(OnnxGraph graph) throws OnnxFormatException {
        long vocab = 0;
        for (NodeProto n : idConsumers(graph)) {
            if (n.getOpType().equals("Gather") && n.getInputCount() == 2) {
                vocab = rowsOf(graph, n.getInput(0));
                break;
            }
        }
        long positions = 0;
        for (String name : graph.initializerNames()) {
            if (name.contains("position_embeddings")) {
                long[] s = graph.initializerShape(name);
                if (s.length == 2) {
                    positions = s[0];
                    break;
                }
            }
        }
        return new EncoderShape(vocab, positions);
    }

    private static List<NodeProto> idConsumers(OnnxGraph g) {
        List<NodeProto> direct = g.consumers("input_ids");
        List<NodeProto> out = new ArrayList<>(direct);
        for (NodeProto n : direct) {
            if (n.getOpType().equals("Cast") && n.getOutputCount() == 1) {
                out.addAll(g.consumers(n.getOutput(0)));
            }
        }
        return out;
    }

    private static long rowsOf(OnnxGraph g, String value) throws OnnxFormatException {
        if (g.hasInitializer(value)) {
            long[] s = g.initializerShape(value);
            return s.length == 2 ? s[0] : 0;
        }
        Optional<NodeProto> p = g.producer(value);
        if (p.isPresent()
                && p.get().getOpType().equals("DequantizeLinear")
                && g.hasInitializer(p.get().getInput(0))) {
            long[] s = g.initializerShape(p.get().getInput(0));
            return s.length == 2 ? s[0] : 0;
        }
        return 0;
    }
}
