package dev.winnow.webui.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Small real collections for command tests: a subset of ../shared/data/scifact. */
final class SciFactSubset {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SciFactSubset() {}

    /**
     * Writes a real SciFact subset in BEIR layout: the first {@code queries} test queries, their relevant documents, then
     * other documents in corpus order up to {@code docs} in all.
     *
     * @param src the SciFact directory (corpus.jsonl, queries.jsonl, qrels/test.tsv)
     * @param dst the directory to write
     * @return {@code dst}
     */
    static Path write(Path src, Path dst, int queries, int docs) throws IOException {
        return write(src, dst, queries, docs, 0);
    }

    /**
     * Writes a real SciFact subset as {@link #write(Path, Path, int, int)} does, and also the first {@code train} train
     * queries with their relevant documents as {@code qrels/train.tsv} (for the demo's fusion tuning); {@code docs}
     * counts those documents too.
     *
     * @param src the SciFact directory (also qrels/train.tsv when {@code train > 0})
     * @param dst the directory to write
     * @return {@code dst}
     */
    static Path write(Path src, Path dst, int queries, int docs, int train) throws IOException {
        Files.createDirectories(dst.resolve("qrels"));
        List<String> trainLines = new ArrayList<>();
        Set<String> trainIds = new LinkedHashSet<>();
        Set<String> trainDocs = new LinkedHashSet<>();
        if (train > 0) {
            List<String> t = Files.readAllLines(src.resolve("qrels/train.tsv"));
            trainLines.add(t.get(0));
            for (String row : t.subList(1, t.size())) {
                String[] c = row.split("\t");
                if (trainIds.size() == train && !trainIds.contains(c[0])) {
                    break;
                }
                trainIds.add(c[0]);
                trainDocs.add(c[1]);
                trainLines.add(row);
            }
            Files.write(dst.resolve("qrels/train.tsv"), trainLines);
        }
        Map<String, List<String>> qrels = new LinkedHashMap<>();
        List<String> rows = Files.readAllLines(src.resolve("qrels/test.tsv"));
        for (String row : rows.subList(1, rows.size())) {
            String[] c = row.split("\t");
            qrels.computeIfAbsent(c[0], k -> new ArrayList<>()).add(row);
        }
        List<String> qids = new ArrayList<>(qrels.keySet()).subList(0, queries);
        Set<String> keep = new LinkedHashSet<>();
        List<String> qrelLines = new ArrayList<>(List.of(rows.get(0)));
        for (String q : qids) {
            for (String row : qrels.get(q)) {
                keep.add(row.split("\t")[1]);
                qrelLines.add(row);
            }
        }
        keep.addAll(trainDocs);
        List<String> corpus = Files.readAllLines(src.resolve("corpus.jsonl"));
        for (String line : corpus) {
            if (keep.size() >= docs) {
                break;
            }
            keep.add(JSON.readTree(line).get("_id").asText());
        }
        List<String> kept = new ArrayList<>();
        for (String line : corpus) {
            if (keep.contains(JSON.readTree(line).get("_id").asText())) {
                kept.add(line);
            }
        }
        List<String> queryLines = new ArrayList<>();
        for (String line : Files.readAllLines(src.resolve("queries.jsonl"))) {
            String id = JSON.readTree(line).get("_id").asText();
            if (qids.contains(id) || trainIds.contains(id)) {
                queryLines.add(line);
            }
        }
        Files.write(dst.resolve("corpus.jsonl"), kept);
        Files.write(dst.resolve("queries.jsonl"), queryLines);
        Files.write(dst.resolve("qrels/test.tsv"), qrelLines);
        return dst;
    }
}
