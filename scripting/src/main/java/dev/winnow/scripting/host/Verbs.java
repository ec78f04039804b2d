package dev.winnow.scripting.host;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CancellationException;
import org.graalvm.polyglot.PolyglotException;

/**
 * How every exported host method runs its body: Java exceptions become the guest's {@code WinnowError} with the
 * Winnow message; cancellation and guest exceptions pass through.
 */
final class Verbs {
  private Verbs() {}

  /** A verb's body, which may throw IO errors. */
  @FunctionalInterface
  interface Body<T> {
    T get() throws IOException;
  }

  static <T> T call(HostEnvironment env, Body<T> body) {
    try {
      return body.get();
    } catch (CancellationException | PolyglotException e) {
      throw e;
    } catch (AccessDeniedException e) {
      throw env.guestError(e.getFile() + ": " + (e.getReason() == null ? "access denied" : e.getReason()));
    } catch (NoSuchFileException e) {
      throw env.guestError("no such file or directory: " + e.getFile());
    } catch (IOException | RuntimeException e) {
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw env.guestError(msg);
    }
  }

  static void run(HostEnvironment env, Body<?> body) {
    call(env, body);
  }
}
