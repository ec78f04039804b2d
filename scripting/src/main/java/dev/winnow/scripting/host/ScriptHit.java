package dev.winnow.scripting.host;

import dev.winnow.ranking.index.Hit;
import java.util.Locale;
import org.graalvm.polyglot.HostAccess;

/** One retrieved document as scripts see it: {@code hit.id}, {@code hit.score}, {@code hit.rank} (1-based), ... */
public final class ScriptHit {
    /** The document id. */
    @HostAccess.Export
    public final String id;

    /** The retrieval score (BM25, cosine, or fused). */
    @HostAccess.Export
    public final double score;

    /** The 1-based rank. */
    @HostAccess.Export
    public final int rank;

    /** The document title ("" when none). */
    @HostAccess.Export
    public final String title;

    /** The document text. */
    @HostAccess.Export
    public final String text;

    ScriptHit(Hit hit) {
        this.id = hit.id();
        this.score = hit.score();
        this.rank = hit.rank();
        this.title = hit.title() == null ? "" : hit.title();
        this.text = hit.text() == null ? "" : hit.text();
    }

    /**
     * What {@code print(hit)} shows: rank, id, score (4 decimals) and title.
     *
     * @return e.g. {@code "#1 d1 2.3456 Cats and dogs"}
     */
    @HostAccess.Export
    @Override
    public String toString() {
        String t = title.replace('\n', ' ');
        return "#" + rank + " " + id + " " + String.format(Locale.ROOT, "%.4f", score)
                + (t.isEmpty() ? "" : " " + (t.length() > 60 ? t.substring(0, 57) + "..." : t));
    }
}
