package dev.winnow.models.synth;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufTensorInfo;
import dev.winnow.models.gguf.GgufValue;
import dev.winnow.models.gguf.GgufValueType;
import dev.winnow.models.gguf.GgufWriter;
import dev.winnow.models.gguf.TensorData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a decoder-only model with seeded random weights in the GGUF layout llama.cpp loads for the {@code llama} and
 * {@code qwen2} architectures: the same tensors, shapes and metadata as a real model of that shape, so a forward pass
 * costs what the real model's does (the cost does not depend on the weights' values).
 *
 * <p>Weights: every matrix of shape {@code [fan_in, fan_out]} (ggml order) is drawn from a normal distribution with
 * mean 0 and standard deviation {@code 1/sqrt(fan_in)} (so each projection keeps unit-scale activations), norm weights
 * are 1, Q/K/V biases (qwen2) normal with standard deviation 0.02. Each tensor has its own random stream, seeded from
 * the spec's seed and the tensor's name: the same spec writes the same bytes.
 *
 * <p>Tokenizer: every {@code tokenizer.*} key of the vocabulary file is copied. When the spec asks for more tokens,
 * the per-token arrays are padded: tokens {@code <synth_N>} ({@code N} the token id), score -1000, type 1 (normal).
 *
 * <p>Tensors (per block {@code i}): {@code token_embd.weight [embd, vocab]}, {@code output_norm.weight [embd]},
 * {@code output.weight [embd, vocab]} (unless tied), {@code blk.i.attn_norm.weight [embd]},
 * {@code blk.i.attn_q.weight [embd, heads*head_dim]}, {@code blk.i.attn_k.weight} and {@code blk.i.attn_v.weight
 * [embd, kv_heads*head_dim]}, qwen2 only {@code blk.i.attn_{q,k,v}.bias}, {@code blk.i.attn_output.weight
 * [heads*head_dim, embd]}, {@code blk.i.ffn_norm.weight [embd]}, {@code blk.i.ffn_gate.weight} and
 * {@code blk.i.ffn_up.weight [embd, ff]}, {@code blk.i.ffn_down.weight [ff, embd]} (as
 * {@code llama_model_llama::load_arch_tensors} and {@code llama_model_qwen2::load_arch_tensors} of llama.cpp expect).
 */
public final class SyntheticModel {
    /** Prefix of the padding tokens' text. */
    public static final String SYNTHETIC_TOKEN_PREFIX = "<synth_";

    private SyntheticModel() {}

    /**
     * Builds the writer for a synthetic model; nothing is generated until {@link GgufWriter#write} runs (then one row at
     * a time). {@code vocab} must stay open until then.
     *
     * @param spec the model's shape
     * @param vocab a GGUF file with {@code tokenizer.ggml.tokens} (and usually scores and token types)
     * @return a writer holding the metadata and tensors
     * @throws IllegalArgumentException if the vocabulary file has no tokens, or more tokens than {@code spec.vocabSize}
     */
    public static GgufWriter writer(SynthSpec spec, GgufFile vocab) {
        GgufValue tokens = vocab.value("tokenizer.ggml.tokens")
                .orElseThrow(() -> new IllegalArgumentException(
                        vocab.path() + " has no tokenizer.ggml.tokens: it cannot give a vocabulary"));
        int nFile = tokens.asList().size();
        int nVocab = spec.vocabSize() == 0 ? nFile : spec.vocabSize();
        if (nVocab < nFile) {
            throw new IllegalArgumentException("vocab size " + nVocab + " is smaller than the " + nFile + " tokens of "
                    + vocab.path() + " (padding only adds tokens)");
        }
        String a = spec.arch().ggufName();
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", a);
        w.putString(
                "general.name", "synthetic " + a + " " + spec.layers() + "x" + spec.embd() + " seed " + spec.seed());
        w.putUint32("general.file_type", fileType(spec.type()));
        w.putUint32(a + ".context_length", spec.contextLength());
        w.putUint32(a + ".embedding_length", spec.embd());
        w.putUint32(a + ".block_count", spec.layers());
        w.putUint32(a + ".feed_forward_length", spec.ff());
        w.putUint32(a + ".attention.head_count", spec.heads());
        w.putUint32(a + ".attention.head_count_kv", spec.kvHeads());
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", spec.arch().rmsEps());
        w.putFloat32(a + ".rope.freq_base", spec.arch().ropeFreqBase());
        w.putUint32(a + ".rope.dimension_count", spec.headDim());
        w.putUint32(a + ".vocab_size", nVocab);
        for (Map.Entry<String, GgufValue> e : vocab.metadata().entrySet()) {
            if (e.getKey().startsWith("tokenizer.")) {
                w.put(e.getKey(), pad(e.getKey(), e.getValue(), nFile, nVocab));
            }
        }
        addTensors(w, spec, nVocab);
        return w;
    }

