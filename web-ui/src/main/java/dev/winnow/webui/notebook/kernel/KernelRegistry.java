package dev.winnow.webui.notebook.kernel;

import dev.winnow.scripting.ScriptHost;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@link Kernel} per open notebook, keyed by the notebook's relative path; created on first use, shared by every
 * page showing that notebook. Thread-safe.
 */
public final class KernelRegistry implements AutoCloseable {
  private final ScriptHost host;
  private final Map<String, Kernel> kernels = new HashMap<>();

  /**
   * Creates the registry.
   *
   * @param host the script host the kernels' sessions come from
   */
  public KernelRegistry(ScriptHost host) {
    this.host = host;
  }

  /**
   * The kernel of a notebook, started if it has none.
   *
   * @param notebook the notebook's relative path
   * @return its kernel
   */
  public synchronized Kernel kernel(String notebook) {
    return kernels.computeIfAbsent(notebook, n -> new Kernel(host, n));
  }

  /**
   * Moves a kernel to a renamed notebook.
   *
   * @param from the old path
   * @param to the new path
   */
  public synchronized void rename(String from, String to) {
    Kernel k = kernels.remove(from);
    if (k != null) {
      kernels.put(to, k);
    }
  }

  /**
   * Shuts down the kernel of a notebook (when it is deleted).
   *
   * @param notebook the path
   */
  public void shutdown(String notebook) {
    Kernel k;
    synchronized (this) {
      k = kernels.remove(notebook);
    }
    if (k != null) {
      k.close();
    }
  }

  /** Shuts every kernel down. */
  @Override
  public void close() {
    List<Kernel> all;
    synchronized (this) {
      all = new ArrayList<>(kernels.values());
      kernels.clear();
    }
    all.forEach(Kernel::close);
  }
}
