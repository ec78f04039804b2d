package dev.winnow.runtime.lab;

/**
 * Head ablation: each head's output ({@code hook_z}, its slice of {@code kqv_out-L}) replaced at every position by
 * zeros or by its mean over reference prompts, one head per run, and the logit difference {@code LD =
 * logit(target) - logit(distractor)} at the last position that results. {@link #effect} is {@code LD_ablated -
 * LD_clean} (negative: the head supported the target over the distractor); {@link #relativeEffect} divides it by
 * {@code |LD_clean|}. Rows are layers, columns heads.
 */
public final class AblationResult {
    private final AblationMode mode;
    private final double ldClean;
    private final double[][] ldAblated;

    AblationResult(AblationMode mode, double ldClean, double[][] ldAblated) {
        this.mode = mode;
        this.ldClean = ldClean;
        this.ldAblated = ldAblated;
    }

    /**
     * @return zero or mean
     */
    public AblationMode mode() {
        return mode;
    }

    /**
     * @return LD of the run without ablation
     */
    public double ldClean() {
        return ldClean;
    }

    /**
     * @return layers
     */
    public int layers() {
        return ldAblated.length;
    }

    /**
     * @return heads per layer
     */
    public int heads() {
        return ldAblated.length == 0 ? 0 : ldAblated[0].length;
    }

    /**
     * @param layer layer
     * @param head head
     * @return LD with that head ablated
     */
    public double ldAblated(int layer, int head) {
        return ldAblated[layer][head];
    }

    /**
     * @param layer layer
     * @param head head
     * @return LD_ablated - LD_clean
     */
    public double effect(int layer, int head) {
        return ldAblated[layer][head] - ldClean;
    }

    /**
     * @param layer layer
     * @param head head
     * @return (LD_ablated - LD_clean) / |LD_clean|
     */
    public double relativeEffect(int layer, int head) {
        return effect(layer, head) / Math.abs(ldClean);
    }

    /**
     * @return [layer][head] effect
     */
    public double[][] effectMatrix() {
        double[][] r = new double[layers()][heads()];
        for (int l = 0; l < layers(); l++) {
            for (int h = 0; h < heads(); h++) {
                r[l][h] = effect(l, h);
            }
        }
        return r;
    }
}
