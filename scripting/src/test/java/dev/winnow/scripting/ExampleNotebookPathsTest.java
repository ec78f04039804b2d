package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example notebook finds SciFact and the model from any directory (issue 19): its first code cell, run as the
 * notebook runs it, in a workspace outside the repository whose sandbox may read {@code shared/data} and {@code
 * shared/models} (what {@code winnow notebook} grants beside the repository), opens the collection through {@code
 * winnow.readOnlyDirs()}; with nothing readable it fails with the notebook's own message.
 */
class ExampleNotebookPathsTest {
    @TempDir
    Path elsewhere;

    @Test
    void theFirstCellFindsSharedThroughTheReadableDirectories() throws Exception {
        Path shared =
                Path.of(System.getProperty("winnow.shared.dir", "../../shared")).toRealPath();
        JsonNode nb = new ObjectMapper()
                .readTree(Path.of("..", "examples", "scifact-blockrank.ipynb").toFile());
        String cell = null;
        for (JsonNode c : nb.get("cells")) {
            String src = c.get("source").asText();
            if (c.get("source").isArray()) {
                StringBuilder b = new StringBuilder();
                c.get("source").forEach(l -> b.append(l.asText()));
                src = b.toString();
            }
            if (c.path("cell_type").asText().equals("code")) {
                cell = src;
                break;
            }
        }
        assertTrue(cell != null && cell.contains("winnow.readOnlyDirs()"), String.valueOf(cell));
        Path ws = Files.createDirectories(elsewhere.resolve("my-notebooks"));
        Sandbox readable = new Sandbox(ws, List.of(shared.resolve("models"), shared.resolve("data")), 0);
        try (ScriptHost host = ScriptHost.create(readable);
                ScriptSession s = host.openSession()) {
            RecordingSink out = new RecordingSink();
            s.run(Language.JS, cell, "cell-1.js", out);
            assertTrue(out.out.toString().startsWith("scifact: 5183 documents"), out.out.toString());
            assertEquals(
                    List.of(
                            shared.resolve("models").toString(),
                            shared.resolve("data").toString()),
                    s.winnow().readOnlyDirs());
        }
        try (ScriptHost host = ScriptHost.create(Sandbox.of(ws));
                ScriptSession s = host.openSession()) {
            String code = cell;
            ScriptFailure f = org.junit.jupiter.api.Assertions.assertThrows(
                    ScriptFailure.class, () -> s.run(Language.JS, code, "cell-1.js", new RecordingSink()));
            assertTrue(f.getMessage().contains("SciFact not found"), f.getMessage());
        }
    }
}
