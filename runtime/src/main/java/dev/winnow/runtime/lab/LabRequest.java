package dev.winnow.runtime.lab;

import java.util.List;
import java.util.Locale;

/**
 * One experiment as the command line ({@code winnow lab}) and the scripts ({@code winnow.lab(...)}) ask for it, in
 * text: {@link LabReport#run} tokenizes, picks default tokens and runs it.
 *
 * @param experiment {@code cache}, {@code logit-lens}, {@code patch} or {@code ablate}
 * @param prompts the prompts (patch: the clean prompt; logit-lens and ablate: the first is used)
 * @param corrupt patch: the corrupted prompt (same token length), else null
 * @param target the target token: its text ({@code " Lily"}) or {@code #id}; null = the model's top token at the end
 *     of the (clean) prompt
 * @param distractor the distractor, as target; null = patch: the corrupted prompt's top token other than the target,
 *     ablate: the prompt's second-best token
 * @param site patch: residual, attention, ffn or head
 * @param mode ablate: zero or mean
 * @param reference ablate with mode mean: the reference prompts
 * @param globs cache: tensor name globs
 * @param maxBytes cache: the bound of the cache
 * @param top logit-lens: top tokens reported per layer and position
 * @param steering steer: the negative prompts, weights, scale, output file and evaluation prompt (null for the other
 *     experiments)
 * @param length induction: tokens per random copy; signatures: tokens to generate (default 20)
 * @param sequences induction: random sequences (default 4)
 * @param seed induction and signatures: the random seed
 * @param temperature signatures: 0 = greedy, else sampling at this temperature (top-k 40, top-p 0.95, min-p 0.05)
 */
public record LabRequest(
        String experiment,
        List<String> prompts,
        String corrupt,
        String target,
        String distractor,
        String site,
        String mode,
        List<String> reference,
        List<String> globs,
        long maxBytes,
        int top,
        Steering steering,
        int length,
        int sequences,
        long seed,
        double temperature) {
    /** The experiments this version runs. */
    public static final List<String> EXPERIMENTS =
            List.of("cache", "logit-lens", "patch", "ablate", "induction", "steer", "signatures");

    /**
     * What {@code steer} needs besides the positive prompts ({@link #prompts()}).
     *
     * @param negative the negative prompts
     * @param weights one weight per layer (weights[0] must be 0), or null for 0 then 1 on every other layer
     * @param scale the global scale
     * @param out where to write the control-vector GGUF, or null
     * @param eval the prompt whose next-token distribution is compared with and without steering (null: the first
     *     negative prompt)
     */
    public record Steering(List<String> negative, double[] weights, double scale, String out, String eval) {
        /**
         * @throws IllegalArgumentException without negative prompts
         */
        public Steering {
            if (negative == null || negative.isEmpty()) {
                throw new IllegalArgumentException("steering needs negative prompts (--negative TEXT)");
            }
            negative = List.copyOf(negative);
        }
    }

    /**
     * Checks and fills defaults (site residual, mode zero, globs {@code l_out-*}, 1 GiB, top 3).
     *
     * @throws IllegalArgumentException naming the field and the problem
     */
    public LabRequest {
        if (experiment == null || !EXPERIMENTS.contains(experiment.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(
                    "unknown experiment '" + experiment + "': one of " + EXPERIMENTS + " (see docs/lab.md)");
        }
        experiment = experiment.toLowerCase(Locale.ROOT);
        if ((prompts == null || prompts.isEmpty()) && !experiment.equals("induction")) {
            throw new IllegalArgumentException("lab " + experiment + " needs a prompt (--prompt TEXT)");
        }
        prompts = prompts == null ? List.of() : prompts;
        if (experiment.equals("patch") && corrupt == null) {
            throw new IllegalArgumentException("lab patch needs a corrupted prompt (--corrupt TEXT / corrupt)");
        }
        prompts = List.copyOf(prompts);
        site = site == null ? "residual" : site;
        PatchSite.parse(site);
        mode = mode == null ? "zero" : mode.toLowerCase(Locale.ROOT);
        if (!mode.equals("zero") && !mode.equals("mean")) {
            throw new IllegalArgumentException("ablation mode must be zero or mean, got '" + mode + "'");
        }
        reference = reference == null ? List.of() : List.copyOf(reference);
        if (experiment.equals("ablate") && mode.equals("mean") && reference.isEmpty()) {
            throw new IllegalArgumentException("mean ablation needs at least one reference prompt (--reference TEXT)");
        }
        globs = globs == null || globs.isEmpty() ? List.of("l_out-*") : List.copyOf(globs);
        maxBytes = maxBytes <= 0 ? Lab.DEFAULT_CACHE_LIMIT : maxBytes;
        top = top <= 0 ? 3 : top;
        if (experiment.equals("steer") && steering == null) {
            throw new IllegalArgumentException("lab steer needs negative prompts (--negative TEXT)");
        }
        length = length <= 0 ? 20 : length;
        sequences = sequences <= 0 ? 4 : sequences;
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
    }

    /**
     * @param experiment the experiment
     * @param prompt the prompt
     * @return a request with every other field at its default
     */
    public static LabRequest of(String experiment, String prompt) {
        return new LabRequest(
                experiment, List.of(prompt), null, null, null, null, null, null, null, 0, 0, null, 0, 0, 0, 0);
    }
}
