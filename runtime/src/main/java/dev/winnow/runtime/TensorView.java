package dev.winnow.runtime;

import dev.winnow.models.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One tensor of the compute graph as a tap sees it ({@code struct ggml_tensor}): name, layer, op, type, shape
 * {@code ne[0..3]} (elements; ne0 is the fastest-varying dimension), strides {@code nb[0..3]} (bytes), and its data.
 * Valid only inside {@link TensorListener#onTensor}.
 *
 * <p>Shapes of a Llama-type graph: {@code kq_soft_max-L} is [n_kv, n_tokens, n_head] (row = query token, column =
 * KV cell); {@code Qcur-L} after RoPE [head_dim, n_head, n_tokens]; {@code Kcur-L} [head_dim, n_head_kv, n_tokens];
 * {@code l_out-L} [n_embd, n_tokens].
 */
public final class TensorView {
    private final String name;
    private final int layer;
    private final String op;
    private final GgmlType type;
    private final long[] ne;
    private final long[] nb;
    private final MemorySegment data;
    private final boolean writable;
    private boolean stop;

    TensorView(
            String name,
            int layer,
            String op,
            GgmlType type,
            long[] ne,
            long[] nb,
            MemorySegment data,
            boolean writable) {
        this.name = name;
        this.layer = layer;
        this.op = op;
        this.type = type;
        this.ne = ne;
        this.nb = nb;
        this.data = writable ? data : data.asReadOnly();
        this.writable = writable;
    }

    /**
     * @return the graph node's name ("kq_soft_max-3")
     */
    public String name() {
        return name;
    }

    /**
     * @return the layer number after the last '-' of the name, or -1 if the name has none
     */
    public int layer() {
        return layer;
    }

    /**
     * @return the ggml op that computed it, as ggml_op_name spells it ("SOFT_MAX", "ROPE", "MUL_MAT", ...)
     */
    public String op() {
        return op;
    }

    /**
     * @return element type
     */
    public GgmlType type() {
        return type;
    }

    /**
     * @param dim 0..3
     * @return elements along that dimension
     */
    public long ne(int dim) {
        return ne[dim];
    }

    /**
     * @param dim 0..3
     * @return stride in bytes along that dimension
     */
    public long nb(int dim) {
        return nb[dim];
    }

    /**
     * @return a copy of ne[0..3]
     */
    public long[] shape() {
        return ne.clone();
    }

    /**
     * @return a copy of nb[0..3]
     */
    public long[] strides() {
        return nb.clone();
    }

    /**
     * @return total elements
     */
    public long elementCount() {
        return ne[0] * ne[1] * ne[2] * ne[3];
    }

    /**
     * @return the tensor's bytes (read-only unless this is an intervention); a copy for tensors not in host memory
     */
    public MemorySegment data() {
        return data;
    }

    /**
     * @return whether writes to {@link #data()} reach the graph (interventions)
     */
    public boolean writable() {
        return writable;
    }

    /**
     * Reads one F32 element.
     *
     * @param i0 index along ne0
     * @param i1 index along ne1
     * @param i2 index along ne2
     * @param i3 index along ne3
     * @return the value
     * @throws IllegalStateException if the type is not F32
     */
    public float get(long i0, long i1, long i2, long i3) {
        requireF32();
        return data.get(ValueLayout.JAVA_FLOAT, i0 * nb[0] + i1 * nb[1] + i2 * nb[2] + i3 * nb[3]);
    }

    /**
     * Writes one F32 element (interventions only).
     *
     * @param i0 index along ne0
     * @param i1 index along ne1
     * @param i2 index along ne2
     * @param i3 index along ne3
     * @param value the new value
     */
    public void set(long i0, long i1, long i2, long i3, float value) {
        requireF32();
        data.set(ValueLayout.JAVA_FLOAT, i0 * nb[0] + i1 * nb[1] + i2 * nb[2] + i3 * nb[3], value);
    }

    /**
     * Copies an F32 tensor into a dense array in ne0-fastest order (strides followed, so views and permutes work).
     *
     * @return ne0*ne1*ne2*ne3 floats
     */
    public float[] toFloatArray() {
        requireF32();
        long n = elementCount();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalStateException("tensor " + name + " has " + n + " elements, too many for one array");
        }
        float[] out = new float[(int) n];
        int k = 0;
        boolean rowsContiguous = nb[0] == 4;
        for (long i3 = 0; i3 < ne[3]; i3++) {
            for (long i2 = 0; i2 < ne[2]; i2++) {
                for (long i1 = 0; i1 < ne[1]; i1++) {
                    long base = i1 * nb[1] + i2 * nb[2] + i3 * nb[3];
                    if (rowsContiguous) {
                        MemorySegment.copy(data, ValueLayout.JAVA_FLOAT, base, out, k, (int) ne[0]);
                        k += (int) ne[0];
                    } else {
                        for (long i0 = 0; i0 < ne[0]; i0++) {
                            out[k++] = data.get(ValueLayout.JAVA_FLOAT, base + i0 * nb[0]);
                        }
                    }
                }
            }
        }
        return out;
    }

    private void requireF32() {
        if (type != GgmlType.F32) {
            throw new IllegalStateException("tensor " + name + " is " + type + ", not F32");
        }
    }

    /** Stops the graph after this tensor (early exit): the decode's logits and embeddings are then absent. */
    public void stopGraph() {
        stop = true;
    }

    boolean stopRequested() {
        return stop;
    }

    @Override
    public String toString() {
        return name + " " + op + " " + type + " [" + ne[0] + ", " + ne[1] + ", " + ne[2] + ", " + ne[3] + "]";
    }
}
