package dev.winnow.runtime.lab;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A steering direction per layer: the difference of the mean residual stream ({@code l_out-L}, at each prompt's
 * last token) between a positive and a negative prompt set (activation addition, Turner et al. 2023; contrastive
 * activation addition, Rimsky et al. 2024), made by {@link Lab#steeringVector}. {@link #controlVector} weights it
 * per layer and scales it, in the form weighted-steering controllers output; the result is a llama.cpp control vector
 * ({@code llama_set_adapter_cvec}: added to {@code l_out-L}), applied by {@link Lab#steeredLogits} or exported as
 * the control-vector GGUF llama.cpp's {@code --control-vector} loader reads ({@link #writeGguf}).
 *
 * <p>llama.cpp's control vectors start at layer 1: layer 0's output cannot be steered, so its weight must be 0.
 */
public final class SteeringVector {
    private final float[][] directions;
    private final String architecture;

    SteeringVector(float[][] directions, String architecture) {
        this.directions = directions;
        this.architecture = architecture;
    }

    /**
     * @return layers
     */
    public int layers() {
        return directions.length;
    }

    /**
     * @return n_embd
     */
    public int embeddingSize() {
        return directions[0].length;
    }

    /**
     * @param layer layer
     * @return mean(positive l_out-L) - mean(negative l_out-L), a copy
     */
    public float[] direction(int layer) {
        return directions[layer].clone();
    }

    /**
     * The weighted, scaled vector in llama.cpp's control-vector layout: layer L (1..n_layer-1) at {@code [(L - 1) *
     * n_embd, L * n_embd)}, value {@code scale * weights[L] * direction(L)} (computed in float, as applied).
     *
     * @param weights one weight per layer (n_layer of them; weights[0] must be 0)
     * @param scale the global scale
     * @return n_embd x (n_layer - 1) floats for {@link dev.winnow.runtime.Context#setControlVector}
     * @throws IllegalArgumentException for a wrong number of weights or a weight on layer 0
     */
    public float[] controlVector(double[] weights, double scale) {
        int n = directions.length;
        int d = directions[0].length;
        if (weights.length != n) {
            throw new IllegalArgumentException(
                    "steering needs " + n + " layer weights (one per layer), got " + weights.length);
        }
        if (weights[0] != 0) {
            throw new IllegalArgumentException(
                    "layer 0 cannot be steered (llama.cpp's control vectors start at layer 1): its weight must be 0, got "
                            + weights[0]);
        }
        float[] out = new float[d * (n - 1)];
        for (int l = 1; l < n; l++) {
            float w = (float) (scale * weights[l]);
            for (int i = 0; i < d; i++) {
                out[(l - 1) * d + i] = w * directions[l][i];
            }
        }
        return out;
    }

    /**
     * Writes the weighted, scaled vector as a llama.cpp control-vector GGUF: {@code general.architecture =
     * "controlvector"}, {@code controlvector.model_hint} (the model's architecture), {@code controlvector.layer_count},
     * and one F32 tensor {@code direction.L} of n_embd values per layer L in 1..n_layer-1 (the layer numbers llama.cpp's
     * loader reads: {@code direction.L} is added to {@code l_out-L}).
     *
     * @param file where to write
     * @param weights as {@link #controlVector}
     * @param scale as {@link #controlVector}
     * @throws IOException if writing fails
     */
    public void writeGguf(Path file, double[] weights, double scale) throws IOException {
        float[] cv = controlVector(weights, scale);
        int d = directions[0].length;
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "controlvector")
                .putString("controlvector.model_hint", architecture)
                .putInt32("controlvector.layer_count", directions.length - 1);
        for (int l = 1; l < directions.length; l++) {
            float[] v = new float[d];
            System.arraycopy(cv, (l - 1) * d, v, 0, d);
            w.addTensor("direction." + l, GgmlType.F32, new long[] {d}, v);
        }
        w.write(file);
    }
}
