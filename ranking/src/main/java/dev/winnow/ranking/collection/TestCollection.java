package dev.winnow.ranking.collection;

import dev.winnow.ranking.eval.GainMapping;
import dev.winnow.ranking.eval.Qrels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An IR test collection read into memory: documents, queries, and qrels per split.
 *
 * <p>Open one with {@link #open(Path, boolean)}, which detects the format from the directory's files. The queries of
 * a split are those its qrels judge (BEIR's queries.jsonl holds train and test together). Problems found while
 * reading are counted in {@link #report()}.
 */
public final class TestCollection {

    /** The on-disk layouts Winnow reads. */
    public enum Format {
        /** BEIR v1.0.0: corpus.jsonl, queries.jsonl, qrels/{split}.tsv (with a header line). */
        BEIR,
        /** TREC: SGML {@code <DOC>} files, topics file(s), qrels file(s). */
        TREC,
        /** Glasgow's Cranfield 1400: cran.all.1400, cran.qry, cranqrel. */
        CRANFIELD
    }

    private final Path directory;
    private final Format format;
    private final List<Document> documents;
    private final Map<String, Query> queries;
    private final Map<String, Qrels> qrelsBySplit;
    private final GainMapping gains;
    private final ReadReport report;

    TestCollection(
            Path directory,
            Format format,
            List<Document> documents,
            Map<String, Query> queries,
            Map<String, Qrels> qrelsBySplit,
            GainMapping gains,
            ReadReport report) {
        this.directory = directory;
        this.format = format;
        this.documents = List.copyOf(documents);
        this.queries = queries;
        this.qrelsBySplit = qrelsBySplit;
        this.gains = gains;
        this.report = report;
    }

    /**
     * Detects a directory's format: {@code corpus.jsonl} means BEIR, {@code cran.all.1400} Cranfield, a {@code topics*}
     * file TREC.
     *
     * @param dir the collection directory
     * @return the format
     * @throws IOException when the directory cannot be listed or matches no format
     */
    public static Format detect(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("collection directory not found: " + dir);
        }
        if (Files.isRegularFile(dir.resolve("corpus.jsonl"))) {
            return Format.BEIR;
        }
        if (Files.isRegularFile(dir.resolve("cran.all.1400"))) {
            return Format.CRANFIELD;
        }
        try (var s = Files.list(dir)) {
            if (s.anyMatch(p -> p.getFileName().toString().startsWith("topics"))) {
                return Format.TREC;
            }
        }
        throw new IOException(
                dir
                        + " is not a known collection: expected corpus.jsonl (BEIR), cran.all.1400 (Cranfield) or topics* (TREC)");
    }

    /**
     * Opens a collection, detecting its format.
     *
     * @param dir the collection directory
     * @param skipBad skip (and count) malformed lines instead of failing
     * @return the collection
     * @throws IOException when a file cannot be read, or a line is malformed and {@code skipBad} is false
     */
    public static TestCollection open(Path dir, boolean skipBad) throws IOException {
        return switch (detect(dir)) {
            case BEIR -> BeirReader.read(dir, skipBad);
            case CRANFIELD -> CranfieldReader.read(dir, skipBad);
            case TREC -> TrecCollectionReader.read(dir, skipBad);
        };
    }

    /**
     * Returns the directory it was read from.
     *
     * @return the path
     */
    public Path directory() {
        return directory;
    }

    /**
     * Returns the name: the directory's name.
     *
     * @return e.g. {@code scifact}
     */
    public String name() {
        return directory.toAbsolutePath().normalize().getFileName().toString();
    }

    /**
     * Returns the format it was read as.
     *
     * @return the format
     */
    public Format format() {
        return format;
    }

    /**
     * Returns the documents, duplicates removed (first kept), in file order.
     *
     * @return an unmodifiable list
     */
    public List<Document> documents() {
        return documents;
    }

    /**
     * Returns every query read, judged or not.
     *
     * @return id to query, in file order
     */
    public Map<String, Query> allQueries() {
        return queries;
    }

    /**
     * Returns the splits that have qrels, e.g. {@code [test, train]} for BEIR SciFact, {@code [all]} for Cranfield.
     *
     * @return split names in file order
     */
    public List<String> splits() {
        return new ArrayList<>(qrelsBySplit.keySet());
    }

    /**
     * Returns the split used when none is named: {@code test} when present, else the first split.
     *
     * @return the split name
     */
    public String defaultSplit() {
        return qrelsBySplit.containsKey("test")
                ? "test"
                : qrelsBySplit.keySet().iterator().next();
    }

    /**
     * Returns the qrels of a split: they carry this collection's gain mapping ({@link #gains()}), and hold only the
     * judged queries that the queries file has (judged queries absent from it are excluded and reported in {@link
     * #report()}).
     *
     * @param split the split name
     * @return the qrels
     * @throws IllegalArgumentException when the collection has no such split
     */
    public Qrels qrels(String split) {
        Qrels q = qrelsBySplit.get(split);
        if (q == null) {
            throw new IllegalArgumentException(
                    "collection " + name() + " has no split '" + split + "' (splits: " + qrelsBySplit.keySet() + ")");
        }
        return q;
    }

    /**
     * Returns the queries of a split: those its qrels judge and the collection's query file holds, in query-file order.
     *
     * @param split the split name
     * @return the queries
     * @throws IllegalArgumentException when the collection has no such split
     */
    public List<Query> queries(String split) {
        Set<String> judged = qrels(split).queryIds();
        List<Query> out = new ArrayList<>();
        for (Query q : queries.values()) {
            if (judged.contains(q.id())) {
                out.add(q);
            }
        }
        return out;
    }

    /**
     * Returns the gain mapping nDCG should use for this collection's grades ({@link GainMapping#CRANFIELD} for
     * Cranfield, {@link GainMapping#GRADE} otherwise).
     *
     * @return the mapping
     */
    public GainMapping gains() {
        return gains;
    }

    /**
     * Returns what reading found: skipped lines, duplicates, empty documents, unknown ids in qrels.
     *
     * @return the report
     */
    public ReadReport report() {
        return report;
    }

    /** Shared by the readers: de-duplicates documents and checks qrels against queries and documents. */
    static final class Assembler {
        final ReadReport report;
        final List<Document> documents = new ArrayList<>();
        final Set<String> docIds = new LinkedHashSet<>();
        final Map<String, Query> queries = new LinkedHashMap<>();
        final Map<String, Qrels> qrels = new LinkedHashMap<>();

        Assembler(boolean skipBad) {
            this.report = new ReadReport(skipBad);
        }

        void document(Document d) {
            if (!docIds.add(d.id())) {
                report.duplicateDocId(d.id());
                return;
            }
            if (d.isEmpty()) {
                report.emptyDocument(d.id());
            }
            documents.add(d);
        }

        void query(Query q) {
            queries.putIfAbsent(q.id(), q);
        }

        void qrels(Path file, String split, Qrels.Builder builder) {
            Qrels q = builder.build();
            report.repeatedJudgments(file, builder.repeatedPairs());
            Set<String> kept = new LinkedHashSet<>();
            for (String qid : q.queryIds()) {
                if (!queries.containsKey(qid)) {
                    for (int i = 0; i < q.judgments(qid).size(); i++) {
                        report.qrelsUnknownQuery(file, qid);
                    }
                    report.excludedJudgedQuery(file, qid);
                } else {
                    kept.add(qid);
                }
                for (String d : q.judgments(qid).keySet()) {
                    if (!docIds.contains(d)) {
                        report.qrelsUnknownDocument(file, d);
                    }
                }
            }
            qrels.put(split, kept.size() == q.queryIds().size() ? q : q.restrictTo(kept));
        }

        TestCollection build(Path dir, Format format, GainMapping gains) throws IOException {
            if (qrels.isEmpty()) {
                throw new IOException(dir + ": no qrels found");
            }
            Map<String, Qrels> withGains = new LinkedHashMap<>();
            qrels.forEach((split, q) -> withGains.put(split, q.withGains(gains)));
            return new TestCollection(dir, format, documents, queries, withGains, gains, report);
        }
    }
}
