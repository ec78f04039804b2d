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
  @TempDir Path tmp;

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
}
