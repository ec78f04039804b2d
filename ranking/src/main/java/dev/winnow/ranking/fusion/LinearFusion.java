package dev.winnow.ranking.fusion;

import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Normalised linear fusion: each list's scores are normalised per query, then {@code w * first + (1 - w) * second}.
 * A document missing from one list gets that list's lowest normalised value (0 with min-max).
 */
public final class LinearFusion implements Fusion {

    /** Per-list score normalisation. */
    public enum Normalization {
        /** {@code (s - min) / (max - min)}, all 0 when every score is equal. */
        MIN_MAX,
        /** {@code (s - mean) / std} (population standard deviation), all 0 when every score is equal. */
        Z_SCORE
    }

    private final double weight;
    private final Normalization normalization;

    /**
     * Creates the fusion.
     *
     * @param weight the first list's weight in [0, 1]
     * @param normalization the normalisation
     * @throws IllegalArgumentException when the weight is outside [0, 1]
     */
    public LinearFusion(double weight, Normalization normalization) {
        if (!(weight >= 0 && weight <= 1)) {
            throw new IllegalArgumentException("fusion weight must be in [0, 1], got " + weight);
        }
        this.weight = weight;
        this.normalization = normalization;
    }

    /**
     * Returns the first list's weight.
     *
     * @return the weight in [0, 1]
     */
    public double weight() {
        return weight;
    }

    /**
     * Returns how each list's scores are normalised.
     *
     * @return the normalisation
     */
    public Normalization normalization() {
        return normalization;
    }

    @Override
    public List<ScoredDoc> fuse(List<ScoredDoc> first, List<ScoredDoc> second) {
        Map<String, Double> a = normalise(first);
        Map<String, Double> b = normalise(second);
        double aMin = a.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double bMin = b.values().stream().mapToDouble(Double::doubleValue).min().orElse(0);
        Set<String> docs = new LinkedHashSet<>(a.keySet());
        docs.addAll(b.keySet());
        List<ScoredDoc> out = new ArrayList<>(docs.size());
        for (String d : docs) {
            out.add(new ScoredDoc(d, weight * a.getOrDefault(d, aMin) + (1 - weight) * b.getOrDefault(d, bMin)));
        }
        out.sort(ScoredDoc.TREC_ORDER);
        return out;
    }

    private Map<String, Double> normalise(List<ScoredDoc> l) {
        Map<String, Double> out = new HashMap<>();
        if (l.isEmpty()) {
            return out;
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (ScoredDoc d : l) {
            min = Math.min(min, d.score());
            max = Math.max(max, d.score());
            sum += d.score();
        }
        double mean = sum / l.size();
        double ss = 0;
        for (ScoredDoc d : l) {
            ss += (d.score() - mean) * (d.score() - mean);
        }
        double std = Math.sqrt(ss / l.size());
        for (ScoredDoc d : l) {
            double v = switch (normalization) {
                case MIN_MAX -> max == min ? 0 : (d.score() - min) / (max - min);
                case Z_SCORE -> std == 0 ? 0 : (d.score() - mean) / std;
            };
            out.put(d.docId(), v);
        }
        return out;
    }

    @Override
    public String describe() {
        return "linear weight=" + weight + " normalization="
                + normalization.name().toLowerCase(Locale.ROOT);
    }

    /**
     * Picks the first list's weight that maximises a measure on (training) queries, by grid search over {@code 0,
     * step, 2 step, ..., 1}; ties go to the smaller weight. Tune on train queries only, never on the test split.
     *
     * @param first the first run (BM25) over the tuning queries
     * @param second the second run (dense) over the same queries
     * @param evaluation the tuning qrels
     * @param metric the measure to maximise (e.g. nDCG@10)
     * @param normalization the normalisation
     * @param step the grid step in (0, 1]
     * @return the best fusion
     * @throws IllegalArgumentException when the step is outside (0, 1]
     */
    public static LinearFusion tune(
            Run first, Run second, Evaluation evaluation, Metric metric, Normalization normalization, double step) {
        if (!(step > 0 && step <= 1)) {
            throw new IllegalArgumentException("grid step must be in (0, 1], got " + step);
        }
        LinearFusion best = null;
        double bestValue = Double.NEGATIVE_INFINITY;
        int n = (int) Math.round(1 / step);
        for (int i = 0; i <= n; i++) {
            LinearFusion f = new LinearFusion(Math.min(1, Math.round(i * step * 1e6) / 1e6), normalization);
            double v = evaluation.mean(f.fuse(first, second, "tune"), metric);
            if (v > bestValue + 1e-12) {
                bestValue = v;
                best = f;
            }
        }
        return best;
    }
}
