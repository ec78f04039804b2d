package dev.winnow.runtime.generate;

import dev.winnow.runtime.SamplerOptions;
import java.util.List;

/**
 * Limits and sampling of one generation.
 *
 * @param maxTokens the most tokens to generate, &gt;= 0
 * @param stopStrings generation ends before the first of these appears in the text (not emitted)
 * @param sampling how to pick tokens
 * @param stopAtEndOfGeneration end at an end-of-generation token (EOS, EOT), which is not emitted
 */
public record GenerationOptions(
        int maxTokens, List<String> stopStrings, SamplerOptions sampling, boolean stopAtEndOfGeneration) {

    /**
     * @throws IllegalArgumentException if maxTokens is negative or a stop string is empty
     */
    public GenerationOptions {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        }
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling must not be null");
        }
    }

    /**
     * @param maxTokens the most tokens to generate
     * @return greedy, no stop strings, stop at end-of-generation
     */
    public static GenerationOptions greedy(int maxTokens) {
        return new GenerationOptions(maxTokens, List.of(), SamplerOptions.greedy(), true);
    }

    /**
     * @param stops stop strings
     * @return a copy
     */
    public GenerationOptions withStopStrings(List<String> stops) {
        return new GenerationOptions(maxTokens, stops, sampling, stopAtEndOfGeneration);
    }

    /**
     * @param s sampling
     * @return a copy
     */
    public GenerationOptions withSampling(SamplerOptions s) {
        return new GenerationOptions(maxTokens, stopStrings, s, stopAtEndOfGeneration);
    }
}
