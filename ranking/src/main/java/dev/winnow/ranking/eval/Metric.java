package dev.winnow.ranking.eval;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An effectiveness measure with trec_eval's definition and an optional rank cut-off.
 *
 * <p>Names follow the field: {@code nDCG@10}, {@code MAP} (AP averaged over queries; per query it is AP),
 * {@code RR@10} ({@code RR} without a cut-off, trec_eval's {@code recip_rank}), {@code R@100}, {@code P@10}.
 *
 * @param kind the measure
 * @param cutoff the rank cut-off k ({@code >= 1}), or 0 for the whole ranked list
 */
public record Metric(Kind kind, int cutoff) {

    /** The measures, each as trec_eval defines it (relevant means grade {@code >= 1}). */
    public enum Kind {
        /** Normalised discounted cumulative gain, trec_eval's {@code ndcg_cut}: linear gain, discount log2(rank + 1). */
        NDCG,
        /** Average precision (trec_eval {@code map}): sum of precision at each relevant rank, over all relevant docs. */
        AP,
        /** Reciprocal rank of the first relevant document (trec_eval {@code recip_rank}), 0 when none in the cut. */
        RR,
        /** Recall: relevant documents retrieved in the cut over all relevant documents (trec_eval {@code recall}). */
        RECALL,
        /** Precision: relevant documents in the first k over k (trec_eval {@code P}), even when fewer were retrieved. */
        PRECISION
    }

    /** nDCG@10, the headline measure of BEIR. */
    public static final Metric NDCG_10 = new Metric(Kind.NDCG, 10);
    /** Recall at 100. */
    public static final Metric RECALL_100 = new Metric(Kind.RECALL, 100);
    /** Recall at 1000. */
    public static final Metric RECALL_1000 = new Metric(Kind.RECALL, 1000);
    /** Reciprocal rank within the first 10. */
    public static final Metric RR_10 = new Metric(Kind.RR, 10);
    /** Average precision over the whole list (MAP when averaged). */
    public static final Metric AP = new Metric(Kind.AP, 0);
    /** Precision at 10. */
    public static final Metric P_10 = new Metric(Kind.PRECISION, 10);

    /**
     * Validates the cut-off.
     *
     * @throws IllegalArgumentException when the cut-off is negative, or 0 for a measure that needs one (P)
     */
    public Metric {
        if (kind == null) {
            throw new IllegalArgumentException("metric kind is null");
        }
        if (cutoff < 0 || (cutoff == 0 && kind == Kind.PRECISION)) {
            throw new IllegalArgumentException("bad cut-off " + cutoff + " for " + kind);
        }
    }

    /**
     * Returns the field-standard name, e.g. {@code nDCG@10}, {@code MAP}, {@code R@100}.
     *
     * @return the name
     */
    public String label() {
        String base = switch (kind) {
            case NDCG -> "nDCG";
            case AP -> "MAP";
            case RR -> "RR";
            case RECALL -> "R";
            case PRECISION -> "P";
        };
        return cutoff == 0 ? base : base + "@" + cutoff;
    }

    @Override
    public String toString() {
        return label();
    }

    /**
     * Parses a measure name: as {@link #label()} writes it (case-insensitive; {@code AP}, {@code MRR@10}, {@code
     * Recall@100} accepted too), or as trec_eval's {@code -m} names it: {@code ndcg_cut.10} / {@code ndcg_cut_10},
     * {@code ndcg} (whole list), {@code map}, {@code recip_rank}, {@code P.10} / {@code P_10}, {@code recall.100} /
     * {@code recall_100}.
     *
     * @param name the name
     * @return the metric
     * @throws IllegalArgumentException when the name is not a known measure or its cut-off is not a positive integer
     */
    public static Metric parse(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("empty metric name (nDCG@k, MAP, RR@k, R@k, P@k)");
        }
        String s = name.trim().toLowerCase(Locale.ROOT);
        String base;
        String cut;
        int at = s.indexOf('@');
        if (at >= 0) {
            base = s.substring(0, at);
            cut = s.substring(at + 1);
        } else {
            // trec_eval's spelling: measure.k on the command line, measure_k in its output
            Matcher m = TREC_EVAL_NAME.matcher(s);
            if (m.matches()) {
                base = m.group(1);
                cut = m.group(2);
            } else {
                base = s;
                cut = null;
            }
        }
        int k;
        try {
            k = cut == null ? 0 : Integer.parseInt(cut);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad metric '" + name + "': cut-off '" + cut + "' is not an integer");
        }
        if (cut != null && k < 1) {
            throw new IllegalArgumentException("bad metric '" + name + "': cut-off must be >= 1, got " + k);
        }
        Kind kind = switch (base) {
            case "ndcg", "ndcg_cut" -> Kind.NDCG;
            case "map", "ap" -> Kind.AP;
            case "rr", "mrr", "recip_rank" -> Kind.RR;
            case "r", "recall" -> Kind.RECALL;
            case "p", "precision" -> Kind.PRECISION;
            default ->
                throw new IllegalArgumentException("unknown metric '" + name
                        + "' (nDCG@k, MAP, RR@k, R@k, P@k, or trec_eval's ndcg_cut.k, ndcg, map,"
                        + " recip_rank, P.k, recall.k)");
        };
        if (kind == Kind.PRECISION && k == 0) {
            throw new IllegalArgumentException("bad metric '" + name + "': precision needs a cut-off, e.g. P@10");
        }
        return new Metric(kind, k);
    }

    private static final Pattern TREC_EVAL_NAME = Pattern.compile("(ndcg_cut|p|recall)[._]([0-9]+)");
}
