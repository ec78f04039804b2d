package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Records every graph node a tap can see in one decode of stories260K (4 tokens, flash attention off): the name with
 * the layer number replaced by L, the op and the shape. Writes the table README's "Tensor names" section shows to
 * runtime/target/tensor-names-llama.md, and checks the nodes the rankers rely on.
 */
class TensorNamesTest {
  @Test
  void llamaGraphHasTheDocumentedNodes() throws IOException {
    Map<String, String> rows = new LinkedHashMap<>();
    try (Model m = Llama.load().loadModel(TestModels.stories260K());
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
    StringBuilder md = new StringBuilder("| name | op | ne (layer 0 of stories260K, 4 tokens, n_kv 256) | type |\n");
    md.append("|---|---|---|---|\n");
    rows.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    Path out = Path.of("target", "tensor-names-llama.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    for (String need : new String[] {
        "kq_soft_max-L | SOFT_MAX", "Qcur-L | ROPE", "Kcur-L | ROPE", "Vcur-L | MUL_MAT", "l_out-L | ADD",
        "attn_norm-L | MUL", "ffn_out-L | MUL_MAT", "result_norm | MUL", "result_output | MUL_MAT"}) {
      assertTrue(rows.containsKey(need), "missing node " + need + " in:\n" + md);
    }
    assertTrue(rows.get("kq_soft_max-L | SOFT_MAX").startsWith("[256, 4, 8, 1]"), rows.toString());
  }
}
