package dev.winnow.models.gguf.inspect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufFormatException;
import dev.winnow.models.gguf.GgufTensorInfo;
import dev.winnow.models.gguf.GgufValidator;
import dev.winnow.models.gguf.GgufValue;
import dev.winnow.models.gguf.GgufValueType;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Describes a GGUF file for people and programs, like llama.cpp's {@code gguf-dump}: the header, each metadata key with
 * its type and value (arrays longer than a limit shown as their first elements and their length), and the tensor
 * table (name, ggml type, shape in ggml order, data offset, bytes), and the verdict of
 * {@link GgufValidator#checkForLlama}. Used by {@code winnow models inspect}.
 */
public final class GgufInspector {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final int arrayLimit;

    /**
     * @param arrayLimit most elements of an array to show, 0 for all
     * @throws IllegalArgumentException if negative
     */
    public GgufInspector(int arrayLimit) {
        if (arrayLimit < 0) {
            throw new IllegalArgumentException("array limit " + arrayLimit + " is negative");
        }
        this.arrayLimit = arrayLimit;
    }

    /**
     * Prints the human-readable description: a summary line, a metadata table and a tensor table.
     *
     * @param file a parsed file
     * @param name the name to show for it
     * @param out where to print
     */
    public void printText(GgufFile file, String name, PrintWriter out) {
        out.printf(
                "%s: GGUF v%d, %,d bytes, %d metadata keys, %d tensors, alignment %d, data at byte %,d%n",
                name,
                file.version(),
                file.fileSize(),
                file.metadata().size(),
                file.tensors().size(),
                file.alignment(),
                file.dataOffset());
        out.println();
        int keyWidth = Math.max(
                3,
                file.metadata().keySet().stream().mapToInt(String::length).max().orElse(0));
        out.printf("%4s  %-" + keyWidth + "s  %-15s  %s%n", "#", "key", "type", "value");
        int i = 1;
        for (Map.Entry<String, GgufValue> e : file.metadata().entrySet()) {
            GgufValue v = e.getValue();
            out.printf("%4d  %-" + keyWidth + "s  %-15s  %s%n", i++, e.getKey(), v.describeType(), text(v));
        }
        out.println();
        int nameWidth = Math.max(
                4,
                file.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(0));
        out.printf(
                "%4s  %-" + nameWidth + "s  %-7s  %-22s  %14s  %12s%n",
                "#",
                "name",
                "type",
                "shape",
                "data offset",
                "bytes");
        i = 1;
        long total = 0;
        for (GgufTensorInfo t : file.tensors()) {
            out.printf(
                    "%4d  %-" + nameWidth + "s  %-7s  %-22s  %,14d  %,12d%n",
                    i++,
                    t.name(),
                    t.type().ggmlName(),
                    shape(t),
                    t.offset(),
                    t.byteSize());
            total += t.byteSize();
        }
        long elements =
                file.tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum();
        out.printf(
                "%d tensors, %,d elements, %,d bytes of tensor data%n",
                file.tensors().size(), elements, total);
        out.println("llama.cpp checks: " + llamaChecks(file));
        out.flush();
    }

    /**
     * The description as JSON: {@code {file, version, fileSize, alignment, dataOffset, llamaChecks ("passed" or
     * "FAILED: ..."), metadata: [{key, type, value,
     * length?, truncated?}], tensors: [{name, type, shape, offset, fileOffset, bytes, elements}]}}. Integer values are
     * JSON numbers (UINT64 as an unsigned number), floats JSON numbers or the strings {@code "NaN"}, {@code "Infinity"},
     * {@code "-Infinity"}.
     *
     * @param file a parsed file
     * @param name the name to record in {@code file}
     * @return the JSON tree
     */
    public ObjectNode json(GgufFile file, String name) {
        ObjectNode root = NODES.objectNode();
        root.put("file", name);
        root.put("version", file.version());
        root.put("fileSize", file.fileSize());
        root.put("alignment", file.alignment());
        root.put("dataOffset", file.dataOffset());
        root.put("llamaChecks", llamaChecks(file));
        ArrayNode md = root.putArray("metadata");
        for (Map.Entry<String, GgufValue> e : file.metadata().entrySet()) {
            ObjectNode kv = md.addObject();
            GgufValue v = e.getValue();
            kv.put("key", e.getKey());
            kv.put("type", v.describeType());
            if (v.type() == GgufValueType.ARRAY) {
                List<?> list = v.asList();
                kv.put("length", list.size());
                kv.set("value", jsonArray(v));
                if (arrayLimit > 0 && list.size() > arrayLimit) {
                    kv.put("truncated", true);
                }
            } else {
                kv.set("value", jsonScalar(v.type(), v.value()));
            }
        }
        ArrayNode ts = root.putArray("tensors");
        for (GgufTensorInfo t : file.tensors()) {
            ObjectNode o = ts.addObject();
            o.put("name", t.name());
            o.put("type", t.type().ggmlName());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            o.put("offset", t.offset());
            o.put("fileOffset", file.dataOffset() + t.offset());
            o.put("bytes", t.byteSize());
            o.put("elements", t.elementCount());
        }
        return root;
    }

    /**
     * @param node a JSON tree
     * @return it as indented text
     */
    public static String toJsonText(JsonNode node) {
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    private ArrayNode jsonArray(GgufValue v) {
        ArrayNode a = NODES.arrayNode();
        List<?> list = v.asList();
        int n = arrayLimit == 0 ? list.size() : Math.min(arrayLimit, list.size());
        for (int i = 0; i < n; i++) {
            Object e = list.get(i);
            a.add(v.elementType() == GgufValueType.ARRAY ? jsonArray((GgufValue) e) : jsonScalar(v.elementType(), e));
        }
        return a;
    }

    private static JsonNode jsonScalar(GgufValueType type, Object o) {
        return switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32 -> NODES.numberNode((Integer) o);
            case UINT32, INT64 -> NODES.numberNode((Long) o);
            case UINT64 -> NODES.numberNode(new BigInteger(Long.toUnsignedString((Long) o)));
            case FLOAT32 -> finite((Float) o) ? NODES.numberNode((Float) o) : NODES.textNode(o.toString());
            case FLOAT64 -> finite((Double) o) ? NODES.numberNode((Double) o) : NODES.textNode(o.toString());
            case BOOL -> NODES.booleanNode((Boolean) o);
            case STRING -> NODES.textNode((String) o);
            case ARRAY -> throw new IllegalStateException("arrays are converted by jsonArray");
        };
    }

    /**
     * @return "passed", or the problem {@link GgufValidator#checkForLlama} found (for the first shard of a split model
     *     read from a file, {@link GgufValidator#checkShards} too)
     */
    private static String llamaChecks(GgufFile file) {
        try {
            GgufValidator.checkForLlama(file);
            if (file.path() != null) {
                GgufValidator.checkShards(file);
            }
            return "passed";
        } catch (GgufFormatException e) {
            return "FAILED: " + e.getMessage();
        } catch (IOException e) {
            return "FAILED: a shard cannot be read: " + e.getMessage();
        }
    }

    /**
     * Non-finite values found in one tensor by {@link #deepScan}.
     *
     * @param tensor the tensor's name
     * @param type its ggml type name
     * @param count how many values are NaN or infinite (for block types: values of blocks whose scale is)
     * @param firstIndex the element index of the first one
     */
    public record NonFinite(String tensor, String type, long count, long firstIndex) {}

    /**
     * The result of {@link #deepScan}.
     *
     * @param scanned tensors scanned
     * @param nonFinite the tensors holding NaN or infinite values, in file order
     * @param notScanned names of tensors of types the scan cannot decode (K-quants, IQ types, TQ, MXFP4...)
     */
    public record DeepScan(int scanned, List<NonFinite> nonFinite, List<String> notScanned) {}

    /** The types {@link #deepScan} reads. */
    public static final Set<GgmlType> SCANNED_TYPES = EnumSet.of(
            GgmlType.F32,
            GgmlType.F16,
            GgmlType.BF16,
            GgmlType.F64,
            GgmlType.Q8_0,
            GgmlType.Q4_0,
            GgmlType.Q4_1,
            GgmlType.Q5_0,
            GgmlType.Q5_1,
            GgmlType.I8,
            GgmlType.I16,
            GgmlType.I32,
            GgmlType.I64);

    /**
     * Scans every tensor's values for NaN and infinities ({@code winnow models inspect --deep}; llama.cpp does not check
     * weights at load and a single NaN weight makes every output NaN). F32, F16, BF16 and F64 are read value by value;
     * Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1 through their F16 block scales (and minimums), the only place a non-finite value
     * can sit in those layouts (every value of such a block counts); integer types are always finite. Other types are
     * listed as not scanned.
     *
     * @param file a parsed file
     * @return what was found
     */
    public static DeepScan deepScan(GgufFile file) {
        List<NonFinite> bad = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        int scanned = 0;
        ValueLayout.OfShort s16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (GgufTensorInfo t : file.tensors()) {
            if (!SCANNED_TYPES.contains(t.type())) {
                skipped.add(t.name() + " (" + t.type().ggmlName() + ")");
                continue;
            }
            scanned++;
            MemorySegment d = file.tensorData(t);
            long n = t.elementCount();
            long count = 0;
            long first = -1;
            switch (t.type()) {
                case F32, F16, BF16, F64 -> {
                    for (long i = 0; i < n; i++) {
                        boolean finite = switch (t.type()) {
                            case F32 -> (d.get(i32, 4 * i) & 0x7f800000) != 0x7f800000;
                            case F16 -> (d.get(s16, 2 * i) & 0x7c00) != 0x7c00;
                            case BF16 -> (d.get(s16, 2 * i) & 0x7f80) != 0x7f80;
                            default -> (d.get(i64, 8 * i) & 0x7ff0000000000000L) != 0x7ff0000000000000L;
                        };
                        if (!finite) {
                            count++;
                            if (first < 0) {
                                first = i;
                            }
                        }
                    }
                }
                case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> {
                    int bs = t.type().blockSize();
                    int bytes = t.type().typeSize();
                    boolean hasMin = t.type() == GgmlType.Q4_1 || t.type() == GgmlType.Q5_1;
                    for (long b = 0; b < n / bs; b++) {
                        long o = b * bytes;
                        boolean finite = (d.get(s16, o) & 0x7c00) != 0x7c00
                                && (!hasMin || (d.get(s16, o + 2) & 0x7c00) != 0x7c00);
                        if (!finite) {
                            count += bs;
                            if (first < 0) {
                                first = b * bs;
                            }
                        }
                    }
                }
                default -> {}
            }
            if (count > 0) {
                bad.add(new NonFinite(t.name(), t.type().ggmlName(), count, first));
            }
        }
        return new DeepScan(scanned, bad, skipped);
    }

    /**
     * Prints a {@link #deepScan} result: one line per tensor with non-finite values, then the tensors not scanned.
     *
     * @param scan the result
     * @param out where to print
     */
    public static void printDeepScan(DeepScan scan, PrintWriter out) {
        out.printf(
                "deep scan: %d tensors scanned, %d with NaN or infinite values, %d not scanned%n",
                scan.scanned(), scan.nonFinite().size(), scan.notScanned().size());
        for (NonFinite nf : scan.nonFinite()) {
            out.printf(
                    "  NON-FINITE %s (%s): %,d values, first at element %,d%n",
                    nf.tensor(), nf.type(), nf.count(), nf.firstIndex());
        }
        if (!scan.notScanned().isEmpty()) {
            out.println("  not scanned (type not decoded): " + String.join(", ", scan.notScanned()));
        }
        out.flush();
    }

    /**
     * Adds a {@link #deepScan} result to a {@link #json} tree as {@code deepScan: {scanned, nonFinite: [{tensor, type,
     * count, firstIndex}], notScanned: [...]}}.
     *
     * @param root the tree
     * @param scan the result
     */
    public static void addDeepScan(ObjectNode root, DeepScan scan) {
        ObjectNode o = root.putObject("deepScan");
        o.put("scanned", scan.scanned());
        ArrayNode a = o.putArray("nonFinite");
        for (NonFinite nf : scan.nonFinite()) {
            a.addObject()
                    .put("tensor", nf.tensor())
                    .put("type", nf.type())
                    .put("count", nf.count())
                    .put("firstIndex", nf.firstIndex());
        }
        ArrayNode ns = o.putArray("notScanned");
        scan.notScanned().forEach(ns::add);
    }

    private static boolean finite(double d) {
        return Double.isFinite(d);
    }

    private String text(GgufValue v) {
        if (v.type() != GgufValueType.ARRAY) {
            return scalarText(v.type(), v.value());
        }
        List<?> list = v.asList();
        int n = arrayLimit == 0 ? list.size() : Math.min(arrayLimit, list.size());
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                b.append(", ");
            }
            Object e = list.get(i);
            b.append(v.elementType() == GgufValueType.ARRAY ? text((GgufValue) e) : scalarText(v.elementType(), e));
        }
        if (n < list.size()) {
            b.append(", ... (").append(list.size() - n).append(" more)");
        }
        return b.append("] (").append(list.size()).append(")").toString();
    }

    private static String scalarText(GgufValueType type, Object o) {
        return switch (type) {
            case STRING -> quote((String) o);
            case UINT64 -> Long.toUnsignedString((Long) o);
            default -> String.valueOf(o);
        };
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        int shown = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (shown++ == 120) {
                b.append("...");
                break;
            }
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static String shape(GgufTensorInfo t) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < t.dimensions(); i++) {
            b.append(i > 0 ? ", " : "").append(t.dim(i));
        }
        return b.append(']').toString();
    }
}
