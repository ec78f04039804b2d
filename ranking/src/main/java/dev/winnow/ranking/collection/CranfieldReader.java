package dev.winnow.ranking.collection;

import dev.winnow.ranking.eval.GainMapping;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Glasgow distribution of Cranfield 1400: {@code cran.all.1400}, {@code cran.qry}, {@code cranqrel}.
 *
 * <p>Records start with {@code .I id}; fields are {@code .T} (title), {@code .A} (authors), {@code .B}
 * (bibliography), {@code .W} (text). A field given twice (documents 576 and 578 hold two {@code .W}) is joined with a
 * newline. Query ids are the queries' <em>positions</em> 1..225 in {@code cran.qry}: the qrels number them that way,
 * and the {@code .I} numbers (001, 002, 004, 008, ..., 365) are kept only as metadata. {@code cranqrel} rows are
 * {@code query doc grade} split on whitespace (lines end with a space; the last has no newline). The collection has
 * one split, {@code all}, and nDCG uses {@link GainMapping#CRANFIELD}.
 */
final class CranfieldReader {

    private CranfieldReader() {}

    /** One parsed record: its {@code .I} value, the line it starts on, and its fields. */
    record Record(String id, long line, Map<Character, String> fields) {}

    static TestCollection read(Path dir, boolean skipBad) throws IOException {
        TestCollection.Assembler a = new TestCollection.Assembler(skipBad);
        for (Record r : records(dir.resolve("cran.all.1400"), a.report)) {
            Map<String, String> meta = new LinkedHashMap<>();
            if (!r.fields().getOrDefault('A', "").isBlank()) {
                meta.put("author", r.fields().get('A'));
            }
            if (!r.fields().getOrDefault('B', "").isBlank()) {
                meta.put("bibliography", r.fields().get('B'));
            }
            a.document(new Document(
                    r.id(), r.fields().getOrDefault('T', ""), r.fields().getOrDefault('W', ""), meta));
        }
        int position = 0;
        for (Record r : records(dir.resolve("cran.qry"), a.report)) {
            position++;
            a.query(new Query(Integer.toString(position), r.fields().getOrDefault('W', "")));
        }
        Path qrelsFile = dir.resolve("cranqrel");
        a.qrels(qrelsFile, "all", TrecFiles.readWhitespaceQrels(qrelsFile, a.report, 3));
        return a.build(dir, TestCollection.Format.CRANFIELD, GainMapping.CRANFIELD);
    }

    static List<Record> records(Path file, ReadReport report) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Cranfield file not found: " + file);
        }
        List<Record> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            String line;
            long n = 0;
            String id = null;
            long start = 0;
            Map<Character, StringBuilder> fields = null;
            Character field = null;
            while ((line = r.readLine()) != null) {
                n++;
                String s = line.strip();
                if (s.startsWith(".I")) {
                    if (id != null) {
                        out.add(finish(id, start, fields));
                    }
                    String rest = s.substring(2).strip();
                    if (rest.isEmpty()) {
                        report.malformed(file, n, ".I without an id");
                        id = null;
                        continue;
                    }
                    id = rest;
                    start = n;
                    fields = new LinkedHashMap<>();
                    field = null;
                } else if (s.length() == 2 && s.charAt(0) == '.' && "TABW".indexOf(s.charAt(1)) >= 0) {
                    if (id == null) {
                        report.malformed(file, n, "field " + s + " before any .I line");
                        continue;
                    }
                    field = s.charAt(1);
                    StringBuilder sb = fields.get(field);
                    if (sb == null) {
                        fields.put(field, new StringBuilder());
                    } else if (!sb.isEmpty()) {
                        sb.append('\n');
                    }
                } else if (id != null && field != null) {
                    StringBuilder sb = fields.get(field);
                    if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != '\n') {
                        sb.append(' ');
                    }
                    sb.append(s);
                } else if (!s.isEmpty()) {
                    report.malformed(file, n, "text outside a record field");
                }
            }
            if (id != null) {
                out.add(finish(id, start, fields));
            }
        }
        return out;
    }

    private static Record finish(String id, long line, Map<Character, StringBuilder> fields) {
        Map<Character, String> f = new LinkedHashMap<>();
        fields.forEach((k, v) -> f.put(k, v.toString().strip()));
        return new Record(id, line, f);
    }
}
