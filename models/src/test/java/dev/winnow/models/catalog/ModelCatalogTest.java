package dev.winnow.models.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.convert.EmbeddingModelSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ModelCatalogTest {
    @Test
    void builtInCatalogIsWellFormed() {
        ModelCatalog c = ModelCatalog.builtIn();
        assertTrue(c.entries().size() >= 5);
        assertTrue(c.entries().stream().anyMatch(e -> e.role() == CatalogEntry.Role.RANKER));
        assertTrue(c.entries().stream().anyMatch(e -> e.role() == CatalogEntry.Role.EMBEDDING));
        for (CatalogEntry e : c.entries()) {
            assertTrue(e.licence() != null && !e.licence().equals("unknown"), e.name());
            if (e.maven() != null) {
                EmbeddingModelSpec spec = EmbeddingModelSpec.byName(e.maven()); // throws if unknown
                assertEquals(spec.fileName() + ".gguf", e.file(), "the converted file's name");
            } else {
                assertEquals("huggingface.co", e.url().getHost(), e.name());
                assertTrue(e.url().getPath().endsWith("/" + e.file()), e.name());
            }
        }
        assertEquals(
                "qwen2.5-0.5b-instruct-q8_0",
                c.get("Qwen2.5-0.5B-Instruct-Q8_0").name());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> c.get("llama-70b"));
        assertTrue(unknown.getMessage().contains("qwen2.5-0.5b-instruct-q8_0"), unknown.getMessage());
    }

    @Test
    void invalidEntriesAreNamed() {
        String http =
                "{\"models\":[{\"name\":\"a\",\"role\":\"ranker\",\"url\":\"http://x/a.gguf\",\"file\":\"a.gguf\"}]}";
        IOException e1 = assertThrows(IOException.class, () -> read(http));
        assertTrue(e1.getMessage().contains("model #0") && e1.getMessage().contains("https"), e1.getMessage());
        String traversal =
                "{\"models\":[{\"name\":\"a\",\"role\":\"ranker\",\"url\":\"https://x/a.gguf\",\"file\":\"../a.gguf\"}]}";
        assertThrows(IOException.class, () -> read(traversal));
        String badSha =
                "{\"models\":[{\"name\":\"a\",\"role\":\"ranker\",\"url\":\"https://x/a.gguf\",\"file\":\"a.gguf\",\"sha256\":\"abc\"}]}";
        assertThrows(IOException.class, () -> read(badSha));
        String dup =
                "{\"models\":[{\"name\":\"a\",\"role\":\"ranker\",\"url\":\"https://x/a.gguf\",\"file\":\"a.gguf\"},"
                        + "{\"name\":\"a\",\"role\":\"embedding\",\"url\":\"https://x/b.gguf\",\"file\":\"b.gguf\"}]}";
        IOException e4 = assertThrows(IOException.class, () -> read(dup));
        assertTrue(e4.getMessage().contains("twice"), e4.getMessage());
        String role =
                "{\"models\":[{\"name\":\"a\",\"role\":\"judge\",\"url\":\"https://x/a.gguf\",\"file\":\"a.gguf\"}]}";
        assertThrows(IOException.class, () -> read(role));
    }

    static ModelCatalog read(String json) throws IOException {
        return ModelCatalog.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test.json");
    }
}
