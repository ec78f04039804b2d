package dev.winnow.models.convert;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.GgufWriter;
import dev.winnow.models.gguf.Pooling;
import dev.winnow.models.gguf.TensorData;
import dev.winnow.models.onnx.BertConfig;
import dev.winnow.models.onnx.BertOnnxMapping;
import dev.winnow.models.onnx.BertTensor;
import dev.winnow.models.onnx.OnnxFormatException;
import dev.winnow.models.onnx.OnnxGraph;
import dev.winnow.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Converts a BERT encoder exported to ONNX, with its WordPiece {@code tokenizer.json}, into a GGUF file that
 * llama.cpp loads as architecture {@code bert} (an embedding model).
 *
 * <p>What is written follows llama.cpp's own converter ({@code convert_hf_to_gguf.py}, BertModel) and was checked
 * against llama.cpp v0.5.0: {@code bert.*} hyperparameters (context length, embedding and feed-forward sizes, block
 * and head counts, LayerNorm epsilon, {@code attention.causal = false}, pooling type); tokenizer model {@code bert}
 * with the phantom-space vocabulary ({@link BertVocabulary}), token type count, BOS = CLS = [CLS], EOS = SEP = [SEP],
 * UNK, PAD and MASK ids, add BOS and EOS, and the normalizer's lowercase and strip-accents flags; tensors as mapped by
 * {@link BertOnnxMapping} (MatMul weights transposed to one row per output feature).
 *
 * <p>Weight types: norms, biases, position and token-type embeddings are always F32; the projection matrices and the
 * token embeddings take {@link Options#weightType()} (F32, F16 or Q8_0). Tensors are decoded from ONNX one at a time
 * while the file is written, and the file appears atomically (temporary file, then rename).
 */
public final class OnnxToGguf {
    private OnnxToGguf() {}

    /**
     * Conversion settings.
     *
     * @param name the model's name, stored as {@code general.name}
     * @param pooling how llama.cpp pools token states into one embedding
     * @param weightType F32, F16 or Q8_0 for the large matrices
     */
    public record Options(String name, Pooling pooling, GgmlType weightType) {
        /**
         * @throws IllegalArgumentException if the pooling is not NONE, MEAN, CLS or LAST (a BERT encoder has no
         *     classification head for RANK, and MODEL is not a value a file can store), or the weight type is not F32, F16
         *     or Q8_0
         */
        public Options {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(pooling, "pooling");
            if (pooling == Pooling.MODEL || pooling == Pooling.RANK) {
                throw new IllegalArgumentException("pooling must be none, mean, cls or last, got " + pooling);
            }
            if (weightType != GgmlType.F32 && weightType != GgmlType.F16 && weightType != GgmlType.Q8_0) {
                throw new IllegalArgumentException(
                        "weight type must be f32, f16 or q8_0, got " + weightType.ggmlName());
            }
        }
    }

    /**
     * Converts and writes the GGUF file.
     *
     * @param graph the ONNX graph of a BERT encoder
     * @param tokenizer its tokenizer; its vocabulary size must equal the word-embedding rows
     * @param options name, pooling and weight type
     * @param target the output file; its directory is created; an existing file is replaced atomically
     * @return the mapped hyperparameters
     * @throws OnnxFormatException if the graph is not a BERT encoder this converter understands, or the vocabulary does
     *     not match the embeddings
     * @throws IOException if the file cannot be written
     */
    public static BertConfig convert(OnnxGraph graph, WordPieceTokenizer tokenizer, Options options, Path target)
            throws IOException {
        BertOnnxMapping mapping = BertOnnxMapping.of(graph);
        GgufWriter w = writer(mapping, tokenizer, options);
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        try {
            w.write(abs);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return mapping.config();
    }

    /**
     * Builds the writer (metadata and lazily decoded tensors) without writing.
     *
     * @param mapping the mapped graph
     * @param tokenizer the tokenizer
     * @param options conversion settings
     * @return a writer ready to {@link GgufWriter#write(Path)}
     * @throws OnnxFormatException if the vocabulary does not match the embeddings
     */
    public static GgufWriter writer(BertOnnxMapping mapping, WordPieceTokenizer tokenizer, Options options)
            throws OnnxFormatException {
        BertConfig c = mapping.config();
        if (tokenizer.vocabularySize() != c.vocabSize()) {
            throw new OnnxFormatException(
                    "tokenizer",
                    "has " + tokenizer.vocabularySize() + " tokens, the model's word embeddings have " + c.vocabSize()
                            + " rows");
        }
        String arch = "bert";
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", arch);
        w.putString("general.name", options.name());
        w.putUint32("general.file_type", fileType(options.weightType()));
        w.putUint32(arch + ".context_length", c.contextLength());
        w.putUint32(arch + ".embedding_length", c.embd());
        w.putUint32(arch + ".feed_forward_length", c.feedForward());
        w.putUint32(arch + ".block_count", c.layers());
        w.putUint32(arch + ".attention.head_count", c.heads());
        w.putFloat32(arch + ".attention.layer_norm_epsilon", c.layerNormEps());
        w.putBool(arch + ".attention.causal", false);
        w.putUint32(arch + ".pooling_type", options.pooling().id());

        BertVocabulary vocab = BertVocabulary.of(tokenizer);
        w.putString("tokenizer.ggml.model", "bert");
        w.putUint32("tokenizer.ggml.token_type_count", c.tokenTypes());
        w.putStringArray("tokenizer.ggml.tokens", vocab.tokens());
        w.putInt32Array("tokenizer.ggml.token_type", vocab.types());
        w.putUint32("tokenizer.ggml.bos_token_id", tokenizer.clsId());
        // no eos_token_id: a BERT encoder generates nothing, and llama.cpp closes its inputs with the separator. A
        // declared
        // end-of-sequence token that is no end-of-generation token makes llama.cpp warn at every load ("special_eos_id
        // is
        // not in special_eog_ids"), and the EOG list is built from token texts ([SEP] is not one), so none is declared.
        w.putUint32("tokenizer.ggml.unknown_token_id", tokenizer.unkId());
        w.putUint32("tokenizer.ggml.seperator_token_id", tokenizer.sepId());
        w.putUint32("tokenizer.ggml.cls_token_id", tokenizer.clsId());
        putIfPresent(w, tokenizer, "tokenizer.ggml.padding_token_id", "[PAD]");
        putIfPresent(w, tokenizer, "tokenizer.ggml.mask_token_id", "[MASK]");
        w.putBool("tokenizer.ggml.add_bos_token", true);
        w.putBool("tokenizer.ggml.add_eos_token", true);
        w.putBool("tokenizer.ggml.normalizer.lowercase", tokenizer.lowercase());
        w.putBool("tokenizer.ggml.normalizer.strip_accents", tokenizer.stripAccents());

        for (BertTensor t : mapping.tensors()) {
            GgmlType type = typeFor(t, options.weightType());
            w.addTensor(t.ggufName(), type, t.ne(), lazy(mapping, t, type));
        }
        return w;
    }

    private static void putIfPresent(GgufWriter w, WordPieceTokenizer tok, String key, String token) {
        for (int id = 0; id < tok.vocabularySize(); id++) {
            if (tok.token(id).equals(token)) {
                w.putUint32(key, id);
                return;
            }
        }
    }

    /** llama_ftype of the file: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7. */
    private static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            default -> throw new IllegalArgumentException(t.ggmlName());
        };
    }

    private static GgmlType typeFor(BertTensor t, GgmlType weightType) {
        String n = t.ggufName();
        boolean matrix = t.ne().length == 2 && (n.startsWith("blk.") || n.equals("token_embd.weight"));
        if (!matrix || t.ne()[0] % weightType.blockSize() != 0) {
            return GgmlType.F32;
        }
        return weightType;
    }

    /** Decodes the ONNX tensor when the writer reaches it, row by row, and lets it go after the last row. */
    private static TensorData lazy(BertOnnxMapping mapping, BertTensor t, GgmlType type) {
        long[] ne = t.ne();
        int rowLen = (int) ne[0];
        long rows = t.elementCount() / rowLen;
        float[][] holder = new float[1][];
        return TensorData.generate(type, ne, (row, dst) -> {
            if (holder[0] == null) {
                try {
                    holder[0] = mapping.load(t);
                } catch (OnnxFormatException e) {
                    throw new UncheckedIOException(e);
                }
            }
            System.arraycopy(holder[0], (int) (row * rowLen), dst, 0, rowLen);
            if (row == rows - 1) {
                holder[0] = null;
            }
        });
    }
}
