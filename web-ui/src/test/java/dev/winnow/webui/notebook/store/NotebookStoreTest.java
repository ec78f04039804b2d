package dev.winnow.webui.notebook.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.scripting.Language;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotebookStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void createdNotebookIsNbformat45OnDisk() throws Exception {
        NotebookStore store = new NotebookStore(dir);
        store.create("sub/first.ipynb", Language.PYTHON);
        JsonNode nb = JSON.readTree(Files.readString(dir.resolve("sub/first.ipynb")));
        assertEquals(4, nb.get("nbformat").asInt());
        assertEquals(5, nb.get("nbformat_minor").asInt());
        assertEquals("python", nb.at("/metadata/kernelspec/language").asText());
        assertEquals("python", nb.at("/metadata/language_info/name").asText());
        assertEquals("winnow-python", nb.at("/metadata/kernelspec/name").asText());
        JsonNode cell = nb.get("cells").get(0);
        assertTrue(cell.get("id").asText().matches("[a-zA-Z0-9_-]{1,64}"));
        assertEquals("code", cell.get("cell_type").asText());
        assertTrue(cell.get("outputs").isArray());
        assertTrue(cell.get("execution_count").isNull());
        assertTrue(cell.get("metadata").isObject());
        assertEquals(
                List.of("sub/first.ipynb"),
                store.list().stream().map(NotebookStore.Entry::path).toList());
        assertThrows(FileAlreadyExistsException.class, () -> store.create("sub/first.ipynb", Language.JS));
    }

    @Test
    void saveRoundTripsOutputsAndCompletesJupyterShapes() throws Exception {
        NotebookStore store = new NotebookStore(dir);
        // what Jupyter writes: sources and stream texts as lists of lines, no cell ids (minor 4)
        String jupyter = """
        {"nbformat": 4, "nbformat_minor": 4, "metadata": {"kernelspec": {"name": "winnow-js", "language": "javascript"}},
         "cells": [
          {"cell_type": "markdown", "metadata": {}, "source": ["# Title\\n", "text"]},
          {"cell_type": "code", "metadata": {"winnow": {"language": "python"}}, "execution_count": 3,
           "source": ["print(1)\\n", "2"],
           "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\\n"]},
                       {"output_type": "execute_result", "execution_count": 3, "metadata": {},
                        "data": {"text/plain": ["2"], "text/html": "<b>2</b>"}},
                       {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["a", "b"]}]},
          {"cell_type": "code", "id": "same", "metadata": {}, "source": "", "outputs": [], "execution_count": null},
          {"cell_type": "code", "id": "same", "metadata": {}, "source": "", "outputs": [], "execution_count": null}
         ]}
        """;
        ObjectNode saved = store.save("j.ipynb", JSON.readTree(jupyter));
        // on disk as Jupyter writes it: multi-line text as lists of lines (text/html too), read back joined
        JsonNode raw = JSON.readTree(Files.readString(dir.resolve("j.ipynb")));
        assertEquals(JSON.readTree("[\"# Title\\n\", \"text\"]"), raw.at("/cells/0/source"));
        assertEquals(JSON.readTree("[\"print(1)\\n\", \"2\"]"), raw.at("/cells/1/source"));
        assertEquals(JSON.readTree("[\"<b>2</b>\"]"), raw.at("/cells/1/outputs/1/data/text~1html"));
        assertEquals(JSON.readTree("[]"), raw.at("/cells/2/source"));
        JsonNode disk = store.read("j.ipynb");
        assertEquals(saved, disk);
        assertEquals(5, disk.get("nbformat_minor").asInt());
        Set<String> ids = new HashSet<>();
        for (JsonNode c : disk.get("cells")) {
            assertTrue(ids.add(c.get("id").asText()), "cell ids are unique: " + ids);
        }
        assertEquals("# Title\ntext", disk.at("/cells/0/source").asText());
        assertFalse(disk.get("cells").get(0).has("outputs"));
        assertEquals("print(1)\n2", disk.at("/cells/1/source").asText());
        assertEquals("1\n", disk.at("/cells/1/outputs/0/text").asText());
        assertEquals("2", disk.at("/cells/1/outputs/1/data/text~1plain").asText());
        assertEquals("<b>2</b>", disk.at("/cells/1/outputs/1/data/text~1html").asText());
        assertEquals(3, disk.at("/cells/1/execution_count").asInt());
        assertEquals(Language.JS, NotebookFormat.defaultLanguage(disk));
        // reading gives the same document back
        assertEquals(disk, store.read("j.ipynb"));
    }

    @Test
    void badDocumentsAreRefusedAndNothingIsWritten() throws Exception {
        NotebookStore store = new NotebookStore(dir);
        for (String bad : List.of(
                "{\"nbformat\": 3, \"cells\": []}",
                "{\"nbformat\": 4, \"cells\": {}}",
                "{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"widget\", \"source\": \"\"}]}",
                "{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": \"\", \"outputs\": [{\"output_type\": \"x\"}]}]}",
                "{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": \"\", \"metadata\": {\"winnow\": {\"language\": \"ruby\"}}}]}",
                "[1, 2]")) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> store.save("bad.ipynb", JSON.readTree(bad)), bad);
            assertFalse(e.getMessage().isBlank());
        }
        assertFalse(Files.exists(dir.resolve("bad.ipynb")));
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count(), "no temporary files left behind");
        }
    }

    @Test
    void traversalAndHiddenPathsAreRefused() throws Exception {
        NotebookStore store = new NotebookStore(dir);
        Path outside = Files.createTempDirectory("winnow-outside");
        Files.createSymbolicLink(dir.resolve("link"), outside);
        for (String p : List.of(
                "../x.ipynb",
                "a/../../x.ipynb",
                "/etc/x.ipynb",
                ".ipynb_checkpoints/x-checkpoint.ipynb",
                "a\\..\\x.ipynb",
                "x.json",
                "a//x.ipynb",
                "nul\u0000.ipynb",
                "link/x.ipynb",
                "")) {
            assertThrows(IllegalArgumentException.class, () -> store.create(p, Language.JS), p);
        }
        try (var s = Files.list(outside)) {
            assertEquals(0, s.count());
        }
        assertFalse(Files.exists(dir.getParent().resolve("x.ipynb")));
    }

    @Test
    void renameDeleteCheckpointRevert() throws Exception {
        NotebookStore store = new NotebookStore(dir);
        ObjectNode nb = store.create("a.ipynb", Language.JS);
        ((ObjectNode) nb.get("cells").get(0)).put("source", "version 1");
        store.save("a.ipynb", nb);
        assertTrue(store.checkpointTime("a.ipynb").isEmpty());
        store.checkpoint("a.ipynb");
        assertTrue(Files.isRegularFile(dir.resolve(".ipynb_checkpoints/a-checkpoint.ipynb")));
        ((ObjectNode) nb.get("cells").get(0)).put("source", "version 2");
        store.save("a.ipynb", nb);
        store.rename("a.ipynb", "b.ipynb");
        assertFalse(Files.exists(dir.resolve("a.ipynb")));
        assertTrue(store.checkpointTime("b.ipynb").isPresent(), "the checkpoint moves with the notebook");
        assertEquals("version 2", store.read("b.ipynb").at("/cells/0/source").asText());
        assertEquals("version 1", store.revert("b.ipynb").at("/cells/0/source").asText());
        assertEquals("version 1", store.read("b.ipynb").at("/cells/0/source").asText());
        store.create("c.ipynb", Language.JS);
        assertThrows(FileAlreadyExistsException.class, () -> store.rename("b.ipynb", "c.ipynb"));
        store.delete("b.ipynb");
        assertThrows(NoSuchFileException.class, () -> store.read("b.ipynb"));
        assertTrue(store.checkpointTime("b.ipynb").isEmpty());
        assertThrows(NoSuchFileException.class, () -> store.revert("c.ipynb"));
    }
}
