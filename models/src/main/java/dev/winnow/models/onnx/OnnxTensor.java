package dev.winnow.models.onnx;

import java.util.Arrays;

/**
 * A dense float32 tensor taken from an ONNX initializer or constant.
 *
 * <p>Shape in ONNX order (outermost first, row-major): a MatMul weight of shape {@code [in, out]} stores element
 * {@code (i, o)} at {@code data[i * out + o]}.
 *
 * @param name the initializer's name in the graph
 * @param shape dimensions, outermost first; empty for a scalar
 * @param data the elements, row-major; length is the product of {@code shape} (the array is shared, not copied)
 */
public record OnnxTensor(String name, long[] shape, float[] data) {

    /**
     * @throws IllegalArgumentException if the element count does not match the shape
     */
    public OnnxTensor {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n != data.length) {
            throw new IllegalArgumentException(
                    name + ": shape " + Arrays.toString(shape) + " holds " + n + " elements, data has " + data.length);
        }
        shape = shape.clone();
    }

    /**
     * @return a copy of the dimensions, outermost first
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Transposes a 2-D tensor: {@code [rows, cols]} becomes {@code [cols, rows]}.
     *
     * @return the transposed tensor, same name
     * @throws IllegalStateException if the tensor is not 2-D
     */
    public OnnxTensor transpose2d() {
        if (shape.length != 2) {
            throw new IllegalStateException(
                    name + ": transpose needs a 2-D tensor, shape is " + Arrays.toString(shape));
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[] t = new float[data.length];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = data[base + c];
            }
        }
        return new OnnxTensor(name, new long[] {cols, rows}, t);
    }
}
