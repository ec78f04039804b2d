package dev.winnow.scripting.host;

import dev.winnow.ranking.collection.Query;
import org.graalvm.polyglot.HostAccess;

/** A query of a collection: {@code q.id}, {@code q.text}. */
public final class ScriptQuery {
    /** The query id. */
    @HostAccess.Export
    public final String id;

    /** The query text. */
    @HostAccess.Export
    public final String text;

    ScriptQuery(Query q) {
        this.id = q.id();
        this.text = q.text();
    }

    Query toQuery() {
        return new Query(id, text);
    }

    @HostAccess.Export
    @Override
    public String toString() {
        return id + ": " + text;
    }
}
