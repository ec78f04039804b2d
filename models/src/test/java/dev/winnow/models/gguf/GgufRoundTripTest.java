package dev.winnow.models.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void readsStories260K() throws Exception {
        try (GgufFile f = GgufFile.open(SharedFiles.stories260K())) {
            assertEquals(3, f.version());
            assertEquals("llama", f.requireString("general.architecture"));
            assertEquals(5, f.requireLong("llama.block_count"));
            assertEquals(64, f.requireLong("llama.embedding_length"));
            assertEquals(
                    512, f.value("tokenizer.ggml.tokens").orElseThrow().asList().size());
            GgufTensorInfo emb = f.tensor("token_embd.weight").orElseThrow();
            assertArrayEquals(new long[] {64, 512}, emb.shape());
            // tensors end inside the file, the last one padded to the alignment
            GgufTensorInfo last = f.tensors().getLast();
            assertEquals(f.fileSize(), f.dataOffset() + GgufFile.pad(last.offset() + last.byteSize(), f.alignment()));
        }
    }

    @Test
    void writeThenReadIsByteIdentical() throws Exception {
        Path src = SharedFiles.stories260K();
        Path out = tmp.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter.copyOf(f).write(out);
        }
        assertEquals(-1L, Files.mismatch(src, out), "first differing byte");
        try (GgufFile a = GgufFile.open(src);
                GgufFile b = GgufFile.open(out)) {
            assertEquals(a.metadata(), b.metadata());
            assertEquals(a.tensors(), b.tensors());
        }
        try (var s = Files.list(tmp)) {
            assertTrue(s.allMatch(p -> p.equals(out)), "no temporary file left behind");
        }
    }
}
