package dev.winnow.webui.notebook.kernel;

import dev.winnow.scripting.ScriptHost;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link Kernel} per open notebook, keyed by the notebook's relative path; created on first use, shared by every
 * page showing that notebook. A kernel with no client, no running and no queued cell for the idle timeout is shut
 * down (culled, as Jupyter Server's {@code cull_idle_timeout} does); the next page that opens the notebook gets a
 * fresh one. Thread-safe.
 */
public final class KernelRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KernelRegistry.class);

    /** The default idle timeout: one hour. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(1);

    private final ScriptHost host;
    private final Duration idleTimeout;
    private final Map<String, Kernel> kernels = new HashMap<>();
    private final ScheduledExecutorService culler;

    /**
     * Creates the registry with the default idle timeout.
     *
     * @param host the script host whose sandbox the kernels' processes run cells in
     */
    public KernelRegistry(ScriptHost host) {
        this(host, DEFAULT_IDLE_TIMEOUT);
    }

    /**
     * Creates the registry.
     *
     * @param host the script host whose sandbox the kernels' processes run cells in
     * @param idleTimeout how long a kernel may sit with no client and no cell before it is shut down; zero: never
     * @throws IllegalArgumentException for a negative timeout
     */
    public KernelRegistry(ScriptHost host, Duration idleTimeout) {
        if (idleTimeout == null || idleTimeout.isNegative()) {
            throw new IllegalArgumentException(
                    "kernel idle timeout must be zero (never) or positive, got " + idleTimeout);
        }
        this.host = host;
        this.idleTimeout = idleTimeout;
        if (idleTimeout.isZero()) {
            culler = null;
        } else {
            culler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "winnow-kernel-culler");
                t.setDaemon(true);
                return t;
            });
            long period = Math.clamp(idleTimeout.toMillis() / 4, 20, 60_000);
            culler.scheduleWithFixedDelay(this::cull, period, period, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The idle timeout.
     *
     * @return the timeout, zero when kernels are never culled
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * The kernel of a notebook, started if it has none. The caller must have checked that the notebook exists.
     *
     * @param notebook the notebook's relative path
     * @return its kernel
     */
    public synchronized Kernel kernel(String notebook) {
        Kernel k = kernels.get(notebook);
        if (k == null || k.closed()) {
            // none yet, or one that shut itself down (its process could not start): a new one
            k = new Kernel(host, notebook);
            kernels.put(notebook, k);
        }
        return k;
    }

    /**
     * Attaches a client to the kernel of a notebook (started if it has none), atomically with respect to culling.
     *
     * @param notebook the notebook's relative path (the caller must have checked that the notebook exists)
     * @param listener the client
     * @return the kernel
     */
    public synchronized Kernel attach(String notebook, KernelListener listener) {
        Kernel k = kernel(notebook);
        k.attach(listener);
        return k;
    }

    /**
     * The kernel of a notebook if it has one.
     *
     * @param notebook the notebook's relative path
     * @return the kernel, or {@code null}
     */
    public synchronized Kernel existing(String notebook) {
        return kernels.get(notebook);
    }

    /**
     * How many kernels run.
     *
     * @return the number of kernels
     */
    public synchronized int size() {
        return kernels.size();
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

    private void cull() {
        List<Map.Entry<String, Kernel>> idle = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Map.Entry<String, Kernel>> it = kernels.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Kernel> e = it.next();
                if (e.getValue().idleFor(idleTimeout)) {
                    idle.add(Map.entry(e.getKey(), e.getValue()));
                    it.remove();
                }
            }
        }
        for (Map.Entry<String, Kernel> e : idle) {
            LOG.info("kernel of {} idle for {}: shutting it down", e.getKey(), idleTimeout);
            try {
                e.getValue().close();
            } catch (RuntimeException ex) {
                LOG.warn("shutting down the idle kernel of {} failed", e.getKey(), ex);
            }
        }
    }

    /** Shuts every kernel down. */
    @Override
    public void close() {
        if (culler != null) {
            culler.shutdownNow();
        }
        List<Kernel> all;
        synchronized (this) {
            all = new ArrayList<>(kernels.values());
            kernels.clear();
        }
        all.forEach(Kernel::close);
    }
}
