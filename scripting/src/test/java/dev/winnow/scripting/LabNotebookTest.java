package dev.winnow.scripting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** examples/lab.ipynb: every code cell runs in one JavaScript session and the heatmaps come out with their shapes. */
class LabNotebookTest {
    @TempDir
    Path workspace;

    @Test
    void everyCellRunsAndDrawsItsHeatmaps() throws Exception {
        JsonNode nb = new ObjectMapper()
                .readTree(Path.of("..", "examples", "lab.ipynb").toFile());
        assertEquals(4, nb.get("nbformat").asInt());
        assertEquals(5, nb.get("nbformat_minor").asInt());
        Path shared =
                Path.of(System.getProperty("winnow.shared.dir", "../../shared")).toRealPath();
        Files.createSymbolicLink(workspace.resolve("shared"), shared);
        List<DisplayData> heatmaps = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        try (ScriptHost host = ScriptHost.create(Sandbox.of(workspace, shared.resolve("models")));
                ScriptSession session = host.openSession()) {
            for (JsonNode cell : nb.get("cells")) {
                if (!cell.get("cell_type").asText().equals("code")) {
                    continue;
                }
                StringBuilder src = new StringBuilder();
                cell.get("source").forEach(l -> src.append(l.asText()));
                RecordingSink sink = new RecordingSink();
                session.run(Language.JS, src.toString(), cell.get("id").asText(), sink);
                for (DisplayData d : sink.displays) {
                    if (d.mimeBundle().containsKey("application/vnd.winnow.heatmap+json")) {
                        heatmaps.add(d);
                    }
                }
                out.append(sink.out);
            }
        } finally {
            Files.delete(workspace.resolve("shared")); // the link, not what it points to, before @TempDir cleans up
        }
        assertEquals(6, heatmaps.size(), "lens, two patching maps, ablation, two induction maps");
        for (DisplayData d : heatmaps) {
            JsonNode h = new ObjectMapper().readTree(d.mimeBundle().get("application/vnd.winnow.heatmap+json"));
            assertEquals(5, h.get("rows").size(), h.get("title").asText());
            assertEquals(5, h.get("values").size());
            assertEquals(
                    h.get("columns").size(),
                    h.get("values").get(0).size(),
                    h.get("title").asText());
        }
        assertTrue(out.toString().contains("5 layers, 8 heads, n_embd 64"), out.toString());
        assertTrue(out.toString().contains("l_out-4"), out.toString());
        assertTrue(
                out.toString().contains("|direction| per layer ")
                        && out.toString().contains("; top "),
                out.toString());
    }
}
