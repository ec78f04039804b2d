package dev.winnow.runtime.lab;

/**
 * A token with its logit and its probability (softmax over the whole vocabulary).
 *
 * @param token token id
 * @param text the token's text
 * @param logit its logit
 * @param probability its probability
 */
public record TokenScore(int token, String text, float logit, double probability) {}
