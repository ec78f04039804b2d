package dev.winnow.runtime.attention;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The tiled attention engine behind {@link Attention}: queries and keys in tiles of {@code B} rows, an online
 * (streaming) softmax per query row (Milakov and Gimelshein 2018, as in FlashAttention, Dao et al. 2022), and only the
 * tiles a {@link TilePlan} keeps and the mask does not fully hide are computed; the score matrix exists one tile at a
 * time. One task per (KV head, query tile) runs on the common fork-join pool (on the calling thread alone when a
 * segment belongs to a confined arena); the query heads sharing a KV head share the K and V tiles it loads.
 */
final class TiledAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int ROWS = 4;
    /** Never started: only asked whether a segment is accessible from a thread other than its owner. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    /** Which tiles to compute, per query head. */
    interface TilePlan {
        boolean keep(int head, int queryTile, int keyTile);
    }

    private TiledAttention() {
    }

    static void run(AttentionInputs in, AttentionMask mask, int tile, TilePlan plan, AttentionTensor out, AttentionProbabilities probs) {
        int nq = in.q().tokens();
        int groups = in.k().heads();
        int queryTiles = (nq + tile - 1) / tile;
        int tasks = queryTiles * groups;
        if (tasks == 0) {
            return;
        }
        IntStream range = IntStream.range(0, tasks);
        if (sharable(in.q().data()) && sharable(in.k().data()) && sharable(in.v().data()) && sharable(out.data())
                && (probs == null || sharable(probs.data()))) {
            range = range.parallel();
        }
        range.forEach(t -> {
            int qt = queryTiles - 1 - t / groups;
            new Task(in, mask, tile, plan, out, probs, t % groups, qt).run();
        });
    }

    /** Whether threads other than the caller may access the segment (false for a confined arena's memory). */
    static boolean sharable(MemorySegment segment) {
        return segment.isAccessibleBy(OTHER_THREAD);
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    /** One (KV head, query tile) unit: scratch is allocated once here, never per row. */
    private static final class Task {
        private final AttentionInputs in;
        private final AttentionMask mask;
        private final int tile;
        private final TilePlan plan;
        private final AttentionTensor out;
        private final AttentionProbabilities probs;
        private final int group;
        private final int queryTile;
        private final int ratio;
        private final int q0;
        private final int rows;
        private final int rowsPadded;
        private final int d;
        private final int dp;
        private final int dv;
        private final int dvp;
        private final int tileKeysPadded;

        Task(AttentionInputs in, AttentionMask mask, int tile, TilePlan plan, AttentionTensor out, AttentionProbabilities probs,
             int group, int queryTile) {
            this.in = in;
            this.mask = mask;
            this.tile = tile;
            this.plan = plan;
            this.out = out;
            this.probs = probs;
            this.group = group;
            this.queryTile = queryTile;
            this.ratio = in.groupSize();
            this.q0 = queryTile * tile;
            this.rows = Math.min(in.q().tokens(), q0 + tile) - q0;
            this.rowsPadded = roundUp(rows, ROWS);
            this.d = in.q().dim();
            this.dp = roundUp(d, L);
            this.dv = in.v().dim();
            this.dvp = roundUp(dv, L);
            this.tileKeysPadded = roundUp(tile, L);
        }

        void run() {
            AttentionTensor q = in.q();
            AttentionTensor k = in.k();
            AttentionTensor v = in.v();
            int nkv = k.tokens();
            int keyTiles = (nkv + tile - 1) / tile;
            int q1 = q0 + rows;
            int bkp = tileKeysPadded;

            float[] qs = new float[ratio * rowsPadded * dp];
            float[] o = new float[ratio * rowsPadded * dvp];
            float[] m = new float[ratio * rowsPadded];
            float[] l = new float[ratio * rowsPadded];
            float[] kt = new float[dp * bkp];
            float[] vs = new float[bkp * dvp];
            float[] s = new float[rowsPadded * bkp];
            float[] krow = new float[d];
            boolean[] headKeeps = new boolean[ratio];
            int[][] visited = probs == null ? null : new int[ratio][keyTiles];
            int[] visitedCount = new int[ratio];
            Arrays.fill(m, Float.NEGATIVE_INFINITY);

            for (int r = 0; r < ratio; r++) {
                int h = group * ratio + r;
                for (int i = 0; i < rows; i++) {
                    q.readRow(q0 + i, h, in.scale(), qs, (r * rowsPadded + i) * dp);
                    if (probs != null) {
                        long off = probs.offset(h, q0 + i);
                        probs.data().asSlice(off, 4L * nkv).fill((byte) 0);
                    }
                }
            }

            for (int kb = 0; kb < keyTiles; kb++) {
                boolean any = false;
                for (int r = 0; r < ratio; r++) {
                    headKeeps[r] = plan.keep(group * ratio + r, queryTile, kb);
                    any |= headKeeps[r];
                }
                if (!any) {
                    continue;
                }
                int k0 = kb * tile;
                int k1 = Math.min(nkv, k0 + tile);
                int kn = k1 - k0;
                AttentionMask.Coverage cov = mask.coverage(q0, q1, k0, k1);
                if (cov == AttentionMask.Coverage.NONE) {
                    continue;
                }
                for (int j = 0; j < kn; j++) {
                    k.readRow(k0 + j, group, 1f, krow, 0);
                    for (int c = 0; c < d; c++) {
                        kt[c * bkp + j] = krow[c];
                    }
                    v.readRow(k0 + j, group, 1f, vs, j * dvp);
                }
                for (int r = 0; r < ratio; r++) {
                    if (!headKeeps[r]) {
                        continue;
                    }
                    int h = group * ratio + r;
                    scores(qs, r * rowsPadded * dp, kt, s);
                    for (int i = 0; i < rows; i++) {
                        int off = i * bkp;
                        if (kn < bkp) {
                            Arrays.fill(s, off + kn, off + bkp, Float.NEGATIVE_INFINITY);
                        }
                        if (cov == AttentionMask.Coverage.PARTIAL) {
                            mask.applyToRow(q0 + i, k0, k1, s, off);
                        }
                        if (probs != null) {
                            MemorySegment.copy(s, off, probs.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, probs.offset(h, q0 + i) + 4L * k0, kn);
                        }
                        softmaxStep(s, off, m, l, o, r * rowsPadded + i);
                    }
                    accumulate(s, vs, o, r * rowsPadded * dvp, kn);
                    if (visited != null) {
                        visited[r][visitedCount[r]++] = kb;
                    }
                }
            }

            for (int r = 0; r < ratio; r++) {
                int h = group * ratio + r;
                for (int i = 0; i < rows; i++) {
                    int si = r * rowsPadded + i;
                    float inv = l[si] > 0 ? 1f / l[si] : 0f;
                    int off = si * dvp;
                    for (int c = 0; c < dv; c++) {
                        o[off + c] *= inv;
                    }
                    out.writeRow(q0 + i, h, o, off);
                    if (probs != null) {
                        normaliseProbabilities(h, q0 + i, m[si], inv, visited[r], visitedCount[r], nkv);
                    }
                }
            }
        }

        /** s[i][j] = sum_c qs[i][c] * kt[c][j] for a 4-row by 2-vector register tile. */
        private void scores(float[] qs, int qOff, float[] kt, float[] s) {
            int bkp = tileKeysPadded;
            for (int i = 0; i < rowsPadded; i += ROWS) {
                int a0 = qOff + i * dp;
                int a1 = a0 + dp;
                int a2 = a1 + dp;
                int a3 = a2 + dp;
                int j = 0;
                for (; j + 2 * L <= bkp; j += 2 * L) {
                    FloatVector x0 = FloatVector.zero(S), x1 = x0, x2 = x0, x3 = x0;
                    FloatVector y0 = x0, y1 = x0, y2 = x0, y3 = x0;
                    for (int c = 0; c < d; c++) {
                        int kOff = c * bkp + j;
                        FloatVector ka = FloatVector.fromArray(S, kt, kOff);
                        FloatVector kb = FloatVector.fromArray(S, kt, kOff + L);
                        FloatVector b0 = FloatVector.broadcast(S, qs[a0 + c]);
                        FloatVector b1 = FloatVector.broadcast(S, qs[a1 + c]);
                        FloatVector b2 = FloatVector.broadcast(S, qs[a2 + c]);
                        FloatVector b3 = FloatVector.broadcast(S, qs[a3 + c]);
                        x0 = ka.fma(b0, x0);
                        y0 = kb.fma(b0, y0);
                        x1 = ka.fma(b1, x1);
                        y1 = kb.fma(b1, y1);
                        x2 = ka.fma(b2, x2);
                        y2 = kb.fma(b2, y2);
                        x3 = ka.fma(b3, x3);
                        y3 = kb.fma(b3, y3);
                    }
                    int so = i * bkp + j;
                    x0.intoArray(s, so);
                    y0.intoArray(s, so + L);
                    x1.intoArray(s, so + bkp);
                    y1.intoArray(s, so + bkp + L);
                    x2.intoArray(s, so + 2 * bkp);
                    y2.intoArray(s, so + 2 * bkp + L);
                    x3.intoArray(s, so + 3 * bkp);
                    y3.intoArray(s, so + 3 * bkp + L);
                }
                for (; j < bkp; j += L) {
                    FloatVector x0 = FloatVector.zero(S), x1 = x0, x2 = x0, x3 = x0;
                    for (int c = 0; c < d; c++) {
                        FloatVector ka = FloatVector.fromArray(S, kt, c * bkp + j);
                        x0 = ka.fma(FloatVector.broadcast(S, qs[a0 + c]), x0);
                        x1 = ka.fma(FloatVector.broadcast(S, qs[a1 + c]), x1);
                        x2 = ka.fma(FloatVector.broadcast(S, qs[a2 + c]), x2);
                        x3 = ka.fma(FloatVector.broadcast(S, qs[a3 + c]), x3);
                    }
                    int so = i * bkp + j;
                    x0.intoArray(s, so);
                    x1.intoArray(s, so + bkp);
                    x2.intoArray(s, so + 2 * bkp);
                    x3.intoArray(s, so + 3 * bkp);
                }
            }
        }

        /**
         * Online softmax update of one row: folds the tile's scores into the running maximum {@code m} and sum
         * {@code l}, rescales the row's output accumulator, and leaves {@code exp(s - m)} in {@code s}.
         */
        private void softmaxStep(float[] s, int off, float[] m, float[] l, float[] o, int si) {
            int bkp = tileKeysPadded;
            FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < bkp; j += L) {
                mx = mx.max(FloatVector.fromArray(S, s, off + j));
            }
            float tileMax = mx.reduceLanes(VectorOperators.MAX);
            if (tileMax == Float.NEGATIVE_INFINITY) {
                Arrays.fill(s, off, off + bkp, 0f);
                return;
            }
            float mOld = m[si];
            float mNew = Math.max(mOld, tileMax);
            FloatVector mn = FloatVector.broadcast(S, mNew);
            FloatVector sum = FloatVector.zero(S);
            for (int j = 0; j < bkp; j += L) {
                FloatVector e = FloatVector.fromArray(S, s, off + j).sub(mn).lanewise(VectorOperators.EXP);
                e.intoArray(s, off + j);
                sum = sum.add(e);
            }
            float alpha = (float) Math.exp(mOld - mNew);
            l[si] = l[si] * alpha + sum.reduceLanes(VectorOperators.ADD);
            if (alpha != 1f) {
                int oo = si * dvp;
                for (int c = 0; c < dvp; c += L) {
                    FloatVector.fromArray(S, o, oo + c).mul(alpha).intoArray(o, oo + c);
                }
            }
            m[si] = mNew;
        }

        /** o[i][:] += sum_j p[i][j] * vs[j][:] over the tile's {@code kn} keys, 4 rows by 2 vectors at a time. */
        private void accumulate(float[] p, float[] vs, float[] o, int oOff, int kn) {
            int bkp = tileKeysPadded;
            for (int i = 0; i < rowsPadded; i += ROWS) {
                int r0 = oOff + i * dvp;
                int r1 = r0 + dvp;
                int r2 = r1 + dvp;
                int r3 = r2 + dvp;
                int p0 = i * bkp;
                int c = 0;
                for (; c + 2 * L <= dvp; c += 2 * L) {
                    FloatVector x0 = FloatVector.fromArray(S, o, r0 + c), y0 = FloatVector.fromArray(S, o, r0 + c + L);
                    FloatVector x1 = FloatVector.fromArray(S, o, r1 + c), y1 = FloatVector.fromArray(S, o, r1 + c + L);
                    FloatVector x2 = FloatVector.fromArray(S, o, r2 + c), y2 = FloatVector.fromArray(S, o, r2 + c + L);
                    FloatVector x3 = FloatVector.fromArray(S, o, r3 + c), y3 = FloatVector.fromArray(S, o, r3 + c + L);
                    for (int j = 0; j < kn; j++) {
                        int vOff = j * dvp + c;
                        FloatVector va = FloatVector.fromArray(S, vs, vOff);
                        FloatVector vb = FloatVector.fromArray(S, vs, vOff + L);
                        FloatVector b0 = FloatVector.broadcast(S, p[p0 + j]);
                        FloatVector b1 = FloatVector.broadcast(S, p[p0 + bkp + j]);
                        FloatVector b2 = FloatVector.broadcast(S, p[p0 + 2 * bkp + j]);
                        FloatVector b3 = FloatVector.broadcast(S, p[p0 + 3 * bkp + j]);
                        x0 = va.fma(b0, x0);
                        y0 = vb.fma(b0, y0);
                        x1 = va.fma(b1, x1);
                        y1 = vb.fma(b1, y1);
                        x2 = va.fma(b2, x2);
                        y2 = vb.fma(b2, y2);
                        x3 = va.fma(b3, x3);
                        y3 = vb.fma(b3, y3);
                    }
                    x0.intoArray(o, r0 + c);
                    y0.intoArray(o, r0 + c + L);
                    x1.intoArray(o, r1 + c);
                    y1.intoArray(o, r1 + c + L);
                    x2.intoArray(o, r2 + c);
                    y2.intoArray(o, r2 + c + L);
                    x3.intoArray(o, r3 + c);
                    y3.intoArray(o, r3 + c + L);
                }
                for (; c < dvp; c += L) {
                    FloatVector x0 = FloatVector.fromArray(S, o, r0 + c);
                    FloatVector x1 = FloatVector.fromArray(S, o, r1 + c);
                    FloatVector x2 = FloatVector.fromArray(S, o, r2 + c);
                    FloatVector x3 = FloatVector.fromArray(S, o, r3 + c);
                    for (int j = 0; j < kn; j++) {
                        FloatVector va = FloatVector.fromArray(S, vs, j * dvp + c);
                        x0 = va.fma(FloatVector.broadcast(S, p[p0 + j]), x0);
                        x1 = va.fma(FloatVector.broadcast(S, p[p0 + bkp + j]), x1);
                        x2 = va.fma(FloatVector.broadcast(S, p[p0 + 2 * bkp + j]), x2);
                        x3 = va.fma(FloatVector.broadcast(S, p[p0 + 3 * bkp + j]), x3);
                    }
                    x0.intoArray(o, r0 + c);
                    x1.intoArray(o, r1 + c);
                    x2.intoArray(o, r2 + c);
                    x3.intoArray(o, r3 + c);
                }
            }
        }

        /** Turns the stored scores of the visited tiles of one row into probabilities {@code exp(s - m) / l}. */
        private void normaliseProbabilities(int h, int query, float rowMax, float invSum, int[] tiles, int count, int nkv) {
            for (int t = 0; t < count; t++) {
                int k0 = tiles[t] * tile;
                int k1 = Math.min(nkv, k0 + tile);
                for (int key = k0; key < k1; key++) {
                    float sc = probs.read(h, query, key);
                    probs.write(h, query, key, invSum == 0f || sc == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(sc - rowMax) * invSum);
                }
            }
        }
    }
}
