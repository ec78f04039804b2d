package dev.winnow.runtime.attention;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inner loops of the attention kernels ({@link TiledAttention}, {@link BlockRelevance}, {@link MobaGate}), in two
 * implementations: {@link VectorKernels} with the Vector API ({@code jdk.incubator.vector}) when the JVM has that
 * module (started with {@code --add-modules jdk.incubator.vector}), {@link ScalarKernels} otherwise. Both compute the
 * same sums in the same order per output element; they differ only in the last bits where the Vector API's
 * {@code EXP} or its lane-wise reduction rounds differently from {@link Math#exp}. The choice is made once, at the
 * first use, and logged once when it falls back.
 *
 * <p>Layouts are the callers' (see {@link TiledAttention}'s task): {@code qp} is the query-row stride, padded to whole
 * multiples of {@link #lanes()}.
 */
abstract class Kernels {
    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);
    /** The module whose presence selects {@link VectorKernels}. */
    static final String VECTOR_MODULE = "jdk.incubator.vector";

    /** The implementation this JVM uses. */
    static final Kernels INSTANCE = select();

    private static Kernels select() {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent()) {
            try {
                return new VectorKernels();
            } catch (LinkageError e) {
                LOG.info(
                        "the Vector API could not be used ({}); Winnow's Java attention kernels run scalar code",
                        e.toString());
                return new ScalarKernels();
            }
        }
        LOG.info(
                "{} is not enabled: Winnow's Java attention kernels run scalar code (same results); "
                        + "--add-modules {} only makes them faster",
                VECTOR_MODULE,
                VECTOR_MODULE);
        return new ScalarKernels();
    }

    /** @return whether this JVM runs the Vector API kernels (false: the scalar fallback) */
    static boolean vectorised() {
        return INSTANCE instanceof VectorKernels;
    }

    /** @return floats per vector: padding unit of row strides (1 for the scalar kernels) */
    abstract int lanes();

    /** {@code st[j][i] = sum_c qt[c][i] * ks[j][c]} for keys {@code j < kn4} (a multiple of 4) and rows {@code i < qp}. */
    abstract void scores(float[] qt, int qOff, float[] ks, float[] st, int kn4, int d, int qp);

    /**
     * Online softmax update of query head {@code r}'s rows: folds the tile's scores ({@code kn} keys) into the running
     * maxima {@code m} and sums {@code l}, rescales the output accumulator {@code ot}, and leaves {@code exp(s - m)} in
     * {@code st}. Rows that have seen no visible key yet keep {@code m = -inf}, {@code l = 0}.
     */
    abstract void softmaxStep(
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
            boolean rowMode);

    /** Row layout: {@code st[j][i] = qt[i] . ks[j]} over {@code dk} channels, for {@code rows} rows and {@code kn} keys. */
    abstract void rowScores(float[] qt, int qOff, float[] ks, float[] st, int kn, int rows, int dk, int qp);

    /** Row layout: {@code ot[i][:] += sum_j p[j][i] * vs[j][:]} over {@code dv4} channels and {@code kn} keys. */
    abstract void rowAccumulate(float[] p, float[] vs, float[] ot, int oOff, int kn, int rows, int dv4, int qp);

    /** {@code ot[c][i] += sum_j vs[j][c] * p[j][i]} for channels {@code c < dv4} (a multiple of 4) and rows {@code i < qp}. */
    abstract void accumulate(float[] p, float[] vs, float[] ot, int oOff, int kn, int dv4, int qp);

    /** {@code a[ao..ao+n) . b[bo..bo+n)} for {@code n} a multiple of {@link #lanes()}; the same inputs give the same bits. */
    abstract float dot(float[] a, int ao, float[] b, int bo, int n);

    /** {@code acc[accOff + c] += x[c] * w[c]} for {@code c < n}. */
    abstract void multiplyAdd(float[] x, float[] w, float[] acc, int accOff, int n);
}
