package dev.winnow.runtime;

/**
 * {@link Sampler#sample} found no token it may choose: the grammar accepts none of the vocabulary's tokens in its
 * current state (its end was reached and the vocabulary has no end-of-generation token, or the rule needs text no
 * token spells), or the logit bias forbids every token the grammar allows. Nothing was accepted into the sampler's
 * state. {@link dev.winnow.runtime.generate.Generation} ends with {@link
 * dev.winnow.runtime.generate.FinishReason#NO_ACCEPTABLE_TOKEN} on it.
 */
public final class NoAcceptableTokenException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was exhausted
     */
    public NoAcceptableTokenException(String message) {
        super(message);
    }
}
