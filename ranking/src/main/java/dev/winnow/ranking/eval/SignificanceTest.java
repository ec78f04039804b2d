package dev.winnow.ranking.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * Two-sided significance tests comparing two runs query by query (paired on the same queries).
 *
 * <p>Both take per-query values of one measure, as {@link Evaluation#perQuery} gives them, over the same query ids.
 */
public final class SignificanceTest {

    private SignificanceTest() {}

    /**
     * Student's paired t-test (two-sided) on the per-query differences.
     *
     * @param a per-query values of run A
     * @param b per-query values of run B, with the same query ids
     * @return the p-value in [0, 1]; 1 when every difference is 0, 0 when the differences are a nonzero constant
     * @throws IllegalArgumentException when the query sets differ or hold fewer than 2 queries
     */
    public static double pairedTTest(Map<String, Double> a, Map<String, Double> b) {
        double[] d = differences(a, b);
        int n = d.length;
        double mean = 0;
        for (double x : d) {
            mean += x;
        }
        mean /= n;
        double ss = 0;
        for (double x : d) {
            ss += (x - mean) * (x - mean);
        }
        double sd = Math.sqrt(ss / (n - 1));
        if (sd == 0) {
            return mean == 0 ? 1.0 : 0.0;
        }
        double t = mean / (sd / Math.sqrt(n));
        TDistribution dist = new TDistribution(null, n - 1);
        return Math.min(1.0, 2 * dist.cumulativeProbability(-Math.abs(t)));
    }

    /**
     * Fisher's randomisation (permutation) test, two-sided, on the mean difference: each trial swaps the two runs'
     * values of each query with probability 1/2 (flips the sign of its difference). Smucker, Allan and Carterette
     * (CIKM 2007) recommend it for IR.
     *
     * @param a per-query values of run A
     * @param b per-query values of run B, with the same query ids
     * @param trials the number of random permutations, {@code >= 1} (10,000 or more for a stable p-value)
     * @param seed the random seed (results are reproducible for a given seed)
     * @return the p-value {@code (1 + #{|mean diff| >= observed}) / (1 + trials)}, in (0, 1]
     * @throws IllegalArgumentException when the query sets differ, hold fewer than 2 queries, or trials is below 1
     */
    public static double randomization(Map<String, Double> a, Map<String, Double> b, int trials, long seed) {
        if (trials < 1) {
            throw new IllegalArgumentException("trials must be >= 1, got " + trials);
        }
        double[] d = differences(a, b);
        double observed = Math.abs(sum(d));
        SplittableRandom rnd = new SplittableRandom(seed);
        int extreme = 0;
        double eps = 1e-12 * Math.max(1, observed);
        for (int t = 0; t < trials; t++) {
            double s = 0;
            for (double x : d) {
                s += rnd.nextBoolean() ? x : -x;
            }
            if (Math.abs(s) >= observed - eps) {
                extreme++;
            }
        }
        return (1.0 + extreme) / (1.0 + trials);
    }

    private static double sum(double[] d) {
        double s = 0;
        for (double x : d) {
            s += x;
        }
        return s;
    }

    private static double[] differences(Map<String, Double> a, Map<String, Double> b) {
        if (!a.keySet().equals(b.keySet())) {
            throw new IllegalArgumentException(
                    "runs are compared on different query sets (" + a.size() + " vs " + b.size() + " queries)");
        }
        if (a.size() < 2) {
            throw new IllegalArgumentException("a paired test needs at least 2 queries, got " + a.size());
        }
        List<Double> out = new ArrayList<>(a.size());
        for (Map.Entry<String, Double> e : a.entrySet()) {
            out.add(e.getValue() - b.get(e.getKey()));
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
