package dev.winnow.webui.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgufFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ModelsSynthCommandTest {
    @TempDir
    Path tmp;

    private static String stories() {
        return Path.of(System.getProperty("winnow.shared.dir", "../shared"), "models", "stories260K.gguf")
                .toString();
    }

    @Test
    void presetWithOverridesWritesAValidFile() throws Exception {
        Path out = tmp.resolve("m.gguf");
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter sw = new StringWriter();
        cli.setOut(new PrintWriter(sw));
        int rc = cli.execute(
                "models",
                "synth",
                "--preset",
                "tiny-4l",
                "--layers",
                "2",
                "--embd",
                "64",
                "--heads",
                "4",
                "--kv-heads",
                "2",
                "--ff",
                "96",
                "--vocab-size",
                "600",
                "--type",
                "q8_0",
                "--seed",
                "9",
                "--vocab-from",
                stories(),
                "-o",
                out.toString());
        assertEquals(0, rc, sw.toString());
        assertTrue(sw.toString().contains("wrote " + out), sw.toString());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(2, f.requireLong("llama.block_count"));
            assertEquals(
                    600, f.value("tokenizer.ggml.tokens").orElseThrow().asList().size());
            assertEquals(
                    "q8_0",
                    f.tensor("blk.1.ffn_down.weight").orElseThrow().type().ggmlName());
        }
    }

    @Test
    void badShapeIsAUsageError() {
        CommandLine cli = WinnowCli.newCommandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        int rc = cli.execute(
                "models",
                "synth",
                "--arch",
                "llama",
                "--layers",
                "2",
                "--embd",
                "100",
                "--heads",
                "3",
                "--ff",
                "64",
                "--vocab-from",
                stories(),
                "-o",
                tmp.resolve("x.gguf").toString());
        assertEquals(2, rc);
        assertTrue(err.toString().contains("heads 3: expected a divisor of embd 100"), err.toString());
    }
}
