package dev.winnow.webui.notebook.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptHost;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel of one notebook: a kernel process (a child JVM running {@link KernelProcessMain}, whose script session
 * keeps the variables from cell to cell), a queue of cells sent to it one at a time, the execution counter, and the
 * messages that tell the pages what happens. Guest code never runs in the server's process: as in Jupyter, a process
 * boundary lies between the cells and the server.
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
 *   <li>{@code done {cellId, count, status: "ok"|"error"|"interrupted"|"aborted", elapsedMs, prewarmed}}: the cell
 *       is over ({@code aborted}: removed from the queue by an interrupt or restart before it ran; {@code prewarmed}:
 *       it ran in a context of its language that the kernel process had built in the background before the cell came,
 *       rather than one started for it);
 *   <li>{@code status {state: "idle"|"busy"|"restarted"|"dead", executionCount}} ({@code restarted} may carry a
 *       {@code reason}; {@code dead}: the kernel process could not start, the kernel is shut down, with a {@code
 *       reason}).
 * </ul>
 *
 * <p>Lifecycle. Listeners never block the kernel: each page's messages go through its own {@link ClientQueue}, and
 * a listener that throws is detached. An interrupt stops the running cell inside the kernel process (an interrupt
 * that arrives while the cell's context is still starting applies once it has started); if the cell has not stopped
 * {@link #INTERRUPT_ESCALATION} after the interrupt (a builtin that never polls), the kernel process is killed and a
 * fresh one started, and the cell ends with a {@code KernelRestarted} error saying so. A restart starts a new process
 * too. A kernel process that ends on its own (a crash, the operating system killing it) is reported the same way and
 * replaced; so is a worker thread of the kernel that dies. Kernel processes exit when the server's process ends (their
 * standard input closes).
 *
 * <p>Thread-safe.
 */
public final class Kernel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Kernel.class);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** How long after an interrupt a cell that has not stopped gets its kernel restarted hard. */
    public static final Duration INTERRUPT_ESCALATION = Duration.ofSeconds(2);

    /** How long a kernel process that is shut down or restarted while idle may take to exit before it is killed. */
    private static final long SHUTDOWN_GRACE_MS = 3000;

    private static final ScheduledExecutorService TICKS = Executors.newSingleThreadScheduledExecutor(r -> {
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
        volatile boolean started; // the kernel process said the cell's context is ready and its code runs
        volatile boolean prewarmed; // ... and that context was a spare built before the cell asked for it
        volatile ScheduledFuture<?> tick;

        Job(String cellId, Language language, String code) {
            this.cellId = cellId;
            this.language = language;
            this.code = code;
        }
    }

    private final Sandbox sandbox;
    private final String name;
    private final List<KernelListener> listeners = new CopyOnWriteArrayList<>();
    private final LinkedBlockingDeque<Job> queue = new LinkedBlockingDeque<>();
    private final Object sessionLock = new Object();
    private final Set<Language> used = ConcurrentHashMap.newKeySet();
    private volatile Language lastLanguage;
    private KernelProcess process;
    private int executionCount;
    /** The worker generation: a hard restart starts a new worker and abandons the old one with its process. */
    private volatile int generation;

    private volatile Thread worker;
    private volatile Job current;
    private volatile boolean closed;
    private volatile long lastActivity = System.nanoTime();
    private volatile CompletableFuture<Void> lastAbandoned = CompletableFuture.completedFuture(null);

    /**
     * Starts a kernel: its process starts now (in the background; the first cell waits for it).
     *
     * @param host the script host whose sandbox the cells run in (only its sandbox is used: the cells run in the
     *     kernel's own process)
     * @param name a name for logs and the thread, e.g. the notebook's path
     * @throws UncheckedIOException when the kernel process cannot be started
     */
    public Kernel(ScriptHost host, String name) {
        this.sandbox = host.sandbox();
        this.name = name;
        this.process = startProcess();
        startWorker(0);
    }

    /**
     * The system property that turns the spare Python context of new kernel processes off ({@code false}); on by
     * default.
     */
    public static final String SPARE_PYTHON_PROPERTY = "winnow.notebook.sparePython";

    private KernelProcess startProcess() {
        // the language of the last cell first (a restart's next cell is likely in it), then the others the notebook
        // used, JavaScript, and Python: the next cell need not wait for its context to start (GraalPy's first context
        // of
        // a process takes seconds; its spare is built in the background while the kernel waits for cells)
        Set<Language> prewarm = new LinkedHashSet<>();
        Language last = lastLanguage;
        if (last != null) {
            prewarm.add(last);
        }
        prewarm.addAll(used);
        prewarm.add(Language.JS);
        if (!"false".equals(System.getProperty(SPARE_PYTHON_PROPERTY))) {
            prewarm.add(Language.PYTHON);
        }
        KernelProcess p = KernelProcess.start(sandbox, name, prewarm);
        p.ended().thenAccept(code -> processEnded(p, code));
        return p;
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
     * Stops the running cell (inside the kernel process: usually within milliseconds, and the variables stay) and drops
     * the queued ones. If the cell has not stopped {@link #INTERRUPT_ESCALATION} after the interrupt (counted from when
     * its context has started), the kernel process is killed and replaced, and the cell's error says so. Returns at
     * once.
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
        KernelProcess p;
        synchronized (sessionLock) {
            if (current != j) {
                return; // ended (or its process was replaced) meanwhile
            }
            p = process;
        }
        sendInterrupt(p, j);
        watch(j, p, j.started, j.interruptedAt);
    }

    private static void sendInterrupt(KernelProcess p, Job j) {
        // the process applies it to cell j.count even when the cell's execute request is still on its way
        p.send(F.objectNode().put("op", "interrupt").put("n", j.count));
    }

    /**
     * Watches an interrupted cell every 100 ms: once its context runs, the interrupt is delivered again if it came before
     * (harmless when the process already applied it), and the kernel is restarted hard when the cell is still running
     * {@link #INTERRUPT_ESCALATION} after the interrupt or after its context started, whichever is later.
     */
    private void watch(Job j, KernelProcess p, boolean seenRunning, long since) {
        TICKS.schedule(
                () -> {
                    try {
                        if (closed || current != j) {
                            return;
                        }
                        if (!j.started) {
                            watch(
                                    j, p, false,
                                    0); // the cell's context is still starting: the interrupt applies once it runs
                            return;
                        }
                        long from = since;
                        if (!seenRunning) {
                            from = Math.max(j.interruptedAt, System.nanoTime());
                            sendInterrupt(p, j);
                        }
                        if (System.nanoTime() - from >= INTERRUPT_ESCALATION.toNanos()) {
                            escalate(j);
                        } else {
                            watch(j, p, true, from);
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
        LOG.warn(
                "cell {} of {} did not stop within {} ms of its interrupt; killing its kernel process",
                j.cellId,
                name,
                ms);
        hardRestart(
                j,
                "the cell did not stop within " + INTERRUPT_ESCALATION.toSeconds()
                        + " s of the interrupt (a builtin that"
                        + " ignores interrupts): the kernel process was stopped and restarted, and its variables are lost",
                "interrupted");
    }

    /** The kernel process {@code p} ended: if it is still this kernel's (nobody stopped it on purpose), replace it. */
    private void processEnded(KernelProcess p, int code) {
        synchronized (sessionLock) {
            if (closed || process != p) {
                return;
            }
        }
        if (!p.ready()) {
            // it could not even start (bad settings, no memory): starting another would only loop; the next page that
            // opens the notebook tries again with a new kernel
            LOG.error(
                    "the kernel process of {} (pid {}) exited with code {} before it was ready; shutting the kernel down"
                            + " (its standard error is in the log above)",
                    name,
                    p.handle().pid(),
                    code);
            String reason = "the kernel process could not start (exit code " + code
                    + "; see the server's log): the kernel" + " is shut down, reload the page to try again";
            Job running = current;
            // closed first, then told: a client that reacts to "dead" finds the kernel already shut down
            shutDown(() -> {
                if (running != null) {
                    endCell(running.cellId, running.count, "KernelDied", reason, "error");
                }
                ObjectNode st = status("dead");
                st.put("reason", reason);
                broadcast(st);
            });
            return;
        }
        LOG.warn(
                "the kernel process of {} (pid {}) ended on its own with exit code {}; starting another",
                name,
                p.handle().pid(),
                code);
        String reason = "the kernel process ended unexpectedly (exit code " + code
                + ") and was restarted; its variables" + " are lost";
        hardRestart(p, null, reason, "error");
    }

    private boolean hardRestart(Job j, String reason, String cellStatus) {
        return hardRestart(null, j, reason, cellStatus);
    }

    /**
     * Replaces the kernel process and the worker thread without waiting for the running cell, if {@code j} is still the
     * running cell (or {@code j} is {@code null}: whatever runs) and {@code p} is still the kernel's process (or {@code
     * p} is {@code null}). The old process is killed.
     *
     * @return {@code false} when nothing was done
     */
    private boolean hardRestart(KernelProcess p, Job j, String reason, String cellStatus) {
        KernelProcess old;
        Job running;
        RuntimeException failedStart = null;
        synchronized (sessionLock) {
            if (closed || (j != null && current != j) || (p != null && process != p)) {
                return false;
            }
            running = current;
            generation++;
            old = process;
            try {
                process = startProcess();
            } catch (UncheckedIOException e) {
                failedStart = e;
                closed = true;
            }
            executionCount = 0;
            current = null;
        }
        long t0 = System.nanoTime();
        old.kill();
        CompletableFuture<Void> released = old.onExit().thenAccept(code -> {});
        lastAbandoned = released;
        released.whenComplete((v, e) -> LOG.info(
                "kernel {}: the old kernel process (pid {}) ended {} ms after the restart",
                name,
                old.handle().pid(),
                (System.nanoTime() - t0) / 1_000_000));
        if (failedStart == null) {
            startWorker(generation);
        } else {
            LOG.error("kernel {}: no new kernel process", name, failedStart);
            reason = reason + "; but no new kernel process could be started (" + failedStart.getMessage() + ")";
        }
        if (running != null) {
            ScheduledFuture<?> tick = running.tick;
            if (tick != null) {
                tick.cancel(false);
            }
            endCell(running.cellId, running.count, "KernelRestarted", reason, cellStatus);
        }
        ObjectNode st = status("restarted");
        st.put("reason", reason);
        broadcast(st);
        if (failedStart == null) {
            broadcast(status("idle"));
        } else {
            listeners.clear();
        }
        lastActivity = System.nanoTime();
        return true;
    }

    /**
     * Restarts: drops the queue, stops the running cell (without waiting for it), replaces the kernel process (its
     * variables are lost) and resets the execution count to 0.
     */
    public void restart() {
        abortQueued();
        KernelProcess old;
        synchronized (sessionLock) {
            if (closed) {
                return;
            }
            if (current != null) {
                old = null;
            } else {
                old = process;
                process = startProcess();
                executionCount = 0;
            }
        }
        if (old == null) {
            hardRestart(null, "the kernel was restarted while the cell ran", "interrupted");
            return;
        }
        old.shutdown(SHUTDOWN_GRACE_MS);
        lastAbandoned = old.onExit().thenAccept(code -> {});
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
     * The operating system process the kernel's cells run in now (a restart replaces it). For monitoring and tests.
     *
     * @return the process handle
     */
    public ProcessHandle process() {
        synchronized (sessionLock) {
            return process.handle();
        }
    }

    /**
     * The languages whose context the kernel's process has ready for a first cell (a spare built in the background
     * after the process started: JavaScript, then Python; see {@link #SPARE_PYTHON_PROPERTY}). A restart starts again
     * with none.
     *
     * @return the languages, a snapshot
     */
    public Set<Language> warmLanguages() {
        synchronized (sessionLock) {
            return Set.copyOf(process.warm());
        }
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
     * Completes once the kernel process replaced by the last restart has ended (killed, for a hard restart): until then
     * it may still use a CPU core. For monitoring and tests.
     *
     * @return the future (already complete when there was no restart)
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
                    endCell(
                            j.cellId,
                            -1,
                            "KernelRestarted",
                            "the kernel failed (" + t + ") and was restarted",
                            "error");
                }
                hardRestart(null, "the kernel failed (" + t + ") and was restarted; its variables are lost", "error");
                return;
            }
        }
    }

    private void run(Job j, int gen) throws InterruptedException {
        KernelProcess p;
        int count;
        synchronized (sessionLock) {
            if (gen != generation) {
                return;
            }
            p = process;
            used.add(j.language);
            lastLanguage = j.language;
            count = ++executionCount;
            j.count = count;
            current = j;
        }
        ObjectNode request = F.objectNode();
        request.put("op", "execute");
        request.put("n", count);
        request.put("cellId", j.cellId);
        request.put("language", j.language.id());
        request.put("code", j.code);
        request.put("source", "cell-" + count + (j.language == Language.JS ? ".js" : ".py"));
        p.send(request);
        broadcast(status("busy"));
        ObjectNode start = msg("start", j.cellId);
        start.put("count", count);
        broadcast(start);
        long t0 = System.nanoTime();
        j.tick = TICKS.scheduleAtFixedRate(
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
        String status = null;
        List<ObjectNode> out = new ArrayList<>();
        try {
            while (status == null) {
                JsonNode e = p.events().poll(200, TimeUnit.MILLISECONDS);
                if (gen != generation || closed) {
                    return; // restarted hard while the cell ran: the restart already reported the cell
                }
                if (e == null) {
                    continue;
                }
                String type = e.path("type").asText();
                if (type.equals("exit")) {
                    // the process died under the cell: report and replace it (unless its exit watcher already did)
                    processEnded(p, e.path("code").asInt());
                    return;
                }
                if (!(e instanceof ObjectNode m) || (e.has("n") && e.get("n").asInt() != count)) {
                    continue;
                }
                if (!type.equals("ready") && !j.cellId.equals(e.path("cellId").asText())) {
                    continue;
                }
                switch (type) {
                    case "started" -> {
                        j.prewarmed = e.path("prewarmed").asBoolean(false);
                        j.started = true;
                    }
                    case "stream", "display" -> broadcast(m);
                    case "result" -> {
                        m.put("count", count);
                        out.add(m);
                    }
                    case "error" -> out.add(m);
                    case "end" -> status = e.path("status").asText("error");
                    default -> {}
                }
            }
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
        done.put("prewarmed", j.prewarmed);
        broadcast(done);
        lastActivity = System.nanoTime();
        if (queue.isEmpty()) {
            broadcast(status("idle"));
        }
    }

    /**
     * Ends a cell the kernel could not finish normally (its process died or was replaced, the worker failed): an {@code
     * error} message, then {@code done} with the status; {@code count} and {@code elapsedMs} 0 only when the cell had a
     * count ({@code count >= 0}).
     */
    private void endCell(String cellId, int count, String ename, String evalue, String status) {
        ObjectNode m = msg("error", cellId);
        m.put("ename", ename);
        m.put("evalue", evalue);
        m.putArray("traceback").add(ename + ": " + evalue);
        broadcast(m);
        ObjectNode done = msg("done", cellId);
        if (count >= 0) {
            done.put("count", count);
        }
        done.put("status", status);
        if (count >= 0) {
            done.put("elapsedMs", 0);
        }
        broadcast(done);
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

    /**
     * Shuts the kernel down: drops the queue, ends its process (killed at once when a cell runs; else asked to exit and
     * killed after a few seconds if it has not).
     */
    @Override
    public void close() {
        shutDown(null);
    }

    /**
     * {@link #close()}, with {@code lastWords} (when not {@code null}) broadcast once the kernel is marked closed and
     * before its listeners are dropped.
     */
    private void shutDown(Runnable lastWords) {
        KernelProcess p;
        boolean running;
        synchronized (sessionLock) {
            if (closed) {
                return;
            }
            closed = true;
            generation++;
            p = process;
            Job j = current;
            running = j != null;
            if (j != null && j.tick != null) {
                j.tick.cancel(false);
            }
        }
        if (lastWords != null) {
            lastWords.run();
        }
        abortQueued();
        Thread w = worker;
        if (w != null) {
            w.interrupt();
        }
        if (running) {
            p.kill();
        } else {
            p.shutdown(SHUTDOWN_GRACE_MS);
        }
        listeners.clear();
    }
}
