package dev.winnow.scripting.host;

import dev.winnow.ranking.collection.TrecFiles;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import dev.winnow.scripting.sandbox.SandboxFileSystem;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

/**
 * A run: each query's ranked documents, as made by {@code index.run(...)} or {@code ranker.rerank(...)}, ready for
 * {@code winnow.evaluate} and {@code run.save(path)}.
 */
public final class ScriptRun {
    final Run run;
    private final HostEnvironment env;
    private final Made made;

    /**
     * How a run was made, for its provenance sidecar.
     *
     * @param index the index searched
     * @param indexSettings the index's settings
     * @param model the ranking model file, or null
     * @param parameters the method's parameters (mode, k, ranker, ...)
     */
    record Made(Path index, Map<String, Object> indexSettings, Path model, Map<String, Object> parameters) {}

    ScriptRun(HostEnvironment env, Run run, Made made) {
        this.env = env;
        this.run = run;
        this.made = made;
    }

    /**
     * Writes the run in TREC format ({@code qid Q0 docid rank score name}, as {@code winnow eval --run} and {@code
     * winnow rank --run} write it, through the same {@link TrecFiles#writeRun}) with its provenance beside it in {@code
     * PATH.json}: Winnow's version, the date, the index and its settings, the ranking model and its SHA-256, the mode, k
     * and ranker. Both files are written atomically; the path must lie inside the workspace (the sandbox's write rules).
     *
     * @param path the run file, relative to the workspace or absolute
     * @return the absolute path written
     */
    @HostAccess.Export
    public String save(String path) {
        return Verbs.call(env, () -> {
            if (path == null || path.isBlank()) {
                throw new IllegalArgumentException("save: path is empty");
            }
            SandboxFileSystem fs = env.paths();
            Path file = fs.hostPath(path, true);
            fs.hostPath(file + ".json", true); // the sidecar: also a write inside the workspace
            Map<String, Object> parameters = new LinkedHashMap<>();
            parameters.put("source", "script");
            if (made != null) {
                parameters.putAll(made.parameters());
            }
            TrecFiles.writeRun(
                    file,
                    run,
                    Provenance.of(
                            null,
                            null,
                            made == null ? null : made.index(),
                            made == null ? Map.of() : made.indexSettings(),
                            made == null ? null : made.model(),
                            parameters,
                            null));
            return file.toString();
        });
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
        return new ScriptRun(env, run.restrictTo(new HashSet<>(Verbs.strings(queryIds, "restrictTo"))), made);
    }

    /**
     * The same run under another name (metric tables label rows by name).
     *
     * @param name the new name
     * @return a renamed copy
     */
    @HostAccess.Export
    public ScriptRun withName(String name) {
        return new ScriptRun(env, run.withName(name), made);
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
        StringBuilder b = new StringBuilder("run " + run.name() + ": " + ids.size()
                + (ids.size() == 1 ? " query, " : " queries, ") + docs + (docs == 1 ? " document" : " documents"));
        if (docs == 0) {
            return b.toString();
        }
        HtmlTable t = new HtmlTable(List.of("query", "rank", "id", "score"));
        boolean cut = ids.size() > 3;
        for (String q : ids.subList(0, Math.min(3, ids.size()))) {
            List<ScoredDoc> r = run.ranking(q);
            cut |= r.size() > 3;
            for (int i = 0; i < Math.min(3, r.size()); i++) {
                t.row(List.of(
                        q,
                        Integer.toString(i + 1),
                        r.get(i).docId(),
                        String.format(Locale.ROOT, "%.4f", r.get(i).score())));
            }
        }
        b.append('\n').append(t.plain());
        return cut ? b.append("\n...").toString() : b.toString();
    }
}
