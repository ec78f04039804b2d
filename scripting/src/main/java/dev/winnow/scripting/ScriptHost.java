package dev.winnow.scripting;

import dev.winnow.scripting.engine.GuestContext;
import dev.winnow.scripting.engine.SharedEngine;
import dev.winnow.scripting.sandbox.HostPaths;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs sandboxed JavaScript and Python for one sandbox: the factory of {@link ScriptSession}s (a notebook kernel, a
 * {@code winnow run}). All hosts of the JVM share one polyglot engine; each host can keep one initialised spare
 * context per language ready ({@link #prewarm}), so that a session's first Python cell does not wait for GraalPy's
 * start (about 6 s for the JVM's first context on 2 cores, 0.2-0.4 s for later ones).
 *
 * <p>Thread-safe. Closing the host closes its sessions.
 */
public final class ScriptHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScriptHost.class);

    private final Sandbox sandbox;
    private volatile HostPaths hostPaths;
    private final Map<Language, CompletableFuture<GuestContext>> spares = new EnumMap<>(Language.class);
    private final Set<Language> prewarmed = EnumSet.noneOf(Language.class);
    private final List<ScriptSession> sessions = new ArrayList<>();
    private ExecutorService warmer;
    private boolean closed;

    private ScriptHost(Sandbox sandbox) {
        this.sandbox = sandbox;
    }

    /**
     * Creates a host. Cheap: the shared engine and contexts are built on first use or by {@link #prewarm}.
     *
     * @param sandbox what scripts of this host may touch
     * @return the host
     */
    public static ScriptHost create(Sandbox sandbox) {
        if (sandbox == null) {
            throw new IllegalArgumentException("sandbox is null");
        }
        return new ScriptHost(sandbox);
    }

    /**
     * The host's sandbox.
     *
     * @return the sandbox
     */
    public Sandbox sandbox() {
        return sandbox;
    }

    /**
     * How messages shown to this host's scripts name host folders: the sandbox's {@link Sandbox#hostPaths()}, built
     * once, on first use, and shared by the host's sessions and contexts. Built lazily because the first use comes from
     * a running context: by then GraalPy has unpacked its home into GraalVM's resource cache (on a fresh cache it is
     * not there before), so the home is named {@code <graalpy-home>}.
     *
     * @return the naming
     */
    public HostPaths hostPaths() {
        HostPaths h = hostPaths;
        if (h == null) {
            h = sandbox.hostPaths();
            hostPaths = h; // a race builds two equal namings; either serves
        }
        return h;
    }

    /**
     * Whether scripts are compiled by the optimizing Truffle runtime (the JVM was started with the Graal compiler on the
     * upgrade module path and JVMCI enabled) rather than interpreted.
     *
     * @return {@code true} when compiled
     */
    public boolean optimizing() {
        return SharedEngine.optimizing();
    }

    /**
     * Keeps one initialised spare context per given language, built in the background now and again each time a
     * session takes the spare.
     *
     * @param languages the languages to keep warm
     * @return this host
     */
    public synchronized ScriptHost prewarm(Language... languages) {
        ensureOpen();
        for (Language l : languages) {
            prewarmed.add(l);
            refill(l);
        }
        return this;
    }

    /**
     * Opens a session with no script arguments.
     *
     * @return a new session with its own variables per language
     */
    public ScriptSession openSession() {
        return openSession(List.of());
    }

    /**
     * Opens a session whose scripts see {@code winnow.args()} = {@code arguments}.
     *
     * @param arguments the script's command-line arguments
     * @return a new session
     */
    public synchronized ScriptSession openSession(List<String> arguments) {
        ensureOpen();
        ScriptSession s = new ScriptSession(this, List.copyOf(arguments));
        sessions.add(s);
        return s;
    }

    /** Takes the spare context of a language if one is ready or being built, else builds one on this thread. */
    GuestContext take(Language language) {
        CompletableFuture<GuestContext> spare;
        synchronized (this) {
            ensureOpen();
            spare = spares.remove(language);
            if (prewarmed.contains(language)) {
                refill(language);
            }
        }
        if (spare != null) {
            try {
                boolean ready = spare.isDone();
                GuestContext g = spare.join();
                if (ready) {
                    g.markPrewarmed();
                }
                return g;
            } catch (CompletionException e) {
                LOG.warn("pre-warmed {} context failed; building another", language.displayName(), e.getCause());
            }
        }
        return new GuestContext(language, sandbox, this::hostPaths);
    }

    /**
     * Completes when the spare context of a language that this host keeps warm ({@link #prewarm}) has been built: at
     * once when it is ready, when it was already taken or failed, or when the language is not kept warm.
     *
     * @param language the language
     * @return the future
     */
    public synchronized CompletableFuture<Void> spareReady(Language language) {
        CompletableFuture<GuestContext> spare = spares.get(language);
        if (spare == null) {
            return CompletableFuture.completedFuture(null);
        }
        return spare.handle((g, t) -> null);
    }

    synchronized void forget(ScriptSession session) {
        sessions.remove(session);
    }

    private void refill(Language language) {
        if (spares.containsKey(language)) {
            return;
        }
        if (warmer == null) {
            warmer = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "winnow-script-prewarm");
                t.setDaemon(true);
                return t;
            });
        }
        spares.put(
                language,
                CompletableFuture.supplyAsync(() -> new GuestContext(language, sandbox, this::hostPaths), warmer));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("script host is closed");
        }
    }

    /** Closes every session of this host and the spare contexts. */
    @Override
    public void close() {
        List<ScriptSession> open;
        List<CompletableFuture<GuestContext>> spare;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(sessions);
            spare = new ArrayList<>(spares.values());
            spares.clear();
        }
        for (ScriptSession s : open) {
            s.close();
        }
        for (CompletableFuture<GuestContext> f : spare) {
            f.thenAccept(GuestContext::close);
        }
        if (warmer != null) {
            warmer.shutdown();
        }
    }
}
