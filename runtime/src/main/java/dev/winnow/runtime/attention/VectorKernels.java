package dev.winnow.runtime.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} with the Vector API ({@code jdk.incubator.vector}, preferred species). Loaded only when the JVM has
 * that module ({@link Kernels#INSTANCE}); nothing else in Winnow refers to the Vector API. Everything is vectorised
 * over query rows except in row layout (few query rows), where it is vectorised over the head dimension.
 */
final class VectorKernels extends Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int ROWS = 4;

    @Override
    int lanes() {
        return L;
    }

    /** st[j][i] = sum_c qt[c][i] * ks[j][c] for keys j &lt; kn4, in register tiles of 4 keys by 2 query vectors. */
    @Override
    void scores(float[] qt, int qOff, float[] ks, float[] st, int kn4, int d, int qp) {
        for (int j = 0; j < kn4; j += ROWS) {
            int k0 = j * d;
            int k1 = k0 + d;
            int k2 = k1 + d;
            int k3 = k2 + d;
            int i = 0;
            for (; i + 2 * L <= qp; i += 2 * L) {
                FloatVector x0 = FloatVector.zero(S), x1 = x0, x2 = x0, x3 = x0;
                FloatVector y0 = x0, y1 = x0, y2 = x0, y3 = x0;
                for (int c = 0; c < d; c++) {
                    int qo = qOff + c * qp + i;
                    FloatVector qa = FloatVector.fromArray(S, qt, qo);
                    FloatVector qb = FloatVector.fromArray(S, qt, qo + L);
                    FloatVector b0 = FloatVector.broadcast(S, ks[k0 + c]);
                    FloatVector b1 = FloatVector.broadcast(S, ks[k1 + c]);
                    FloatVector b2 = FloatVector.broadcast(S, ks[k2 + c]);
                    FloatVector b3 = FloatVector.broadcast(S, ks[k3 + c]);
                    x0 = qa.fma(b0, x0);
                    y0 = qb.fma(b0, y0);
                    x1 = qa.fma(b1, x1);
                    y1 = qb.fma(b1, y1);
                    x2 = qa.fma(b2, x2);
                    y2 = qb.fma(b2, y2);
                    x3 = qa.fma(b3, x3);
                    y3 = qb.fma(b3, y3);
                }
                int so = j * qp + i;
                x0.intoArray(st, so);
                y0.intoArray(st, so + L);
                x1.intoArray(st, so + qp);
                y1.intoArray(st, so + qp + L);
                x2.intoArray(st, so + 2 * qp);
                y2.intoArray(st, so + 2 * qp + L);
                x3.intoArray(st, so + 3 * qp);
                y3.intoArray(st, so + 3 * qp + L);
            }
            for (; i < qp; i += L) {
                FloatVector x0 = FloatVector.zero(S), x1 = x0, x2 = x0, x3 = x0;
                for (int c = 0; c < d; c++) {
                    FloatVector qa = FloatVector.fromArray(S, qt, qOff + c * qp + i);
                    x0 = qa.fma(FloatVector.broadcast(S, ks[k0 + c]), x0);
                    x1 = qa.fma(FloatVector.broadcast(S, ks[k1 + c]), x1);
                    x2 = qa.fma(FloatVector.broadcast(S, ks[k2 + c]), x2);
                    x3 = qa.fma(FloatVector.broadcast(S, ks[k3 + c]), x3);
                }
                int so = j * qp + i;
                x0.intoArray(st, so);
                x1.intoArray(st, so + qp);
                x2.intoArray(st, so + 2 * qp);
                x3.intoArray(st, so + 3 * qp);
            }
        }
    }

    /**
     * Online softmax update of head {@code r}'s rows, lane-wise over queries: folds the tile's scores into the
     * running maxima {@code m} and sums {@code l}, rescales the output accumulator, and leaves
     * {@code exp(s - m)} in {@code st}. Lanes that have seen no visible key yet keep {@code m = -inf}, {@code l = 0}.
     */
    @Override
    void softmaxStep(
            float[] st,
            int kn,
            float[] m,
            float[] l,
            float[] ot,
            int r,
            int qp,
            int rows,
            int dv,
            int dv4,
            boolean rowMode) {
        FloatVector negInf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector zero = FloatVector.zero(S);
        int oOff = r * dv4 * qp;
        for (int i = 0; i < qp; i += L) {
            FloatVector mx = negInf;
            for (int j = 0; j < kn; j++) {
                mx = mx.max(FloatVector.fromArray(S, st, j * qp + i));
            }
            int mi = r * qp + i;
            FloatVector mOld = FloatVector.fromArray(S, m, mi);
            FloatVector mNew = mOld.max(mx);
            FloatVector mUse = mNew.blend(zero, mNew.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
            FloatVector alpha = mOld.sub(mUse).lanewise(VectorOperators.EXP);
            FloatVector sum = zero;
            for (int j = 0; j < kn; j++) {
                int so = j * qp + i;
                FloatVector p = FloatVector.fromArray(S, st, so).sub(mUse).lanewise(VectorOperators.EXP);
                p.intoArray(st, so);
                sum = sum.add(p);
            }
            FloatVector.fromArray(S, l, mi).fma(alpha, sum).intoArray(l, mi);
            mNew.intoArray(m, mi);
            if (rowMode) {
                for (int lane = 0; lane < L && i + lane < rows; lane++) {
                    float a = alpha.lane(lane);
                    if (a != 1f) {
                        int oo = (r * qp + i + lane) * dv4;
                        for (int c = 0; c < dv4; c += L) {
                            FloatVector.fromArray(S, ot, oo + c).mul(a).intoArray(ot, oo + c);
                        }
                    }
                }
            } else {
                for (int c = 0; c < dv; c++) {
                    int oo = oOff + c * qp + i;
                    FloatVector.fromArray(S, ot, oo).mul(alpha).intoArray(ot, oo);
                }
            }
        }
    }

    /** Row mode: st[j][i] = qt[i] . ks[j] for the tile's rows and its {@code kn} keys, vectorised over the head dim. */
    @Override
    void rowScores(float[] qt, int qOff, float[] ks, float[] st, int kn, int rows, int dk, int qp) {
        for (int i = 0; i < rows; i++) {
            int qo = qOff + i * dk;
            for (int j = 0; j < kn; j++) {
                int ko = j * dk;
                FloatVector acc = FloatVector.zero(S);
                for (int c = 0; c < dk; c += L) {
                    acc = FloatVector.fromArray(S, qt, qo + c).fma(FloatVector.fromArray(S, ks, ko + c), acc);
                }
                st[j * qp + i] = acc.reduceLanes(VectorOperators.ADD);
            }
        }
    }

    /** Row mode: ot[i][:] += sum_j p[j][i] * vs[j][:] over the tile's {@code kn} keys, one vector of channels at a time. */
    @Override
    void rowAccumulate(float[] p, float[] vs, float[] ot, int oOff, int kn, int rows, int dv4, int qp) {
        for (int i = 0; i < rows; i++) {
            int oo = oOff + i * dv4;
            for (int c = 0; c < dv4; c += L) {
                FloatVector acc = FloatVector.fromArray(S, ot, oo + c);
                for (int j = 0; j < kn; j++) {
                    acc = FloatVector.fromArray(S, vs, j * dv4 + c).fma(FloatVector.broadcast(S, p[j * qp + i]), acc);
                }
                acc.intoArray(ot, oo + c);
            }
        }
    }

    /** ot[c][i] += sum_j vs[j][c] * p[j][i] over the tile's {@code kn} keys, 4 channels by 2 query vectors at a time. */
    @Override
    void accumulate(float[] p, float[] vs, float[] ot, int oOff, int kn, int dv4, int qp) {
        for (int c = 0; c < dv4; c += ROWS) {
            int r0 = oOff + c * qp;
            int r1 = r0 + qp;
            int r2 = r1 + qp;
            int r3 = r2 + qp;
            int i = 0;
            for (; i + 2 * L <= qp; i += 2 * L) {
                FloatVector x0 = FloatVector.fromArray(S, ot, r0 + i), y0 = FloatVector.fromArray(S, ot, r0 + i + L);
                FloatVector x1 = FloatVector.fromArray(S, ot, r1 + i), y1 = FloatVector.fromArray(S, ot, r1 + i + L);
                FloatVector x2 = FloatVector.fromArray(S, ot, r2 + i), y2 = FloatVector.fromArray(S, ot, r2 + i + L);
                FloatVector x3 = FloatVector.fromArray(S, ot, r3 + i), y3 = FloatVector.fromArray(S, ot, r3 + i + L);
                for (int j = 0; j < kn; j++) {
                    int po = j * qp + i;
                    FloatVector pa = FloatVector.fromArray(S, p, po);
                    FloatVector pb = FloatVector.fromArray(S, p, po + L);
                    int vo = j * dv4 + c;
                    FloatVector b0 = FloatVector.broadcast(S, vs[vo]);
                    FloatVector b1 = FloatVector.broadcast(S, vs[vo + 1]);
                    FloatVector b2 = FloatVector.broadcast(S, vs[vo + 2]);
                    FloatVector b3 = FloatVector.broadcast(S, vs[vo + 3]);
                    x0 = pa.fma(b0, x0);
                    y0 = pb.fma(b0, y0);
                    x1 = pa.fma(b1, x1);
                    y1 = pb.fma(b1, y1);
                    x2 = pa.fma(b2, x2);
                    y2 = pb.fma(b2, y2);
                    x3 = pa.fma(b3, x3);
                    y3 = pb.fma(b3, y3);
                }
                x0.intoArray(ot, r0 + i);
                y0.intoArray(ot, r0 + i + L);
                x1.intoArray(ot, r1 + i);
                y1.intoArray(ot, r1 + i + L);
                x2.intoArray(ot, r2 + i);
                y2.intoArray(ot, r2 + i + L);
                x3.intoArray(ot, r3 + i);
                y3.intoArray(ot, r3 + i + L);
            }
            for (; i < qp; i += L) {
                FloatVector x0 = FloatVector.fromArray(S, ot, r0 + i);
                FloatVector x1 = FloatVector.fromArray(S, ot, r1 + i);
                FloatVector x2 = FloatVector.fromArray(S, ot, r2 + i);
                FloatVector x3 = FloatVector.fromArray(S, ot, r3 + i);
                for (int j = 0; j < kn; j++) {
                    FloatVector pa = FloatVector.fromArray(S, p, j * qp + i);
                    int vo = j * dv4 + c;
                    x0 = pa.fma(FloatVector.broadcast(S, vs[vo]), x0);
                    x1 = pa.fma(FloatVector.broadcast(S, vs[vo + 1]), x1);
                    x2 = pa.fma(FloatVector.broadcast(S, vs[vo + 2]), x2);
                    x3 = pa.fma(FloatVector.broadcast(S, vs[vo + 3]), x3);
                }
                x0.intoArray(ot, r0 + i);
                x1.intoArray(ot, r1 + i);
                x2.intoArray(ot, r2 + i);
                x3.intoArray(ot, r3 + i);
            }
        }
    }

    @Override
    float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        for (int c = 0; c < n; c += L) {
            acc = FloatVector.fromArray(S, a, ao + c).fma(FloatVector.fromArray(S, b, bo + c), acc);
        }
        // lanes summed in a fixed order: reduceLanes(ADD) may associate differently once the JIT compiles it, and the
        // same input must give the same scores in every call
        float s = 0f;
        for (int lane = 0; lane < L; lane++) {
            s += acc.lane(lane);
        }
        return s;
    }

    @Override
    void multiplyAdd(float[] x, float[] w, float[] acc, int accOff, int n) {
        int bound = S.loopBound(n);
        int c = 0;
        for (; c < bound; c += L) {
            FloatVector.fromArray(S, x, c)
                    .fma(FloatVector.fromArray(S, w, c), FloatVector.fromArray(S, acc, accOff + c))
                    .intoArray(acc, accOff + c);
        }
        for (; c < n; c++) {
            acc[accOff + c] += w[c] * x[c];
        }
    }
}
