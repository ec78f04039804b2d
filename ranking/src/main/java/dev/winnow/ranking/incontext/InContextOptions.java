package dev.winnow.ranking.incontext;

import dev.winnow.models.gguf.GgmlType;
import dev.winnow.ranking.incontext.prompt.BlockRankLayout;
import dev.winnow.ranking.incontext.prompt.PromptFamily;
import dev.winnow.ranking.incontext.prompt.PromptWording;
import java.util.Objects;

/**
 * Settings of the in-context rankers. Start from {@link #defaults()} and change fields with the {@code with...}
 * methods.
 *
 * @param scoringLayer        0-based layer whose attention is read (BlockRank, listwise); -1 means the default
 *                            {@code n_layer * 5 / 8} (integer division: 20 of 32, as in the BlockRank paper)
 * @param sumOverLayers       score with the sum over all layers of the per-layer scores instead of one layer
 * @param signalTokens        how many last query-block tokens are signal rows (1 or 2), averaged
 * @param documentTokenBudget most content tokens kept per document (384 at evaluation), >= 1
 * @param queryTokenBudget    most tokens kept of the query, >= 1
 * @param batchTokens         tokens per decode (n_batch = n_ubatch), >= 32: documents are packed into batches of
 *                            at most this many tokens
 * @param maxPromptCells      most KV cells one prompt may use (instruction + documents + query); more candidates are
 *                            ranked in windows whose scores are merged (see {@code BlockRankRanker}), >= 256
 * @param earlyExit           stop the graph after the last layer the score needs (documents and query)
 * @param threads             CPU threads for llama.cpp, >= 1
 * @param kvType              KV cache type (F16, or F32 where numbers are compared)
 * @param wording             task, question and answer prefix
 * @param family              prompt family, or null to detect it from the model's chat template
 * @param parallelSequences   sequences decoded side by side (pointwise pairs, BlockRank documents per batch), 1..255
 * @param flashAttention      flash attention on (fast; the default) or off. With it on, llama.cpp casts F32 K and V
 *                            to F16 before its flash-attention kernel ({@code build_attn_mha} in
 *                            {@code src/llama-graph.cpp}), so results are F16-rounded whatever the KV cache type
 *                            (layer-0 attention output off by up to 3e-3 on stories260K, scores by about 1e-3
 *                            relative, against 3e-7 with it off); exact comparisons turn it off
 * @param layout              BlockRank's prompt layout ({@link BlockRankLayout}: the reference code's or the compact
 *                            one), or null to take it from the model ({@link BlockRankLayout#detect}: reference for a
 *                            BlockRank checkpoint, else compact)
 */
