package dev.winnow.ranking.collection;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What reading a collection found wrong or unusual: counts of each kind of problem, and the first few examples.
 *
 * <p>Readers never drop anything silently: a skipped malformed line (with {@code skipBad}), a duplicate document id
 * (the first occurrence is kept), an empty document (kept, it can never be retrieved by BM25), a qrels row naming an
 * unknown document (kept: it still counts as a relevant document when its grade is {@code >= 1}), a qrels row naming a
 * query the queries file lacks (that query is excluded from the qrels, see {@link #excludedJudgedQueries()}) are all
 * counted here.
 */
public final class ReadReport {

    /** How many example messages are kept. */
    public static final int MAX_EXAMPLES = 20;

    private final boolean skipBad;
    private int skippedLines;
    private int duplicateDocIds;
    private int emptyDocuments;
    private int qrelsUnknownQueries;
    private int qrelsUnknownDocuments;
    private int repeatedJudgments;
    private final List<String> excludedJudgedQueries = new ArrayList<>();
    private final List<String> examples = new ArrayList<>();

    /**
     * Starts an empty report.
     *
     * @param skipBad whether malformed lines are skipped (and counted) instead of failing the read
     */
    public ReadReport(boolean skipBad) {
        this.skipBad = skipBad;
    }

    /**
     * Returns whether malformed lines are skipped rather than fatal.
     *
     * @return the option
     */
    public boolean skipBad() {
        return skipBad;
    }

    /**
     * Handles a malformed line: throws, or counts it when skipping.
     *
     * @param file the file
     * @param line the 1-based line number
     * @param problem what is wrong
     * @throws MalformedInputException unless {@code skipBad}
     */
    public void malformed(Path file, long line, String problem) throws MalformedInputException {
        MalformedInputException e = new MalformedInputException(file, line, problem);
        if (!skipBad) {
            throw e;
        }
        skippedLines++;
        note("skipped " + e.getMessage());
    }

    void duplicateDocId(String id) {
        duplicateDocIds++;
        note("duplicate document id " + id + " (first kept)");
    }

    void emptyDocument(String id) {
        emptyDocuments++;
        note("empty document " + id);
    }

    void qrelsUnknownQuery(Path file, String queryId) {
        qrelsUnknownQueries++;
        note(file.getFileName() + ": judgment for unknown query " + queryId);
    }

    void excludedJudgedQuery(Path file, String queryId) {
        excludedJudgedQueries.add(queryId);
        note(file.getFileName() + ": judged query " + queryId
                + " is not in the queries file; excluded from evaluation");
    }

    /**
     * Returns the judged queries that the queries file lacks: they are excluded from the qrels (and so from every
     * evaluation) instead of counting as zero-score queries.
     *
     * @return unmodifiable list of query ids, in qrels order
     */
    public List<String> excludedJudgedQueries() {
        return Collections.unmodifiableList(excludedJudgedQueries);
    }

    void qrelsUnknownDocument(Path file, String docId) {
        qrelsUnknownDocuments++;
        note(file.getFileName() + ": judgment for unknown document " + docId);
    }

    void repeatedJudgments(Path file, int n) {
        if (n > 0) {
            repeatedJudgments += n;
            note(file.getFileName() + ": " + n + " repeated (query, document) judgments (last grade kept)");
        }
    }

    private void note(String message) {
        if (examples.size() < MAX_EXAMPLES) {
            examples.add(message);
        }
    }

    /**
     * Returns the number of malformed lines skipped.
     *
     * @return the count
     */
    public int skippedLines() {
        return skippedLines;
    }

    /**
     * Returns the number of documents whose id was already seen.
     *
     * @return the count
     */
    public int duplicateDocIds() {
        return duplicateDocIds;
    }

    /**
     * Returns the number of documents with blank title and text.
     *
     * @return the count
     */
    public int emptyDocuments() {
        return emptyDocuments;
    }

    /**
     * Returns the number of qrels rows whose query is not among the collection's queries.
     *
     * @return the count
     */
    public int qrelsUnknownQueries() {
        return qrelsUnknownQueries;
    }

    /**
     * Returns the number of qrels rows whose document is not in the corpus.
     *
     * @return the count
     */
    public int qrelsUnknownDocuments() {
        return qrelsUnknownDocuments;
    }

    /**
     * Returns the number of qrels rows that repeated an already judged pair.
     *
     * @return the count
     */
    public int repeatedJudgments() {
        return repeatedJudgments;
    }

    /**
     * Returns up to {@link #MAX_EXAMPLES} messages, one per problem, in the order found.
     *
     * @return unmodifiable list
     */
    public List<String> examples() {
        return Collections.unmodifiableList(examples);
    }

    /**
     * Returns whether anything was found.
     *
     * @return true when every count is 0
     */
    public boolean isClean() {
        return skippedLines
                        + duplicateDocIds
                        + emptyDocuments
                        + qrelsUnknownQueries
                        + qrelsUnknownDocuments
                        + repeatedJudgments
                == 0;
    }

    /**
     * Returns a one-line summary of the counts.
     *
     * @return e.g. {@code "skipped lines 0, duplicate doc ids 0, empty docs 2, ..."}
     */
    public String summary() {
        return "skipped lines "
                + skippedLines
                + ", duplicate doc ids "
                + duplicateDocIds
                + ", empty docs "
                + emptyDocuments
                + ", qrels rows with unknown query "
                + qrelsUnknownQueries
                + " (judged queries excluded: "
                + excludedJudgedQueries.size()
                + (excludedJudgedQueries.isEmpty()
                        ? ""
                        : " " + excludedJudgedQueries.subList(0, Math.min(10, excludedJudgedQueries.size())))
                + ")"
                + ", with unknown doc "
                + qrelsUnknownDocuments
                + ", repeated judgments "
                + repeatedJudgments;
    }
}
