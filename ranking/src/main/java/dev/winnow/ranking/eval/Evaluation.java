package dev.winnow.ranking.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores runs against qrels with trec_eval's definitions. This is the one evaluation path: the CLI, the Java API,
 * scripts and the notebook all evaluate through it.
 *
 * <p>Conventions (those of trec_eval 10.0):
 *
 * <ul>
 *   <li>Every ranked list is read in trec_eval order: score descending, ties by document id descending.
 *   <li>A document is relevant when its grade is {@code >= 1}; unjudged documents are non-relevant.
 *   <li>By default the queries evaluated (and averaged over) are those that have judgments and a non-empty list in the
 *       run, as trec_eval does without {@code -c}. With {@link #complete(boolean) complete(true)} they are all the
 *       judged queries, a judged query missing from the run scoring 0 on every measure ({@code trec_eval -c}). A
 *       judged query with no relevant document (all its judgments below 1) scores 0 and still counts in the mean.
 *       Queries in the run but not in the qrels are ignored. {@link #coverage(Run)} says how many judged queries a
 *       run lacks.
 *   <li>nDCG uses linear gains given by the qrels' {@link GainMapping} ({@link Qrels#gains()}, set by the
 *       collection) and the discount {@code log2(rank + 1)}; the ideal DCG sorts all the query's judged gains.
 * </ul>
 */
public final class Evaluation {

    private final Qrels qrels;
    private final GainMapping gains;
    private final boolean complete;

    /**
     * Evaluates against the given qrels with the gain mapping they carry.
     *
     * @param qrels the judgments
     */
    public Evaluation(Qrels qrels) {
        this(qrels, qrels.gains(), false);
    }

    /**
     * Evaluates against the given qrels with an explicitly chosen gain mapping for nDCG, overriding the qrels' own
     * ({@link Qrels#gains()}). Prefer {@link #Evaluation(Qrels)}: a collection's qrels already carry its mapping.
     *
     * @param qrels the judgments
     * @param gains the grade-to-gain mapping
     */
    public Evaluation(Qrels qrels, GainMapping gains) {
        this(qrels, gains, false);
    }

    private Evaluation(Qrels qrels, GainMapping gains, boolean complete) {
        if (qrels == null || gains == null) {
            throw new IllegalArgumentException("evaluation: qrels and gain mapping must not be null");
        }
        this.qrels = qrels;
        this.gains = gains;
        this.complete = complete;
    }

    /**
     * Returns an evaluation that averages over all judged queries (a judged query missing from the run scores 0), as
     * {@code trec_eval -c} does, or (false, the default) over the judged queries the run has a list for.
     *
     * @param all whether to average over all judged queries
     * @return the evaluation with that option
     */
    public Evaluation complete(boolean all) {
        return all == complete ? this : new Evaluation(qrels, gains, all);
    }

    /**
     * Returns whether this evaluation averages over all judged queries ({@code trec_eval -c}).
     *
     * @return the option
     */
    public boolean isComplete() {
        return complete;
    }

    /**
     * Returns the qrels this evaluation reads.
     *
     * @return the qrels
     */
    public Qrels qrels() {
        return qrels;
    }

    /**
     * Returns the gain mapping nDCG uses.
     *
     * @return the mapping
     */
    public GainMapping gains() {
        return gains;
    }

    /**
     * How many judged queries a run covers.
     *
     * @param judged the number of judged queries
     * @param inRun how many of them have a non-empty list in the run
     * @param evaluated how many are evaluated and averaged over ({@code judged} when complete, else {@code inRun})
     * @param missing the judged queries without a list in the run, in qrels order
     */
    public record Coverage(int judged, int inRun, int evaluated, List<String> missing) {

        /** Copies the list. */
        public Coverage {
            missing = List.copyOf(missing);
        }

        /**
         * Returns whether the run lacks some judged queries.
         *
         * @return true when {@code inRun < judged}
         */
        public boolean partial() {
            return inRun < judged;
        }

        /**
         * Returns a warning for a partial run, or null when the run covers every judged query.
         *
         * @param runName the run's name
         * @return e.g. {@code run bm25 covers 5 of 225 judged queries; averaged over 5 (use --complete to count the
         *     other 220 as 0)}
         */
        public String warning(String runName) {
            if (!partial()) {
                return null;
            }
            int gap = judged - inRun;
            String shown = String.join(", ", missing.subList(0, Math.min(5, missing.size())))
                    + (missing.size() > 5 ? ", ..." : "");
            return "run "
                    + runName
                    + " covers "
                    + inRun
                    + " of "
                    + judged
                    + " judged queries (missing: "
                    + shown
                    + "); averaged over "
                    + evaluated
                    + (evaluated == judged
                            ? " (the " + gap + " missing count as 0, as trec_eval -c)"
                            : " (as trec_eval; --complete counts the other " + gap + " as 0)");
        }
    }

    /**
     * Says how many judged queries a run covers and how many are evaluated.
     *
     * @param run the run
     * @return the coverage
     */
    public Coverage coverage(Run run) {
        List<String> missing = new ArrayList<>();
        int in = 0;
        for (String q : qrels.queryIds()) {
            if (run.ranking(q).isEmpty()) {
                missing.add(q);
            } else {
                in++;
            }
        }
        int judged = qrels.queryIds().size();
        return new Coverage(judged, in, complete ? judged : in, missing);
    }

    /**
     * Returns the queries evaluated for a run: all judged queries when complete, else the judged ones with a non-empty
     * list in the run, in qrels order.
     *
     * @param run the run
     * @return the query ids
     */
    public List<String> evaluatedQueries(Run run) {
        List<String> out = new ArrayList<>();
        for (String q : qrels.queryIds()) {
            if (complete || !run.ranking(q).isEmpty()) {
                out.add(q);
            }
        }
        return out;
    }

    /**
     * Scores every evaluated query ({@link #evaluatedQueries(Run)}).
     *
     * @param run the run
     * @param metric the measure
     * @return query id to value in [0, 1], in the qrels' query order
     */
    public Map<String, Double> perQuery(Run run, Metric metric) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String q : evaluatedQueries(run)) {
            out.put(q, score(q, run.ranking(q), metric));
        }
        return out;
    }

    /**
     * Returns the mean of a measure over the evaluated queries.
     *
     * @param run the run
     * @param metric the measure
     * @return the mean in [0, 1] (0 when no query is evaluated)
     */
    public double mean(Run run, Metric metric) {
        return meanOf(perQuery(run, metric));
    }

    private static double meanOf(Map<String, Double> pq) {
        double s = 0;
        for (double v : pq.values()) {
            s += v;
        }
        return pq.isEmpty() ? 0 : s / pq.size();
    }

    /**
     * Scores several measures at once.
     *
     * @param run the run
     * @param metrics the measures
     * @return per measure, its mean and per-query values
     */
    public List<Result> evaluate(Run run, List<Metric> metrics) {
        List<Result> out = new ArrayList<>();
        for (Metric m : metrics) {
            Map<String, Double> pq = perQuery(run, m);
            out.add(new Result(m, meanOf(pq), pq));
        }
        return out;
    }

    /**
     * The value of one measure for a run.
     *
     * @param metric the measure
     * @param mean the mean over the evaluated queries
     * @param perQuery the value of each evaluated query
     */
    public record Result(Metric metric, double mean, Map<String, Double> perQuery) {}

    /**
     * Scores one query's ranked list.
     *
     * @param queryId the query id (its judgments come from the qrels)
     * @param ranking the list, in trec_eval order (as {@link Run} keeps it)
     * @param metric the measure
     * @return the value in [0, 1]
     */
    public double score(String queryId, List<ScoredDoc> ranking, Metric metric) {
        Map<String, Integer> judged = qrels.judgments(queryId);
        int numRel = qrels.relevantCount(queryId);
        int k = metric.cutoff() == 0 ? ranking.size() : Math.min(metric.cutoff(), ranking.size());
        return switch (metric.kind()) {
            case NDCG -> ndcg(judged, ranking, metric.cutoff() == 0 ? Integer.MAX_VALUE : metric.cutoff(), k);
            case AP -> {
                if (numRel == 0) {
                    yield 0;
                }
                double sum = 0;
                int found = 0;
                for (int i = 0; i < k; i++) {
                    if (judged.getOrDefault(ranking.get(i).docId(), 0) >= Qrels.RELEVANT_THRESHOLD) {
                        found++;
                        sum += (double) found / (i + 1);
                    }
                }
                yield sum / numRel;
            }
            case RR -> {
                for (int i = 0; i < k; i++) {
                    if (judged.getOrDefault(ranking.get(i).docId(), 0) >= Qrels.RELEVANT_THRESHOLD) {
                        yield 1.0 / (i + 1);
                    }
                }
                yield 0;
            }
            case RECALL -> numRel == 0 ? 0 : (double) relevantIn(judged, ranking, k) / numRel;
            case PRECISION -> (double) relevantIn(judged, ranking, k) / metric.cutoff();
        };
    }

    private static int relevantIn(Map<String, Integer> judged, List<ScoredDoc> ranking, int k) {
        int n = 0;
        for (int i = 0; i < k; i++) {
            if (judged.getOrDefault(ranking.get(i).docId(), 0) >= Qrels.RELEVANT_THRESHOLD) {
                n++;
            }
        }
        return n;
    }

    private double ndcg(Map<String, Integer> judged, List<ScoredDoc> ranking, int cutoff, int k) {
        double dcg = 0;
        for (int i = 0; i < k; i++) {
            dcg += gains.gain(judged.getOrDefault(ranking.get(i).docId(), 0)) / log2(i + 2);
        }
        double[] ideal = judged.values().stream()
                .mapToDouble(gains::gain)
                .filter(g -> g > 0)
                .sorted()
                .toArray();
        double idcg = 0;
        for (int i = 0; i < ideal.length && i < cutoff; i++) {
            idcg += ideal[ideal.length - 1 - i] / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    private static double log2(int x) {
        return Math.log(x) / Math.log(2);
    }
}
