package dev.winnow.models.gguf.fuzz;

import java.util.Arrays;
import java.util.List;

/**
 * The kinds of damage {@link GgufFuzzer} does to a valid file: byte-level damage to the header (the first seven), and
 * structure-aware edits that keep the file well-formed but give it one semantic defect of a kind that crashed llama.cpp
 * (the last five; {@link #structural()}), with harmless variants of the same kind among them.
 */
public enum Mutation {
    /** 1 to 8 single-bit flips. */
    BIT_FLIPS,
    /** A run of 1 to 64 bytes overwritten with one value (0x00, 0xFF or random) or random bytes. */
    BYTE_RUN,
    /** The file cut at a random length (anywhere from 0 to its size - 1). */
    TRUNCATION,
    /** An 8-byte field overwritten with a huge or negative length (2^31, 2^32, 2^62, 2^63 - 1, -1, ...). */
    HUGE_LENGTH,
    /** The tensor count, the metadata count or an array length raised by a small or large amount. */
    COUNT_INFLATION,
    /** 1 to 16 bytes inserted or deleted, shifting everything after. */
    SHIFT,
    /** Several of the above at once. */
    COMBINED,
    /** One tensor's type changed (I8, I16, I32, I64, F64, F16, BF16, Q8_0 or F32), its values converted. */
    TENSOR_TYPE,
    /** A per-layer key (head counts, feed-forward length) as an array: short, long, empty, or with a 0, negative or
     * non-dividing entry, sometimes of FLOAT32; or the same values as an array (harmless). */
    PER_LAYER_ARRAY,
    /** The model split into 2 or 3 shards, one shard's split key of the wrong type or value, removed, or the last shard
     * missing; or a valid split. */
    SPLIT_SHARDS,
    /** One weight set to NaN, +Inf or -Inf (accepted: weights are not scanned at load; the decode must not crash). */
    NON_FINITE_WEIGHT,
    /** A BERT encoder with 256 to 555 or 512 positions, decoded with a context size and token count around and past
     * its position table. */
    BERT_POSITIONS;

    /** @return true for the structure-aware kinds, which write whole files (see {@link GgufFuzzer#writeCase}) */
    public boolean structural() {
        return ordinal() >= TENSOR_TYPE.ordinal();
    }

    /** @return the byte-level kinds, in order */
    public static List<Mutation> byteLevel() {
        return Arrays.stream(values()).filter(m -> !m.structural()).toList();
    }
}
