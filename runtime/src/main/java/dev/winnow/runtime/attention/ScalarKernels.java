package dev.winnow.runtime.attention;

/**
 * {@link Kernels} in plain Java, for JVMs without {@code jdk.incubator.vector}: one "lane", the same per-element
 * order of fused multiply-adds as {@link VectorKernels}.
 */
final class ScalarKernels extends Kernels {
    @Override
    int lanes() {
        return 1;
    }

    @Override
    void scores(float[] qt, int qOff, float[] ks, float[] st, int kn4, int d, int qp) {
        for (int j = 0; j < kn4; j++) {
            int ko = j * d;
            for (int i = 0; i < qp; i++) {
                float acc = 0f;
                for (int c = 0; c < d; c++) {
                    acc = Math.fma(qt[qOff + c * qp + i], ks[ko + c], acc);
                }
                st[j * qp + i] = acc;
            }
        }
    }

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
        int oOff = r * dv4 * qp;
        for (int i = 0; i < qp; i++) {
            float mx = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < kn; j++) {
                mx = Math.max(mx, st[j * qp + i]);
            }
            int mi = r * qp + i;
            float mOld = m[mi];
            float mNew = Math.max(mOld, mx);
            float mUse = mNew == Float.NEGATIVE_INFINITY ? 0f : mNew;
            float alpha = (float) Math.exp(mOld - mUse);
            float sum = 0f;
            for (int j = 0; j < kn; j++) {
                int so = j * qp + i;
                float p = (float) Math.exp(st[so] - mUse);
                st[so] = p;
                sum += p;
            }
            l[mi] = Math.fma(l[mi], alpha, sum);
            m[mi] = mNew;
            if (rowMode) {
                if (i < rows && alpha != 1f) {
                    int oo = (r * qp + i) * dv4;
                    for (int c = 0; c < dv4; c++) {
                        ot[oo + c] *= alpha;
                    }
                }
            } else {
                for (int c = 0; c < dv; c++) {
                    ot[oOff + c * qp + i] *= alpha;
                }
            }
        }
    }

    @Override
    void rowScores(float[] qt, int qOff, float[] ks, float[] st, int kn, int rows, int dk, int qp) {
        for (int i = 0; i < rows; i++) {
            int qo = qOff + i * dk;
            for (int j = 0; j < kn; j++) {
                st[j * qp + i] = dot(qt, qo, ks, j * dk, dk);
            }
        }
    }

    @Override
    void rowAccumulate(float[] p, float[] vs, float[] ot, int oOff, int kn, int rows, int dv4, int qp) {
        for (int i = 0; i < rows; i++) {
            int oo = oOff + i * dv4;
            for (int c = 0; c < dv4; c++) {
                float acc = ot[oo + c];
                for (int j = 0; j < kn; j++) {
                    acc = Math.fma(vs[j * dv4 + c], p[j * qp + i], acc);
                }
                ot[oo + c] = acc;
            }
        }
    }

    @Override
    void accumulate(float[] p, float[] vs, float[] ot, int oOff, int kn, int dv4, int qp) {
        for (int c = 0; c < dv4; c++) {
            int ro = oOff + c * qp;
            for (int i = 0; i < qp; i++) {
                float acc = ot[ro + i];
                for (int j = 0; j < kn; j++) {
                    acc = Math.fma(p[j * qp + i], vs[j * dv4 + c], acc);
                }
                ot[ro + i] = acc;
            }
        }
    }

    @Override
    float dot(float[] a, int ao, float[] b, int bo, int n) {
        float acc = 0f;
        for (int c = 0; c < n; c++) {
            acc = Math.fma(a[ao + c], b[bo + c], acc);
        }
        return acc;
    }

    @Override
    void multiplyAdd(float[] x, float[] w, float[] acc, int accOff, int n) {
        for (int c = 0; c < n; c++) {
            acc[accOff + c] = Math.fma(x[c], w[c], acc[accOff + c]);
        }
    }
}
