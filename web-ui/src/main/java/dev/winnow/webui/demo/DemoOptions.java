package dev.winnow.webui.demo;

import java.nio.file.Path;

/**
 * What {@code winnow demo} runs.
 *
 * @param collection the BEIR collection directory
 * @param model a GGUF decoder for BlockRank, or null for {@code defaultDecoder}
 * @param defaultDecoder the decoder used without {@code model} (stories260K beside the repository); skipped when
 *     missing
 * @param embeddingModel {@code minilm}, {@code bge-small} (converted from Maven Central once) or a {@code .gguf} file
 * @param maxTokens the embedder's token budget per document, {@code >= 2}
 * @param full every test query through every method, re-ranking depth 100
 * @param queries how many test queries BlockRank re-ranks without {@code full}, {@code >= 1}
 * @param depth re-ranking depth K without {@code full}, 1..100
 * @param out where runs go, or null for {@code <index>/runs/<date-time>}
 * @param indexesRoot where indexes go ({@code $WINNOW_HOME/indexes})
 * @param threads llama.cpp threads, {@code >= 1}
 * @param progressSeconds seconds between progress lines, {@code >= 0}
 * @param logFile where llama.cpp's log lines go (printed once in the set-up), or null when they go to stderr
 */
public record DemoOptions(
        Path collection,
        Path model,
        Path defaultDecoder,
        String embeddingModel,
        int maxTokens,
        boolean full,
        int queries,
        int depth,
        Path out,
        Path indexesRoot,
        int threads,
        double progressSeconds,
        Path logFile) {

    /** @throws DemoException naming the option out of range */
    public DemoOptions {
        if (queries < 1) {
            throw new DemoException("--queries must be >= 1, got " + queries);
        }
        if (depth < 1 || depth > 100) {
            throw new DemoException("--depth must be in 1..100 (the first stage returns 100 hits), got " + depth);
        }
        if (maxTokens < 2) {
            throw new DemoException("--max-tokens must be >= 2, got " + maxTokens);
        }
        if (threads < 1) {
            throw new DemoException("--threads must be >= 1, got " + threads);
        }
    }
}
