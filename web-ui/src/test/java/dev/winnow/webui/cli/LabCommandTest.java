package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code winnow lab} on stories260K: tables, --json, and clear errors. */
class LabCommandTest {
    static final String MODEL = Path.of(System.getProperty("winnow.shared.dir"), "models", "stories260K.gguf")
            .toString();

    @Test
    void logitLensTableAndJsonAgree() throws Exception {
        CliRun t = CliRun.of("lab", "logit-lens", "--model", MODEL, "--prompt", "Once upon a time, there was a little");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().startsWith("logit lens at the last position"), t.out());
        assertEquals(5, t.out().lines().filter(l -> l.matches("^[0-4] .*")).count(), t.out());
        CliRun j = CliRun.of(
                "lab",
                "logit-lens",
                "--model",
                MODEL,
                "--prompt",
                "Once upon a time, there was a little",
                "--json",
                "--top",
                "2");
        assertEquals(0, j.code(), j.err());
        JsonNode r = new ObjectMapper().readTree(j.out());
        int n = r.get("tokens").size();
        // the default target is the model's top token: rank 1 at the last layer and position
        assertEquals(1, r.get("target_rank").get(4).get(n - 1).asInt());
        assertEquals(
                r.get("target").get("id").asInt(),
                r.get("top").get(4).get(n - 1).get(0).get("id").asInt());
        assertEquals(2, r.get("top").get(0).get(0).size());
        assertEquals(5, r.get("forward_passes").asInt() - 1, "one pass for the default target, then one per layer");
        // the table's last row shows the same rank and probability
        String last =
                t.out().lines().filter(l -> l.startsWith("4 ")).findFirst().orElseThrow();
        assertTrue(
                last.matches("^4\\s+1\\s+"
                        + String.format(
                                java.util.Locale.ROOT,
                                "%.4f",
                                r.get("target_probability").get(4).get(n - 1).asDouble())
                        + ".*"),
                last);
    }

    @Test
    void patchReportsTheRecoveryMatrix() throws Exception {
        CliRun j = CliRun.of(
                "lab",
                "patch",
                "--model",
                MODEL,
                "--prompt",
                "Lily went to the park. Lily",
                "--corrupt",
                "Tim went to the park. Tim",
                "--json");
        assertEquals(0, j.code(), j.err());
        JsonNode r = new ObjectMapper().readTree(j.out());
        int n = r.get("clean_tokens").size();
        assertEquals(n, r.get("corrupt_tokens").size());
        assertEquals(5, r.get("recovery").size());
        assertEquals(n, r.get("recovery").get(0).size());
        // the last layer's residual at the last position carries everything: exactly 1
        assertEquals(1.0, r.get("recovery").get(4).get(n - 1).asDouble());
        CliRun t = CliRun.of(
                "lab",
                "patch",
                "--model",
                MODEL,
                "--prompt",
                "Lily went to the park. Lily",
                "--corrupt",
                "Tim went to the park. Tim",
                "--site",
                "head");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("H7"), t.out());
        assertEquals(5, t.out().lines().filter(l -> l.matches("^[0-4] .*")).count(), t.out());
    }

    @Test
    void ablateAndCache() throws Exception {
        CliRun a = CliRun.of(
                "lab",
                "ablate",
                "--model",
                MODEL,
                "--prompt",
                "Once upon a time",
                "--mode",
                "mean",
                "--reference",
                "The cat sat on the mat.",
                "--json");
        assertEquals(0, a.code(), a.err());
        JsonNode r = new ObjectMapper().readTree(a.out());
        assertEquals(5, r.get("effect").size());
        assertEquals(8, r.get("effect").get(0).size());
        CliRun c = CliRun.of(
                "lab",
                "cache",
                "--model",
                MODEL,
                "--prompt",
                "Once upon a time",
                "--glob",
                "l_out-*",
                "--glob",
                "kq_soft_max-0");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("kq_soft_max-0") && c.out().contains("l_out-4"), c.out());
        CliRun small =
                CliRun.of("lab", "cache", "--model", MODEL, "--prompt", "Once upon a time", "--max-bytes", "100");
        assertEquals(1, small.code());
        assertTrue(small.err().contains("activation cache limit of 100 bytes"), small.err());
    }

    @Test
    void badInputIsAClearError() {
        CliRun u = CliRun.of("lab", "bogus", "--model", MODEL, "--prompt", "x");
        assertEquals(1, u.code());
        assertTrue(u.err().contains("unknown experiment 'bogus'"), u.err());
        CliRun p = CliRun.of("lab", "patch", "--model", MODEL, "--prompt", "a b c", "--corrupt", "a");
        assertEquals(1, p.code());
        assertTrue(p.err().contains("same token length"), p.err());
    }

    @Test
    void inductionAndSteer(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        CliRun i = CliRun.of("lab", "induction", "--model", MODEL, "--length", "6", "--sequences", "1", "--json");
        assertEquals(0, i.code(), i.err());
        JsonNode r = new ObjectMapper().readTree(i.out());
        assertEquals(5, r.get("prefix_matching").size());
        assertEquals(8, r.get("copying").get(0).size());
        assertEquals(1 + 5 * 8, r.get("forward_passes").asInt());
        Path gguf = tmp.resolve("happy.gguf");
        CliRun s = CliRun.of(
                "lab",
                "steer",
                "--model",
                MODEL,
                "--prompt",
                "Lily was happy.",
                "--negative",
                "Lily was sad.",
                "--weights",
                "0,1,1,1,1",
                "--scale",
                "4",
                "--out",
                gguf.toString(),
                "--eval",
                "Lily was");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("wrote " + gguf), s.out());
        assertTrue(java.nio.file.Files.size(gguf) > 4 * 64 * 4, "four direction tensors of 64 floats");
        CliRun bad =
                CliRun.of("lab", "steer", "--model", MODEL, "--prompt", "a", "--negative", "b", "--weights", "1,1");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("5 layer weights"), bad.err());
    }

    @Test
    void signaturesAsTableAndJsonLines() throws Exception {
        CliRun t = CliRun.of("lab", "signatures", "--model", MODEL, "--prompt", "Once upon a time", "--length", "8");
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().lines().anyMatch(l -> l.matches("^0\\s+',' .*")), t.out());
        CliRun j = CliRun.of(
                "lab",
                "signatures",
                "--model",
                MODEL,
                "--prompt",
                "Once upon a time",
                "--length",
                "8",
                "--temp",
                "1.5",
                "--seed",
                "11",
                "--jsonl");
        assertEquals(0, j.code(), j.err());
        List<String> lines = j.out().lines().toList();
        assertEquals(8, lines.size(), j.out());
        ObjectMapper om = new ObjectMapper();
        for (int s = 0; s < lines.size(); s++) {
            JsonNode step = om.readTree(lines.get(s));
            assertEquals(s, step.get("step").asInt());
            assertTrue(step.get("rank").asInt() >= 1 && step.get("entropy").asDouble() > 0, lines.get(s));
            assertEquals(3, step.get("top").size());
        }
    }
}
