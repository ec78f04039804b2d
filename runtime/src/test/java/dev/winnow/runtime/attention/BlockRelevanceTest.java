package dev.winnow.runtime.attention;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
                    assertEquals(expected[r][s], fromScores.perRow()[r][s], 1e-5, "from Q and K, row " + rows[r] + " doc " + documents[s]);
                    assertEquals(expected[r][s], fromProbs.perRow()[r][s], 1e-5, "from probabilities, row " + rows[r] + " doc " + documents[s]);
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
            assertThrows(IllegalArgumentException.class, () -> BlockRelevance.fromAttention(in, new int[] {n}, null, seg, new int[] {7}));
            assertThrows(IllegalArgumentException.class, () -> BlockRelevance.fromAttention(in, new int[] {0}, null, new int[3], new int[] {7}));
            assertThrows(IllegalArgumentException.class, () -> BlockRelevance.fromAttention(in, new int[] {0}, null, seg, new int[] {7, 7}));
        }
    }
}
