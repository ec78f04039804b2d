package dev.winnow.runtime.lab;

import dev.winnow.runtime.Vocabulary;
import java.util.ArrayList;
import java.util.List;

/**
 * The logit lens of one prompt (nostalgebraist 2020; TransformerLens {@code accumulated_resid(apply_ln=True)} then
 * {@code unembed}): the residual stream after every layer ({@code l_out-L}) put through the model's own final norm
 * and output matrix, as if the layers after L were skipped. The last layer's row is the model's real output.
 * Computed by llama.cpp itself (the captured {@code l_out-L} written into the last layer's output), so it works for
 * any weight type and tied embeddings. Logits are {@code [layer][position][token]}.
 */
public final class LogitLens {
    private final int[] tokens;
    private final int target;
    private final float[][][] logits;
    private final Vocabulary vocabulary;

    LogitLens(int[] tokens, int target, float[][][] logits, Vocabulary vocabulary) {
        this.tokens = tokens;
        this.target = target;
        this.logits = logits;
        this.vocabulary = vocabulary;
    }

    /**
     * @return the prompt's tokens
     */
    public int[] tokens() {
        return tokens.clone();
    }

    /**
     * @return the target token, or -1 if none was given
     */
    public int target() {
        return target;
    }

    /**
     * @return layers (rows)
     */
    public int layers() {
        return logits.length;
    }

    /**
     * @return positions (one per prompt token)
     */
    public int positions() {
        return tokens.length;
    }

    /**
     * @param layer layer
     * @param position token position
     * @return the lens logits there (a copy, n_vocab floats)
     */
    public float[] logits(int layer, int position) {
        return logits[layer][position].clone();
    }

    /**
     * @param layer layer
     * @param position token position
     * @return softmax of the lens logits (computed in double)
     */
    public double[] probabilities(int layer, int position) {
        return softmax(logits[layer][position]);
    }

    /**
     * @param layer layer
     * @param position token position
     * @param k how many
     * @return the k tokens of highest logit, best first (ties: lower id first)
     */
    public List<TokenScore> top(int layer, int position, int k) {
        float[] l = logits[layer][position];
        double[] p = softmax(l);
        List<TokenScore> out = new ArrayList<>();
        boolean[] taken = new boolean[l.length];
        for (int n = 0; n < Math.min(k, l.length); n++) {
            int best = -1;
            for (int t = 0; t < l.length; t++) {
                if (!taken[t] && (best < 0 || l[t] > l[best])) {
                    best = t;
                }
            }
            taken[best] = true;
            out.add(new TokenScore(best, vocabulary.text(best), l[best], p[best]));
        }
        return out;
    }

    /**
     * @param layer layer
     * @param position token position
     * @param token a token
     * @return its rank among the lens logits there: 1 = the top token (tokens with a higher logit, plus one)
     */
    public int rank(int layer, int position, int token) {
        float[] l = logits[layer][position];
        float v = l[token];
        int r = 1;
        for (float x : l) {
            if (x > v) {
                r++;
            }
        }
        return r;
    }

    /**
     * @param layer layer
     * @param position token position
     * @param token a token
     * @return its probability under the lens there
     */
    public double probability(int layer, int position, int token) {
        return softmax(logits[layer][position])[token];
    }

    /**
     * @return [layer][position] rank of the target token
     * @throws IllegalStateException if no target was given
     */
    public int[][] targetRanks() {
        requireTarget();
        int[][] r = new int[layers()][positions()];
        for (int l = 0; l < layers(); l++) {
            for (int p = 0; p < positions(); p++) {
                r[l][p] = rank(l, p, target);
            }
        }
        return r;
    }

    /**
     * @return [layer][position] probability of the target token
     * @throws IllegalStateException if no target was given
     */
    public double[][] targetProbabilities() {
        requireTarget();
        double[][] r = new double[layers()][positions()];
        for (int l = 0; l < layers(); l++) {
            for (int p = 0; p < positions(); p++) {
                r[l][p] = probability(l, p, target);
            }
        }
        return r;
    }

    private void requireTarget() {
        if (target < 0) {
            throw new IllegalStateException("this logit lens was computed without a target token");
        }
    }

    static double[] softmax(float[] l) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : l) {
            max = Math.max(max, x);
        }
        double[] p = new double[l.length];
        double sum = 0;
        for (int i = 0; i < l.length; i++) {
            p[i] = Math.exp(l[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < l.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
