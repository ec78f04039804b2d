package dev.winnow.runtime;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.models.gguf.Pooling;

/**
 * How to create a context ({@code struct llama_context_params}). Start from {@link #defaults()} and change what you
 * need with the {@code with...} methods.
 *
 * @param contextSize n_ctx: KV cache cells (tokens) for all sequences; 0 takes the model's training context
 * @param batchSize n_batch: the most tokens one {@link Context#decode} call may take
 * @param ubatchSize n_ubatch: the physical batch llama.cpp computes at once (&lt;= batchSize); an encoder's whole
 *     input must fit in one ubatch
 * @param maxSequences n_seq_max: distinct sequence ids, 1..256
 * @param threads n_threads for single-token decoding; defaults to the cores the JVM can use (llama.cpp's own default
 *     of 4 spin-waits and is about 1000x slower on a 2-core machine)
 * @param batchThreads n_threads_batch for prompt processing
 * @param flashAttention flash attention mode; taps of {@code kq_soft_max-L} need {@link FlashAttention#DISABLED}
 * @param typeK KV cache type of K
 * @param typeV KV cache type of V (quantized V needs flash attention)
 * @param kvUnified one KV buffer shared by all sequences (needed to let a token attend to another sequence's cells)
 * @param embeddings compute embeddings (per token or pooled) as well as logits
 * @param pooling pooling of embeddings
 * @param taps install the eval callback so that {@link Context#taps()} can observe and edit tensors; off by default
 *     because llama.cpp then asks Java about every graph node
 */
public record ContextOptions(
        int contextSize,
        int batchSize,
        int ubatchSize,
        int maxSequences,
        int threads,
        int batchThreads,
        FlashAttention flashAttention,
        GgmlType typeK,
        GgmlType typeV,
        boolean kvUnified,
        boolean embeddings,
        Pooling pooling,
        boolean taps) {

    /** LLAMA_MAX_SEQ of llama.cpp. */
    public static final int MAX_SEQUENCES = 256;

    /**
     * @throws IllegalArgumentException naming the field and the limit it breaks
     */
    public ContextOptions {
        if (contextSize < 0) {
            throw new IllegalArgumentException("contextSize must be >= 0 (0 = the model's), got " + contextSize);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (ubatchSize < 1 || ubatchSize > batchSize) {
            throw new IllegalArgumentException(
                    "ubatchSize must be in [1, batchSize=" + batchSize + "], got " + ubatchSize);
        }
        if (maxSequences < 1 || maxSequences > MAX_SEQUENCES) {
            throw new IllegalArgumentException("maxSequences must be in [1, 256], got " + maxSequences);
        }
        if (threads < 1 || batchThreads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads + " / " + batchThreads);
        }
        if (flashAttention == null || typeK == null || typeV == null || pooling == null) {
            throw new IllegalArgumentException("flashAttention, typeK, typeV and pooling must not be null");
        }
    }

    /**
     * @return n_ctx 512, n_batch 512, n_ubatch 512, one sequence, as many threads as the JVM has processors, flash
     *     attention AUTO, F16 KV cache, unified KV, no embeddings, model pooling, no taps
     */
    public static ContextOptions defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ContextOptions(
                512,
                512,
                512,
                1,
                cores,
                cores,
                FlashAttention.AUTO,
                GgmlType.F16,
                GgmlType.F16,
                true,
                false,
                Pooling.MODEL,
                false);
    }

    /**
     * @param n n_ctx (0 = the model's training context)
     * @return a copy
     */
    public ContextOptions withContextSize(int n) {
        return new ContextOptions(
                n,
                batchSize,
                ubatchSize,
                maxSequences,
                threads,
                batchThreads,
                flashAttention,
                typeK,
                typeV,
                kvUnified,
                embeddings,
                pooling,
                taps);
    }

    /**
     * Sets n_batch and n_ubatch together.
     *
     * @param n tokens per decode call
     * @return a copy
     */
    public ContextOptions withBatchSize(int n) {
        return new ContextOptions(
                contextSize,
                n,
                n,
                maxSequences,
                threads,
                batchThreads,
                flashAttention,
                typeK,
                typeV,
                kvUnified,
                embeddings,
                pooling,
                taps);
    }

    /**
     * @param n n_ubatch
     * @return a copy
     */
    public ContextOptions withUbatchSize(int n) {
        return new ContextOptions(
                contextSize,
                batchSize,
                n,
                maxSequences,
                threads,
                batchThreads,
                flashAttention,
                typeK,
                typeV,
                kvUnified,
                embeddings,
                pooling,
                taps);
    }

    /**
     * @param n n_seq_max
     * @return a copy
     */
    public ContextOptions withMaxSequences(int n) {
        return new ContextOptions(
                contextSize,
                batchSize,
                ubatchSize,
                n,
                threads,
                batchThreads,
                flashAttention,
                typeK,
                typeV,
                kvUnified,
                embeddings,
                pooling,
                taps);
    }

    /**
     * Sets n_threads and n_threads_batch together.
     *
     * @param n threads
     * @return a copy
     */
    public ContextOptions withThreads(int n) {
        return new ContextOptions(
                contextSize,
                batchSize,
                ubatchSize,
                maxSequences,
                n,
                n,
                flashAttention,
                typeK,
                typeV,
                kvUnified,
                embeddings,
                pooling,
                taps);
    }

    /**
     * @param mode flash attention mode
     * @return a copy
     */
    public ContextOptions withFlashAttention(FlashAttention mode) {
        return new ContextOptions(
                contextSize,
                batchSize,
                ubatchSize,
                maxSequences,
                threads,
                batchThreads,
                mode,
                typeK,
                typeV,
                kvUnified,
                embeddings,
                pooling,
                taps);
    }

    /**
     * @param k K cache type
     * @param v V cache type
     * @return a copy
     */
    public ContextOptions withKvTypes(GgmlType k, GgmlType v) {
        return new ContextOptions(
                contextSize,
                batchSize,
                ubatchSize,
                maxSequences,
                threads,
                batchThreads,
                flashAttention,
                k,
                v,
                kvUnified,
                embeddings,
                pooling,
                taps);
    }

    /**
     * @param on one KV buffer for all sequences
     * @return a copy
     */
    public ContextOptions withKvUnified(boolean on) {
        return new ContextOptions(
                contextSize,
                batchSize,
                ubatchSize,
                maxSequences,
                threads,
                batchThreads,
                flashAttention,
                typeK,
                typeV,
                on,
                embeddings,
                pooling,
                taps);
    }

    /**
     * @param on compute embeddings
     * @param mode pooling
     * @return a copy
     */
    public ContextOptions withEmbeddings(boolean on, Pooling mode) {
        return new ContextOptions(
                contextSize,
                batchSize,
                ubatchSize,
                maxSequences,
                threads,
                batchThreads,
                flashAttention,
                typeK,
                typeV,
                kvUnified,
                on,
                mode,
                taps);
    }

    /**
     * @param on install the eval callback for taps and interventions
     * @return a copy
     */
    public ContextOptions withTaps(boolean on) {
        return new ContextOptions(
                contextSize,
                batchSize,
                ubatchSize,
                maxSequences,
                threads,
                batchThreads,
                flashAttention,
                typeK,
                typeV,
                kvUnified,
                embeddings,
                pooling,
                on);
    }
}
