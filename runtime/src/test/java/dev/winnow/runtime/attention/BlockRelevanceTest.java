package dev.winnow.runtime.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockRelevanceTest {

    @Test
    void blockRankScoreEqualsDirectComputationFromDenseProbabilities() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(31);
            int instr = 12;
            int[] docs = {20, 9, 33, 15};
            int queryLen = 5;
            SegmentMask mask = SegmentMask.blockRank(instr, docs, queryLen);
            int n = mask.queryCount();
            int heads = 8;
            AttentionInputs in = AttentionInputs.of(
                    ReferenceAttention.random(arena, rnd, ElementType.F32, n, heads, 64, 2f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F16, n, 2, 64, 2f, false),
                    ReferenceAttention.random(arena, rnd, ElementType.F16, n, 2, 64, 1f, false));
            int[] keySegments = SegmentMask.blockRankSegments(instr, docs, queryLen);
            int[] documents = {1, 2, 3, 4};
            int[] rows = {n - 2, n - 1};

            // expected: from the reference's probabilities, in double
            ReferenceAttention.Result ref = ReferenceAttention.compute(in, (h, i, j) -> mask.visible(i, j));
            double[][] expected = new double[rows.length][documents.length];
            for (int r = 0; r < rows.length; r++) {
                for (int h = 0; h < heads; h++) {
                    double z = 0;
                    double[] perDoc = new double[documents.length];
                    for (int j = 0; j < n; j++) {
                        int seg = keySegments[j];
                        if (seg >= 1 && seg <= docs.length) {
                            perDoc[seg - 1] += ref.probs()[h][rows[r]][j];
                            z += ref.probs()[h][rows[r]][j];
                        }
                    }
                    for (int s = 0; s < documents.length; s++) {
                        expected[r][s] += perDoc[s] / z / heads;
                    }
                }
            }

            SegmentRelevance fromScores = BlockRelevance.fromAttention(in, rows, mask, keySegments, documents);
            AttentionTensor out = AttentionTensor.allocate(arena, ElementType.F32, n, heads, 64);
            AttentionProbabilities p = AttentionProbabilities.allocate(arena, heads, n, n);
            Attention.dense(in, mask, out, p);
            SegmentRelevance fromProbs = BlockRelevance.fromProbabilities(p, rows, keySegments, documents);
            for (int r = 0; r < rows.length; r++) {
                double sum = 0;
                for (int s = 0; s < documents.length; s++) {
                    assertEquals(
                            expected[r][s],
                            fromScores.perRow()[r][s],
                            1e-5,
                            "from Q and K, row " + rows[r] + " doc " + documents[s]);
                    assertEquals(
                            expected[r][s],
                            fromProbs.perRow()[r][s],
                            1e-5,
                            "from probabilities, row " + rows[r] + " doc " + documents[s]);
                    sum += fromScores.perRow()[r][s];
                }
                assertEquals(1.0, sum, 1e-5);
            }
            float[] mean = fromScores.meanOverRows();
            for (int s = 0; s < documents.length; s++) {
                assertEquals((expected[0][s] + expected[1][s]) / 2, mean[s], 1e-5);
                assertEquals(mean[s], fromScores.meanOf(documents[s]));
            }
        }
    }

    @Test
    void ignoresKeysOutsideTheScoredSegmentsAndRejectsBadInput() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(32);
            int n = 40;
            AttentionTensor t = ReferenceAttention.random(arena, rnd, ElementType.F32, n, 2, 32, 1f, false);
            AttentionInputs in = AttentionInputs.of(t, t, t);
            int[] seg = new int[n];
            for (int j = 0; j < n; j++) {
                seg[j] = j < 10 ? -1 : j < 25 ? 7 : 3;
            }
            // only segment 7 scored: it gets all the mass
            SegmentRelevance only7 = BlockRelevance.fromAttention(in, new int[] {n - 1}, null, seg, new int[] {7});
            assertEquals(1f, only7.perRow()[0][0], 1e-6f);
            assertThrows(
                    IllegalArgumentException.class,
                    () -> BlockRelevance.fromAttention(in, new int[] {n}, null, seg, new int[] {7}));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> BlockRelevance.fromAttention(in, new int[] {0}, null, new int[3], new int[] {7}));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> BlockRelevance.fromAttention(in, new int[] {0}, null, seg, new int[] {7, 7}));
        }
    }

    /** The logits against K's keys [from, to) with segment ids from {@code seg}. */
    private static RelevanceLogits window(
            Arena arena, AttentionTensor q, AttentionTensor k, int[] rows, int[] seg, int from, int to) {
        AttentionTensor slice = AttentionTensor.contiguous(
                k.data().asSlice((long) from * k.heads() * k.dim() * 4, (long) (to - from) * k.heads() * k.dim() * 4),
                ElementType.F32,
                to - from,
                k.heads(),
                k.dim());
        int[] s = java.util.Arrays.copyOfRange(seg, from, to);
        return BlockRelevance.logits(
                AttentionInputs.of(q, slice, slice),
                rows,
                null,
                s,
                java.util.Arrays.stream(s).distinct().toArray());
    }

    @Test
    void windowsOfKeysMergedInOneSoftmaxEqualOneCallOverAllKeys() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(33);
            int nkv = 57;
            AttentionTensor q = ReferenceAttention.random(arena, rnd, ElementType.F32, 2, 8, 48, 2f, false);
            AttentionTensor k = ReferenceAttention.random(arena, rnd, ElementType.F32, nkv, 2, 48, 2f, false);
            int[] seg = new int[nkv];
            for (int j = 0; j < nkv; j++) {
                seg[j] = j < 9 ? 0 : j < 20 ? 1 : j < 31 ? 2 : j < 44 ? 3 : 4;
            }
            int[] rows = {0, 1};
            int[] all = {0, 1, 2, 3, 4};
            RelevanceLogits one = BlockRelevance.logits(AttentionInputs.of(q, k, k), rows, null, seg, all);
            assertEquals(nkv, one.keyCount());
            // a logit is the scaled dot product of the row's head with its KV head (8 heads over 2: h / 4)
            double dot = 0;
            for (int i = 0; i < 48; i++) {
                dot += (double) q.get(1, 5, i) * k.get(30, 1, i);
            }
            assertEquals(dot / Math.sqrt(48), one.logit(1, 5, 30), 1e-4);

            SegmentRelevance single = BlockRelevance.fromAttention(AttentionInputs.of(q, k, k), rows, null, seg, all);
            List<RelevanceLogits> windows = List.of(
                    window(arena, q, k, rows, seg, 0, 20),
                    window(arena, q, k, rows, seg, 20, 44),
                    window(arena, q, k, rows, seg, 44, nkv));
            SegmentRelevance merged = BlockRelevance.fromLogits(windows, all);
            double[][] w = BlockRelevance.keyWeights(windows);
            double[][] wOne = BlockRelevance.keyWeights(List.of(one));
            float[] mean = single.meanOverRows();
            double total = 0;
            double[] perSegment = new double[all.length];
            int key = 0;
            for (int p = 0; p < windows.size(); p++) {
                for (int n = 0; n < w[p].length; n++, key++) {
                    assertEquals(wOne[0][key], w[p][n], 1e-12, "key " + key);
                    assertTrue(w[p][n] > 0 && w[p][n] < 1);
                    perSegment[seg[key]] += w[p][n];
                    total += w[p][n];
                }
            }
            assertEquals(1.0, total, 1e-12);
            for (int s = 0; s < all.length; s++) {
                for (int r = 0; r < rows.length; r++) {
                    assertEquals(single.perRow()[r][s], merged.perRow()[r][s], 1e-6, "row " + r + " segment " + s);
                }
                assertEquals(mean[s], perSegment[s], 1e-6, "segment " + s);
            }
        }
    }

    @Test
    void mergingRejectsPartsThatCannotShareASoftmax() {
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(34);
            AttentionTensor q = ReferenceAttention.random(arena, rnd, ElementType.F32, 2, 4, 16, 1f, false);
            AttentionTensor k = ReferenceAttention.random(arena, rnd, ElementType.F32, 10, 4, 16, 1f, false);
            int[] seg = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
            RelevanceLogits twoRows = window(arena, q, k, new int[] {0, 1}, seg, 0, 5);
            RelevanceLogits oneRow = window(arena, q, k, new int[] {1}, seg, 5, 10);
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> BlockRelevance.keyWeights(List.of(twoRows, oneRow)));
            assertTrue(e.getMessage().contains("cannot share a softmax"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> BlockRelevance.keyWeights(List.of()));
            // segment 1's keys are not among the reported segments
            assertThrows(
                    IllegalArgumentException.class,
                    () -> BlockRelevance.fromLogits(
                            List.of(window(arena, q, k, new int[] {0}, seg, 0, 10)), new int[] {0}));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> new RelevanceLogits(new int[] {0}, 4, new int[] {1, 2}, new int[] {0, 0}, new float[7]));
        }
    }
}
