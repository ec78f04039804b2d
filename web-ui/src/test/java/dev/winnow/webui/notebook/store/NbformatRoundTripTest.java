package dev.winnow.webui.notebook.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.scripting.Language;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A notebook Jupyter wrote, read and saved unchanged by Winnow, is the same file byte for byte. The fixtures in
 * {@code src/test/resources/.../notebook/jupyter/} were written by nbformat 5.5.0's own {@code nbformat.write} (the
 * script that made them lies beside them): lines split as Python's {@code splitlines}, JSON MIME values left alone,
 * control characters, non-ASCII and astral characters, floats in Python's {@code repr}, sorted keys, attachments.
 * Saving also keeps the file's permissions.
 */
class NbformatRoundTripTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private byte[] fixture(String name) throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/dev/winnow/webui/notebook/jupyter/" + name)) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rich.ipynb", "plain-js.ipynb"})
    void aJupyterFileSavedUnchangedIsByteForByteTheSame(String name) throws Exception {
        byte[] jupyter = fixture(name);
        Files.write(dir.resolve(name), jupyter);
        NotebookStore store = new NotebookStore(dir);
        // as the page does: the document read, sent back as JSON text, parsed and saved
        ObjectNode read = store.read(name);
        store.save(name, JSON.readTree(JSON.writeValueAsString(read)));
        assertEquals(new String(jupyter, "UTF-8"), Files.readString(dir.resolve(name)));
        assertArrayEquals(jupyter, Files.readAllBytes(dir.resolve(name)));
    }

    @Test
    void aOneCellEditIsAOneLineDiff() throws Exception {
        Files.write(dir.resolve("rich.ipynb"), fixture("rich.ipynb"));
        NotebookStore store = new NotebookStore(dir);
        ObjectNode nb = store.read("rich.ipynb");
        ((ObjectNode) nb.get("cells").get(2)).put("source", "changed");
        store.save("rich.ipynb", nb);
        String[] before = new String(fixture("rich.ipynb"), "UTF-8").split("\n", -1);
        String[] after = Files.readString(dir.resolve("rich.ipynb")).split("\n", -1);
        // the empty source "[]" became ["changed"]: three lines where there was one, everything else identical
        assertEquals(before.length + 2, after.length);
        int differing = 0;
        for (int i = 0, j = 0; i < before.length; i++, j++) {
            if (!before[i].equals(after[j])) {
                differing++;
                assertEquals("   \"source\": []", before[i]);
                assertEquals("   \"source\": [", after[j]);
                assertEquals("    \"changed\"", after[j + 1]);
                assertEquals("   ]", after[j + 2]);
                j += 2;
            }
        }
        assertEquals(1, differing);
    }

    @Test
    void savesKeepTheFileModeAndNewNotebooksAreWorldReadable() throws Exception {
        NotebookStore store = new NotebookStore(dir);
        store.create("new.ipynb", Language.JS);
        assertEquals(
                "rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("new.ipynb"))));
        for (String mode : new String[] {"rw-r--r--", "rw-rw----", "rw-------"}) {
            Files.setPosixFilePermissions(dir.resolve("new.ipynb"), PosixFilePermissions.fromString(mode));
            store.save("new.ipynb", store.read("new.ipynb"));
            assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("new.ipynb"))));
        }
    }

    @Test
    void numbersAreWrittenAsPythonsRepr() {
        assertEquals("1.0", NbformatWriter.pythonRepr(1.0));
        assertEquals("300.0", NbformatWriter.pythonRepr(300.0));
        assertEquals("0.1", NbformatWriter.pythonRepr(0.1));
        assertEquals("0.0001", NbformatWriter.pythonRepr(1e-4));
        assertEquals("1e-05", NbformatWriter.pythonRepr(1e-5));
        assertEquals("-2.5e-07", NbformatWriter.pythonRepr(-2.5e-7));
        assertEquals("1000000000000000.0", NbformatWriter.pythonRepr(1e15));
        assertEquals("1e+16", NbformatWriter.pythonRepr(1e16));
        assertEquals("1.7976931348623157e+308", NbformatWriter.pythonRepr(Double.MAX_VALUE));
        assertEquals("5e-324", NbformatWriter.pythonRepr(Double.MIN_VALUE));
        assertEquals("-0.0", NbformatWriter.pythonRepr(-0.0));
        assertEquals("123.456", NbformatWriter.pythonRepr(123.456));
    }
}
