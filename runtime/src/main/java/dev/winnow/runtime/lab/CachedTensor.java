package dev.winnow.runtime.lab;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One activation kept by an {@link ActivationCache}: F32 values off-heap, dense, in ggml order ({@code ne0} fastest),
 * with the shape llama.cpp gave the tensor except that attention scores ({@code kq-L}, {@code kq_soft_max-L}) keep
 * only the prompt's own KV cells (columns {@code 0..n_tokens-1}; the cache is fresh for every prompt, so cell {@code j}
 * is token {@code j}). Shapes of the llama graph (ggml order, fastest first): {@code l_out-L}, {@code attn_out-L},
 * {@code ffn_out-L}, {@code kqv_out-L} {@code [n_embd, n_tokens]}; {@code ffn_swiglu-L} {@code [n_ff, n_tokens]};
 * {@code Qcur-L} after RoPE {@code [head_dim, n_head, n_tokens]}; {@code kq_soft_max-L} {@code [n_tokens (key),
 * n_tokens (query), n_head]}; {@code kqv-L} {@code [head_dim, n_tokens, n_head]}. Valid until its cache is closed.
 */
public final class CachedTensor {
    private final String name;
    private final int layer;
    private final String op;
    private final long[] ne;
    private final int tokenAxis;
    final MemorySegment data;

    CachedTensor(String name, int layer, String op, long[] ne, int tokenAxis, MemorySegment data) {
        this.name = name;
        this.layer = layer;
        this.op = op;
        this.ne = ne;
        this.tokenAxis = tokenAxis;
        this.data = data;
    }

    /**
     * @return the graph node's name ("l_out-3")
     */
    public String name() {
        return name;
    }

    /**
     * @return the layer in the name, or -1 ("result_norm")
     */
    public int layer() {
        return layer;
    }

    /**
     * @return the ggml op of the node kept (when several nodes share the name, the last computed: {@code Qcur-L}
     *     after RoPE)
     */
    public String op() {
        return op;
    }

    /**
     * @return ne[0..3], elements per dimension, ne0 fastest
     */
    public long[] shape() {
        return ne.clone();
    }

    /**
     * @return which dimension (0..3) indexes tokens
     */
    public int tokenAxis() {
        return tokenAxis;
    }

    /**
     * @return the number of tokens
     */
    public int tokens() {
        return (int) ne[tokenAxis];
    }

    /**
     * @return the values, read-only, F32 native order
     */
    public MemorySegment data() {
        return data.asReadOnly();
    }

    /**
     * @return bytes held off-heap
     */
    public long bytes() {
        return data.byteSize();
    }

    /**
     * @param i0 index along ne0
     * @param i1 index along ne1
     * @param i2 index along ne2
     * @return one value
     * @throws IndexOutOfBoundsException naming the index and the shape
     */
    public float get(long i0, long i1, long i2) {
        if (i0 < 0 || i0 >= ne[0] || i1 < 0 || i1 >= ne[1] || i2 < 0 || i2 >= ne[2]) {
            throw new IndexOutOfBoundsException(
                    name + ": index [" + i0 + ", " + i1 + ", " + i2 + "] outside shape " + shapeText());
        }
        return data.getAtIndex(ValueLayout.JAVA_FLOAT, i0 + ne[0] * (i1 + ne[1] * i2));
    }

    /**
     * @return every value, ne0 fastest
     */
    public float[] toFloatArray() {
        return data.toArray(ValueLayout.JAVA_FLOAT);
    }

    /**
     * The values of one token: for {@code [n_embd, n_tokens]} tensors the token's vector; for {@code Qcur-L} its
     * {@code [head_dim, n_head]} block; for {@code kq_soft_max-L} the query row of every head ({@code [n_tokens,
     * n_head]}).
     *
     * @param token token index
     * @return the values whose token index is {@code token}, in ggml order
     */
    public float[] atToken(int token) {
        if (token < 0 || token >= tokens()) {
            throw new IndexOutOfBoundsException(name + ": token " + token + " outside [0, " + tokens() + ")");
        }
        long inner = 1;
        for (int d = 0; d < tokenAxis; d++) {
            inner *= ne[d];
        }
        long outer = 1;
        for (int d = tokenAxis + 1; d < 4; d++) {
            outer *= ne[d];
        }
        float[] out = new float[(int) (inner * outer)];
        long nTok = ne[tokenAxis];
        for (long o = 0; o < outer; o++) {
            MemorySegment.copy(
                    data, ValueLayout.JAVA_FLOAT, 4 * ((o * nTok + token) * inner), out, (int) (o * inner), (int)
                            inner);
        }
        return out;
    }

    String shapeText() {
        return "[" + ne[0] + ", " + ne[1] + ", " + ne[2] + ", " + ne[3] + "]";
    }

    @Override
    public String toString() {
        return name + " " + op + " " + shapeText();
    }
}
