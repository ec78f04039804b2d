package dev.winnow.ranking.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores runs against qrels with trec_eval's definitions.
 *
 * <p>Conventions (those of {@code trec_eval -c}, which Anserini and BEIR's figures use):
 *
 * <ul>
 *   <li>Every ranked list is read in trec_eval order: score descending, ties by document id descending.
 *   <li>A document is relevant when its grade is {@code >= 1}; unjudged documents are non-relevant.
 *   <li>The queries evaluated are those of the qrels. A judged query missing from the run scores 0 on every measure.
 *       A judged query with no relevant document (all its judgments below 1) also scores 0 (num_rel = 0 and an ideal
 *       DCG of 0 both give 0) and still counts in the mean, as trec_eval does. Queries in the run but not in the qrels
 *       are ignored.
 *   <li>nDCG uses linear gains given by a {@link GainMapping} (default: the grade) and the discount {@code
 *       log2(rank + 1)}; the ideal DCG sorts all the query's judged gains.
 * </ul>
 */
public final class Evaluation {

  private final Qrels qrels;
  private final GainMapping gains;

  /**
   * Evaluates against the given qrels with gains equal to grades.
   *
   * @param qrels the judgments
   */
  public Evaluation(Qrels qrels) {
    this(qrels, GainMapping.GRADE);
  }

  /**
   * Evaluates against the given qrels with a gain mapping for nDCG.
   *
   * @param qrels the judgments
   * @param gains the grade-to-gain mapping
   */
  public Evaluation(Qrels qrels, GainMapping gains) {
    this.qrels = qrels;
    this.gains = gains;
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
   * Scores every judged query.
   *
   * @param run the run
   * @param metric the measure
   * @return query id to value in [0, 1], in the qrels' query order
   */
  public Map<String, Double> perQuery(Run run, Metric metric) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String q : qrels.queryIds()) {
      out.put(q, score(q, run.ranking(q), metric));
    }
    return out;
  }

  /**
   * Returns the mean of a measure over the judged queries.
   *
   * @param run the run
   * @param metric the measure
   * @return the mean in [0, 1] (0 when the qrels are empty)
   */
  public double mean(Run run, Metric metric) {
    Map<String, Double> pq = perQuery(run, metric);
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
      double s = 0;
      for (double v : pq.values()) {
        s += v;
      }
      out.add(new Result(m, pq.isEmpty() ? 0 : s / pq.size(), pq));
    }
    return out;
  }

  /**
   * The value of one measure for a run.
   *
   * @param metric the measure
   * @param mean the mean over the judged queries
   * @param perQuery the value of each judged query
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
    double[] ideal = judged.values().stream().mapToDouble(gains::gain).filter(g -> g > 0).sorted().toArray();
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
