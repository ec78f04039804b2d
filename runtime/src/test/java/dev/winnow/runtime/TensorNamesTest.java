package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.synth.Architecture;
import dev.winnow.models.synth.SynthSpec;
import dev.winnow.models.synth.SyntheticModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records every graph node a tap can see in one decode (4 tokens, flash attention off): the name with the layer number
 * replaced by L, the op and the shape, for llama (stories260K) and qwen2 (a small synthetic model). Writes the tables
 * docs/modules/runtime.md shows to runtime/target/tensor-names-ARCH.md, and checks the nodes the rankers use.
 */
class TensorNamesTest {
    @TempDir
    Path tmp;

    /** Every node of one 4-token decode as "name-L | op" -> "ne | type", first occurrence; written to target/. */
    static Map<String, String> nodes(Path model, String arch) throws IOException {
        Map<String, String> rows = new LinkedHashMap<>();
        try (Model m = Llama.load().loadModel(model);
                Context c = m.newContext(ContextOptions.defaults()
                        .withContextSize(256)
                        .withThreads(1)
                        .withFlashAttention(FlashAttention.DISABLED)
                        .withTaps(true));
                Batch b = Batch.allocate(8, 1)) {
            c.taps().tap(TensorSelector.name("*"), v -> {
                String key = v.name().replaceAll("-\\d+", "-L").replaceAll("_l\\d+", "_lL") + " | " + v.op();
                if (v.layer() <= 0 || v.name().startsWith("result")) {
                    rows.putIfAbsent(key, Arrays.toString(v.shape()) + " | " + v.type());
                }
            });
            b.addSequence(m.vocabulary().tokenize("Once upon a"), 0, 0, true);
            c.decode(b);
        }
        StringBuilder md = new StringBuilder("| name | op | ne (layer 0, 4 tokens, n_kv 256) | type |\n");
        md.append("|---|---|---|---|\n");
        rows.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        Path out = Path.of("target", "tensor-names-" + arch + ".md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md);
        return rows;
    }

    @Test
    void llamaGraphHasTheDocumentedNodes() throws IOException {
        Map<String, String> rows = nodes(TestModels.stories260K(), "llama");
        String md = rows.toString();
        for (String need : new String[] {
            "kq_soft_max-L | SOFT_MAX",
            "Qcur-L | ROPE",
            "Kcur-L | ROPE",
            "Vcur-L | MUL_MAT",
            "l_out-L | ADD",
            "attn_norm-L | MUL",
            "ffn_out-L | MUL_MAT",
            "result_norm | MUL",
            "result_output | MUL_MAT"
        }) {
            assertTrue(rows.containsKey(need), "missing node " + need + " in:\n" + md);
        }
        assertTrue(rows.get("kq_soft_max-L | SOFT_MAX").startsWith("[256, 4, 8, 1]"), rows.toString());
        assertFalse(rows.containsKey("Qcur-L | ADD"), "llama has no Q bias");
    }

    @Test
    void qwen2GraphAddsQkvBiases() throws IOException {
        // a small synthetic qwen2 (the models module's generator) with stories260K's tokenizer
        Path f = tmp.resolve("qwen2-tiny.gguf");
        SyntheticModel.write(
                new SynthSpec(Architecture.QWEN2, 2, 64, 4, 2, 128, 0, GgmlType.F32, 1, 512, true),
                TestModels.stories260K(),
                f);
        Map<String, String> rows = nodes(f, "qwen2");
        for (String need : new String[] {
            "Qcur-L | ADD",
            "Kcur-L | ADD",
            "Vcur-L | ADD",
            "Qcur-L | ROPE",
            "Kcur-L | ROPE",
            "kq_soft_max-L | SOFT_MAX",
            "l_out-L | ADD",
            "result_output | MUL_MAT"
        }) {
            assertTrue(rows.containsKey(need), "missing node " + need + " in " + rows.keySet());
        }
        assertTrue(rows.get("kq_soft_max-L | SOFT_MAX").startsWith("[256, 4, 4, 1]"), rows.toString());
    }
}
