package dev.winnow.scripting.host;

import dev.winnow.ranking.eval.Qrels;
import java.util.HashSet;
import java.util.List;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

/** Relevance judgments (qrels) of a collection split, as scripts see them. */
public final class ScriptQrels {
    final Qrels qrels;
    private final HostEnvironment env;

    ScriptQrels(HostEnvironment env, Qrels qrels) {
        this.env = env;
        this.qrels = qrels;
    }

    /**
     * The judged query ids.
     *
     * @return the ids, sorted
     */
    @HostAccess.Export
    public List<String> queryIds() {
        return qrels.queryIds().stream().sorted().toList();
    }

    /**
     * The grade of a document for a query.
     *
     * @param queryId the query
     * @param docId the document
     * @return the grade, 0 when unjudged
     */
    @HostAccess.Export
    public int grade(String queryId, String docId) {
        return Verbs.call(env, () -> qrels.grade(queryId, docId));
    }

    /**
     * The number of judgments.
     *
     * @return (query, document) pairs
     */
    @HostAccess.Export
    public int size() {
        return qrels.size();
    }

    /**
     * The judgments of some queries only (to evaluate a run over a subset).
     *
     * @param queryIds the queries to keep
     * @return the restricted qrels
     */
    @HostAccess.Export
    public ScriptQrels restrictTo(Value queryIds) {
        return Verbs.call(
                env,
                () -> new ScriptQrels(env, qrels.restrictTo(new HashSet<>(Verbs.strings(queryIds, "restrictTo")))));
    }

    @HostAccess.Export
    @Override
    public String toString() {
        return "qrels: " + qrels.size() + " judgments for " + qrels.queryIds().size() + " queries";
    }
}
