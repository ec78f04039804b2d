package dev.winnow.scripting.host;

import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import java.util.List;
import org.graalvm.polyglot.HostAccess;

/** A run: each query's ranked documents, as made by {@code index.run(...)}, ready for {@code winnow.evaluate}. */
public final class ScriptRun {
  final Run run;

  ScriptRun(Run run) {
    this.run = run;
  }

  /**
   * The run's name (a row label in metric tables).
   *
   * @return the name
   */
  @HostAccess.Export
  public String name() {
    return run.name();
  }

  /**
   * The query ids in the run.
   *
   * @return the ids, sorted
   */
  @HostAccess.Export
  public List<String> queryIds() {
    return run.queryIds().stream().sorted().toList();
  }

  /**
   * One query's document ids in rank order.
   *
   * @param queryId the query
   * @return the ids (empty when the query is not in the run)
   */
  @HostAccess.Export
  public List<String> ranking(String queryId) {
    return run.ranking(queryId).stream().map(ScoredDoc::docId).toList();
  }

  /**
   * One query's scores in rank order (parallel to {@link #ranking}).
   *
   * @param queryId the query
   * @return the scores
   */
  @HostAccess.Export
  public double[] scores(String queryId) {
    return run.ranking(queryId).stream().mapToDouble(ScoredDoc::score).toArray();
  }

  @Override
  public String toString() {
    return "run " + run.name() + " (" + run.queryIds().size() + " queries)";
  }
}
