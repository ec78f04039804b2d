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
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
 *   <li>{@code status {state: "idle"|"busy"|"restarted", executionCount}} ({@code restarted} may carry a {@code
 *       reason}).
 * </ul>
 *
 * <p>Lifecycle. Listeners never block the kernel: each page's messages go through its own {@link ClientQueue}, and
 * a listener that throws is detached. An interrupt stops the running cell (an interrupt that arrives while the cell's
 * context is still starting applies once it has started); if the cell has not stopped {@link #INTERRUPT_ESCALATION}
 * after the interrupt (a builtin that never polls), the kernel is restarted hard: its session is abandoned ({@link
 * ScriptSession#abandon()}; the stuck thread is released when the builtin returns), a fresh session and worker thread
 * take over at once, and the cell ends with a {@code KernelRestarted} error saying so. If the worker thread dies for
 * any other reason, the kernel reports it the same way and restarts instead of accepting cells that never run.
 *
 * <p>Thread-safe.
 */
public final class Kernel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Kernel.class);
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** How long after an interrupt a cell that has not stopped gets its kernel restarted hard. */
  public static final Duration INTERRUPT_ESCALATION = Duration.ofSeconds(2);

  private static final ScheduledExecutorService TICKS =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "winnow-kernel-ticks");
            t.setDaemon(true);
            return t;
          });

  /** A cell: queued, then run by one worker generation. */
  private static final class Job {
    final String cellId;
    final Language language;
    final String code;
    volatile int count;
    volatile long interruptedAt; // System.nanoTime() of the first interrupt, 0 when none
    volatile ScheduledFuture<?> tick;

    Job(String cellId, Language language, String code) {
      this.cellId = cellId;
      this.language = language;
      this.code = code;
    }
  }

  private final ScriptHost host;
  private final String name;
  private final List<KernelListener> listeners = new CopyOnWriteArrayList<>();
  private final LinkedBlockingDeque<Job> queue = new LinkedBlockingDeque<>();
  private final Object sessionLock = new Object();
  private ScriptSession session;
  private int executionCount;
  /** The worker generation: a hard restart starts a new worker and abandons the old one with its session. */
  private volatile int generation;
  private volatile Thread worker;
  private volatile Job current;
  private volatile boolean closed;
  private volatile long lastActivity = System.nanoTime();
  private volatile CompletableFuture<Void> lastAbandoned = CompletableFuture.completedFuture(null);

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
    startWorker(0);
  }

  private void startWorker(int gen) {
    Thread t = new Thread(() -> loop(gen), "winnow-kernel " + name + (gen == 0 ? "" : " #" + gen));
    t.setDaemon(true);
    worker = t;
    t.start();
  }

  /**
   * Adds a listener; it first receives a {@code status} message.
   *
   * @param l the listener
   * @throws IllegalStateException when the kernel is shut down
   */
  public void attach(KernelListener l) {
    if (closed) {
      throw new IllegalStateException("kernel of " + name + " is shut down");
    }
    listeners.add(l);
    lastActivity = System.nanoTime();
    send(l, status(current == null ? "idle" : "busy"));
  }

  /**
   * Removes a listener.
   *
   * @param l the listener
   */
  public void detach(KernelListener l) {
    listeners.remove(l);
    lastActivity = System.nanoTime();
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
    lastActivity = System.nanoTime();
    if (current != null || !queue.isEmpty()) {
      broadcast(msg("queued", cellId));
    }
    queue.add(j);
  }

  /**
   * Stops the running cell ({@link ScriptSession#interrupt()}: usually within milliseconds, the session stays usable)
   * and drops the queued ones. If the cell has not stopped {@link #INTERRUPT_ESCALATION} after the interrupt (counted
   * from when its context has started), the kernel is restarted hard and the cell's error says so. Returns at once.
   */
  public void interrupt() {
    abortQueued();
    Job j = current;
    if (j == null) {
      return;
    }
    if (j.interruptedAt == 0) {
      j.interruptedAt = System.nanoTime();
    }
    ScriptSession s;
    synchronized (sessionLock) {
      s = session;
    }
    // ScriptSession.interrupt waits up to its grace period: not on the caller's (a WebSocket or HTTP) thread
    boolean running = s.busy();
    Thread.ofVirtual().name("winnow-kernel-interrupt " + name).start(s::interrupt);
    watch(j, s, running, j.interruptedAt);
  }

  /**
   * Watches an interrupted cell every 100 ms: once its context runs, the interrupt is delivered again if it came before
   * (a window the session's own pending interrupt does not cover), and the kernel is restarted hard when the cell is
   * still running {@link #INTERRUPT_ESCALATION} after the interrupt or after its context started, whichever is later.
   */
  private void watch(Job j, ScriptSession s, boolean seenRunning, long since) {
    TICKS.schedule(
        () -> {
          try {
            if (closed || current != j) {
              return;
            }
            if (!s.busy()) {
              watch(j, s, false, 0); // the cell's context is still starting: the interrupt applies once it runs
              return;
            }
            long from = since;
            if (!seenRunning) {
              from = Math.max(j.interruptedAt, System.nanoTime());
              Thread.ofVirtual().name("winnow-kernel-interrupt " + name).start(s::interrupt);
            }
            if (System.nanoTime() - from >= INTERRUPT_ESCALATION.toNanos()) {
              escalate(j);
            } else {
              watch(j, s, true, from);
            }
          } catch (RuntimeException e) {
            LOG.error("watching the interrupted cell {} of {} failed", j.cellId, name, e);
          }
        },
        100,
        TimeUnit.MILLISECONDS);
  }

  private void escalate(Job j) {
    long ms = (System.nanoTime() - j.interruptedAt) / 1_000_000;
    LOG.warn("cell {} of {} did not stop within {} ms of its interrupt; restarting the kernel hard", j.cellId, name, ms);
    hardRestart(
        j,
        "the cell did not stop within " + INTERRUPT_ESCALATION.toSeconds() + " s of the interrupt (a builtin that"
            + " ignores interrupts): the kernel was stopped and restarted, and its variables are lost",
        "interrupted");
  }

  /**
   * Replaces the session and the worker thread without waiting for the running cell, if {@code j} is still the
   * running cell (or {@code j} is {@code null}: whatever runs). The old session is abandoned.
   *
   * @return {@code false} when {@code j} is no longer the running cell (nothing done)
   */
  private boolean hardRestart(Job j, String reason, String cellStatus) {
    ScriptSession old;
    Job running;
    synchronized (sessionLock) {
      if (closed || (j != null && current != j)) {
        return false;
      }
      running = current;
      generation++;
      old = session;
      session = host.openSession();
      executionCount = 0;
      current = null;
    }
    long t0 = System.nanoTime();
    CompletableFuture<Void> released = old.abandon();
    lastAbandoned = released;
    released.whenComplete(
        (v, e) ->
            LOG.info(
                "kernel {}: the abandoned session released its thread {} ms after the restart",
                name,
                (System.nanoTime() - t0) / 1_000_000));
    startWorker(generation);
    if (running != null) {
      ScheduledFuture<?> tick = running.tick;
      if (tick != null) {
        tick.cancel(false);
      }
      ObjectNode m = msg("error", running.cellId);
      m.put("ename", "KernelRestarted");
      m.put("evalue", reason);
      m.putArray("traceback").add("KernelRestarted: " + reason);
      broadcast(m);
      ObjectNode done = msg("done", running.cellId);
      done.put("count", running.count);
      done.put("status", cellStatus);
      done.put("elapsedMs", 0);
      broadcast(done);
    }
    ObjectNode st = status("restarted");
    st.put("reason", reason);
    broadcast(st);
    broadcast(status("idle"));
    lastActivity = System.nanoTime();
    return true;
  }

  /**
   * Restarts: drops the queue, stops the running cell (without waiting for it), replaces the session (its variables
   * are lost) and resets the execution count to 0.
   */
  public void restart() {
    abortQueued();
    if (current != null) {
      hardRestart(null, "the kernel was restarted while the cell ran", "interrupted");
      return;
    }
    ScriptSession old;
    synchronized (sessionLock) {
      if (current != null) {
        old = null;
      } else {
        old = session;
        session = host.openSession();
        executionCount = 0;
      }
    }
    if (old == null) {
      hardRestart(null, "the kernel was restarted while the cell ran", "interrupted");
      return;
    }
    old.abandon();
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

  /**
   * Whether the kernel has had no listener, no running and no queued cell for at least {@code timeout}.
   *
   * @param timeout the idle time
   * @return {@code true} when it may be culled
   */
  public boolean idleFor(Duration timeout) {
    return listeners.isEmpty()
        && current == null
        && queue.isEmpty()
        && Duration.ofNanos(System.nanoTime() - lastActivity).compareTo(timeout) >= 0;
  }

  /**
   * Whether the kernel is shut down.
   *
   * @return {@code true} after {@link #close()}
   */
  public boolean closed() {
    return closed;
  }

  /**
   * Completes once the session abandoned by the last hard restart has released the stuck thread (the builtin it ran
   * returned) and closed its contexts: until then that thread may still use a CPU core. For monitoring and tests.
   *
   * @return the future (already complete when there was no hard restart)
   */
  public CompletableFuture<Void> lastAbandoned() {
    return lastAbandoned;
  }

  private void abortQueued() {
    List<Job> dropped = new ArrayList<>();
    queue.drainTo(dropped);
    for (Job j : dropped) {
      ObjectNode m = msg("done", j.cellId);
      m.put("status", "aborted");
      broadcast(m);
    }
  }

  private void loop(int gen) {
    while (!closed && gen == generation) {
      Job j;
      try {
        j = queue.take();
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
        continue;
      }
      if (closed || gen != generation) {
        if (!closed) {
          queue.addFirst(j);
        }
        return;
      }
      try {
        run(j, gen);
      } catch (Throwable t) {
        if (gen != generation || closed) {
          return;
        }
        LOG.error("the worker of kernel {} failed; restarting the kernel", name, t);
        // a failure before the cell became current: report it against that cell
        if (current == null) {
          ObjectNode m = msg("error", j.cellId);
          m.put("ename", "KernelRestarted");
          m.put("evalue", "the kernel failed (" + t + ") and was restarted");
          m.putArray("traceback").add("KernelRestarted: the kernel failed (" + t + ") and was restarted");
          broadcast(m);
          ObjectNode done = msg("done", j.cellId);
          done.put("status", "error");
          broadcast(done);
        }
        hardRestart(null, "the kernel failed (" + t + ") and was restarted; its variables are lost", "error");
        return;
      }
    }
  }

  private void run(Job j, int gen) {
    ScriptSession s;
    int count;
    synchronized (sessionLock) {
      if (gen != generation) {
        return;
      }
      s = session;
      count = ++executionCount;
      j.count = count;
      current = j;
    }
    broadcast(status("busy"));
    ObjectNode start = msg("start", j.cellId);
    start.put("count", count);
    broadcast(start);
    long t0 = System.nanoTime();
    j.tick =
        TICKS.scheduleAtFixedRate(
            () -> {
              if (gen != generation) {
                return;
              }
              ObjectNode m = msg("running", j.cellId);
              m.put("elapsedMs", (System.nanoTime() - t0) / 1_000_000);
              broadcast(m);
            },
            1,
            1,
            TimeUnit.SECONDS);
    String status;
    List<ObjectNode> out = new ArrayList<>();
    try {
      CellResult r = s.run(j.language, j.code, "cell-" + count + (j.language == Language.JS ? ".js" : ".py"),
          new Sink(j.cellId, gen), null, () -> j.interruptedAt != 0);
      if (r.value().isPresent()) {
        ObjectNode m = msg("result", j.cellId);
        m.put("count", count);
        m.set("data", bundle(r.value().get()));
        out.add(m);
      }
      status = "ok";
    } catch (ScriptFailure f) {
      ObjectNode m = msg("error", j.cellId);
      m.put("ename", f.errorType() == null ? "Error" : f.errorType());
      String full = f.getMessage();
      String prefix = f.errorType() == null ? "" : f.errorType() + ": ";
      m.put("evalue", full.startsWith(prefix) ? full.substring(prefix.length()) : full);
      var tb = m.putArray("traceback");
      for (String line : f.traceback().split("\n", -1)) {
        tb.add(line);
      }
      out.add(m);
      status = f.interrupted() ? "interrupted" : "error";
    } catch (IllegalStateException e) {
      // the session was closed under the cell by a restart
      ObjectNode m = msg("error", j.cellId);
      m.put("ename", "KernelRestarted");
      m.put("evalue", e.getMessage());
      m.putArray("traceback").add("KernelRestarted: " + e.getMessage());
      out.add(m);
      status = "interrupted";
    } catch (RuntimeException e) {
      LOG.error("cell {} of {} failed inside Winnow", j.cellId, name, e);
      ObjectNode m = msg("error", j.cellId);
      m.put("ename", e.getClass().getSimpleName());
      m.put("evalue", String.valueOf(e.getMessage()));
      m.putArray("traceback").add(e.toString());
      out.add(m);
      status = "error";
    } finally {
      j.tick.cancel(false);
    }
    synchronized (sessionLock) {
      if (gen != generation) {
        return; // restarted hard while the cell ran: the restart already reported the cell
      }
      current = null;
    }
    out.forEach(this::broadcast);
    ObjectNode done = msg("done", j.cellId);
    done.put("count", count);
    done.put("status", status);
    done.put("elapsedMs", (System.nanoTime() - t0) / 1_000_000);
    broadcast(done);
    lastActivity = System.nanoTime();
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

  /** Shuts the kernel down: drops the queue, stops the running cell without waiting for it, closes the session. */
  @Override
  public void close() {
    ScriptSession s;
    synchronized (sessionLock) {
      if (closed) {
        return;
      }
      closed = true;
      generation++;
      s = session;
      Job j = current;
      if (j != null && j.tick != null) {
        j.tick.cancel(false);
      }
    }
    abortQueued();
    Thread w = worker;
    if (w != null) {
      w.interrupt();
    }
    s.abandon();
    listeners.clear();
  }

  private final class Sink implements OutputSink {
    private final String cellId;
    private final int gen;

    Sink(String cellId, int gen) {
      this.cellId = cellId;
      this.gen = gen;
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
      if (gen != generation) {
        return;
      }
      ObjectNode m = msg("stream", cellId);
      m.put("name", stream);
      m.put("text", text);
      broadcast(m);
    }

    @Override
    public void display(DisplayData data) {
      if (gen != generation) {
        return;
      }
      ObjectNode m = msg("display", cellId);
      m.set("data", bundle(data));
      broadcast(m);
    }
  }
}
