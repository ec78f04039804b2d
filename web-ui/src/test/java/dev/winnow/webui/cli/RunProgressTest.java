package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code winnow run} off a terminal (a log, CI, a pipe) writes a long call's progress as a line every few seconds, its
 * first and last report always: not a line every few documents.
 */
class RunProgressTest {
    @TempDir
    Path dir;

    private static String report(String id, long done, long total) {
        return "{\"id\":\"" + id + "\",\"label\":\"x\",\"done\":" + done + ",\"total\":" + total + "}";
    }

    @Test
    void throttleKeepsFirstLastAndOneLinePerIntervalOfEachCall() {
        long[] now = {0};
        RunCommand.ProgressThrottle t = new RunCommand.ProgressThrottle(RunCommand.THROTTLE_NANOS, () -> now[0]);
        List<String> shown = new ArrayList<>();
        // 10 s of reports every 100 ms from one call, and another call starting at 5 s
        for (int i = 0; i <= 100; i++) {
            now[0] = i * 100_000_000L;
            if (t.show(report("a", i, 100))) {
                shown.add("a " + i);
            }
            if (i >= 50 && t.show(report("b", i - 50, 50))) {
                shown.add("b " + (i - 50));
            }
        }
        assertEquals(List.of("a 0", "a 30", "b 0", "a 60", "b 30", "a 90", "a 100", "b 50"), shown);
    }

    /** A real {@code winnow run} indexing SciFact (5,183 documents) and running its 300 test queries. */
    @Test
    void winnowRunOffATerminalPrintsFewProgressLines() throws Exception {
        Path scifact = Path.of(System.getProperty("winnow.shared.dir", "../shared"), "data", "scifact")
                .toRealPath();
        Path script = Files.writeString(
                dir.resolve("index.js"),
                "const c = winnow.collection(" + quote(scifact.toString()) + ");\n"
                        + "const idx = winnow.buildIndex(c, 'idx');\n"
                        + "const run = idx.run(c.queries('test'), 10, 'bm25', 'bm25');\n"
                        + "console.log('indexed', idx.size(), 'queries', run.queryIds().length);\n");
        long start = System.nanoTime();
        CliRun r =
                CliRun.of("run", "--workspace", dir.toString(), "--read-only", scifact.toString(), script.toString());
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, r.code(), r.err());
        assertEquals("indexed 5183 queries 300\n", r.out());
        Map<String, List<String>> byLabel = new LinkedHashMap<>();
        Pattern line = Pattern.compile("(indexing scifact|searching) (\\d+)/(\\d+)");
        for (String l : r.err().split("\n")) {
            if (l.isBlank()) {
                continue;
            }
            Matcher m = line.matcher(l);
            assertTrue(m.matches(), "unexpected stderr line '" + l + "' in:\n" + r.err());
            byLabel.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(m.group(2) + "/" + m.group(3));
        }
        assertEquals(List.of("indexing scifact", "searching"), List.copyOf(byLabel.keySet()), r.err());
        // each call: its first and last report, and at most one more per 3 s it ran (the run's whole time bounds that)
        long most = 2 + (long) Math.ceil(seconds / 3);
        for (Map.Entry<String, List<String>> e : byLabel.entrySet()) {
            List<String> lines = e.getValue();
            assertTrue(
                    lines.size() <= most, e.getKey() + ": " + lines.size() + " lines in " + seconds + " s: " + r.err());
            assertEquals(
                    e.getKey().equals("searching") ? "300/300" : "5183/5183", lines.get(lines.size() - 1), r.err());
            assertFalse(lines.get(0).equals(lines.get(lines.size() - 1)) && lines.size() > 1, r.err());
        }
        // unthrottled, indexing alone reported 12 times (0, every 500 documents, the end)
        assertTrue(byLabel.get("indexing scifact").size() < 12 || seconds > 27, r.err());
    }

    private static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
