package dev.winnow.scripting.host;

import dev.winnow.ranking.collection.TestCollection;
import java.util.List;
import org.graalvm.polyglot.HostAccess;

/** A test collection (BEIR, TREC or Cranfield directory) opened by {@code winnow.collection(dir)}. */
public final class ScriptCollection {
    final TestCollection collection;
    private final HostEnvironment env;

    ScriptCollection(HostEnvironment env, TestCollection collection) {
        this.env = env;
        this.collection = collection;
    }

    /**
     * The collection's name (its directory name).
     *
     * @return e.g. {@code "scifact"}
     */
    @HostAccess.Export
    public String name() {
        return collection.name();
    }

    /**
     * The number of documents.
     *
     * @return the corpus size
     */
    @HostAccess.Export
    public int size() {
        return collection.documents().size();
    }

    /**
     * The splits that have judgments.
     *
     * @return e.g. {@code ["test", "train"]}
     */
    @HostAccess.Export
    public List<String> splits() {
        return collection.splits();
    }

    /**
     * The queries of a split (default: the collection's default split).
     *
     * @param split the split name, or null/undefined/None for the default
     * @return the queries in file order
     */
    @HostAccess.Export
    public List<ScriptQuery> queries(String split) {
        return Verbs.call(
                env,
                () -> collection.queries(split == null ? collection.defaultSplit() : split).stream()
                        .map(ScriptQuery::new)
                        .toList());
    }

    /**
     * The queries of the default split.
     *
     * @return the queries
     */
    @HostAccess.Export
    public List<ScriptQuery> queries() {
        return queries(null);
    }

    /**
     * The judgments of a split.
     *
     * @param split the split name, or null for the default
     * @return the qrels
     */
    @HostAccess.Export
    public ScriptQrels qrels(String split) {
        return Verbs.call(
                env, () -> new ScriptQrels(env, collection.qrels(split == null ? collection.defaultSplit() : split)));
    }

    /**
     * The judgments of the default split.
     *
     * @return the qrels
     */
    @HostAccess.Export
    public ScriptQrels qrels() {
        return qrels(null);
    }

    @HostAccess.Export
    @Override
    public String toString() {
        return "collection " + collection.name() + " (" + collection.documents().size() + " documents)";
    }
}