    /**
     * Writes a synthetic model (temporary file, then atomic rename).
     *
     * @param spec the model's shape
     * @param vocabFile a GGUF file to take the tokenizer from
     * @param out the output file
     * @return the tensors written
     * @throws IOException if a file cannot be read or written
     */
    public static List<GgufTensorInfo> write(SynthSpec spec, Path vocabFile, Path out) throws IOException {
        try (GgufFile vocab = GgufFile.open(vocabFile)) {
            GgufWriter w = writer(spec, vocab);
            w.write(out);
            return w.tensors();
        }
    }

    /**
     * @param spec a shape
     * @param nVocab tokens
     * @return the number of weights (every tensor's element count)
     */
    public static long parameterCount(SynthSpec spec, long nVocab) {
        long e = spec.embd();
        long q = (long) spec.heads() * spec.headDim();
        long kv = (long) spec.kvHeads() * spec.headDim();
        long perLayer = e + e * q + 2 * e * kv + q * e + e + 3 * e * spec.ff();
        if (spec.arch().qkvBias()) {
            perLayer += q + 2 * kv;
        }
        return nVocab * e * (spec.tiedEmbeddings() ? 1 : 2) + e + spec.layers() * perLayer;
    }

    private static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("no llama file type for " + t);
        };
    }

    private static GgufValue pad(String key, GgufValue v, int nFile, int nVocab) {
        if (nVocab == nFile || v.type() != GgufValueType.ARRAY || v.asList().size() != nFile) {
            return v;
        }
        List<Object> out = new ArrayList<>(nVocab);
        out.addAll(v.asList());
        for (int id = nFile; id < nVocab; id++) {
            out.add(
                    switch (key) {
                        case "tokenizer.ggml.tokens" -> SYNTHETIC_TOKEN_PREFIX + id + ">";
                        case "tokenizer.ggml.scores" -> -1000f;
                        case "tokenizer.ggml.token_type" -> 1;
                        default ->
                            throw new IllegalArgumentException(
                                    "cannot pad the per-token array '" + key + "' of the vocabulary file");
                    });
        }
        return GgufValue.array(v.elementType(), out);
    }

    private static void addTensors(GgufWriter w, SynthSpec spec, int nVocab) {
        long e = spec.embd();
        long q = (long) spec.heads() * spec.headDim();
        long kv = (long) spec.kvHeads() * spec.headDim();
        GgmlType t = spec.type();
        matrix(w, spec, "token_embd.weight", t, e, nVocab);
        ones(w, "output_norm.weight", e);
        if (!spec.tiedEmbeddings()) {
            matrix(w, spec, "output.weight", t, e, nVocab);
        }
        for (int i = 0; i < spec.layers(); i++) {
            String b = "blk." + i + ".";
            ones(w, b + "attn_norm.weight", e);
            matrix(w, spec, b + "attn_q.weight", t, e, q);
            matrix(w, spec, b + "attn_k.weight", t, e, kv);
            matrix(w, spec, b + "attn_v.weight", t, e, kv);
            if (spec.arch().qkvBias()) {
                bias(w, spec, b + "attn_q.bias", q);
                bias(w, spec, b + "attn_k.bias", kv);
                bias(w, spec, b + "attn_v.bias", kv);
            }
            matrix(w, spec, b + "attn_output.weight", t, q, e);
            ones(w, b + "ffn_norm.weight", e);
            matrix(w, spec, b + "ffn_gate.weight", t, e, spec.ff());
            matrix(w, spec, b + "ffn_up.weight", t, e, spec.ff());
            matrix(w, spec, b + "ffn_down.weight", t, spec.ff(), e);
        }
    }

    private static void matrix(GgufWriter w, SynthSpec spec, String name, GgmlType type, long fanIn, long fanOut) {
        long[] shape = {fanIn, fanOut};
        w.addTensor(
                name,
                type,
                shape,
                TensorData.generate(
                        type, shape, new GaussianRows(tensorSeed(spec.seed(), name), 1 / Math.sqrt(fanIn))));
    }

    private static void bias(GgufWriter w, SynthSpec spec, String name, long n) {
        long[] shape = {n};
        w.addTensor(
                name,
                GgmlType.F32,
                shape,
                TensorData.generate(GgmlType.F32, shape, new GaussianRows(tensorSeed(spec.seed(), name), 0.02)));
    }

    private static void ones(GgufWriter w, String name, long n) {
        long[] shape = {n};
        w.addTensor(
                name, GgmlType.F32, shape, TensorData.generate(GgmlType.F32, shape, (row, v) -> Arrays.fill(v, 1f)));
    }

    static long tensorSeed(long seed, String name) {
        return seed * 0x9E3779B97F4A7C15L + name.hashCode();
    }

    /** Rows of normal(0, std) values from a stream that restarts at row 0, so each write gives the same values. */
    private static final class GaussianRows implements TensorData.RowSource {
        private final long seed;
        private final double std;
        private SplittableRandom rnd;

        GaussianRows(long seed, double std) {
            this.seed = seed;
            this.std = std;
        }

        @Override
        public void fill(long row, float[] values) {
            if (row == 0 || rnd == null) {
                rnd = new SplittableRandom(seed);
            }
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (rnd.nextGaussian() * std);
            }
        }
    }
}
