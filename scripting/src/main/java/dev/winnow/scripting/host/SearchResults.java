package dev.winnow.scripting.host;

import dev.winnow.ranking.index.Hit;
import dev.winnow.scripting.DisplayData;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.graalvm.polyglot.HostAccess;

/**
 * The hits of one search, in rank order: {@code results.hits} (a list of {@link ScriptHit}), {@code results.ids()},
 * and a ranked-list table when displayed.
 */
public final class SearchResults implements Displayable {
    /** The query text. */
    @HostAccess.Export
    public final String query;

    /** The retrieval mode ({@code bm25}, {@code dense}, {@code hybrid}). */
    @HostAccess.Export
    public final String mode;

    /** The hits in rank order. */
    @HostAccess.Export
    public final List<ScriptHit> hits;

    SearchResults(String query, String mode, List<Hit> hits) {
        this.query = query;
        this.mode = mode;
        List<ScriptHit> h = new ArrayList<>(hits.size());
        for (Hit hit : hits) {
            h.add(new ScriptHit(hit));
        }
        this.hits = List.copyOf(h);
    }

    /**
     * The number of hits.
     *
     * @return 0..k
     */
    @HostAccess.Export
    public int size() {
        return hits.size();
    }

    /**
     * The document ids in rank order.
     *
     * @return the ids
     */
    @HostAccess.Export
    public List<String> ids() {
        return hits.stream().map(h -> h.id).toList();
    }

    @Override
    public DisplayData toDisplayData() {
        HtmlTable t = new HtmlTable(List.of("rank", "id", "score", "title", "text"));
        for (ScriptHit h : hits) {
            String text = h.text.length() > 200 ? h.text.substring(0, 197) + "..." : h.text;
            t.row(List.of(Integer.toString(h.rank), h.id, String.format("%.4f", h.score), h.title, text));
        }
        return t.toDisplayData(mode + " results for: " + query);
    }

    /**
     * What {@code print(results)} shows in both languages: a line naming the query, then a table of rank, id, score and
     * title.
     *
     * @return e.g. {@code "3 bm25 hits for 'cats'\nrank  id  score  title\n1  d1  2.3456  Cats ..."}
     */
    @HostAccess.Export
    @Override
    public String toString() {
        HtmlTable t = new HtmlTable(List.of("rank", "id", "score", "title"));
        for (ScriptHit h : hits) {
            t.row(List.of(Integer.toString(h.rank), h.id, String.format(Locale.ROOT, "%.4f", h.score), h.title));
        }
        String head = hits.size() + " " + mode + " hits for '" + query + "'";
        return hits.isEmpty() ? head : head + "\n" + t.plain();
    }
}
