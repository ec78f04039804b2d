package dev.winnow.ranking.index;

/**
 * Receives the progress of a long index operation ({@link DocumentIndex#addAll}, {@link DocumentIndex#embedMissing})
 * after every batch: {@code done} grows strictly and ends at {@code total}. Called on the thread doing the work;
 * library code prints nothing itself (the command line renders a bar from these calls).
 */
@FunctionalInterface
public interface IndexProgress {

  /** Ignores progress. */
  IndexProgress NONE = (done, total) -> {};

  /**
   * Reports progress.
   *
   * @param done items finished so far, {@code 1..total}
   * @param total items the operation will process
   */
  void update(long done, long total);
}
