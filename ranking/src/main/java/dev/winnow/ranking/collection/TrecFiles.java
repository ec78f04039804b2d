package dev.winnow.ranking.collection;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.winnow.ranking.eval.Provenance;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TREC file formats: qrels ({@code query iter doc grade}), run files ({@code query Q0 doc rank score tag}) read and
 * written with a provenance sidecar, and topics in the three common layouts.
 *
 * <p>Topic layouts: classic SGML ({@code <top> <num> Number: 301 <title> ...}), the XML of newer tracks ({@code
 * <topic number="1"><query>...</query>}), and one query per line as {@code id TAB text} (MS MARCO's queries.tsv).
 * The query text is the title ({@code <title>} or {@code <query>}), as Anserini's default.
 */
public final class TrecFiles {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern SGML_TOP =
            Pattern.compile("<top>(.*?)</top>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
    private static final Pattern SGML_NUM =
            Pattern.compile("<num>\\s*(?:Number:)?\\s*(\\S+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern SGML_TITLE = Pattern.compile(
            "<title>\\s*(?:Topic:)?(.*?)(?=<desc>|<narr>|<[a-z]+>|$)", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
    private static final Pattern XML_TOPIC = Pattern.compile(
            "<topic\\s+number\\s*=\\s*\"([^\"]+)\"[^>]*>(.*?)</topic>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);
    private static final Pattern XML_QUERY =
            Pattern.compile("<query>(.*?)</query>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE);

    private TrecFiles() {}

    /**
     * Reads a TREC qrels file: {@code query iteration doc grade} per line, split on whitespace.
     *
     * @param file the qrels file
     * @param report where malformed lines are counted (or thrown, unless it skips bad lines)
     * @return the qrels
     * @throws IOException when the file cannot be read, or a line is malformed and the report does not skip
     */
    public static Qrels readQrels(Path file, ReadReport report) throws IOException {
        return readWhitespaceQrels(file, report, 4).build();
    }

    /** Reads whitespace-separated qrels with 4 columns (TREC) or 3 (Cranfield: query doc grade). */
    static Qrels.Builder readWhitespaceQrels(Path file, ReadReport report, int columns) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("qrels file not found: " + file);
        }
        Qrels.Builder b = new Qrels.Builder();
        Utf8Lines.forEachNonBlank(file, report, (n, line) -> {
            String[] cols = line.strip().split("\\s+");
            if (cols.length != columns) {
                report.malformed(file, n, "expected " + columns + " whitespace-separated columns, got " + cols.length);
                return;
            }
            String grade = cols[columns - 1];
            if (!BeirReader.isInteger(grade)) {
                report.malformed(file, n, "grade '" + grade + "' is not an integer");
                return;
            }
            b.add(cols[0], cols[columns - 2], Integer.parseInt(grade));
        });
        return b;
    }

    /**
     * Reads topics in any of the three layouts (detected from the content).
     *
     * @param file the topics file
     * @param report where malformed lines (TSV layout) are counted or thrown
     * @return the queries in file order
     * @throws IOException when the file cannot be read, holds no topic, or a line is malformed
     */
    public static List<Query> readTopics(Path file, ReadReport report) throws IOException {
        String content = Utf8Lines.readAll(file);
        List<Query> out = new ArrayList<>();
        if (SGML_TOP.matcher(content).find()) {
            Matcher m = SGML_TOP.matcher(content);
            while (m.find()) {
                String body = m.group(1);
                long line = lineOf(content, m.start());
                Matcher num = SGML_NUM.matcher(body);
                Matcher title = SGML_TITLE.matcher(body);
                if (!num.find() || !title.find()) {
                    report.malformed(file, line, "<top> without <num> or <title>");
                    continue;
                }
                out.add(new Query(num.group(1), collapse(title.group(1))));
            }
        } else if (XML_TOPIC.matcher(content).find()) {
            Matcher m = XML_TOPIC.matcher(content);
            while (m.find()) {
                Matcher q = XML_QUERY.matcher(m.group(2));
                if (!q.find()) {
                    report.malformed(file, lineOf(content, m.start()), "<topic> without <query>");
                    continue;
                }
                out.add(new Query(m.group(1).strip(), collapse(q.group(1))));
            }
        } else {
            String[] lines = content.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) {
                    continue;
                }
                int tab = lines[i].indexOf('\t');
                if (tab <= 0) {
                    report.malformed(file, i + 1, "expected 'id<TAB>text'");
                    continue;
                }
                out.add(new Query(
                        lines[i].substring(0, tab).strip(),
                        lines[i].substring(tab + 1).strip()));
            }
        }
        if (out.isEmpty()) {
            throw new IOException(
                    file + ": no topics found (SGML <top>, XML <topic number=...>, or id<TAB>text lines)");
        }
        return out;
    }

    private static long lineOf(String content, int offset) {
        long n = 1;
        for (int i = 0; i < offset; i++) {
            if (content.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }

    private static String collapse(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    /**
     * Reads a TREC run file ({@code query Q0 doc rank score tag}); the rank column is ignored, as trec_eval does.
     *
     * @param file the run file
     * @return the run, named after the tag of its first line (or the file name when empty)
     * @throws IOException when the file cannot be read
     * @throws MalformedInputException at the first line without 6 columns or with a non-numeric score
     */
    public static Run readRun(Path file) throws IOException {
        Run.Builder b = null;
        List<String[]> rows = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            throw new IOException("run file not found: " + file);
        }
        try (Utf8Lines r = new Utf8Lines(file)) {
            Utf8Lines.Line l;
            while ((l = r.next()) != null) {
                long n = l.number();
                if (l.encodingError() != null) {
                    throw new MalformedInputException(file, n, l.encodingError());
                }
                String line = l.text();
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] cols = line.strip().split("\\s+");
                if (cols.length != 6) {
                    throw new MalformedInputException(
                            file, n, "expected 6 columns (query Q0 doc rank score tag), got " + cols.length);
                }
                try {
                    double s = Double.parseDouble(cols[4]);
                    if (!Double.isFinite(s)) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException e) {
                    throw new MalformedInputException(file, n, "score '" + cols[4] + "' is not a finite number");
                }
                if (b == null) {
                    b = new Run.Builder(cols[5]);
                }
                rows.add(cols);
            }
        }
        if (b == null) {
            b = new Run.Builder(file.getFileName().toString().replaceAll("\\s", "_"));
        }
        for (String[] c : rows) {
            b.add(c[0], c[2], Double.parseDouble(c[4]));
        }
        return b.build();
    }

    /**
     * Writes a run in TREC format, atomically (a temporary file renamed over the target), with its provenance as a
     * JSON sidecar {@code FILE.json} written the same way.
     *
     * @param file the run file to write
     * @param run the run; lists are written in trec_eval order with ranks 1..n
     * @param provenance how the run was made, or null for no sidecar
     * @throws IOException when writing fails (no partial file is left at {@code file})
     */
    public static void writeRun(Path file, Run run, Provenance provenance) throws IOException {
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
        try {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (String q : run.queryIds()) {
                    int rank = 0;
                    for (ScoredDoc d : run.ranking(q)) {
                        w.write(q + " Q0 " + d.docId() + " " + (++rank) + " " + d.score() + " " + run.name() + "\n");
                    }
                }
            }
            if (provenance != null) {
                Path side = abs.resolveSibling(abs.getFileName() + ".json");
                Path tmpSide =
                        Files.createTempFile(abs.getParent(), side.getFileName().toString(), ".tmp");
                try {
                    JSON.writeValue(tmpSide.toFile(), provenance);
                    move(tmpSide, side);
                } finally {
                    Files.deleteIfExists(tmpSide);
                }
            }
            move(tmp, abs);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Reads the provenance sidecar of a run file written by {@link #writeRun}.
     *
     * @param runFile the run file (its sidecar is {@code runFile.json})
     * @return the provenance
     * @throws IOException when the sidecar is missing or unreadable
     */
    public static Provenance readProvenance(Path runFile) throws IOException {
        return JSON.readValue(
                runFile.resolveSibling(runFile.getFileName() + ".json").toFile(), Provenance.class);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Parses TREC SGML documents: {@code <DOC>} blocks with a {@code <DOCNO>}, a title from {@code <TITLE>}, {@code
     * <HEAD>} or {@code <HL>}, and the text of the {@code <TEXT>} sections (the whole block, tags removed, when there is
     * none).
     *
     * @param file the file
     * @param report where malformed blocks are counted or thrown
     * @return the documents in file order
     * @throws IOException when the file cannot be read or a block is malformed and the report does not skip
     */
    public static List<Document> readTrecDocuments(Path file, ReadReport report) throws IOException {
        String content = Utf8Lines.readAll(file);
        Matcher m = Pattern.compile("<DOC>(.*?)</DOC>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE)
                .matcher(content);
        List<Document> out = new ArrayList<>();
        while (m.find()) {
            String body = m.group(1);
            String id = firstTag(body, "DOCNO");
            if (id == null || id.isBlank()) {
                report.malformed(file, lineOf(content, m.start()), "<DOC> without <DOCNO>");
                continue;
            }
            String title = firstTag(body, "TITLE");
            if (title == null) {
                title = firstTag(body, "HEAD");
            }
            if (title == null) {
                title = firstTag(body, "HL");
            }
            Matcher t = Pattern.compile("<TEXT>(.*?)</TEXT>", Pattern.DOTALL | Pattern.CASE_INSENSITIVE)
                    .matcher(body);
            StringBuilder text = new StringBuilder();
            while (t.find()) {
                text.append(collapse(t.group(1).replaceAll("<[^>]+>", " "))).append(' ');
            }
            if (text.isEmpty()) {
                text.append(
                        collapse(body.replaceAll("(?is)<DOCNO>.*?</DOCNO>", " ").replaceAll("<[^>]+>", " ")));
            }
            out.add(new Document(
                    id.strip(),
                    title == null ? "" : collapse(title),
                    text.toString().strip(),
                    Map.of()));
        }
        return out;
    }

    private static String firstTag(String body, String tag) {
        Matcher m = Pattern.compile("<" + tag + ">(.*?)</" + tag + ">", Pattern.DOTALL | Pattern.CASE_INSENSITIVE)
                .matcher(body);
        return m.find() ? m.group(1) : null;
    }
}
