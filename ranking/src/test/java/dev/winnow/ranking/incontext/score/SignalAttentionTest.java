package dev.winnow.ranking.incontext.score;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SignalAttentionTest {

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /**
     * Reference: the signal token's full softmax over instruction + document + query keys (what llama.cpp's
     * kq_soft_max row holds), then the document columns kept and renormalised, averaged over heads and rows.
     */
    private static double[] reference(HeadShape s, float[] q, int rows, float[] otherKeys, List<float[]> docs) {
        List<float[]> all = new ArrayList<>(docs);
        all.add(otherKeys);
        double[] scores = new double[docs.size()];
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < s.nHead(); h++) {
                int kvh = h * s.nHeadKv() / s.nHead();
                List<double[]> probs = new ArrayList<>();
                double z = 0;
                for (float[] k : all) {
                    int n = k.length / s.kWidth();
                    double[] p = new double[n];
                    for (int t = 0; t < n; t++) {
                        double dot = 0;
                        for (int i = 0; i < s.headDim(); i++) {
                            dot += (double) q[r * s.qWidth() + h * s.headDim() + i] * k[t * s.kWidth() + kvh * s.headDim() + i];
                        }
                        p[t] = Math.exp(dot * s.scale());
                        z += p[t];
                    }
                    probs.add(p);
                }
                double docMass = 0;
                for (int d = 0; d < docs.size(); d++) {
                    docMass += Arrays.stream(probs.get(d)).sum() / z;
                }
                for (int d = 0; d < docs.size(); d++) {
                    scores[d] += Arrays.stream(probs.get(d)).sum() / z / docMass / (rows * s.nHead());
                }
            }
        }
        return scores;
    }

    @Test
    void matchesRenormalisedFullSoftmaxWithGroupedQueryHeads() {
        Random r = new Random(7);
        HeadShape s = HeadShape.standard(8, 2, 16);
        for (int rows = 1; rows <= 2; rows++) {
            float[] q = random(r, rows * s.qWidth());
            List<float[]> docs = new ArrayList<>();
            for (int d = 0; d < 5; d++) {
                docs.add(random(r, (3 + d * 4) * s.kWidth()));
            }
            float[] other = random(r, 11 * s.kWidth());
            SignalAttention.Scores got = SignalAttention.combine(Arrays.asList(SignalAttention.logits(s, q, rows, docs)));
            double[] want = reference(s, q, rows, other, docs);
            double total = 0;
            for (int d = 0; d < docs.size(); d++) {
                assertEquals(want[d], got.scores()[d], 1e-6, "document " + d + " rows " + rows);
                double tokenSum = 0;
                for (float w : got.tokenWeights()[d]) {
                    tokenSum += w;
                    assertTrue(w > 0);
                }
                assertEquals(got.scores()[d], tokenSum, 1e-6);
                total += got.scores()[d];
            }
            assertEquals(1.0, total, 1e-9);
        }
    }

    @Test
    void windowsWithTheSameSignalCombineToTheSingleCall() {
        Random r = new Random(11);
        HeadShape s = HeadShape.standard(4, 4, 8);
        float[] q = random(r, s.qWidth());
        List<float[]> docs = new ArrayList<>();
        for (int d = 0; d < 6; d++) {
            docs.add(random(r, (2 + d) * s.kWidth()));
        }
        SignalAttention.Scores single = SignalAttention.combine(Arrays.asList(SignalAttention.logits(s, q, 1, docs)));
        List<SignalAttention.DocumentLogits> merged = new ArrayList<>();
        merged.addAll(Arrays.asList(SignalAttention.logits(s, q, 1, docs.subList(0, 4))));
        merged.addAll(Arrays.asList(SignalAttention.logits(s, q, 1, docs.subList(4, 6))));
        SignalAttention.Scores windows = SignalAttention.combine(merged);
        for (int d = 0; d < docs.size(); d++) {
            assertEquals(single.scores()[d], windows.scores()[d], 1e-12);
        }
    }

    @Test
    void rejectsKeysThatDoNotMatchTheShape() {
        HeadShape s = HeadShape.standard(4, 2, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SignalAttention.logits(s, new float[s.qWidth()], 1, List.of(new float[s.kWidth() + 1])));
        assertTrue(e.getMessage().contains("document 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HeadShape.standard(6, 4, 8));
    }
}
