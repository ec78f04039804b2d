package dev.winnow.models.synth;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufWriter;
import dev.winnow.models.gguf.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a small BERT encoder ({@code general.architecture = "bert"}) with seeded random weights, in the layout
 * {@code llama_model_bert::load_arch_tensors} of llama.cpp expects (the layout {@code OnnxToGguf} writes for real
 * MiniLM/BGE models): token, token-type and learned position embeddings, an embedding LayerNorm, and per layer Q/K/V
 * and output projections with biases, two LayerNorms and a GELU feed-forward. The position table has
 * {@code contextLength} rows ({@code bert.context_length}); the tests use it to check that a context or a batch past
 * that table is refused.
 *
 * <p>Vocabulary: a WordPiece list of {@code [PAD] [UNK] [CLS] [SEP] [MASK]}, the letters a to z, the digits, and
 * {@code ##}-continuations of the letters.
 */
public final class SyntheticBert {

    private SyntheticBert() {}

    /**
     * @return the WordPiece vocabulary the synthetic encoder uses
     */
    public static List<String> vocabulary() {
        List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char c = 'a'; c <= 'z'; c++) {
            tokens.add(String.valueOf(c));
        }
        for (char c = '0'; c <= '9'; c++) {
            tokens.add(String.valueOf(c));
        }
        for (char c = 'a'; c <= 'z'; c++) {
            tokens.add("##" + c);
        }
        tokens.add(".");
        return tokens;
    }

    /**
     * Builds the writer.
     *
     * @param layers encoder layers, 1 or more
     * @param embd width, a multiple of {@code heads}
     * @param heads attention heads
     * @param ff feed-forward width
     * @param contextLength rows of the position table ({@code bert.context_length})
     * @param seed weight seed
     * @return the writer (tensors generated as it writes)
     * @throws IllegalArgumentException for a shape llama.cpp would not load
     */
    public static GgufWriter writer(int layers, int embd, int heads, int ff, int contextLength, long seed) {
        if (layers < 1 || embd < 1 || heads < 1 || embd % heads != 0 || ff < 1 || contextLength < 1) {
            throw new IllegalArgumentException(
                    "bert shape layers " + layers + ", embd " + embd + ", heads " + heads + ", ff " + ff + ", context "
                            + contextLength + ": expected positive values and heads dividing embd");
        }
        List<String> tokens = vocabulary();
        int[] types = new int[tokens.size()];
        Arrays.fill(types, 1);
        for (int i = 0; i < 5; i++) {
            types[i] = 3;
        }
        GgufWriter w = new GgufWriter();
        String a = "bert";
        w.putString("general.architecture", a);
        w.putString("general.name", "synthetic bert " + layers + "x" + embd + " seed " + seed);
        w.putUint32("general.file_type", 0);
        w.putUint32(a + ".context_length", contextLength);
        w.putUint32(a + ".embedding_length", embd);
        w.putUint32(a + ".feed_forward_length", ff);
        w.putUint32(a + ".block_count", layers);
        w.putUint32(a + ".attention.head_count", heads);
        w.putFloat32(a + ".attention.layer_norm_epsilon", 1e-12f);
        w.putBool(a + ".attention.causal", false);
        w.putUint32(a + ".pooling_type", 1);
        w.putString("tokenizer.ggml.model", "bert");
        w.putUint32("tokenizer.ggml.token_type_count", 2);
        w.putStringArray("tokenizer.ggml.tokens", tokens);
        w.putInt32Array("tokenizer.ggml.token_type", types);
        w.putUint32("tokenizer.ggml.bos_token_id", 2);
        w.putUint32("tokenizer.ggml.eos_token_id", 3);
        w.putUint32("tokenizer.ggml.unknown_token_id", 1);
        w.putUint32("tokenizer.ggml.seperator_token_id", 3);
        w.putUint32("tokenizer.ggml.cls_token_id", 2);
        w.putUint32("tokenizer.ggml.padding_token_id", 0);
        w.putUint32("tokenizer.ggml.mask_token_id", 4);
        w.putBool("tokenizer.ggml.add_bos_token", true);
        w.putBool("tokenizer.ggml.add_eos_token", true);
        matrix(w, seed, "token_embd.weight", embd, tokens.size());
        matrix(w, seed, "position_embd.weight", embd, contextLength);
        matrix(w, seed, "token_types.weight", embd, 2);
        norm(w, "token_embd_norm", embd);
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            linear(w, seed, b + "attn_q", embd, embd);
            linear(w, seed, b + "attn_k", embd, embd);
            linear(w, seed, b + "attn_v", embd, embd);
            linear(w, seed, b + "attn_output", embd, embd);
            norm(w, b + "attn_output_norm", embd);
            linear(w, seed, b + "ffn_up", embd, ff);
            linear(w, seed, b + "ffn_down", ff, embd);
            norm(w, b + "layer_output_norm", embd);
        }
        return w;
    }

    private static void linear(GgufWriter w, long seed, String name, int in, int out) {
        matrix(w, seed, name + ".weight", in, out);
        long[] shape = {out};
        w.addTensor(
                name + ".bias",
                GgmlType.F32,
                shape,
                TensorData.generate(GgmlType.F32, shape, (r, v) -> Arrays.fill(v, 0f)));
    }

    private static void norm(GgufWriter w, String name, int n) {
        long[] shape = {n};
        w.addTensor(
                name + ".weight",
                GgmlType.F32,
                shape,
                TensorData.generate(GgmlType.F32, shape, (r, v) -> Arrays.fill(v, 1f)));
        w.addTensor(
                name + ".bias",
                GgmlType.F32,
                shape,
                TensorData.generate(GgmlType.F32, shape, (r, v) -> Arrays.fill(v, 0f)));
    }

    private static void matrix(GgufWriter w, long seed, String name, int in, int out) {
        long[] shape = {in, out};
        long s = SyntheticModel.tensorSeed(seed, name);
        double std = 1 / Math.sqrt(in);
        w.addTensor(name, GgmlType.F32, shape, TensorData.generate(GgmlType.F32, shape, new TensorData.RowSource() {
            private SplittableRandom rnd;

            @Override
            public void fill(long row, float[] values) {
                if (row == 0 || rnd == null) {
                    rnd = new SplittableRandom(s);
                }
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (rnd.nextGaussian() * std);
                }
            }
        }));
    }
}
