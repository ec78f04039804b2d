package dev.winnow.runtime.attention;

import java.lang.foreign.MemorySegment;
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

    /**
     * One (KV head, query tile) unit. Everything is vectorised over the tile's query rows: Q is held transposed
     * ({@code qt[c][i]}), scores key-major ({@code st[j][i]}) and the output accumulator transposed ({@code ot[c][i]}),
     * so the K and V tiles are read in their natural row layout and broadcast, and the softmax's row maxima and sums are
     * lane-wise. A tile of at most a quarter vector of rows (decode-like: one or a few query tokens) would leave most
     * lanes idle, so it runs in row mode instead: Q and the accumulator stay row-major ({@code qt[i][c]},
     * {@code ot[i][c]}), scores are dot products over the head dimension and the output update is a vector AXPY per
     * key. Scratch is allocated once here, never per row.
     */
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
        /** Query rows padded to whole vectors: the stride of qt, st and ot. */
        private final int qp;
        private final int d;
        private final int dv;
        /** V row stride in the scratch tile: dv rounded up to 4 channels, or to whole vectors in row mode. */
        private final int dv4;
        /** Row mode: few query rows, vectorised over the head dimension instead of over rows. */
        private final boolean rowMode;
        /** K row stride in the scratch tile: d, or d rounded up to whole vectors in row mode. */
        private final int dk;

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
            this.qp = roundUp(rows, L);
            this.d = in.q().dim();
            this.dv = in.v().dim();
            this.rowMode = rows * ROWS <= L;
            this.dv4 = rowMode ? roundUp(dv, L) : roundUp(dv, ROWS);
            this.dk = rowMode ? roundUp(d, L) : d;
        }

        void run() {
            AttentionTensor q = in.q();
            AttentionTensor k = in.k();
            AttentionTensor v = in.v();
            int nkv = k.tokens();
            int keyTiles = (nkv + tile - 1) / tile;
            int q1 = q0 + rows;
            int keysPadded = roundUp(tile, ROWS);

            float[] qt = new float[ratio * dk * qp];
            float[] ot = new float[ratio * dv4 * qp];
            float[] m = new float[ratio * qp];
            float[] l = new float[ratio * qp];
            float[] ks = new float[keysPadded * dk];
            float[] vs = new float[keysPadded * dv4];
            float[] st = new float[keysPadded * qp];
            float[] row = new float[Math.max(d, dv4)];
            boolean[] headKeeps = new boolean[ratio];
            int[][] visited = probs == null ? null : new int[ratio][keyTiles];
            int[] visitedCount = new int[ratio];
            Arrays.fill(m, Float.NEGATIVE_INFINITY);

            for (int r = 0; r < ratio; r++) {
                int h = group * ratio + r;
                for (int i = 0; i < rows; i++) {
                    if (rowMode) {
                        q.readRow(q0 + i, h, in.scale(), qt, (r * qp + i) * dk);
                    } else {
                        q.readRow(q0 + i, h, in.scale(), row, 0);
                        for (int c = 0; c < d; c++) {
                            qt[(r * d + c) * qp + i] = row[c];
                        }
                    }
                    if (probs != null) {
                        probs.data().asSlice(probs.offset(h, q0 + i), 4L * nkv).fill((byte) 0);
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
                    k.readRow(k0 + j, group, 1f, ks, j * dk);
                    v.readRow(k0 + j, group, 1f, vs, j * dv4);
                }
                for (int r = 0; r < ratio; r++) {
                    if (!headKeeps[r]) {
                        continue;
                    }
                    int h = group * ratio + r;
                    if (rowMode) {
                        rowScores(qt, r * qp * dk, ks, st, kn);
                    } else {
                        scores(qt, r * d * qp, ks, st, roundUp(kn, ROWS));
                    }
                    if (cov == AttentionMask.Coverage.PARTIAL) {
                        mask.applyToTile(q0, q1, k0, k1, st, qp);
                    }
                    if (probs != null) {
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < kn; j++) {
                                probs.write(h, q0 + i, k0 + j, st[j * qp + i]);
                            }
                        }
                        visited[r][visitedCount[r]++] = kb;
                    }
                    softmaxStep(st, kn, m, l, ot, r);
                    if (rowMode) {
                        rowAccumulate(st, vs, ot, r * qp * dv4, kn);
                    } else {
                        accumulate(st, vs, ot, r * dv4 * qp, kn);
                    }
                }
            }

            for (int r = 0; r < ratio; r++) {
                int h = group * ratio + r;
                for (int i = 0; i < rows; i++) {
                    float sum = l[r * qp + i];
                    float inv = sum > 0 ? 1f / sum : 0f;
                    for (int c = 0; c < dv; c++) {
                        row[c] = (rowMode ? ot[(r * qp + i) * dv4 + c] : ot[(r * dv4 + c) * qp + i]) * inv;
                    }
                    out.writeRow(q0 + i, h, row, 0);
                    if (probs != null) {
                        normaliseProbabilities(h, q0 + i, m[r * qp + i], inv, visited[r], visitedCount[r], nkv);
                    }
                }
            }
        }

        /** st[j][i] = sum_c qt[c][i] * ks[j][c] for keys j &lt; kn4, in register tiles of 4 keys by 2 query vectors. */
        private void scores(float[] qt, int qOff, float[] ks, float[] st, int kn4) {
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
        private void softmaxStep(float[] st, int kn, float[] m, float[] l, float[] ot, int r) {
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
        private void rowScores(float[] qt, int qOff, float[] ks, float[] st, int kn) {
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
        private void rowAccumulate(float[] p, float[] vs, float[] ot, int oOff, int kn) {
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
        private void accumulate(float[] p, float[] vs, float[] ot, int oOff, int kn) {
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
