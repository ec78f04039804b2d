package dev.winnow.ranking.index;

/**
 * Receives the progress of a long index operation ({@link DocumentIndex#addAll}, {@link DocumentIndex#embedMissing}):
 * once with {@code done} 0 before the first batch (so a display knows the total), then after every batch, {@code
 * done} growing strictly and ending at {@code total}. An operation with nothing to do reports nothing. Called on the
 * thread doing the work; library code prints nothing itself (the command line renders a bar from these calls).
 */
@FunctionalInterface
public interface IndexProgress {

  /** Ignores progress. */
  IndexProgress NONE = (done, total) -> {};

  /**
   * Reports progress.
   *
   * @param done items finished so far, {@code 0..total}
   * @param total items the operation will process
   */
  void update(long done, long total);
}
