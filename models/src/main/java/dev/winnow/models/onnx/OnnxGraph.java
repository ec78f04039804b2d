package dev.winnow.models.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.winnow.models.onnx.proto.AttributeProto;
import dev.winnow.models.onnx.proto.GraphProto;
import dev.winnow.models.onnx.proto.ModelProto;
import dev.winnow.models.onnx.proto.NodeProto;
import dev.winnow.models.onnx.proto.TensorProto;
import dev.winnow.models.onnx.proto.ValueInfoProto;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The computation graph of an ONNX model, parsed with protobuf-java from Winnow's own {@code onnx.proto} (the fields a
 * conversion reads), with look-ups by value name: which node produces a value, which nodes consume it, which
 * initializer or {@code Constant} node holds it.
 *
 * <p>Weights are the graph's initializers; this class decodes float32 (raw or {@code float_data}) and float16
 * initializers to {@link OnnxTensor}. Tensors stored outside the file ({@code data_location = EXTERNAL}) and files of
 * 2 GiB or more (protobuf's limit) are rejected with an {@link OnnxFormatException}.
 */
public final class OnnxGraph {
    private static final int DATA_LOCATION_EXTERNAL = 1;

    private final String source;
    private final GraphProto graph;
    private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final Map<String, List<NodeProto>> consumers = new HashMap<>();

    private OnnxGraph(String source, GraphProto graph) throws OnnxFormatException {
        this.source = source;
        this.graph = graph;
        for (TensorProto t : graph.getInitializerList()) {
            if (initializers.put(t.getName(), t) != null) {
                throw new OnnxFormatException(source, "initializer '" + t.getName() + "' appears twice");
            }
        }
        for (NodeProto n : graph.getNodeList()) {
            for (String out : n.getOutputList()) {
                if (!out.isEmpty() && producers.put(out, n) != null) {
                    throw new OnnxFormatException(source, "value '" + out + "' is produced by two nodes");
                }
            }
            for (String in : n.getInputList()) {
                if (!in.isEmpty()) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
        }
    }

    /**
     * Reads an {@code .onnx} file.
     *
     * @param file the model file
     * @return its graph
     * @throws OnnxFormatException if the file is not a valid ONNX model or has no graph
     * @throws IOException if it cannot be read
     */
    public static OnnxGraph read(Path file) throws IOException {
        long size = Files.size(file);
        if (size >= Integer.MAX_VALUE) {
            throw new OnnxFormatException(
                    file.toString(),
                    size + " bytes: ONNX files of 2 GiB or more keep weights outside, which is not supported");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads an ONNX model from a stream (for example an entry of a jar) to its end.
     *
     * @param in the serialized {@code ModelProto}; not closed
     * @param source a description of the input for error messages
     * @return its graph
     * @throws OnnxFormatException if the bytes are not a valid ONNX model or have no graph
     * @throws IOException if the stream cannot be read
     */
    public static OnnxGraph read(InputStream in, String source) throws IOException {
        ModelProto model;
        try {
            CodedInputStream cis = CodedInputStream.newInstance(new BufferedInputStream(in, 1 << 16));
            cis.setSizeLimit(Integer.MAX_VALUE);
            model = ModelProto.parseFrom(cis);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException(
                    source, "not an ONNX model (protobuf parse failed: " + e.getMessage() + ")", e);
        }
        if (!model.hasGraph() || model.getGraph().getNodeCount() == 0) {
            throw new OnnxFormatException(source, "the model has no graph (ModelProto.graph is empty)");
        }
        return new OnnxGraph(source, model.getGraph());
    }

    /**
     * @return the description of the input used in error messages
     */
    public String source() {
        return source;
    }

    /**
     * @return the nodes in the file's (topological) order
     */
    public List<NodeProto> nodes() {
        return graph.getNodeList();
    }

    /**
     * @return the names of the graph inputs (for a BERT export: input_ids, attention_mask, token_type_ids)
     */
    public List<String> inputNames() {
        return graph.getInputList().stream().map(ValueInfoProto::getName).toList();
    }

    /**
     * @return the names of the graph outputs
     */
    public List<String> outputNames() {
        return graph.getOutputList().stream().map(ValueInfoProto::getName).toList();
    }

    /**
     * @return the initializer names in file order
     */
    public Set<String> initializerNames() {
        return Collections.unmodifiableSet(initializers.keySet());
    }

    /**
     * @param name a value name
     * @return whether an initializer of that name exists
     */
    public boolean hasInitializer(String name) {
        return initializers.containsKey(name);
    }

    /**
     * @param name an initializer name
     * @return its dimensions, outermost first, without decoding the data
     * @throws OnnxFormatException if there is no such initializer
     */
    public long[] initializerShape(String name) throws OnnxFormatException {
        TensorProto t = initializers.get(name);
        if (t == null) {
            throw new OnnxFormatException(source, "no initializer named '" + name + "'");
        }
        return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Decodes an initializer to float32.
     *
     * @param name an initializer name
     * @return the tensor
     * @throws OnnxFormatException if there is no such initializer, or its type is not float32/float16, or its data is
     *     external or has the wrong length
     */
    public OnnxTensor initializer(String name) throws OnnxFormatException {
        TensorProto t = initializers.get(name);
        if (t == null) {
            throw new OnnxFormatException(source, "no initializer named '" + name + "'");
        }
        return decode(t);
    }

    /**
     * @param value a value name
     * @return the node that writes it, if any (graph inputs and initializers have none)
     */
    public Optional<NodeProto> producer(String value) {
        return Optional.ofNullable(producers.get(value));
    }

    /**
     * @param value a value name
     * @return the nodes that read it, in graph order (empty if none)
     */
    public List<NodeProto> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    /**
     * The constant behind a value: an initializer of that name, or the {@code value} attribute of the {@code Constant}
     * node that produces it.
     *
     * @param value a value name
     * @return the constant as float32, or empty if the value is computed at run time
     * @throws OnnxFormatException if the constant exists but cannot be decoded as float
     */
    public Optional<OnnxTensor> constant(String value) throws OnnxFormatException {
        TensorProto init = initializers.get(value);
        if (init != null) {
            return Optional.of(decode(init));
        }
        NodeProto p = producers.get(value);
        if (p != null && p.getOpType().equals("Constant")) {
            for (AttributeProto a : p.getAttributeList()) {
                if (a.getName().equals("value") && a.hasT()) {
                    TensorProto t = a.getT().toBuilder().setName(value).build();
                    return Optional.of(decode(t));
                }
                if (a.getName().equals("value_float")) {
                    return Optional.of(new OnnxTensor(value, new long[0], new float[] {a.getF()}));
                }
            }
        }
        return Optional.empty();
    }

    private OnnxTensor decode(TensorProto t) throws OnnxFormatException {
        String name = t.getName();
        if (t.getDataLocation() == DATA_LOCATION_EXTERNAL) {
            throw new OnnxFormatException(
                    source, "tensor '" + name + "' keeps its data in an external file: not supported");
        }
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new OnnxFormatException(source, "tensor '" + name + "' has a negative dimension " + d);
            }
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new OnnxFormatException(source, "tensor '" + name + "' has " + n + " elements: too large");
        }
        int count = (int) n;
        float[] data = new float[count];
        ByteString raw = t.getRawData();
        switch (t.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> {
                if (!raw.isEmpty()) {
                    expectBytes(name, raw, 4L * count);
                    raw.asReadOnlyByteBuffer()
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .asFloatBuffer()
                            .get(data);
                } else {
                    if (t.getFloatDataCount() != count) {
                        throw new OnnxFormatException(
                                source,
                                "tensor '" + name + "' needs " + count + " floats, float_data has "
                                        + t.getFloatDataCount());
                    }
                    for (int i = 0; i < count; i++) {
                        data[i] = t.getFloatData(i);
                    }
                }
            }
            case TensorProto.DataType.FLOAT16_VALUE -> {
                if (!raw.isEmpty()) {
                    expectBytes(name, raw, 2L * count);
                    ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < count; i++) {
                        data[i] = Float.float16ToFloat(b.getShort());
                    }
                } else {
                    // float16 values without raw_data are stored one per int32_data element (low 16 bits)
                    if (t.getInt32DataCount() != count) {
                        throw new OnnxFormatException(
                                source,
                                "tensor '" + name + "' needs " + count + " halves, int32_data has "
                                        + t.getInt32DataCount());
                    }
                    for (int i = 0; i < count; i++) {
                        data[i] = Float.float16ToFloat((short) t.getInt32Data(i));
                    }
                }
            }
            default ->
                throw new OnnxFormatException(
                        source,
                        "tensor '"
                                + name
                                + "' has data type "
                                + TensorProto.DataType.forNumber(t.getDataType())
                                + " ("
                                + t.getDataType()
                                + "); only FLOAT and FLOAT16 weights are supported");
        }
        return new OnnxTensor(name, shape, data);
    }

    private void expectBytes(String name, ByteString raw, long expected) throws OnnxFormatException {
        if (raw.size() != expected) {
            throw new OnnxFormatException(
                    source, "tensor '" + name + "' needs " + expected + " bytes of raw_data, has " + raw.size());
        }
    }
}