public record InContextOptions(
        int scoringLayer,
        boolean sumOverLayers,
        int signalTokens,
        int documentTokenBudget,
        int queryTokenBudget,
        int batchTokens,
        int maxPromptCells,
        boolean earlyExit,
        int threads,
        GgmlType kvType,
        PromptWording wording,
        PromptFamily family,
        int parallelSequences,
        boolean flashAttention,
        BlockRankLayout layout) {

    /** Validates. @throws IllegalArgumentException naming the field and its range */
    public InContextOptions {
        if (scoringLayer < -1) {
            throw new IllegalArgumentException("scoringLayer must be -1 (default) or a 0-based layer: " + scoringLayer);
        }
        if (signalTokens < 1 || signalTokens > 2) {
            throw new IllegalArgumentException("signalTokens must be 1 or 2: " + signalTokens);
        }
        if (documentTokenBudget < 1 || queryTokenBudget < 1) {
            throw new IllegalArgumentException(
                    "token budgets must be >= 1: document " + documentTokenBudget + ", query " + queryTokenBudget);
        }
        if (batchTokens < 32) {
            throw new IllegalArgumentException("batchTokens must be >= 32: " + batchTokens);
        }
        if (maxPromptCells < 256) {
            throw new IllegalArgumentException("maxPromptCells must be >= 256: " + maxPromptCells);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1: " + threads);
        }
        if (parallelSequences < 1 || parallelSequences > 255) {
            throw new IllegalArgumentException("parallelSequences must be in 1..255: " + parallelSequences);
        }
        Objects.requireNonNull(kvType, "kvType");
        Objects.requireNonNull(wording, "wording");
    }

    /**
     * Default layer, one signal token, 384-token documents, 64-token queries, 512-token batches, 32768 cells, early
     * exit on, all cores, F16 KV cache, BlockRank wording, family detected, 64 parallel sequences, flash attention
     * on, BlockRank layout detected from the model.
     */
    public static InContextOptions defaults() {
        return new InContextOptions(
                -1,
                false,
                1,
                384,
                64,
                512,
                32768,
                true,
                Runtime.getRuntime().availableProcessors(),
                GgmlType.F16,
                PromptWording.DEFAULT,
                null,
                64,
                true,
                null);
    }

    /** The scoring layer for a model of {@code nLayer} layers. @throws IllegalArgumentException when out of range */
    public int scoringLayer(int nLayer) {
        int l = scoringLayer < 0 ? nLayer * 5 / 8 : scoringLayer;
        if (l >= nLayer) {
            throw new IllegalArgumentException("scoring layer " + l + " outside the model's 0.." + (nLayer - 1));
        }
        return l;
    }

    /** The layers whose attention is read: the scoring layer, or all when summing over layers. */
    public int[] layers(int nLayer) {
        if (!sumOverLayers) {
            return new int[] {scoringLayer(nLayer)};
        }
        int[] all = new int[nLayer];
        for (int i = 0; i < nLayer; i++) {
            all[i] = i;
        }
        return all;
    }

    /** @return a copy with this scoring layer (-1 = default) */
    public InContextOptions withScoringLayer(int layer) {
        return new InContextOptions(
                layer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                wording,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy summing the score over all layers (or not) */
    public InContextOptions withSumOverLayers(boolean on) {
        return new InContextOptions(
                scoringLayer,
                on,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                wording,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with 1 or 2 signal tokens */
    public InContextOptions withSignalTokens(int n) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                n,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                wording,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with these token budgets */
    public InContextOptions withBudgets(int documentTokens, int queryTokens) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokens,
                queryTokens,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                wording,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with this many tokens per decode */
    public InContextOptions withBatchTokens(int n) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                n,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                wording,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with this many KV cells per prompt */
    public InContextOptions withMaxPromptCells(int n) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                n,
                earlyExit,
                threads,
                kvType,
                wording,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with early exit on or off */
    public InContextOptions withEarlyExit(boolean on) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                on,
                threads,
                kvType,
                wording,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with this many threads */
    public InContextOptions withThreads(int n) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                n,
                kvType,
                wording,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with this KV cache type */
    public InContextOptions withKvType(GgmlType type) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                type,
                wording,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with this wording */
    public InContextOptions withWording(PromptWording w) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                w,
                family,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with this prompt family (null = detect) */
    public InContextOptions withFamily(PromptFamily f) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                wording,
                f,
                parallelSequences,
                flashAttention,
                layout);
    }

    /** @return a copy with flash attention on or off */
    public InContextOptions withFlashAttention(boolean on) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                wording,
                family,
                parallelSequences,
                on,
                layout);
    }

    /** @return a copy with this many parallel sequences */
    public InContextOptions withParallelSequences(int n) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                wording,
                family,
                n,
                flashAttention,
                layout);
    }

    /** @return a copy with this BlockRank layout (null = detect from the model) */
    public InContextOptions withLayout(BlockRankLayout l) {
        return new InContextOptions(
                scoringLayer,
                sumOverLayers,
                signalTokens,
                documentTokenBudget,
                queryTokenBudget,
                batchTokens,
                maxPromptCells,
                earlyExit,
                threads,
                kvType,
                wording,
                family,
                parallelSequences,
                flashAttention,
                l);
    }
}
