package dev.winnow.scripting.host;

import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import java.util.List;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

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

  /**
   * The same run limited to some queries (to compare with a run over a subset).
   *
   * @param queryIds the queries to keep
   * @return a new run with the same name
   */
  @HostAccess.Export
  public ScriptRun restrictTo(Value queryIds) {
    return new ScriptRun(run.restrictTo(new java.util.HashSet<>(Verbs.strings(queryIds, "restrictTo"))));
  }

  /**
   * The same run under another name (metric tables label rows by name).
   *
   * @param name the new name
   * @return a renamed copy
   */
  @HostAccess.Export
  public ScriptRun withName(String name) {
    return new ScriptRun(run.withName(name));
  }

  /**
   * What {@code print(run)} shows: the name and size, then the top 3 documents of the first 3 queries (in query-id
   * order) as a TREC-like table.
   *
   * @return e.g. {@code "run bm25: 2 queries, 20 documents\nquery  rank  id  score\n..."}
   */
  @HostAccess.Export
  @Override
  public String toString() {
    List<String> ids = queryIds();
    int docs = 0;
    for (String q : ids) {
      docs += run.ranking(q).size();
    }
    StringBuilder b =
        new StringBuilder("run " + run.name() + ": " + ids.size() + (ids.size() == 1 ? " query, " : " queries, ")
            + docs + (docs == 1 ? " document" : " documents"));
    if (docs == 0) {
      return b.toString();
    }
    HtmlTable t = new HtmlTable(List.of("query", "rank", "id", "score"));
    boolean cut = ids.size() > 3;
    for (String q : ids.subList(0, Math.min(3, ids.size()))) {
      List<ScoredDoc> r = run.ranking(q);
      cut |= r.size() > 3;
      for (int i = 0; i < Math.min(3, r.size()); i++) {
        t.row(List.of(q, Integer.toString(i + 1), r.get(i).docId(),
            String.format(java.util.Locale.ROOT, "%.4f", r.get(i).score())));
      }
    }
    b.append('\n').append(t.plain());
    return cut ? b.append("\n...").toString() : b.toString();
  }
}
