package dev.winnow.scripting.host;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * The cancellation token of a session's running cell: {@link dev.winnow.scripting.ScriptSession#interrupt()} sets it,
 * and long host calls (generation, ranking, indexing) poll it between steps (llama.cpp's abort callback, Lucene's
 * loops) so that interrupting a cell stops them too. Reset when the next cell starts.
 */
public final class Cancellation implements BooleanSupplier {
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile String reason;

  /** A registered cancellation action; {@link #close()} removes it. */
  public interface Registration extends AutoCloseable {
    /** Removes the action. */
    @Override
    void close();
  }

  /**
   * Requests cancellation.
   *
   * @param why the reason reported to the script, e.g. {@code "interrupted"}
   */
  public void cancel(String why) {
    reason = why == null ? "interrupted" : why;
    for (Runnable r : listeners) {
      r.run();
    }
  }

  /**
   * Registers an action to run when cancellation is requested (e.g. {@code Generation::cancel}), on the thread that
   * cancels; runs it at once when already cancelled.
   *
   * @param action the action
   * @return a handle whose {@code close()} removes it
   */
  public Registration onCancel(Runnable action) {
    listeners.add(action);
    if (reason != null) {
      action.run();
    }
    return () -> listeners.remove(action);
  }

  /** Clears the request (a new cell starts). */
  public void reset() {
    reason = null;
  }

  /**
   * Whether cancellation was requested.
   *
   * @return {@code true} once {@link #cancel} was called in this cell
   */
  public boolean cancelled() {
    return reason != null;
  }

  /**
   * The reason given to {@link #cancel}.
   *
   * @return the reason, or {@code null} when not cancelled
   */
  public String reason() {
    return reason;
  }

  /** {@inheritDoc} Same as {@link #cancelled()}, for APIs that take a {@code BooleanSupplier} abort flag. */
  @Override
  public boolean getAsBoolean() {
    return cancelled();
  }

  /**
   * Throws when cancellation was requested; long host loops call this between steps.
   *
   * @throws CancellationException naming the reason
   */
  public void check() {
    String r = reason;
    if (r != null) {
      throw new CancellationException(r);
    }
  }
}
