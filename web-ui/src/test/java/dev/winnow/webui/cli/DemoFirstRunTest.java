package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's first {@code winnow demo}, as its own process with an empty Winnow home (MiniLM converted from the
 * local Maven repository, the native library set up), on a real SciFact subset with test and train queries:
 *
 * <ul>
 *   <li>BM25's figures are printed before the dense set-up starts (by the order of the output lines);
 *   <li>the default hybrid's fusion is chosen on the train split, printed, and recorded in the run's provenance;
 *       the table's rows say what they are (the default answer; BlockRank on stories260K is mechanics only);
 *   <li>quiet: no llama.cpp line on stdout or stderr; they are in the log file whose path is printed, and the freshly
 *       converted BERT GGUF draws no "special_eos_id is not in special_eog_ids" warning;
 *   <li>content-keyed caches: the same corpus copied to another directory reuses both indexes (nothing embedded).
 * </ul>
 */
class DemoFirstRunTest {

    /** Lines llama.cpp logs while loading a model and making a context (any one of them would be noise). */
    private static final List<String> LLAMA_MARKERS = List.of(
            "llama_model_loader",
            "print_info",
            "load_tensors",
            "llama_context",
            "special_eos_id",
            "llama.cpp INFO",
            "llama.cpp WARN",
            "dev.winnow.llama -");

    private record Outcome(int exit, List<String> out, String err) {}

    private static Outcome demo(Path home, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx1g"));
        // as ./winnow passes it: the repository root, whose sibling "shared" holds the default decoder
        cmd.add("-Dwinnow.repo.dir=" + Path.of("..").toAbsolutePath().normalize());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WinnowCli.class.getName(), "demo"));
        cmd.addAll(Arrays.asList(args));
        Path out = Files.createTempFile(home.getParent(), "out", ".txt");
        Path err = Files.createTempFile(home.getParent(), "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("WINNOW_HOME", home.toString());
        pb.environment().remove("WINNOW_VERBOSE");
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(12, TimeUnit.MINUTES), "the demo did not finish in 12 minutes");
        } finally {
            p.destroyForcibly();
        }
        return new Outcome(p.exitValue(), Files.readAllLines(out), Files.readString(err));
    }

    private static int indexOf(List<String> lines, String part) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }

    private static String row(List<String> lines, String method) {
        return lines.stream()
                .filter(l -> l.startsWith("| " + method + " "))
                .findFirst()
                .orElse("");
    }

    @Test
    void firstRunPrintsBm25FirstStaysQuietTunesOnTrainAndKeysByContent(@TempDir Path tmp) throws Exception {
        Path shared = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
        Path collection = SciFactSubset.write(shared.resolve("data/scifact"), tmp.resolve("scifact-mini"), 6, 40, 8);
        Path home = tmp.resolve("home");
        Files.createDirectories(home);
        Path runs = tmp.resolve("runs");
        Outcome first = demo(
                home,
                "--collection",
                collection.toString(),
                "--model",
                shared.resolve("models/stories260K.gguf").toString(),
                "--max-tokens",
                "48",
                "--queries",
                "2",
                "--depth",
                "5",
                "--threads",
                "2",
                "--out",
                runs.toString());
        String all = String.join("\n", first.out());
        assertEquals(0, first.exit(), all + first.err());

        // BM25's figures before the dense set-up begins
        int bm25 = indexOf(first.out(), "first figures, bm25 on 6 test queries: nDCG@10 ");
        int model = indexOf(first.out(), "embedding model:");
        int dense = indexOf(first.out(), "dense index:");
        assertTrue(bm25 >= 0 && model > bm25 && dense > model, all);
        Matcher m =
                Pattern.compile("nDCG@10 (\\d\\.\\d{4})").matcher(first.out().get(bm25));
        assertTrue(m.find(), first.out().get(bm25));
        assertTrue(
                row(first.out(), "bm25").contains(" " + m.group(1) + " |"), "the early figure is the table's: " + all);

        // the default hybrid: chosen on train, printed, recorded; rows labelled for what they are
        assertTrue(
                all.contains("hybrid fusion: ") && all.contains("chosen on train (8 queries, nDCG@10: z-score "), all);
        assertTrue(row(first.out(), "hybrid").contains("THE DEFAULT ANSWER ("), all);
        assertTrue(row(first.out(), "hybrid>blockrank@5").contains("mechanics only (stories260K"), all);
        JsonNode prov =
                new ObjectMapper().readTree(runs.resolve("hybrid.run.json").toFile());
        String recorded = prov.toString();
        assertTrue(recorded.contains("chosen on train (8 queries") && recorded.contains("fusionTrainNdcg10"), recorded);
        assertTrue(recorded.contains("\"modelSha256\""), "the embedder's identity is recorded: " + recorded);

        // quiet: llama.cpp's lines are in the log file, never on stdout or stderr
        Path log = home.resolve("logs/llama.log");
        assertTrue(all.contains("llama.cpp's log: " + log), all);
        for (String marker : LLAMA_MARKERS) {
            assertFalse(first.err().contains(marker), marker + " on stderr:\n" + first.err());
            assertFalse(all.contains(marker), marker + " on stdout");
        }
        String logged = Files.readString(log);
        assertTrue(
                logged.contains("llama_model_loader") && logged.contains(" INFO "),
                "the log file has llama.cpp's lines");
        assertFalse(
                logged.contains("special_eos_id is not in special_eog_ids"), "the converted BERT GGUF declares no EOS");

        // the same corpus at another path (fresh copy, new dates): both indexes are reused, nothing is embedded
        Path copy = tmp.resolve("elsewhere/scifact-mini");
        Files.createDirectories(copy.resolve("qrels"));
        for (String f : List.of("corpus.jsonl", "queries.jsonl", "qrels/test.tsv", "qrels/train.tsv")) {
            Files.copy(collection.resolve(f), copy.resolve(f));
        }
        Outcome second = demo(
                home,
                "--collection",
                copy.toString(),
                "--model",
                shared.resolve("models/stories260K.gguf").toString(),
                "--max-tokens",
                "48",
                "--queries",
                "2",
                "--depth",
                "5",
                "--threads",
                "2",
                "--out",
                tmp.resolve("runs2").toString());
        String again = String.join("\n", second.out());
        assertEquals(0, second.exit(), again + second.err());
        assertTrue(again.contains("BM25 index: reused"), again);
        assertTrue(again.contains("dense index: reused (40 vectors, 0 documents embedded now)"), again);
        assertEquals(
                row(first.out(), "hybrid").substring(0, 60),
                row(second.out(), "hybrid").substring(0, 60),
                again);
    }
}
