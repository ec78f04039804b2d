package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ModelsInspectCommandTest {
    @TempDir
    Path tmp;

    private static Path stories() {
        return Path.of(System.getProperty("winnow.shared.dir", "../shared"), "models", "stories260K.gguf");
    }

    @Test
    void inspectJsonOnStories260K() throws Exception {
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        int rc = cli.execute("models", "inspect", stories().toString(), "--json");
        assertEquals(0, rc);
        JsonNode root = new ObjectMapper().readTree(out.toString());
        int layers = -1;
        for (JsonNode kv : root.get("metadata")) {
            if (kv.get("key").asText().equals("llama.block_count")) {
                layers = kv.get("value").asInt();
            }
        }
        assertEquals(5, layers);
        assertEquals(48, root.get("tensors").size());
    }

    @Test
    void inspectReportsACorruptFileWithItsOffset() throws Exception {
        byte[] bytes = Files.readAllBytes(stories());
        Path bad = tmp.resolve("bad.gguf");
        Files.write(bad, java.util.Arrays.copyOf(bytes, 5000));
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        int rc = cli.execute("models", "inspect", bad.toString());
        assertEquals(1, rc);
        assertTrue(err.toString().contains("bad.gguf: at byte "), err.toString());
        assertTrue(err.toString().contains("file ends"), err.toString());
    }

    @Test
    void deepScanNamesTheTensorWithNonFiniteValuesAndCrashClassesFailTheChecks() throws Exception {
        Path nan = tmp.resolve("nan.gguf");
        try (dev.winnow.models.gguf.GgufFile base = dev.winnow.models.gguf.GgufFile.open(stories())) {
            dev.winnow.models.gguf.fuzz.CrashCorpus.withWeight(base, "blk.2.ffn_up.weight", 77, Float.NaN, nan);
            dev.winnow.models.gguf.fuzz.CrashCorpus.retype(
                    base, "blk.0.attn_q.weight", dev.winnow.models.gguf.GgmlType.I32, tmp.resolve("i32.gguf"));
        }
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        assertEquals(2, cli.execute("models", "inspect", nan.toString(), "--deep"));
        assertTrue(
                out.toString().contains("deep scan: 48 tensors scanned, 1 with NaN or infinite values, 0 not scanned"),
                out.toString());
        assertTrue(
                out.toString().contains("NON-FINITE blk.2.ffn_up.weight (f32): 1 values, first at element 77"),
                out.toString());
        assertTrue(out.toString().contains("llama.cpp checks: passed"), out.toString());
        StringWriter json = new StringWriter();
        cli = WinnowCli.newCommandLine();
        cli.setOut(new PrintWriter(json));
        assertEquals(0, cli.execute("models", "inspect", stories().toString(), "--deep", "--json"));
        JsonNode scan = new ObjectMapper().readTree(json.toString()).get("deepScan");
        assertEquals(48, scan.get("scanned").asInt());
        assertEquals(0, scan.get("nonFinite").size());
        StringWriter bad = new StringWriter();
        cli = WinnowCli.newCommandLine();
        cli.setOut(new PrintWriter(bad));
        assertEquals(0, cli.execute("models", "inspect", tmp.resolve("i32.gguf").toString()));
        assertTrue(
                bad.toString().contains("llama.cpp checks: FAILED: ")
                        && bad.toString().contains("tensor 'blk.0.attn_q.weight' has type i32"),
                bad.toString());
    }

    @Test
    void fuzzCommandLoadsCasesInWorkerJvms() throws Exception {
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        int rc = cli.execute(
                "models",
                "fuzz",
                "--input",
                stories().toString(),
                "--cases",
                "12",
                "--seed",
                "5",
                "--work-dir",
                tmp.resolve("fuzz").toString());
        assertEquals(0, rc, out.toString());
        assertTrue(out.toString().contains("12 cases in "), out.toString());
        assertTrue(out.toString().contains("0 worker deaths, 0 hangs"), out.toString());
        assertTrue(out.toString().contains("PASS: no worker died or hung"), out.toString());
    }
}
