package dev.winnow.models.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each case edits one key of stories260K.gguf in a way that made llama.cpp abort (checked with the C API). */
class GgufValidatorTest {
    @TempDir
    Path tmp;

    private Path edited(Consumer<GgufWriter> edit) throws Exception {
        Path out = tmp.resolve("edited.gguf");
        try (GgufFile f = GgufFile.open(SharedFiles.stories260K())) {
            GgufWriter w = GgufWriter.copyOf(f);
            edit.accept(w);
            w.write(out);
        }
        return out;
    }

    private void rejected(Consumer<GgufWriter> edit, String key, String fragment) throws Exception {
        try (GgufFile f = GgufFile.open(edited(edit))) {
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufValidator.checkForLlama(f));
            assertTrue(e.getMessage().contains(fragment), e.getMessage());
            assertEquals(f.keyOffset(key), e.offset());
            assertTrue(e.offset() > 0);
        }
    }

    @Test
    void realAndEditedButHarmlessFilesPass() throws Exception {
        try (GgufFile f = GgufFile.open(SharedFiles.stories260K())) {
            GgufValidator.checkForLlama(f);
        }
        try (GgufFile f = GgufFile.open(edited(w -> w.putUint32("llama.block_count", 512)
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 0f)
                .putUint32("tokenizer.ggml.bos_token_id", 100_000)))) {
            GgufValidator.checkForLlama(f);
        }
    }

    @Test
    void blockCountOutsideOneTo512() throws Exception {
        rejected(
                w -> w.putUint32("llama.block_count", 0),
                "llama.block_count",
                "'llama.block_count' is 0, expected 1 to 512");
        rejected(w -> w.putUint32("llama.block_count", 513), "llama.block_count", "is 513, expected 1 to 512");
        rejected(w -> w.putUint32("llama.block_count", 0xFFFF_FFFFL), "llama.block_count", "is 4294967295");
        rejected(
                w -> w.putString("llama.block_count", "five"), "llama.block_count", "must be an integer, found STRING");
    }

    @Test
    void negativeOrNanEpsilon() throws Exception {
        String key = "llama.attention.layer_norm_rms_epsilon";
        rejected(w -> w.putFloat32(key, -1f), key, "is -1.0, expected a finite value >= 0");
        rejected(w -> w.putFloat32(key, Float.NaN), key, "is NaN");
        rejected(w -> w.putFloat32(key, Float.POSITIVE_INFINITY), key, "is Infinity");
    }

    @Test
    void expertCounts() throws Exception {
        rejected(w -> w.putUint32("llama.expert_count", 1025), "llama.expert_count", "is 1025, expected 0 to 1024");
        rejected(w -> w.putUint32("llama.expert_used_count", 2), "llama.expert_used_count", "is 2, expected 0 to 0");
        rejected(
                w -> w.putUint32("llama.expert_count", 4).putUint32("llama.expert_used_count", 5),
                "llama.expert_used_count",
                "is 5, expected 0 to 4");
    }

    @Test
    void byteTokensNeedATokenizerThatDecodesThem() throws Exception {
        rejected(
                w -> w.putString("tokenizer.ggml.model", "bert"),
                "tokenizer.ggml.token_type",
                "token 3 has type BYTE, which tokenizer 'bert' cannot decode");
        rejected(
                w -> {
                    List<String> tokens = new ArrayList<>(
                            w.metadata().get("tokenizer.ggml.tokens").asStringList());
                    tokens.set(3, "<0x");
                    w.putStringArray("tokenizer.ggml.tokens", tokens);
                },
                "tokenizer.ggml.tokens",
                "token 3 has type BYTE but its text is not <0xHH>");
    }

    @Test
    void architectureMustBeAString() throws Exception {
        rejected(w -> w.putUint32("general.architecture", 1), "general.architecture", "must be a STRING, found UINT32");
    }
}
