package dev.winnow.models.gguf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One typed GGUF metadata value: a scalar, a string or an array (arrays may nest).
 *
 * <p>Java representation of {@link #value()} by type: {@code UINT8}, {@code INT8}, {@code UINT16}, {@code INT16} and
 * {@code INT32} as {@link Integer} (unsigned types zero-extended); {@code UINT32} and {@code INT64} as {@link Long};
 * {@code UINT64} as {@link Long} holding the 64 raw bits (values of 2^63 and above read as negative, see
 * {@link Long#toUnsignedString(long)}); {@code FLOAT32} as {@link Float}; {@code FLOAT64} as {@link Double};
 * {@code BOOL} as {@link Boolean}; {@code STRING} as {@link String}; {@code ARRAY} as an unmodifiable {@link List}
 * whose elements have the Java type of {@link #elementType()} ({@link GgufValue} for nested arrays).
 *
 * @param type the GGUF value type
 * @param elementType the element type of an array; null for every other type
 * @param value the value in the representation above
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    /**
     * Checks that {@code value} has the Java representation of {@code type} and is in its range.
     *
     * @throws IllegalArgumentException if it does not, or if {@code elementType} is set for a non-array
     */
    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        if (type == GgufValueType.ARRAY) {
            Objects.requireNonNull(elementType, "elementType of an array");
            if (!(value instanceof List<?> list)) {
                throw new IllegalArgumentException(
                        "an ARRAY value must be a List, got " + value.getClass().getName());
            }
            List<Object> copy = new ArrayList<>(list.size());
            for (Object e : list) {
                checkScalar(elementType, e);
                copy.add(e);
            }
            value = Collections.unmodifiableList(copy);
        } else {
            if (elementType != null) {
                throw new IllegalArgumentException("elementType is only for arrays, not " + type);
            }
            checkScalar(type, value);
        }
    }

    private static void checkScalar(GgufValueType type, Object v) {
        Objects.requireNonNull(v, "array element");
        boolean ok = switch (type) {
            case UINT8 -> v instanceof Integer i && i >= 0 && i <= 0xFF;
            case INT8 -> v instanceof Integer i && i >= Byte.MIN_VALUE && i <= Byte.MAX_VALUE;
            case UINT16 -> v instanceof Integer i && i >= 0 && i <= 0xFFFF;
            case INT16 -> v instanceof Integer i && i >= Short.MIN_VALUE && i <= Short.MAX_VALUE;
            case INT32 -> v instanceof Integer;
            case UINT32 -> v instanceof Long l && l >= 0 && l <= 0xFFFF_FFFFL;
            case INT64, UINT64 -> v instanceof Long;
            case FLOAT32 -> v instanceof Float;
            case FLOAT64 -> v instanceof Double;
            case BOOL -> v instanceof Boolean;
            case STRING -> v instanceof String;
            case ARRAY -> v instanceof GgufValue g && g.type == GgufValueType.ARRAY;
        };
        if (!ok) {
            throw new IllegalArgumentException(
                    "value " + v + " (" + v.getClass().getSimpleName() + ") is not a valid " + type + " value");
        }
    }

    /** @param v 0 to 255 @return a {@code UINT8} value */
    public static GgufValue uint8(int v) {
        return new GgufValue(GgufValueType.UINT8, null, v);
    }

    /** @param v -128 to 127 @return an {@code INT8} value */
    public static GgufValue int8(int v) {
        return new GgufValue(GgufValueType.INT8, null, v);
    }

    /** @param v 0 to 65535 @return a {@code UINT16} value */
    public static GgufValue uint16(int v) {
        return new GgufValue(GgufValueType.UINT16, null, v);
    }

    /** @param v -32768 to 32767 @return an {@code INT16} value */
    public static GgufValue int16(int v) {
        return new GgufValue(GgufValueType.INT16, null, v);
    }

    /** @param v 0 to 2^32 - 1 @return a {@code UINT32} value */
    public static GgufValue uint32(long v) {
        return new GgufValue(GgufValueType.UINT32, null, v);
    }

    /** @param v any int @return an {@code INT32} value */
    public static GgufValue int32(int v) {
        return new GgufValue(GgufValueType.INT32, null, v);
    }

    /** @param v the raw 64 bits of an unsigned value @return a {@code UINT64} value */
    public static GgufValue uint64(long v) {
        return new GgufValue(GgufValueType.UINT64, null, v);
    }

    /** @param v any long @return an {@code INT64} value */
    public static GgufValue int64(long v) {
        return new GgufValue(GgufValueType.INT64, null, v);
    }

    /** @param v any float @return a {@code FLOAT32} value */
    public static GgufValue float32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, null, v);
    }

    /** @param v any double @return a {@code FLOAT64} value */
    public static GgufValue float64(double v) {
        return new GgufValue(GgufValueType.FLOAT64, null, v);
    }

    /** @param v the flag @return a {@code BOOL} value */
    public static GgufValue bool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, null, v);
    }

    /** @param v the text (written as UTF-8) @return a {@code STRING} value */
    public static GgufValue string(String v) {
        return new GgufValue(GgufValueType.STRING, null, v);
    }

    /**
     * @param elementType the type of every element
     * @param elements elements in the Java representation of {@code elementType} (see the class comment)
     * @return an {@code ARRAY} value
     */
    public static GgufValue array(GgufValueType elementType, List<?> elements) {
        return new GgufValue(GgufValueType.ARRAY, elementType, elements);
    }

    /** @param v the strings @return an array of {@code STRING} */
    public static GgufValue stringArray(List<String> v) {
        return array(GgufValueType.STRING, v);
    }

    /** @param v the values @return an array of {@code INT32} */
    public static GgufValue int32Array(int... v) {
        List<Integer> l = new ArrayList<>(v.length);
        for (int x : v) {
            l.add(x);
        }
        return array(GgufValueType.INT32, l);
    }

    /** @param v the values @return an array of {@code FLOAT32} */
    public static GgufValue float32Array(float... v) {
        List<Float> l = new ArrayList<>(v.length);
        for (float x : v) {
            l.add(x);
        }
        return array(GgufValueType.FLOAT32, l);
    }

    /**
     * @return the value of an integer type as a long (UINT64: the raw bits)
     * @throws IllegalStateException if the type is not an integer type
     */
    public long asLong() {
        return switch (value) {
            case Integer i -> i;
            case Long l -> l;
            default -> throw new IllegalStateException("a " + type + " value is not an integer");
        };
    }

    /**
     * @return the value of an integer type as an int
     * @throws IllegalStateException if the type is not an integer type or the value does not fit in an int
     */
    public int asInt() {
        long l = asLong();
        if (l != (int) l) {
            throw new IllegalStateException("value " + l + " does not fit in an int");
        }
        return (int) l;
    }

    /**
     * @return the value of a numeric type (integer or float) as a double
     * @throws IllegalStateException for strings, booleans and arrays
     */
    public double asDouble() {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalStateException("a " + type + " value is not a number");
    }

    /**
     * @return the text of a {@code STRING} value
     * @throws IllegalStateException for other types
     */
    public String asString() {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalStateException("a " + type + " value is not a string");
    }

    /**
     * @return the flag of a {@code BOOL} value
     * @throws IllegalStateException for other types
     */
    public boolean asBoolean() {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalStateException("a " + type + " value is not a bool");
    }

    /**
     * @return the elements of an {@code ARRAY} value (unmodifiable)
     * @throws IllegalStateException for other types
     */
    public List<?> asList() {
        if (value instanceof List<?> l) {
            return l;
        }
        throw new IllegalStateException("a " + type + " value is not an array");
    }

    /**
     * @return the elements of an array of {@code STRING}
     * @throws IllegalStateException for other types
     */
    @SuppressWarnings("unchecked")
    public List<String> asStringList() {
        if (elementType != GgufValueType.STRING) {
            throw new IllegalStateException("a " + describeType() + " value is not an array of strings");
        }
        return (List<String>) value;
    }

    /**
     * @return {@code "STRING"} for scalars, {@code "ARRAY[INT32]"} for arrays (nested: {@code "ARRAY[ARRAY]"})
     */
    public String describeType() {
        return type == GgufValueType.ARRAY ? "ARRAY[" + elementType + "]" : type.toString();
    }
}
