package dev.winnow.models.gguf.fuzz;

/** The kinds of damage {@link GgufFuzzer} does to a valid file. */
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
  COMBINED
}
