package dev.winnow.models.synth;

import java.util.Locale;

/**
 * The llama.cpp architectures {@link SyntheticModel} writes. Both are decoder-only transformers with RMS norm,
 * grouped-query attention with RoPE and a SwiGLU feed-forward; {@code qwen2} adds biases to the Q, K and V
 * projections ({@code llama_model_qwen2::load_arch_tensors} in llama.cpp's {@code src/models/qwen2.cpp}).
 */
public enum Architecture {
    /** {@code general.architecture = "llama"}. */
    LLAMA("llama", 1e-5f, 10_000f),
    /** {@code general.architecture = "qwen2"}. */
    QWEN2("qwen2", 1e-6f, 1_000_000f);

    private final String ggufName;
    private final float rmsEps;
    private final float ropeFreqBase;

    Architecture(String ggufName, float rmsEps, float ropeFreqBase) {
        this.ggufName = ggufName;
        this.rmsEps = rmsEps;
        this.ropeFreqBase = ropeFreqBase;
    }

    /** @return the value of {@code general.architecture} and the prefix of its keys */
    public String ggufName() {
        return ggufName;
    }

    /** @return the RMS norm epsilon the real models of this architecture use (1e-5 Llama 2, 1e-6 Qwen2.5) */
    public float rmsEps() {
        return rmsEps;
    }

    /** @return the RoPE base frequency the real models use (10,000 Llama 2, 1,000,000 Qwen2.5) */
    public float ropeFreqBase() {
        return ropeFreqBase;
    }

    /** @return true when the Q, K and V projections have biases */
    public boolean qkvBias() {
        return this == QWEN2;
    }

    /**
     * @param name {@code llama} or {@code qwen2} (any case)
     * @return the architecture
     * @throws IllegalArgumentException for other names
     */
    public static Architecture parse(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown architecture '" + name + "', expected llama or qwen2");
    }
}
