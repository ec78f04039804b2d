package dev.winnow.scripting.host;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.Supplier;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotException;

/**
 * The {@code winnow} object scripts see, the same in JavaScript and Python. Only members annotated
 * {@code @HostAccess.Export} are visible. A Java exception from a verb reaches the script as a {@code WinnowError}
 * carrying the Winnow message; an interrupt ends the cell.
 */
public final class WinnowApi {
  private final HostEnvironment env;

  /**
   * Creates the object of one session.
   *
   * @param env the session's side
   */
  public WinnowApi(HostEnvironment env) {
    this.env = env;
  }

  /**
   * Winnow's version.
   *
   * @return e.g. {@code "0.1.0-SNAPSHOT"}, or {@code "dev"} when run from classes
   */
  @HostAccess.Export
  public String version() {
    String v = WinnowApi.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /**
   * The script's arguments ({@code winnow run SCRIPT ARGS...}).
   *
   * @return the arguments, empty in a notebook
   */
  @HostAccess.Export
  public List<String> args() {
    return env.arguments();
  }

  /**
   * The workspace directory (scripts' current directory, read-write).
   *
   * @return its absolute path
   */
  @HostAccess.Export
  public String workspace() {
    return env.sandbox().workspace().toString();
  }

  /**
   * Waits, observing interrupts every 10 ms (a host call that an interrupt stops).
   *
   * @param millis how long, 0 to 86,400,000 ms
   */
  @HostAccess.Export
  public void sleep(long millis) {
    call(
        () -> {
          if (millis < 0 || millis > 86_400_000L) {
            throw new IllegalArgumentException("sleep: millis must be in [0, 86400000], got " + millis);
          }
          long end = System.nanoTime() + millis * 1_000_000L;
          while (System.nanoTime() < end) {
            env.cancellation().check();
            try {
              Thread.sleep(Math.min(10, Math.max(1, (end - System.nanoTime()) / 1_000_000L)));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new CancellationException("interrupted");
            }
          }
          return null;
        });
  }

  /**
   * Runs a verb's body, turning a Java exception into a guest {@code WinnowError} and letting cancellation and guest
   * exceptions through unchanged.
   *
   * @param body the verb
   * @param <T> its result type
   * @return its result
   */
  <T> T call(Supplier<T> body) {
    try {
      return body.get();
    } catch (CancellationException | PolyglotException e) {
      throw e;
    } catch (RuntimeException e) {
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw env.guestError(msg);
    }
  }
}
