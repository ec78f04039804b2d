package dev.winnow.runtime.attention;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The tiled attention engine behind {@link Attention}: queries and keys in tiles of {@code B} rows, an online
 * (streaming) softmax per query row (Milakov and Gimelshein 2018, as in FlashAttention, Dao et al. 2022), and only the
 * tiles a {@link TilePlan} keeps and the mask does not fully hide are computed; the score matrix exists one tile at a
 * time. One task per (KV head, query tile) runs on the common fork-join pool (on the calling thread alone when a
 * segment belongs to a confined arena); the query heads sharing a KV head share the K and V tiles it loads.
 */
final class TiledAttention {
    private static final Kernels K = Kernels.INSTANCE;
    private static final int L = K.lanes();
    private static final int ROWS = 4;
    /** Never started: only asked whether a segment is accessible from a thread other than its owner. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> {});

    /** Which tiles to compute, per query head. */
    interface TilePlan {
        boolean keep(int head, int queryTile, int keyTile);
    }

    private TiledAttention() {}

    static void run(
            AttentionInputs in,
            AttentionMask mask,
            int tile,
            TilePlan plan,
            AttentionTensor out,
            AttentionProbabilities probs) {
        int nq = in.q().tokens();
        int groups = in.k().heads();
        int queryTiles = (nq + tile - 1) / tile;
        int tasks = queryTiles * groups;
        if (tasks == 0) {
            return;
        }
        IntStream range = IntStream.range(0, tasks);
        if (sharable(in.q().data())
                && sharable(in.k().data())
                && sharable(in.v().data())
                && sharable(out.data())
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

        Task(
                AttentionInputs in,
                AttentionMask mask,
                int tile,
                TilePlan plan,
                AttentionTensor out,
                AttentionProbabilities probs,
                int group,
                int queryTile) {
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
                        K.rowScores(qt, r * qp * dk, ks, st, kn, rows, dk, qp);
                    } else {
                        K.scores(qt, r * d * qp, ks, st, roundUp(kn, ROWS), d, qp);
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
                    K.softmaxStep(st, kn, m, l, ot, r, qp, rows, dv, dv4, rowMode);
                    if (rowMode) {
                        K.rowAccumulate(st, vs, ot, r * qp * dv4, kn, rows, dv4, qp);
                    } else {
                        K.accumulate(st, vs, ot, r * dv4 * qp, kn, dv4, qp);
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

        /** Turns the stored scores of the visited tiles of one row into probabilities {@code exp(s - m) / l}. */
        private void normaliseProbabilities(
                int h, int query, float rowMax, float invSum, int[] tiles, int count, int nkv) {
            for (int t = 0; t < count; t++) {
                int k0 = tiles[t] * tile;
                int k1 = Math.min(nkv, k0 + tile);
                for (int key = k0; key < k1; key++) {
                    float sc = probs.read(h, query, key);
                    probs.write(
                            h,
                            query,
                            key,
                            invSum == 0f || sc == Float.NEGATIVE_INFINITY
                                    ? 0f
                                    : (float) Math.exp(sc - rowMax) * invSum);
                }
            }
        }
    }
}
