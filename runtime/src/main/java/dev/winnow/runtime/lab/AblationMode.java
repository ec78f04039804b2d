package dev.winnow.runtime.lab;

/** How {@link Lab#ablateHeads} replaces a head's output. */
public enum AblationMode {
    /** By zeros. */
    ZERO,
    /** By its mean over every token of a set of reference prompts. */
    MEAN
}
