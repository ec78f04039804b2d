package dev.winnow.ranking.collection;

import dev.winnow.ranking.eval.Qrels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * MS MARCO passage ranking's files (no header lines, UTF-8, tab-separated): {@code collection.tsv} ({@code pid TAB
 * passage}; 8.8M lines, streamed by {@link #forEachPassage} or {@link DocumentStream}), {@code queries.*.tsv} ({@code
 * qid TAB query}) and {@code qrels.*.tsv} ({@code qid TAB 0 TAB pid TAB relevance}, TREC's qrels columns). Malformed
 * lines go to the {@link ReadReport} with their line number: they fail the read, or are skipped and counted with
 * {@code skipBad}.
 */
public final class MsMarcoFiles {

    private MsMarcoFiles() {}

    /**
     * Streams {@code collection.tsv}: one {@link Document} per line (id = pid, title empty, text = the passage), handed
     * on and not kept.
     *
     * @param file the collection file
     * @param report where malformed lines are counted or thrown
     * @param sink receives each passage in file order
     * @return the number of passages read
     * @throws IOException when the file cannot be read, a line is malformed without {@code skipBad}, or the sink fails
     */
    public static long forEachPassage(Path file, ReadReport report, DocumentStream.Sink sink) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("MS MARCO collection file not found: " + file);
        }
        long[] n = {0};
        Utf8Lines.forEachNonBlank(file, report, (line, text) -> {
            String[] idText = idAndText(file, line, text, report, "pid TAB passage");
            if (idText != null) {
                sink.accept(new Document(idText[0], "", idText[1]));
                n[0]++;
            }
        });
        return n[0];
    }

    /**
     * Reads {@code queries.*.tsv} ({@code qid TAB query}).
     *
     * @param file the queries file
     * @param report where malformed lines are counted or thrown
     * @return the queries in file order
     * @throws IOException when the file cannot be read or a line is malformed without {@code skipBad}
     */
    public static List<Query> readQueries(Path file, ReadReport report) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("MS MARCO queries file not found: " + file);
        }
        List<Query> out = new ArrayList<>();
        Utf8Lines.forEachNonBlank(file, report, (line, text) -> {
            String[] idText = idAndText(file, line, text, report, "qid TAB query");
            if (idText == null) {
                return;
            }
            if (idText[1].isBlank()) {
                report.malformed(file, line, "query " + idText[0] + " has no text");
                return;
            }
            out.add(new Query(idText[0], idText[1].strip()));
        });
        return out;
    }

    /**
     * Reads {@code qrels.*.tsv} ({@code qid 0 pid relevance}, tab- or space-separated).
     *
     * @param file the qrels file
     * @param report where malformed lines are counted or thrown
     * @return the judgments
     * @throws IOException when the file cannot be read or a line is malformed without {@code skipBad}
     */
    public static Qrels readQrels(Path file, ReadReport report) throws IOException {
        return TrecFiles.readQrels(file, report);
    }

    /** Splits {@code id TAB text} at the first tab; null (after reporting) when the line has no tab or no id. */
    private static String[] idAndText(Path file, long line, String text, ReadReport report, String layout)
            throws MalformedInputException {
        int tab = text.indexOf('\t');
        if (tab < 0) {
            report.malformed(file, line, "expected " + layout + " (no tab on the line)");
            return null;
        }
        String id = text.substring(0, tab).strip();
        if (id.isEmpty()) {
            report.malformed(file, line, "empty id before the tab (expected " + layout + ")");
            return null;
        }
        return new String[] {id, text.substring(tab + 1)};
    }
}
