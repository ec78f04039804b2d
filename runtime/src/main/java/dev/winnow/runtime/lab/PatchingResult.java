package dev.winnow.runtime.lab;

/**
 * Activation patching (Meng et al. 2022 "causal tracing"; Wang et al. 2022; TransformerLens {@code patching}): the
 * clean run's activation written into the corrupted run at one site, and how much of the clean behaviour that
 * brings back. The behaviour is the logit difference at the last position, {@code LD = logit(target) -
 * logit(distractor)}; the recovery of a patch is {@code (LD_patched - LD_corrupt) / (LD_clean - LD_corrupt)} (1 =
 * the clean LD, 0 = no effect; NaN when LD_clean equals LD_corrupt). Rows are layers; columns are positions (one site
 * at one position per patched run) or, for {@link PatchSite#HEAD}, heads (one head at every position).
 */
public final class PatchingResult {
    private final PatchSite site;
    private final int target;
    private final int distractor;
    private final double ldClean;
    private final double ldCorrupt;
    private final double[][] ldPatched;

    PatchingResult(PatchSite site, int target, int distractor, double ldClean, double ldCorrupt, double[][] ldPatched) {
        this.site = site;
        this.target = target;
        this.distractor = distractor;
        this.ldClean = ldClean;
        this.ldCorrupt = ldCorrupt;
        this.ldPatched = ldPatched;
    }

    /**
     * @return the patched site
     */
    public PatchSite site() {
        return site;
    }

    /**
     * @return the target token
     */
    public int target() {
        return target;
    }

    /**
     * @return the distractor token
     */
    public int distractor() {
        return distractor;
    }

    /**
     * @return LD of the clean run
     */
    public double ldClean() {
        return ldClean;
    }

    /**
     * @return LD of the corrupted run
     */
    public double ldCorrupt() {
        return ldCorrupt;
    }

    /**
     * @return rows (layers)
     */
    public int layers() {
        return ldPatched.length;
    }

    /**
     * @return columns (positions, or heads for {@link PatchSite#HEAD})
     */
    public int columns() {
        return ldPatched.length == 0 ? 0 : ldPatched[0].length;
    }

    /**
     * @param layer layer
     * @param column position or head
     * @return LD of the patched run
     */
    public double ldPatched(int layer, int column) {
        return ldPatched[layer][column];
    }

    /**
     * @param layer layer
     * @param column position or head
     * @return its recovery
     */
    public double recovery(int layer, int column) {
        return (ldPatched[layer][column] - ldCorrupt) / (ldClean - ldCorrupt);
    }

    /**
     * @return [layer][column] recovery
     */
    public double[][] recoveryMatrix() {
        double[][] r = new double[layers()][columns()];
        for (int l = 0; l < layers(); l++) {
            for (int c = 0; c < columns(); c++) {
                r[l][c] = recovery(l, c);
            }
        }
        return r;
    }
}
