package dev.winnow.scripting;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.runtime.Cancellation;
import dev.winnow.scripting.engine.DisplayBridge;
import dev.winnow.scripting.engine.GuestContext;
import dev.winnow.scripting.engine.JsRepl;
import dev.winnow.scripting.engine.Renderer;
import dev.winnow.scripting.host.HostEnvironment;
import dev.winnow.scripting.host.WinnowApi;
import dev.winnow.scripting.sandbox.SandboxFileSystem;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kernel: one sandboxed context per language (created on the first cell of that language), whose variables persist
 * from cell to cell, the {@code winnow} host object and the global {@code display(...)}. Cells run one at a time;
 * {@link #interrupt()} may be called from any thread.
 */
public final class ScriptSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScriptSession.class);
    /** How long {@link #interrupt()} waits for the cell to stop before cancelling its context. */
    public static final Duration INTERRUPT_GRACE = Duration.ofSeconds(1);

    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "winnow-script-deadline");
        t.setDaemon(true);
        return t;
    });

    /** The MIME type of progress bundles of long host calls (the notebook draws a progress bar). */
    public static final String PROGRESS_MIME = "application/vnd.winnow.progress+json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ScriptHost host;
    private final List<String> arguments;
    private final Map<Language, GuestContext> contexts = new ConcurrentHashMap<>();
    private final ReentrantLock cellLock = new ReentrantLock();
    private final Cancellation cancellation = new Cancellation();
    private final DisplayBridge bridge;
    private final WinnowApi winnow;
    private volatile GuestContext running;
    private volatile OutputSink sink;
    private volatile String interruptReason;
    private volatile boolean closed;
    /** The number of the cell in {@link #run} (counted from 1), or 0 between cells. */
    private volatile long cellInRun;
    /** The cell number an interrupt arrived for while its context was still starting (0: none). */
    private volatile long pendingInterruptFor;

    private volatile String pendingInterruptReason;
    private long cells;
    /**
     * Orders the end of a cell against an interrupt that gives up waiting: either the interrupt marks the context broken
     * while the cell still runs (and {@link #run} then drops it), or it sees the cell already ended and leaves the
     * context alone. Without it, an interrupt timing out just as the cell ended cancelled a context the next cell used.
     */
    private final Object cellEnd = new Object();

    ScriptSession(ScriptHost host, List<String> arguments) {
        this.host = host;
        this.arguments = arguments;
        this.bridge = new DisplayBridge(() -> running, () -> sink);
        this.winnow = new WinnowApi(new Environment());
    }

    /**
     * Runs a cell with no deadline.
     *
     * @see #run(Language, String, String, OutputSink, Duration)
     */
    public CellResult run(Language language, String code, String sourceName, OutputSink sink) throws ScriptFailure {
        return run(language, code, sourceName, sink, null);
    }

    /**
     * Runs a cell and blocks until it ends. Standard output and error reach {@code sink} as the script writes them, and
     * so do {@code display(...)} calls; the value of the last expression is returned rendered as a MIME bundle.
     *
     * @param language the cell's language
     * @param code the source code
     * @param sourceName the name tracebacks use, e.g. {@code "cell-3.py"} or the script's path
     * @param sink where output goes while the cell runs
     * @param deadline the longest the cell may run before it is interrupted, or {@code null} for none
     * @return the value of the last expression
     * @throws ScriptFailure when the cell raised, did not parse, exceeded the statement limit, or ({@link
     *     ScriptInterrupted}) was interrupted or ran past its deadline
     * @throws IllegalStateException when the session is closed
     */
    public CellResult run(Language language, String code, String sourceName, OutputSink sink, Duration deadline)
            throws ScriptFailure {
        return run(language, code, sourceName, sink, deadline, null);
    }

    /**
     * Runs a cell, as {@link #run(Language, String, String, OutputSink, Duration)}, for a caller that tracks interrupts
     * of its own (a notebook kernel): once the cell's context has started and just before its code runs, {@code
     * interrupted} is asked whether the cell was interrupted meanwhile; if so the cell ends with {@link
     * ScriptInterrupted} without running. This closes the window between the caller deciding to run the cell and this
     * method registering it, where {@link #interrupt()} would find no cell.
     *
     * @param language the cell's language
     * @param code the source code
     * @param sourceName the name tracebacks use
     * @param sink where output goes while the cell runs
     * @param deadline the longest the cell may run, or {@code null} for none
     * @param interrupted whether the caller interrupted the cell, or {@code null}
     * @return the value of the last expression
     * @throws ScriptFailure as the other overload
     */
    public CellResult run(
            Language language,
            String code,
            String sourceName,
            OutputSink sink,
            Duration deadline,
            BooleanSupplier interrupted)
            throws ScriptFailure {
        if (language == null || code == null || sourceName == null || sink == null) {
            throw new IllegalArgumentException("run: language, code, sourceName and sink must not be null");
        }
        if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
            throw new IllegalArgumentException("run: deadline must be positive, got " + deadline);
        }
        cellLock.lock();
        long cell = ++cells;
        cellInRun = cell;
        try {
            if (closed) {
                throw new IllegalStateException("script session is closed");
            }
            GuestContext g;
            try {
                g = context(language);
            } catch (PolyglotException e) {
                String why = host.hostPaths().scrub(e.getMessage());
                throw new ScriptFailure(
                        language,
                        "ContextError",
                        "the " + language.displayName() + " context could not start: " + why,
                        null,
                        -1,
                        why,
                        e.isResourceExhausted());
            }
            if (closed) {
                throw new IllegalStateException("script session is closed");
            }
            cancellation.reset();
            interruptReason = null;
            this.sink = sink;
            g.output(sink);
            running = g;
            // an interrupt that arrived while the context was starting (interrupt() saw no running context) applies now
            if (pendingInterruptFor == cell || (interrupted != null && interrupted.getAsBoolean())) {
                String why = pendingInterruptReason == null ? "interrupted" : pendingInterruptReason;
                running = null;
                g.output(null);
                this.sink = null;
                throw new ScriptInterrupted(
                        language, why, null, -1, "Interrupted: " + why + " (before the cell started)");
            }
            ScheduledFuture<?> timer = null;
            long t0 = System.nanoTime();
            try {
                g.context().resetLimits();
                g.register(sourceName, code);
                g.files().clearRefusals();
                if (deadline != null) {
                    timer = DEADLINES.schedule(
                            () -> interrupt("deadline of " + deadline.toMillis() + " ms exceeded"),
                            deadline.toNanos(),
                            TimeUnit.NANOSECONDS);
                }
                Source src = Source.newBuilder(language.id(), code, sourceName).buildLiteral();
                if (language == Language.JS) {
                    // JavaScript cells get REPL semantics: top-level const/let/class can be declared again by a later
                    // run
                    String rewritten = JsRepl.rewrite(code);
                    if (!rewritten.equals(code)) {
                        Source repl = Source.newBuilder(language.id(), rewritten, sourceName)
                                .buildLiteral();
                        try {
                            g.context().parse(repl);
                            src = repl;
                        } catch (PolyglotException e) {
                            if (!e.isSyntaxError()) {
                                throw e;
                            }
                            // nothing ran: evaluating the cell as written reports its syntax error in the user's own
                            // text
                        }
                    }
                }
                Value v = g.context().eval(src);
                DisplayData shown = Renderer.render(g, v, null);
                return new CellResult(language, Optional.ofNullable(shown), Duration.ofNanos(System.nanoTime() - t0));
            } catch (PolyglotException e) {
                throw FailureMapper.map(
                        g, e, sourceName, interruptReason, host.sandbox().statementLimit());
            } catch (IllegalArgumentException e) {
                // a value the renderer could not show
                throw new ScriptFailure(
                        language, "DisplayError", e.getMessage(), sourceName, -1, e.getMessage(), false);
            } finally {
                if (timer != null) {
                    timer.cancel(false);
                }
                try {
                    g.flush();
                } catch (PolyglotException | IllegalStateException e) {
                    LOG.debug("flushing script output failed", e);
                }
                boolean broken;
                synchronized (cellEnd) {
                    running = null;
                    broken = g.broken();
                }
                g.output(null);
                this.sink = null;
                if (broken) {
                    contexts.remove(language);
                    g.close();
                }
            }
        } finally {
            cellInRun = 0;
            pendingInterruptFor = 0;
            cellLock.unlock();
        }
    }

    /**
     * Stops the running cell, if any: the cell ends with {@link ScriptInterrupted} within {@link #INTERRUPT_GRACE} and
     * the session stays usable. Host calls in progress observe the session's cancellation token. If the cell does not
     * stop in time (a host call that does not poll), its context is cancelled and rebuilt for the next cell, losing
     * that language's variables. An interrupt that arrives while the cell's context is still starting (GraalPy's first
     * context takes seconds) is kept and applied as soon as the context has started: the cell then ends with {@link
     * ScriptInterrupted} without running. Callable from any thread; does nothing when no cell runs.
     */
    public void interrupt() {
        interrupt("interrupted");
    }

    private void interrupt(String reason) {
        long cell = cellInRun;
        if (cell != 0) {
            // run() checks this after setting running: whichever of the two sides comes second sees the other's write
            pendingInterruptReason = reason;
            pendingInterruptFor = cell;
        }
        GuestContext g = running;
        if (g == null) {
            return;
        }
        interruptReason = reason;
        cancellation.cancel(reason);
        try {
            g.context().interrupt(INTERRUPT_GRACE);
        } catch (TimeoutException e) {
            synchronized (cellEnd) {
                if (running != g || cellInRun != cell) {
                    LOG.debug("the interrupted cell ended just as the grace period ran out; its context is kept");
                    return;
                }
                g.markBroken();
            }
            LOG.warn(
                    "{} cell did not stop within {} ms; cancelling its context",
                    g.language().displayName(),
                    INTERRUPT_GRACE.toMillis());
            // cancelling waits for the host call to return: do it off the caller's thread so interrupt() stays prompt
            Thread closer = new Thread(() -> g.context().close(true), "winnow-script-cancel");
            closer.setDaemon(true);
            closer.start();
        } catch (IllegalStateException | PolyglotException e) {
            LOG.debug("interrupt raced with the end of the cell", e);
        }
    }

    /**
     * Whether a cell's code is running now (its context has started).
     *
     * @return {@code true} from the moment the cell's context is ready until the end of {@link #run}
     */
    public boolean busy() {
        return running != null;
    }

    /**
     * Whether this session's context of a language was a pre-warmed spare of its host ({@link ScriptHost#prewarm}) that
     * was ready when the session's first cell of that language asked for it, rather than built for that cell.
     *
     * @param language the language
     * @return {@code false} also when the session has no context of that language (yet)
     */
    public boolean prewarmed(Language language) {
        GuestContext g = contexts.get(language);
        return g != null && g.prewarmed();
    }

    /**
     * The {@code winnow} object this session's scripts see (for Java callers that want the same verbs).
     *
     * @return the host object
     */
    public WinnowApi winnow() {
        return winnow;
    }

    private GuestContext context(Language language) {
        GuestContext g = contexts.get(language);
        if (g != null && g.broken()) {
            // cancelled after its cell (a cancelled context cannot run again): start a new one
            contexts.remove(language);
            g.close();
            g = null;
        }
        if (g == null) {
            g = host.take(language);
            g.attach(bridge, winnow, WinnowApi.HOST_TYPES.toArray(Class<?>[]::new));
            contexts.put(language, g);
        }
        return g;
    }

    /**
     * Closes the session without waiting for a running cell: for a cell that ignores interrupts (a builtin that never
     * polls, such as a JavaScript sort of millions of numbers or Python's {@code str} of a huge integer). The session
     * is closed at once ({@link #run} throws {@link IllegalStateException} from now on); its contexts are cancelled
     * ({@code Context.close(true)}) on a background thread, and the thread stuck in the cell is released as soon as
     * the builtin returns to the guest language. Idempotent; a no-op after {@link #close()}.
     *
     * @return completes once the cell's thread has left the session and its contexts and host objects are closed
     */
    public CompletableFuture<Void> abandon() {
        CompletableFuture<Void> released = new CompletableFuture<>();
        if (closed) {
            released.complete(null);
            return released;
        }
        closed = true;
        interruptReason = "session abandoned";
        cancellation.cancel("session abandoned");
        Thread closer = new Thread(
                () -> {
                    try {
                        for (GuestContext g : List.copyOf(contexts.values())) {
                            g.markBroken();
                            g.close();
                        }
                        cellLock.lock();
                        try {
                            winnow.close();
                            for (GuestContext g : contexts.values()) {
                                g.close();
                            }
                            contexts.clear();
                        } finally {
                            cellLock.unlock();
                        }
                        host.forget(this);
                        released.complete(null);
                    } catch (RuntimeException | Error e) {
                        LOG.warn("closing an abandoned script session failed", e);
                        released.completeExceptionally(e);
                    }
                },
                "winnow-script-abandon");
        closer.setDaemon(true);
        closer.start();
        return released;
    }

    /**
     * Interrupts a running cell and closes the session's contexts. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        interrupt("session closed");
        cellLock.lock();
        try {
            winnow.close();
            for (GuestContext g : contexts.values()) {
                g.close();
            }
            contexts.clear();
        } finally {
            cellLock.unlock();
        }
        host.forget(this);
    }

    private final class Environment implements HostEnvironment {
        private volatile SandboxFileSystem paths;

        @Override
        public SandboxFileSystem paths() {
            SandboxFileSystem p = paths;
            if (p == null) {
                p = new SandboxFileSystem(host.sandbox(), host::hostPaths);
                paths = p; // a race builds two equal views; either serves
            }
            return p;
        }

        @Override
        public Cancellation cancellation() {
            return cancellation;
        }

        @Override
        public Sandbox sandbox() {
            return host.sandbox();
        }

        @Override
        public List<String> arguments() {
            return arguments;
        }

        @Override
        public void display(Value value, String mime) {
            bridge.display(value, mime);
        }

        private long lastProgress;

        @Override
        public void progress(String id, String label, long done, long total) {
            long now = System.nanoTime();
            if (done != total && now - lastProgress < 250_000_000L) {
                return;
            }
            lastProgress = now;
            ObjectNode o =
                    JSON.createObjectNode().put("id", id).put("label", label).put("done", done);
            if (total >= 0) {
                o.put("total", total);
            }
            Map<String, String> bundle = new LinkedHashMap<>();
            bundle.put(PROGRESS_MIME, o.toString());
            bundle.put(DisplayData.TEXT_PLAIN, label + " " + done + (total >= 0 ? "/" + total : ""));
            bridge.show(new DisplayData(bundle));
        }

        @Override
        public RuntimeException guestError(String message) {
            GuestContext g = running;
            if (g == null) {
                return new IllegalStateException(message);
            }
            // the script sees it: no absolute host paths outside the workspace
            message = host.hostPaths().scrub(message);
            try {
                g.raiser().execute("WinnowError", message);
            } catch (PolyglotException e) {
                return e;
            }
            return new IllegalStateException(message);
        }
    }
}
