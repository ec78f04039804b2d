package dev.winnow.models.onnx;

/**
 * Where one tensor of llama.cpp's BERT layout comes from in an ONNX graph.
 *
 * @param ggufName llama.cpp's name, e.g. {@code blk.0.attn_q.weight}, {@code token_embd.weight}
 * @param onnxName the ONNX initializer holding its values (an anonymous {@code onnx::MatMul_N} for projections)
 * @param transpose whether the ONNX values are transposed on the way: MatMul weights are stored {@code [in, out]}
 *     in ONNX and llama.cpp wants {@code [out, in]} (one row per output feature)
 * @param ne the GGUF dimensions, innermost first ({@code ne[0]} is the row length): the ONNX shape after the
 *     transposition, reversed
 */
public record BertTensor(String ggufName, String onnxName, boolean transpose, long[] ne) {

    /**
     * @return a copy of the GGUF dimensions, innermost first
     */
    @Override
    public long[] ne() {
        return ne.clone();
    }

    /**
     * @return the number of elements
     */
    public long elementCount() {
        long n = 1;
        for (long d : ne) {
            n *= d;
        }
        return n;
    }
}
