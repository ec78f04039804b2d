package dev.winnow.models.gguf.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufFormatException;
import dev.winnow.models.gguf.GgufValidator;
import dev.winnow.models.gguf.GgufValue;
import dev.winnow.models.gguf.SharedFiles;
import dev.winnow.models.gguf.inspect.GgufInspector;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The validator against the crash corpus: every file that crashed llama.cpp is refused with a message naming the file
 * (or shard), the tensor or key and the problem; {@code models inspect} no longer says "passed" for them; the
 * harmless neighbours (a valid split, F16/Q8_0 weights, the synthetic BERT) pass.
 */
class CrashCorpusTest {
    @TempDir
    Path tmp;

    private static String refusal(Path file) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            GgufFormatException e = assertThrows(
                    GgufFormatException.class,
                    () -> {
                        GgufValidator.checkForLlama(f);
                        GgufValidator.checkShards(f);
                    },
                    file + " passed the checks");
            return e.getMessage();
        }
    }

    private static void passes(Path file) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            GgufValidator.checkForLlama(f);
            GgufValidator.checkShards(f);
        }
    }

    @Test
    void everyCrashClassIsRefusedWithTheFileAndTheProblem() throws Exception {
        Map<String, Path> corpus = CrashCorpus.write(SharedFiles.stories260K(), tmp);
        String q = refusal(corpus.get("attn_q-i32.gguf"));
        assertTrue(q.startsWith(corpus.get("attn_q-i32.gguf").toString()), q);
        assertTrue(
                q.contains("tensor 'blk.0.attn_q.weight' has type i32")
                        && q.contains("matrix multiplication (ggml_mul_mat)")
                        && q.contains("accepted types: f32, f16, q4_0"),
                q);
        assertTrue(refusal(corpus.get("attn_q-f64.gguf")).contains("'blk.0.attn_q.weight' has type f64"));
        String e = refusal(corpus.get("token_embd-i8.gguf"));
        assertTrue(e.contains("tensor 'token_embd.weight' has type i8") && e.contains("row lookup (ggml_get_rows)"), e);
        String n = refusal(corpus.get("attn_norm-f16.gguf"));
        assertTrue(n.contains("'blk.0.attn_norm.weight' has type f16") && n.contains("accepted types: f32"), n);
        String kv = refusal(corpus.get("head_count_kv-zero-entry.gguf"));
        assertTrue(kv.contains("entry 1 (layer 1) of 'llama.attention.head_count_kv' is 0, expected 1 to"), kv);
        String h = refusal(corpus.get("head_count-short-array.gguf"));
        assertTrue(h.contains("'llama.attention.head_count' has 4 entries, expected one per layer: 5"), h);
        Path first = corpus.get("split-second-shard-split.no-uint32");
        String s = refusal(first);
        Path second = first.resolveSibling("model-00002-of-00002.gguf");
        assertTrue(s.startsWith(second.toString()) && s.contains("'split.no' is a UINT32, expected UINT16"), s);
        passes(corpus.get("nan-weight.gguf"));
        passes(corpus.get("bert-512-positions.gguf"));
        try (GgufFile f = GgufFile.open(corpus.get("bert-512-positions.gguf"))) {
            assertEquals(512, GgufValidator.positionRows(f));
        }
        try (GgufFile f = GgufFile.open(SharedFiles.stories260K())) {
            assertEquals(-1, GgufValidator.positionRows(f));
        }
    }

    @Test
    void inspectNoLongerSaysPassedForThem() throws Exception {
        Map<String, Path> corpus = CrashCorpus.write(SharedFiles.stories260K(), tmp);
        for (String name : List.of(
                "attn_q-i32.gguf",
                "token_embd-i8.gguf",
                "head_count_kv-zero-entry.gguf",
                "split-second-shard-split.no-uint32")) {
            try (GgufFile f = GgufFile.open(corpus.get(name))) {
                String checks =
                        new GgufInspector(4).json(f, name).get("llamaChecks").asText();
                assertTrue(checks.startsWith("FAILED: "), name + ": " + checks);
                StringWriter text = new StringWriter();
                new GgufInspector(4).printText(f, name, new PrintWriter(text));
                assertTrue(text.toString().contains("llama.cpp checks: FAILED"), name);
            }
        }
    }

    @Test
    void harmlessNeighboursPass() throws Exception {
        try (GgufFile base = GgufFile.open(SharedFiles.stories260K())) {
            for (GgmlType t : List.of(GgmlType.F16, GgmlType.BF16)) {
                Path p = tmp.resolve("attn_q-" + t.ggmlName() + ".gguf");
                CrashCorpus.retype(base, "blk.0.attn_q.weight", t, p);
                passes(p);
            }
            List<Path> ok = CrashCorpus.split(base, tmp.resolve("ok"), "m", 3, Map.of());
            passes(ok.get(0));
            // a later shard is refused when loaded first, a missing shard is named
            assertTrue(refusal(ok.get(1)).contains("load a split model from its first shard"));
            java.nio.file.Files.delete(ok.get(2));
            String missing = refusal(ok.get(0));
            assertTrue(missing.contains("shard 3 (" + ok.get(2) + ") does not exist"), missing);
            List<Path> wrongCount = CrashCorpus.split(
                    base,
                    tmp.resolve("count"),
                    "m",
                    2,
                    Map.of(0, Map.of(GgufValidator.SPLIT_TENSORS_COUNT, GgufValue.int32(7))));
            assertTrue(
                    refusal(wrongCount.get(0)).contains("'split.tensors.count' is 7 but the 2 shards hold 48 tensors"));
            List<Path> badName = CrashCorpus.split(base, tmp.resolve("name"), "m", 2, Map.of());
            Path renamed = badName.get(0).resolveSibling("model.gguf");
            java.nio.file.Files.move(badName.get(0), renamed);
            assertTrue(refusal(renamed).contains("its name does not end in '-00001-of-00002.gguf'"));
        }
    }
}
