package dev.winnow.models.onnx;

/**
 * The hyperparameters of a BERT encoder, as read off its ONNX graph.
 *
 * @param layers number of transformer layers (6 for all-MiniLM-L6-v2, 12 for bge-small-en-v1.5)
 * @param embd hidden size (384 for both)
 * @param heads attention heads per layer (12 for both)
 * @param feedForward feed-forward inner size (1536 for both)
 * @param vocabSize rows of the word-embedding matrix (30522)
 * @param contextLength rows of the position-embedding matrix: the longest input in tokens, [CLS] and [SEP] included
 *     (512)
 * @param tokenTypes rows of the token-type embedding matrix (2)
 * @param layerNormEps the epsilon added to the variance in every LayerNorm (1e-12 for both)
 */
public record BertConfig(
        int layers,
        int embd,
        int heads,
        int feedForward,
        int vocabSize,
        int contextLength,
        int tokenTypes,
        float layerNormEps) {}
