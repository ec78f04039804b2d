package dev.winnow.ranking.collection;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.ranking.eval.GainMapping;
import dev.winnow.ranking.eval.Qrels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads BEIR's layout: {@code corpus.jsonl} ({@code _id}, {@code title}, {@code text}, {@code metadata}),
 * {@code queries.jsonl} ({@code _id}, {@code text}), and {@code qrels/{split}.tsv} (a header line, then {@code
 * query-id TAB corpus-id TAB score}).
 */
final class BeirReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private BeirReader() {}

    static TestCollection read(Path dir, boolean skipBad) throws IOException {
        TestCollection.Assembler a = new TestCollection.Assembler(skipBad);
        readJsonl(dir.resolve("corpus.jsonl"), a.report, (node, file, line) -> a.document(document(node, file, line)));
        Path queries = dir.resolve("queries.jsonl");
        if (!Files.isRegularFile(queries)) {
            throw new IOException("BEIR collection " + dir + " has no queries.jsonl");
        }
        readJsonl(
                queries, a.report, (node, file, line) -> a.query(new Query(id(node, file, line), text(node, "text"))));
        Path qrelsDir = dir.resolve("qrels");
        if (!Files.isDirectory(qrelsDir)) {
            throw new IOException("BEIR collection " + dir + " has no qrels/ directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(qrelsDir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".tsv"))
                    .sorted()
                    .toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            a.qrels(f, name.substring(0, name.length() - 4), readQrelsTsv(f, a.report));
        }
        return a.build(dir, TestCollection.Format.BEIR, GainMapping.GRADE);
    }

    /**
     * Reads a BEIR qrels TSV: an optional header ({@code query-id corpus-id score}), then three tab-separated columns.
     */
    static Qrels.Builder readQrelsTsv(Path file, ReadReport report) throws IOException {
        Qrels.Builder b = new Qrels.Builder();
        Utf8Lines.forEachNonBlank(file, report, (n, line) -> {
            String[] cols = line.strip().split("\t");
            if (n == 1 && cols.length >= 3 && !isInteger(cols[2].strip())) {
                return; // header
            }
            if (cols.length != 3) {
                report.malformed(
                        file, n, "expected 3 tab-separated columns (query-id, corpus-id, score), got " + cols.length);
                return;
            }
            String grade = cols[2].strip();
            if (!isInteger(grade)) {
                report.malformed(file, n, "score '" + grade + "' is not an integer");
                return;
            }
            String q = cols[0].strip();
            String d = cols[1].strip();
            if (q.isEmpty() || d.isEmpty()) {
                report.malformed(file, n, "empty query or document id");
                return;
            }
            b.add(q, d, Integer.parseInt(grade));
        });
        return b;
    }

    static boolean isInteger(String s) {
        return s.matches("-?\\d{1,9}");
    }

    @FunctionalInterface
    interface LineHandler {
        void accept(JsonNode node, Path file, long line) throws MalformedInputException;
    }

    static void readJsonl(Path file, ReadReport report, LineHandler handler) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("file not found: " + file);
        }
        Utf8Lines.forEachNonBlank(file, report, (n, line) -> {
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                report.malformed(file, n, "malformed JSON: " + e.getOriginalMessage());
                return;
            }
            if (!node.isObject()) {
                report.malformed(file, n, "expected a JSON object");
                return;
            }
            try {
                handler.accept(node, file, n);
            } catch (MalformedInputException e) {
                report.malformed(file, n, e.problem());
            }
        });
    }

    private static String id(JsonNode node, Path file, long line) throws MalformedInputException {
        JsonNode id = node.get("_id");
        if (id == null || !id.isValueNode() || id.asText().isEmpty()) {
            throw new MalformedInputException(file, line, "missing or empty \"_id\"");
        }
        return id.asText();
    }

    private static String text(JsonNode node, String field) {
        JsonNode t = node.get(field);
        return t == null || t.isNull() ? "" : t.asText();
    }

    static Document document(JsonNode node, Path file, long line) throws MalformedInputException {
        Map<String, String> meta = new LinkedHashMap<>();
        JsonNode m = node.get("metadata");
        if (m != null && m.isObject()) {
            m.properties()
                    .forEach(e -> meta.put(
                            e.getKey(),
                            e.getValue().isValueNode()
                                    ? e.getValue().asText()
                                    : e.getValue().toString()));
        }
        return new Document(id(node, file, line), text(node, "title"), text(node, "text"), meta);
    }
}
