package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA adapters and control vectors on stories260K, checked against a Java computation of their effect. */
class AdaptersTest {
    static final int EMBD = 64;
    static final int VOCAB = 512;
    static final int RANK = 4;
    static Model model;
    static int[] tokens;

    @TempDir
    static Path dir;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(TestModels.stories260K());
        tokens = model.vocabulary().tokenize("Once upon a time there was a dog");
    }

    @AfterAll
    static void free() {
        model.close();
    }

    static Context context() {
        return model.newContext(ContextOptions.defaults()
                .withContextSize(256)
                .withThreads(1)
                .withFlashAttention(FlashAttention.DISABLED)
                .withKvTypes(GgmlType.F32, GgmlType.F32)
                .withTaps(true));
    }

    /** Decodes the tokens into an empty cache; returns the last logits and the last token's result_norm. */
    static float[][] run(Context c) {
        List<float[]> norm = new ArrayList<>();
        try (Batch b = Batch.allocate(64, 1);
                Taps.Subscription s =
                        c.taps().tap(TensorSelector.name("result_norm"), v -> norm.add(v.toFloatArray()))) {
            c.kvCache().clear(true);
            b.addSequence(tokens, 0, 0, true);
            c.decode(b);
            return new float[][] {c.logitsCopy(-1), norm.get(0)};
        }
    }

    /** A LoRA for output.weight (ne [64, 512]) with lora_a ne [64, r] and lora_b ne [r, 512], alpha = r. */
    static Path writeLora(String name, float[] a, float[] b, String arch) throws Exception {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", arch);
        w.putString("general.type", "adapter");
        w.putString("adapter.type", "lora");
        w.putFloat32("adapter.lora.alpha", RANK);
        w.addTensor("output.weight.lora_a", GgmlType.F32, new long[] {EMBD, RANK}, a);
        w.addTensor("output.weight.lora_b", GgmlType.F32, new long[] {RANK, VOCAB}, b);
        Path f = dir.resolve(name);
        w.write(f);
        return f;
    }

    @Test
    void loraOnTheOutputMatrixAddsScaleTimesBAh() throws Exception {
        Random r = new Random(11);
        float[] a = new float[EMBD * RANK];
        float[] b = new float[RANK * VOCAB];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian() * 0.2f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian() * 0.2f;
        }
        try (Context c = context();
                LoraAdapter lora = model.loadLora(writeLora("out.gguf", a, b, "llama"))) {
            float[][] base = run(c);
            float scale = 0.5f;
            c.setLoraAdapters(Map.of(lora, scale));
            float[][] adapted = run(c);
            assertArrayEquals(base[1], adapted[1], "the hidden state before the output matrix is unchanged");
            float[] h = base[1];
            float[] ah = new float[RANK];
            for (int k = 0; k < RANK; k++) {
                for (int i = 0; i < EMBD; i++) {
                    ah[k] += a[i + k * EMBD] * h[i];
                }
            }
            for (int j = 0; j < VOCAB; j++) {
                float delta = 0;
                for (int k = 0; k < RANK; k++) {
                    delta += b[k + j * RANK] * ah[k];
                }
                assertEquals(base[0][j] + scale * delta, adapted[0][j], 1e-3, "logit " + j);
            }
            c.setLoraAdapters(Map.of());
            assertArrayEquals(base[0], run(c)[0], "removing the adapter restores the logits exactly");
        }
    }

    @Test
    void badAdaptersAreRefused() throws Exception {
        float[] a = new float[EMBD * RANK];
        float[] b = new float[RANK * VOCAB];
        Throwable e = assertThrows(LlamaException.class, () -> model.loadLora(writeLora("bert.gguf", a, b, "bert")));
        assertTrue(e.getMessage().contains("refused LoRA adapter"), e.getMessage());
        assertTrue(
                e.getMessage().contains("llama.cpp: ") && e.getMessage().contains("model arch and LoRA arch mismatch"),
                e.getMessage());
        assertThrows(
                dev.winnow.runtime.model.InvalidModelException.class, () -> model.loadLora(dir.resolve("none.gguf")));
    }

    @Test
    void controlVectorIsAddedToTheLayerOutput() {
        int layers = model.layerCount();
        float[] v = new float[EMBD * (layers - 1)];
        Random r = new Random(5);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        try (Context c = context()) {
            List<float[]> plain = new ArrayList<>();
            List<float[]> steered = new ArrayList<>();
            float[] base;
            try (var s = c.taps().tap(TensorSelector.name("l_out-2"), t -> plain.add(t.toFloatArray()))) {
                base = run(c)[0];
            }
            c.setControlVector(v, 2, 3);
            try (var s = c.taps().tap(TensorSelector.name("l_out-2"), t -> steered.add(t.toFloatArray()))) {
                float[] changed = run(c)[0];
                assertTrue(Math.abs(changed[10] - base[10]) + Math.abs(changed[100] - base[100]) > 1e-3);
            }
            // l_out-2 is [n_embd, n_tokens]: each token's row moved by layer 2's vector, v[(2 - 1) * n_embd + d]
            float[] p = plain.get(0);
            float[] q = steered.get(0);
            for (int t = 0; t < tokens.length; t++) {
                for (int d = 0; d < EMBD; d++) {
                    assertEquals(p[t * EMBD + d] + v[EMBD + d], q[t * EMBD + d], 1e-4, "token " + t + " dim " + d);
                }
            }
            c.clearControlVector();
            assertArrayEquals(base, run(c)[0]);
            assertThrows(IllegalArgumentException.class, () -> c.setControlVector(new float[3], 1, 1));
            assertThrows(IllegalArgumentException.class, () -> c.setControlVector(v, 0, 2));
        }
    }
}
