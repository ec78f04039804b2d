package dev.winnow.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.runtime.Llama;
import dev.winnow.runtime.TestModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad model files through the real loader: the file-level cases are refused by {@link Llama#loadModel} before
 * llama.cpp sees them; header values that pass the GGUF walk but are wrong for the architecture are loaded in a
 * forked JVM, which must survive every one of them (llama.cpp refuses them, or the runtime's own checks do).
 */
class ModelLoadSurvivalTest {
    @TempDir
    Path tmp;

    @Test
    void fileLevelBadInputIsRefusedByTheLoaderInJava() throws IOException {
        Llama llama = Llama.load();
        Path empty = Files.createFile(tmp.resolve("empty.gguf"));
        Path text = Files.writeString(tmp.resolve("text.gguf"), "not a model");
        for (Path p : List.of(tmp.resolve("missing.gguf"), tmp, empty, text)) {
            InvalidModelException e = assertThrows(InvalidModelException.class, () -> llama.loadModel(p));
            assertTrue(e.getMessage().contains(p.toAbsolutePath().toString()), e.getMessage());
        }
    }

    /** Writes stories260K with the u32 value of {@code key} replaced. */
    Path withValue(String key, int value) throws IOException {
        byte[] b = Files.readAllBytes(TestModels.stories260K());
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int at = indexOf(b, k) + k.length; // the value's type tag follows the key's bytes
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at + 4, value);
        Path f = tmp.resolve(key.replace('.', '_') + "-" + value + ".gguf");
        Files.write(f, b);
        return f;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("key not found");
    }

    @Test
    void blockCountBeyondLlamaMaxLayersIsRefusedInJava() throws IOException {
        // llama.cpp itself would GGML_ASSERT (abort) on this one: the pre-check must catch it
        Path f = withValue("llama.block_count", 1000);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> GgufPrecheck.check(f));
        assertTrue(e.getMessage().contains("'llama.block_count' is 1000, expected 1 to 512"), e.getMessage());
    }

    @Test
    void semanticallyWrongHeadersDoNotKillTheJvm() throws Exception {
        List<Path> files = new ArrayList<>();
        files.add(TestModels.stories260K());
        files.add(withValue("llama.attention.head_count", 0));
        files.add(withValue("llama.attention.head_count_kv", 3));
        files.add(withValue("llama.embedding_length", 65));
        files.add(withValue("llama.rope.dimension_count", 1000));
        files.add(withValue("llama.context_length", 0));
        files.add(withValue("tokenizer.ggml.bos_token_id", 99999));
        Process p = new ProcessBuilder(ForkedLoads.probeCommand(files))
                .redirectErrorStream(false)
                .start();
        p.getErrorStream().transferTo(java.io.OutputStream.nullOutputStream());
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe JVM hung");
        assertEquals(0, p.exitValue(), "the probe JVM died (llama.cpp abort?); its output:\n" + out);
        String[] lines = out.strip().split("\n");
        assertEquals(files.size(), lines.length, out);
        assertTrue(lines[0].startsWith("OK stories260K.gguf"), out);
        // refused by Winnow's own per-layer checks since issue 16 (head counts >= 1, KV heads dividing the heads)
        assertTrue(lines[1].startsWith("REFUSED llama_attention_head_count-0.gguf InvalidModelException"), out);
        assertTrue(lines[1].contains("'llama.attention.head_count' is 0, expected 1 to 4294967295"), out);
        assertTrue(lines[2].startsWith("REFUSED llama_attention_head_count_kv-3.gguf InvalidModelException"), out);
        assertTrue(lines[2].contains("the KV heads must divide the heads"), out);
        assertTrue(lines[3].startsWith("REFUSED llama_embedding_length-65.gguf LlamaException"), out);
        assertTrue(lines[4].startsWith("REFUSED llama_rope_dimension_count-1000.gguf LlamaException"), out);
        assertTrue(lines[5].startsWith("OK llama_context_length-0.gguf"), out);
        // llama.cpp replaces an out-of-range special token id by its default ("bad special token") and loads
        assertTrue(lines[6].startsWith("OK tokenizer_ggml_bos_token_id-99999.gguf"), out);
    }
}
