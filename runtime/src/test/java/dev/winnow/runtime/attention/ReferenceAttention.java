package dev.winnow.runtime.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.util.Random;

/**
 * Test oracle: attention straight from the definition, in double precision, two-pass softmax, reading elements one by
 * one through {@link AttentionTensor#get}. Also random tensors and comparisons.
 */
final class ReferenceAttention {
    /** Per-head element visibility. */
    interface HeadMask {
        boolean visible(int head, int query, int key);
    }

    /** Output {@code [n_q][n_head][d_v]} and probabilities {@code [n_head][n_q][n_kv]}. */
    record Result(double[][][] out, double[][][] probs) {}

    private ReferenceAttention() {}

    static Result compute(AttentionInputs in, HeadMask mask) {
        AttentionTensor q = in.q(), k = in.k(), v = in.v();
        int nq = q.tokens(), nkv = k.tokens(), nh = q.heads(), d = q.dim(), dv = v.dim();
        double[][][] out = new double[nq][nh][dv];
        double[][][] probs = new double[nh][nq][nkv];
        for (int h = 0; h < nh; h++) {
            int g = in.kvHead(h);
            for (int i = 0; i < nq; i++) {
                double[] s = new double[nkv];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < nkv; j++) {
                    if (!mask.visible(h, i, j)) {
                        s[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += (double) q.get(i, h, c) * k.get(j, g, c);
                    }
                    s[j] = dot * in.scale();
                    max = Math.max(max, s[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                double sum = 0;
                for (int j = 0; j < nkv; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = 0; j < nkv; j++) {
                    double p = s[j] / sum;
                    probs[h][i][j] = p;
                    if (p != 0) {
                        for (int c = 0; c < dv; c++) {
                            out[i][h][c] += p * v.get(j, g, c);
                        }
                    }
                }
            }
        }
        return new Result(out, probs);
    }

    /** A tensor of uniform values in [-amp, amp]; with {@code padded}, gaps between heads and tokens (a strided view). */
    static AttentionTensor random(
            Arena arena, Random rnd, ElementType type, int tokens, int heads, int dim, float amp, boolean padded) {
        long e = type.byteSize();
        long headStride = (dim + (padded ? 3 : 0)) * e;
        long tokenStride = heads * headStride + (padded ? 5 * e : 0);
        AttentionTensor t = new AttentionTensor(
                arena.allocate(Math.max(1, tokens * tokenStride), 8),
                type,
                tokens,
                heads,
                dim,
                tokenStride,
                headStride,
                e);
        for (int i = 0; i < tokens; i++) {
            for (int h = 0; h < heads; h++) {
                for (int c = 0; c < dim; c++) {
                    t.set(i, h, c, (rnd.nextFloat() * 2 - 1) * amp);
                }
            }
        }
        return t;
    }

    /** Asserts out matches the reference within {@code rtol} relative to the row's largest magnitude (at least 1). */
    static void assertOutputClose(double[][][] expected, AttentionTensor out, double rtol, String what) {
        for (int i = 0; i < out.tokens(); i++) {
            for (int h = 0; h < out.heads(); h++) {
                double scale = 1e-3;
                for (int c = 0; c < out.dim(); c++) {
                    scale = Math.max(scale, Math.abs(expected[i][h][c]));
                }
                for (int c = 0; c < out.dim(); c++) {
                    double got = out.get(i, h, c);
                    if (Math.abs(got - expected[i][h][c]) > rtol * scale) {
                        fail(what + ": out(" + i + ", " + h + ", " + c + ") = " + got + ", expected "
                                + expected[i][h][c]);
                    }
                }
            }
        }
    }

    /** Asserts probabilities match within {@code atol} absolute (probabilities lie in [0, 1]). */
    static void assertProbsClose(double[][][] expected, AttentionProbabilities p, double atol, String what) {
        for (int h = 0; h < p.heads(); h++) {
            for (int i = 0; i < p.queries(); i++) {
                double rowSum = 0;
                for (int j = 0; j < p.keys(); j++) {
                    double got = p.get(h, i, j);
                    rowSum += got;
                    if (Math.abs(got - expected[h][i][j]) > atol) {
                        fail(what + ": p(" + h + ", " + i + ", " + j + ") = " + got + ", expected "
                                + expected[h][i][j]);
                    }
                }
                double expSum = 0;
                for (double e : expected[h][i]) {
                    expSum += e;
                }
                assertEquals(expSum, rowSum, 1e-4, what + ": row sum of head " + h + " row " + i);
            }
        }
    }
}
