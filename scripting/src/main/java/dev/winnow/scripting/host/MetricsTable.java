package dev.winnow.scripting.host;

import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.scripting.DisplayData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.graalvm.polyglot.HostAccess;

/**
 * Metrics of one or more runs against the same qrels: one row per run, one column per metric (means over the
 * evaluated queries, see {@link Evaluation}); displayed as a table, with any partial-run warning as its caption.
 */
public final class MetricsTable implements Displayable {
    private final List<String> runs;
    private final List<Metric> metrics;
    private final Map<String, List<Evaluation.Result>> results;
    private final List<String> warnings;

    MetricsTable(List<String> runs, List<Metric> metrics, Map<String, List<Evaluation.Result>> results) {
        this(runs, metrics, results, List.of());
    }

    MetricsTable(
            List<String> runs,
            List<Metric> metrics,
            Map<String, List<Evaluation.Result>> results,
            List<String> warnings) {
        this.runs = List.copyOf(runs);
        this.metrics = List.copyOf(metrics);
        this.results = new LinkedHashMap<>(results);
        this.warnings = List.copyOf(warnings);
    }

    /**
     * The warnings of the evaluation: one per run that lacks some judged queries, with the counts.
     *
     * @return the messages, empty when every run covers every judged query
     */
    @HostAccess.Export
    public List<String> warnings() {
        return warnings;
    }

    /**
     * The mean of a metric for the first (or only) run.
     *
     * @param metric a label such as {@code "nDCG@10"}, {@code "R@100"}, {@code "RR@10"}
     * @return the mean in [0, 1]
     * @throws IllegalArgumentException when the metric was not computed
     */
    @HostAccess.Export
    public double get(String metric) {
        return get(runs.get(0), metric);
    }

    /**
     * The mean of a metric for a run.
     *
     * @param run the run's name
     * @param metric the metric label
     * @return the mean in [0, 1]
     */
    @HostAccess.Export
    public double get(String run, String metric) {
        return result(run, metric).mean();
    }

    /**
     * The per-query values of a metric for the first run.
     *
     * @param metric the metric label
     * @return query id to value
     */
    @HostAccess.Export
    public Map<String, Double> perQuery(String metric) {
        return result(runs.get(0), metric).perQuery();
    }

    /**
     * The runs, in row order.
     *
     * @return their names
     */
    @HostAccess.Export
    public List<String> runs() {
        return runs;
    }

    /**
     * The metric labels, in column order.
     *
     * @return e.g. {@code ["nDCG@10", "R@100", "RR@10"]}
     */
    @HostAccess.Export
    public List<String> metrics() {
        return metrics.stream().map(Metric::label).toList();
    }

    private Evaluation.Result result(String run, String metric) {
        List<Evaluation.Result> rs = results.get(run);
        if (rs == null) {
            throw new IllegalArgumentException("no run named '" + run + "' in this table (runs: " + runs + ")");
        }
        Metric m = Metric.parse(metric);
        for (Evaluation.Result r : rs) {
            if (r.metric().equals(m)) {
                return r;
            }
        }
        throw new IllegalArgumentException("metric " + metric + " was not computed (table has " + metrics() + ")");
    }

    @Override
    public DisplayData toDisplayData() {
        List<String> header = new ArrayList<>();
        header.add("run");
        header.addAll(metrics());
        HtmlTable t = new HtmlTable(header);
        for (String run : runs) {
            List<String> row = new ArrayList<>();
            row.add(run);
            for (Evaluation.Result r : results.get(run)) {
                row.add(String.format("%.4f", r.mean()));
            }
            t.row(row);
        }
        return t.toDisplayData(warnings.isEmpty() ? null : "warning: " + String.join("; ", warnings));
    }

    @HostAccess.Export
    @Override
    public String toString() {
        return toDisplayData().plainText();
    }
}
