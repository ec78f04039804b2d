package dev.winnow.ranking.incontext.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class IcrAttentionTest {

    @Test
    void accumulateEqualsDenseCausalAttentionSummedOverHeads() {
        Random r = new Random(3);
        HeadShape s = HeadShape.standard(6, 3, 8);
        int nKeys = 20;
        int nq = 4;
        float[] keys = new float[nKeys * s.kWidth()];
        float[] q = new float[nq * s.qWidth()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian();
        }
        int[] qIdx = {16, 17, 18, 19};
        double[] got = new double[nKeys];
        IcrAttention.accumulate(s, q, nq, qIdx, keys, got);

        // dense reference: full score matrix with a causal -inf mask, softmax per row, in double
        double[] want = new double[nKeys];
        for (int i = 0; i < nq; i++) {
            for (int h = 0; h < s.nHead(); h++) {
                double[] row = new double[nKeys];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < nKeys; j++) {
                    if (j > qIdx[i]) {
                        row[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int k = 0; k < s.headDim(); k++) {
                        dot += q[i * s.qWidth() + h * s.headDim() + k]
                                * keys[j * s.kWidth() + (h / 2) * s.headDim() + k];
                    }
                    row[j] = dot / Math.sqrt(s.headDim());
                    max = Math.max(max, row[j]);
                }
                double z = 0;
                for (int j = 0; j < nKeys; j++) {
                    z += Math.exp(row[j] - max);
                }
                for (int j = 0; j < nKeys; j++) {
                    want[j] += Math.exp(row[j] - max) / z / nq;
                }
            }
        }
        assertArrayEquals(want, got, 1e-5);
        double total = 0;
        for (double v : got) {
            total += v;
        }
        assertEquals(s.nHead(), total, 1e-5, "each head's rows sum to 1, averaged over query tokens");
    }

    @Test
    void calibrationSubtractsTheContentFreeQueryAndDropsTwoSigmaOutliers() {
        // two documents of 5 tokens; calibrated values 0 except one token at -10: mean -1, std 3, threshold -7
        double[] real = new double[12];
        double[] na = new double[12];
        for (int j = 0; j < 12; j++) {
            real[j] = 0.5 + j;
            na[j] = 0.5 + j;
        }
        real[3] = 1.0; // doc 0 token 1: +0.5 - (3.5) = ... set explicitly below
        na[3] = 11.0; // calibrated -10
        real[9] = 20.0; // doc 1 token 2: calibrated 10.5
        IcrAttention.Scores got = IcrAttention.calibrate(real, na, new int[] {2, 7}, new int[] {5, 5});
        // calibrated: doc0 = [0,-10,0,0,0], doc1 = [0,0,10.5,0,0]; mean 0.05, std sqrt((100+110.25)/10 - 0.0025)
        double mean = 0.05;
        double std = Math.sqrt((100 + 110.25) / 10 - mean * mean);
        double threshold = mean - 2 * std; // about -9.12: -10 is dropped
        assertEquals(-9.12, threshold, 0.01);
        assertEquals(1, got.dropped());
        assertEquals(0.0, got.scores()[0], 1e-12);
        assertEquals(10.5, got.scores()[1], 1e-12);
        assertEquals(0f, got.tokenWeights()[0][1]);
    }
}
