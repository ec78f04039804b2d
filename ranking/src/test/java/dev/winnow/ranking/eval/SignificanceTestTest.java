package dev.winnow.ranking.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SignificanceTestTest {

    private static Map<String, Double> values(double... v) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            m.put("q" + i, v[i]);
        }
        return m;
    }

    private final Map<String, Double> a = values(0.1, 0.2, 0.3, 0.4, 0.5);
    private final Map<String, Double> b = values(0.15, 0.1, 0.35, 0.3, 0.4);

    @Test
    void pairedTTestMatchesReference() {
        // scipy.stats.ttest_rel(a, b): t = 1.0886621079, p = 0.3375018565
        assertEquals(0.3375018565403645, SignificanceTest.pairedTTest(a, b), 1e-9);
        assertEquals(0.3375018565403645, SignificanceTest.pairedTTest(b, a), 1e-9);
        assertEquals(1.0, SignificanceTest.pairedTTest(a, a));
    }

    @Test
    void randomizationTestApproachesExactPermutationPValue() {
        // all 32 sign patterns of the differences: 14 reach |sum| >= observed, p = 0.4375
        double p = SignificanceTest.randomization(a, b, 20_000, 42);
        assertEquals(0.4375, p, 0.015);
        assertEquals(p, SignificanceTest.randomization(a, b, 20_000, 42), "same seed, same p-value");
        // a consistent large improvement over 20 queries is significant
        double[] x = new double[20];
        double[] y = new double[20];
        for (int i = 0; i < 20; i++) {
            x[i] = 0.5 + 0.01 * i;
            y[i] = x[i] - 0.1 - 0.001 * i;
        }
        assertEquals(1.0 / 20_001, SignificanceTest.randomization(values(x), values(y), 20_000, 1), 1e-4);
    }

    @Test
    void differentQuerySetsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> SignificanceTest.pairedTTest(a, values(1, 2, 3)));
    }
}
