package dev.winnow.models.gguf.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.SharedFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class GgufInspectorTest {

    private static JsonNode entry(JsonNode root, String key) {
        for (JsonNode kv : root.get("metadata")) {
            if (kv.get("key").asText().equals(key)) {
                return kv;
            }
        }
        throw new AssertionError("no key " + key);
    }

    @Test
    void jsonDescribesStories260K() throws Exception {
        try (GgufFile f = GgufFile.open(SharedFiles.stories260K())) {
            JsonNode root = new ObjectMapper().readTree(GgufInspector.toJsonText(new GgufInspector(4).json(f, "s")));
            assertEquals(3, root.get("version").asInt());
            assertEquals("passed", root.get("llamaChecks").asText());
            assertEquals(1_185_376, root.get("fileSize").asLong());
            assertEquals(5, entry(root, "llama.block_count").get("value").asInt());
            assertEquals("UINT32", entry(root, "llama.block_count").get("type").asText());
            assertEquals(64, entry(root, "llama.embedding_length").get("value").asInt());
            JsonNode tokens = entry(root, "tokenizer.ggml.tokens");
            assertEquals(512, tokens.get("length").asInt());
            assertEquals(4, tokens.get("value").size());
            assertEquals("<unk>", tokens.get("value").get(0).asText());
            assertTrue(tokens.get("truncated").asBoolean());
            // UINT32 -1 sentinels stay unsigned
            assertEquals(
                    4294967295L,
                    entry(root, "tokenizer.ggml.padding_token_id").get("value").asLong());
            JsonNode tensors = root.get("tensors");
            assertEquals(48, tensors.size());
            JsonNode ffnDown = null;
            for (JsonNode t : tensors) {
                if (t.get("name").asText().equals("blk.0.ffn_down.weight")) {
                    ffnDown = t;
                }
            }
            assertEquals("[172,64]", ffnDown.get("shape").toString());
            assertEquals(172 * 64 * 4, ffnDown.get("bytes").asLong());
            assertEquals(
                    root.get("dataOffset").asLong() + ffnDown.get("offset").asLong(),
                    ffnDown.get("fileOffset").asLong());
        }
    }

    @Test
    void textAbbreviatesArraysAndListsTensors() throws Exception {
        StringWriter sw = new StringWriter();
        try (GgufFile f = GgufFile.open(SharedFiles.stories260K())) {
            new GgufInspector(3).printText(f, "stories", new PrintWriter(sw));
        }
        String text = sw.toString();
        assertTrue(
                text.startsWith("stories: GGUF v3, 1,185,376 bytes, 19 metadata keys, 48 tensors, alignment 32"), text);
        assertTrue(text.contains("[\"<unk>\", \"<s>\", \"</s>\", ... (509 more)] (512)"), text);
        assertTrue(text.endsWith("llama.cpp checks: passed" + System.lineSeparator()), text);
        assertTrue(text.matches("(?s).*token_embd\\.weight\\s+f32\\s+\\[64, 512\\]\\s+0\\s+131,072.*"), text);
    }
}
