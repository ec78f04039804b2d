package dev.winnow.runtime.attention;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * MoBA's top-k block gating (Lu et al. 2025, "MoBA: Mixture of Block Attention for Long-Context LLMs"), at the
 * granularity of query blocks: for query block {@code i} and query head {@code h}, every key block {@code j} wholly
 * visible to the block under the mask (the past, for a causal mask) is scored by the affinity
 * {@code mean_{q in block i} q . mean_{k in block j} k} (the mean over the block's queries of MoBA's per-query gate
 * score), the {@code topK} highest are kept, and every partially visible block (the query's own block when causal) is
 * always kept; blocks the mask hides are never kept. Ties go to the earlier block.
 *
 * <p>With {@code topK} at least the number of key blocks, the gate keeps every visible block, and MoBA attention
 * equals dense attention under the mask.
 *
 * <p>Optionally the keys pass through a {@link KeyConvolution} before mean pooling (FlashMoBA's key convolution).
 */
public final class MobaGate {
    private final int blockSize;
    private final int topK;
    private final KeyConvolution convolution;

    /**
     * A gate.
     *
     * @param blockSize   B, tokens per query and key block, &ge; 1
     * @param topK        past blocks kept per query block and head, &ge; 0
     * @param convolution key convolution applied before pooling, or null for none
     * @throws IllegalArgumentException when {@code blockSize < 1} or {@code topK < 0}
     */
    public MobaGate(int blockSize, int topK, KeyConvolution convolution) {
        if (blockSize < 1 || topK < 0) {
            throw new IllegalArgumentException(
                    "MoBA gate: block size " + blockSize + " must be >= 1 and top-k " + topK + " >= 0");
        }
        this.blockSize = blockSize;
        this.topK = topK;
        this.convolution = convolution;
    }

    /** Block size B. */
    public int blockSize() {
        return blockSize;
    }

    /** Past blocks kept per query block and head. */
    public int topK() {
        return topK;
    }

    /**
     * The gate's view of the keys: the mean of every key block of every KV head (after the key convolution, when
     * set). It depends only on K, so it can be computed once and reused while K is unchanged (for example by every
     * query block of a prompt, or across decode steps over the same cache).
     *
     * @param blockSize B of the gate that made it
     * @param keyCount  keys pooled
     * @param means     {@code [n_head_kv][keyBlocks * dim]}: mean key of block {@code j} at {@code [j * dim, (j+1) * dim)}
     */
    public record PooledKeys(int blockSize, int keyCount, float[][] means) {}

    /**
     * Pools the keys: reads all of K once ({@code O(n_kv * n_head_kv * d)}, times the convolution width).
     *
     * @throws IllegalArgumentException when the convolution does not fit K
     */
    public PooledKeys pool(AttentionTensor k) {
        if (convolution != null && (convolution.heads() != k.heads() || convolution.dim() != k.dim())) {
            throw new IllegalArgumentException("MoBA gate: key convolution has " + convolution.heads()
                    + " heads of dim " + convolution.dim() + ", K has " + k.heads() + " of dim " + k.dim());
        }
        int kBlocks = (k.tokens() + blockSize - 1) / blockSize;
        float[][] pooled = new float[k.heads()][];
        IntStream kvHeads = IntStream.range(0, k.heads());
        (TiledAttention.sharable(k.data()) ? kvHeads.parallel() : kvHeads)
                .forEach(g -> pooled[g] = poolKeys(k, g, kBlocks));
        return new PooledKeys(blockSize, k.tokens(), pooled);
    }

    /**
     * Selects the key blocks of every query block, one layer per query head; pools the keys first
     * ({@link #pool}).
     *
     * @param in   the operands (Q and K are read; V is not)
     * @param mask visibility {@code [n_q, n_kv]}, usually {@link AttentionMask#causal}
     * @return a block mask with {@code n_head} layers and block size B
     * @throws IllegalArgumentException when the mask or the convolution does not fit the inputs
     */
    public BlockMask select(AttentionInputs in, AttentionMask mask) {
        return select(in, mask, pool(in.k()));
    }

    /**
     * Selects the key blocks of every query block with keys pooled before ({@link #pool} of this K).
     *
     * @throws IllegalArgumentException when the mask or the pooled keys do not fit the inputs
     */
    public BlockMask select(AttentionInputs in, AttentionMask mask, PooledKeys keys) {
        AttentionTensor q = in.q();
        AttentionTensor k = in.k();
        int nq = q.tokens();
        int nkv = k.tokens();
        if (mask.queryCount() != nq || mask.keyCount() != nkv) {
            throw new IllegalArgumentException("MoBA gate: mask covers " + mask.queryCount() + " x " + mask.keyCount()
                    + " but Q has " + nq + " tokens and K " + nkv);
        }
        if (keys.blockSize() != blockSize || keys.keyCount() != nkv || keys.means().length != k.heads()) {
            throw new IllegalArgumentException("MoBA gate: pooled keys (B=" + keys.blockSize() + ", " + keys.keyCount()
                    + " keys, " + keys.means().length + " KV heads) do not fit B=" + blockSize + " and K with " + nkv
                    + " keys, " + k.heads() + " heads");
        }
        BlockMask blocks = BlockMask.empty(nq, nkv, blockSize, q.heads());
        int qBlocks = blocks.queryBlocks();
        int kBlocks = blocks.keyBlocks();
        int d = q.dim();
        // tile classification, shared by all heads: 0 hidden, 1 partial (always kept), 2 wholly visible (candidate)
        byte[] kind = new byte[qBlocks * kBlocks];
        for (int qb = 0; qb < qBlocks; qb++) {
            for (int kb = 0; kb < kBlocks; kb++) {
                kind[qb * kBlocks + kb] = (byte) mask.coverage(
                                qb * blockSize,
                                Math.min(nq, (qb + 1) * blockSize),
                                kb * blockSize,
                                Math.min(nkv, (kb + 1) * blockSize))
                        .ordinal();
            }
        }
        float[][] pooled = keys.means();
        boolean parallel = TiledAttention.sharable(q.data());
        IntStream heads = IntStream.range(0, q.heads());
        (parallel ? heads.parallel() : heads).forEach(h -> {
            float[] means = pooled[in.kvHead(h)];
            float[] qMean = new float[d];
            float[] row = new float[d];
            float[] affinity = new float[kBlocks];
            boolean[] taken = new boolean[kBlocks];
            for (int qb = 0; qb < qBlocks; qb++) {
                int q0 = qb * blockSize;
                int q1 = Math.min(nq, q0 + blockSize);
                Arrays.fill(qMean, 0f);
                for (int i = q0; i < q1; i++) {
                    q.readRow(i, h, 1f, row, 0);
                    for (int c = 0; c < d; c++) {
                        qMean[c] += row[c];
                    }
                }
                int candidates = 0;
                for (int kb = 0; kb < kBlocks; kb++) {
                    int kd = kind[qb * kBlocks + kb];
                    taken[kb] = false;
                    if (kd == AttentionMask.Coverage.PARTIAL.ordinal()) {
                        blocks.keep(h, qb, kb);
                    } else if (kd == AttentionMask.Coverage.ALL.ordinal()) {
                        float dot = 0;
                        int o = kb * d;
                        for (int c = 0; c < d; c++) {
                            dot += qMean[c] * means[o + c];
                        }
                        affinity[kb] = dot;
                        candidates++;
                    }
                }
                int keep = Math.min(topK, candidates);
                for (int n = 0; n < keep; n++) {
                    int best = -1;
                    for (int kb = 0; kb < kBlocks; kb++) {
                        if (!taken[kb]
                                && kind[qb * kBlocks + kb] == AttentionMask.Coverage.ALL.ordinal()
                                && (best < 0 || affinity[kb] > affinity[best])) {
                            best = kb;
                        }
                    }
                    taken[best] = true;
                    blocks.keep(h, qb, best);
                }
            }
        });
        return blocks;
    }

    /**
     * MoBA attention: {@link #select} then {@link Attention#blockSparse} with {@code mask} applied inside the kept
     * blocks.
     *
     * @return the block mask that was used
     */
    public BlockMask attend(AttentionInputs in, AttentionMask mask, AttentionTensor out) {
        BlockMask blocks = select(in, mask);
        Attention.blockSparse(in, blocks, mask, out);
        return blocks;
    }

    /** Mean of each key block of KV head {@code g} (after the convolution, when set): {@code [kBlocks][d]}. */
    private float[] poolKeys(AttentionTensor k, int g, int kBlocks) {
        int d = k.dim();
        int nkv = k.tokens();
        float[] pooled = new float[kBlocks * d];
        int width = convolution == null ? 1 : convolution.width();
        float[][] history = new float[width][d];
        float[][] taps = new float[width][d];
        for (int u = 0; u < width; u++) {
            for (int c = 0; c < d; c++) {
                taps[u][c] = convolution == null ? 1f : convolution.weight(g, u, c);
            }
        }
        for (int t = 0; t < nkv; t++) {
            k.readRow(t, g, 1f, history[t % width], 0);
            int o = (t / blockSize) * d;
            for (int u = 0; u < width && u <= t; u++) {
                float[] past = history[(t - u) % width];
                float[] w = taps[u];
                Kernels.INSTANCE.multiplyAdd(past, w, pooled, o, d);
            }
        }
        for (int kb = 0; kb < kBlocks; kb++) {
            float inv = 1f / (Math.min(nkv, (kb + 1) * blockSize) - kb * blockSize);
            for (int c = 0; c < d; c++) {
                pooled[kb * d + c] *= inv;
            }
        }
        return pooled;
    }
}
