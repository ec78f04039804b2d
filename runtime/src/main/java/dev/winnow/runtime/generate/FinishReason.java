package dev.winnow.runtime.generate;

/** Why a generation ended. */
public enum FinishReason {
    /** maxTokens were generated. */
    MAX_TOKENS,
    /** The model produced an end-of-generation token. */
    END_OF_GENERATION,
    /** A stop string appeared. */
    STOP_STRING,
    /** {@link Generation#cancel()} was called. */
    CANCELLED,
    /** The context's KV cache is full. */
    CONTEXT_FULL,
    /**
     * The sampler's grammar accepts no further token (its end was reached and the vocabulary has no end-of-generation
     * token the grammar allows there, or the rule needs text no token spells), or the logit bias forbids every token.
     */
    NO_ACCEPTABLE_TOKEN
}
