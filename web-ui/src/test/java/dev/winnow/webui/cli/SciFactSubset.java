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
    Files.createDirectories(dst.resolve("qrels"));
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
      if (qids.contains(JSON.readTree(line).get("_id").asText())) {
        queryLines.add(line);
      }
    }
    Files.write(dst.resolve("corpus.jsonl"), kept);
    Files.write(dst.resolve("queries.jsonl"), queryLines);
    Files.write(dst.resolve("qrels/test.tsv"), qrelLines);
    return dst;
  }
}
