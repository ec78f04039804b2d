package dev.winnow.webui.notebook.kernel;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.scripting.CellResult;
import dev.winnow.scripting.DisplayData;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.OutputSink;
import dev.winnow.scripting.ScriptFailure;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.scripting.ScriptSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel of one notebook: a {@link ScriptSession} whose variables persist from cell to cell, a queue of cells run
 * one at a time on the kernel's own thread, the execution counter, and the messages that tell the pages what happens.
 *
 * <p>Messages (JSON objects, field {@code type}), in the order they happen:
 *
 * <ul>
 *   <li>{@code queued {cellId}}: the cell waits behind others;
 *   <li>{@code start {cellId, count}}: it runs now with execution count {@code count} (1, 2, ... since the last
 *       restart);
 *   <li>{@code stream {cellId, name: "stdout"|"stderr", text}}: output, as the script writes it;
 *   <li>{@code display {cellId, data}}: a {@code display(...)} MIME bundle;
 *   <li>{@code running {cellId, elapsedMs}}: once a second while the cell runs (the page shows it as progress);
 *   <li>{@code result {cellId, count, data}}: the value of the last expression;
 *   <li>{@code error {cellId, ename, evalue, traceback: [lines]}}: the cell failed or was interrupted;
 *   <li>{@code done {cellId, count, status: "ok"|"error"|"interrupted"|"aborted", elapsedMs}}: the cell is over
 *       ({@code aborted}: removed from the queue by an interrupt or restart before it ran);
 *   <li>{@code status {state: "idle"|"busy"|"restarted", executionCount}}.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class Kernel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Kernel.class);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final ScheduledExecutorService TICKS =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "winnow-kernel-ticks");
            t.setDaemon(true);
            return t;
          });

  private record Job(String cellId, Language language, String code) {}

  private final ScriptHost host;
  private final String name;
  private final List<KernelListener> listeners = new CopyOnWriteArrayList<>();
  private final LinkedBlockingDeque<Job> queue = new LinkedBlockingDeque<>();
  private final Thread worker;
  private final Object sessionLock = new Object();
  private ScriptSession session;
  private int executionCount;
  private volatile Job current;
  private volatile boolean closed;

  /**
   * Starts a kernel (its session's contexts are created by the first cell of each language).
   *
   * @param host the script host whose sandbox the cells run in
   * @param name a name for logs and the thread, e.g. the notebook's path
   */
  public Kernel(ScriptHost host, String name) {
    this.host = host;
    this.name = name;
    this.session = host.openSession();
    this.worker = new Thread(this::loop, "winnow-kernel " + name);
    worker.setDaemon(true);
    worker.start();
  }

  /**
   * Adds a listener; it first receives a {@code status} message.
   *
   * @param l the listener
   */
  public void attach(KernelListener l) {
    listeners.add(l);
    send(l, status(current == null ? "idle" : "busy"));
  }

  /**
   * Removes a listener.
   *
   * @param l the listener
   */
  public void detach(KernelListener l) {
    listeners.remove(l);
  }

  /**
   * Queues a cell.
   *
   * @param cellId the nbformat cell id (echoed in every message about the cell)
   * @param language the cell's language
   * @param code the source
   * @throws IllegalStateException when the kernel is closed
   */
  public void execute(String cellId, Language language, String code) {
    if (closed) {
      throw new IllegalStateException("kernel of " + name + " is shut down");
    }
    if (cellId == null || language == null || code == null) {
      throw new IllegalArgumentException("execute needs a cell id, a language and code");
    }
    Job j = new Job(cellId, language, code);
    if (current != null || !queue.isEmpty()) {
      broadcast(msg("queued", cellId));
    }
    queue.add(j);
  }

  /**
   * Stops the running cell ({@link ScriptSession#interrupt()}: within about a second, the session stays usable) and
   * drops the queued ones.
   */
  public void interrupt() {
    abortQueued();
    ScriptSession s;
    synchronized (sessionLock) {
      s = session;
    }
    s.interrupt();
  }

  /**
   * Restarts: interrupts, drops the queue, closes the session (its variables are lost), opens a new one and resets the
   * execution count to 0.
   */
  public void restart() {
    abortQueued();
    ScriptSession old;
    synchronized (sessionLock) {
      old = session;
      session = host.openSession();
      executionCount = 0;
    }
    old.close();
    broadcast(status("restarted"));
  }

  /**
   * The execution count of the last cell started since the last restart.
   *
   * @return 0 when none
   */
  public int executionCount() {
    synchronized (sessionLock) {
      return executionCount;
    }
  }

  /**
   * Whether a cell runs now.
   *
   * @return {@code true} while a cell runs
   */
  public boolean busy() {
    return current != null;
  }

  private void abortQueued() {
    List<Job> dropped = new ArrayList<>();
    queue.drainTo(dropped);
    for (Job j : dropped) {
      ObjectNode m = msg("done", j.cellId());
      m.put("status", "aborted");
      broadcast(m);
    }
  }

  private void loop() {
    while (!closed) {
      Job j;
      try {
        j = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (closed) {
        return;
      }
      run(j);
    }
  }

  private void run(Job j) {
    ScriptSession s;
    int count;
    synchronized (sessionLock) {
      s = session;
      count = ++executionCount;
      current = j;
    }
    broadcast(status("busy"));
    ObjectNode start = msg("start", j.cellId());
    start.put("count", count);
    broadcast(start);
    long t0 = System.nanoTime();
    ScheduledFuture<?> tick =
        TICKS.scheduleAtFixedRate(
            () -> {
              ObjectNode m = msg("running", j.cellId());
              m.put("elapsedMs", (System.nanoTime() - t0) / 1_000_000);
              broadcast(m);
            },
            1,
            1,
            TimeUnit.SECONDS);
    String status;
    try {
      CellResult r = s.run(j.language(), j.code(), "cell-" + count + (j.language() == Language.JS ? ".js" : ".py"),
          new Sink(j.cellId()));
      if (r.value().isPresent()) {
        ObjectNode m = msg("result", j.cellId());
        m.put("count", count);
        m.set("data", bundle(r.value().get()));
        broadcast(m);
      }
      status = "ok";
    } catch (ScriptFailure f) {
      ObjectNode m = msg("error", j.cellId());
      m.put("ename", f.errorType() == null ? "Error" : f.errorType());
      String full = f.getMessage();
      String prefix = f.errorType() == null ? "" : f.errorType() + ": ";
      m.put("evalue", full.startsWith(prefix) ? full.substring(prefix.length()) : full);
      var tb = m.putArray("traceback");
      for (String line : f.traceback().split("\n", -1)) {
        tb.add(line);
      }
      broadcast(m);
      status = f.interrupted() ? "interrupted" : "error";
    } catch (IllegalStateException e) {
      // the session was closed under the cell by a restart
      ObjectNode m = msg("error", j.cellId());
      m.put("ename", "KernelRestarted");
      m.put("evalue", e.getMessage());
      m.putArray("traceback").add("KernelRestarted: " + e.getMessage());
      broadcast(m);
      status = "interrupted";
    } catch (RuntimeException e) {
      LOG.error("cell {} of {} failed inside Winnow", j.cellId(), name, e);
      ObjectNode m = msg("error", j.cellId());
      m.put("ename", e.getClass().getSimpleName());
      m.put("evalue", String.valueOf(e.getMessage()));
      m.putArray("traceback").add(e.toString());
      broadcast(m);
      status = "error";
    } finally {
      tick.cancel(false);
    }
    current = null;
    ObjectNode done = msg("done", j.cellId());
    done.put("count", count);
    done.put("status", status);
    done.put("elapsedMs", (System.nanoTime() - t0) / 1_000_000);
    broadcast(done);
    if (queue.isEmpty()) {
      broadcast(status("idle"));
    }
  }

  private ObjectNode status(String state) {
    ObjectNode m = F.objectNode();
    m.put("type", "status");
    m.put("state", state);
    m.put("executionCount", executionCount());
    return m;
  }

  private static ObjectNode msg(String type, String cellId) {
    ObjectNode m = F.objectNode();
    m.put("type", type);
    m.put("cellId", cellId);
    return m;
  }

  private static ObjectNode bundle(DisplayData d) {
    ObjectNode o = F.objectNode();
    for (Map.Entry<String, String> e : d.mimeBundle().entrySet()) {
      o.put(e.getKey(), e.getValue());
    }
    return o;
  }

  private void broadcast(ObjectNode m) {
    for (KernelListener l : listeners) {
      send(l, m);
    }
  }

  private void send(KernelListener l, ObjectNode m) {
    try {
      l.message(m);
    } catch (RuntimeException e) {
      LOG.debug("a kernel listener of {} failed; dropping it", name, e);
      listeners.remove(l);
    }
  }

  /** Shuts the kernel down: interrupts, drops the queue and closes the session. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    abortQueued();
    worker.interrupt();
    ScriptSession s;
    synchronized (sessionLock) {
      s = session;
    }
    s.close();
    listeners.clear();
  }

  private final class Sink implements OutputSink {
    private final String cellId;

    Sink(String cellId) {
      this.cellId = cellId;
    }

    @Override
    public void stdout(String text) {
      stream("stdout", text);
    }

    @Override
    public void stderr(String text) {
      stream("stderr", text);
    }

    private void stream(String stream, String text) {
      ObjectNode m = msg("stream", cellId);
      m.put("name", stream);
      m.put("text", text);
      broadcast(m);
    }

    @Override
    public void display(DisplayData data) {
      ObjectNode m = msg("display", cellId);
      m.set("data", bundle(data));
      broadcast(m);
    }
  }
}
