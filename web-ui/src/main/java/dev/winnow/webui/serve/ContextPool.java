package dev.winnow.webui.serve;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of model contexts (rankers or embedders, each confined to one thread at a time) lent to requests, with
 * back-pressure: a request takes an idle context, or waits for one when at most {@code maxWaiting} requests are
 * already waiting; beyond that, or after {@code maxWait}, it is refused with 429 (and {@code Retry-After}).
 *
 * @param <T> the context type
 */
final class ContextPool<T> {
    private final String model;
    private final List<T> all;
    private final BlockingQueue<T> idle;
    private final int maxWaiting;
    private final Duration maxWait;
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * @param model the served model's name (for messages)
     * @param contexts the contexts, at least one
     * @param maxWaiting requests allowed to wait for a context, {@code >= 0}
     * @param maxWait how long one request waits at most
     */
    ContextPool(String model, List<T> contexts, int maxWaiting, Duration maxWait) {
        if (contexts.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one context");
        }
        if (maxWaiting < 0) {
            throw new IllegalArgumentException("maxWaiting must be >= 0, got " + maxWaiting);
        }
        this.model = model;
        this.all = List.copyOf(contexts);
        this.idle = new ArrayBlockingQueue<>(all.size(), true, all);
        this.maxWaiting = maxWaiting;
        this.maxWait = maxWait;
    }

    /**
     * Takes a context; the caller gives it back with {@link #release}.
     *
     * @return an idle context
     * @throws ApiException 429 when every context is busy and the wait queue is full, or no context came free in time
     * @throws InterruptedException when interrupted while waiting
     */
    T acquire() throws InterruptedException {
        T t = idle.poll();
        if (t != null) {
            return t;
        }
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            throw new ApiException(
                    429,
                    "rate_limit_error",
                    null,
                    "server_busy",
                    "model '" + model + "': all " + all.size() + " contexts are busy and " + maxWaiting
                            + " requests are already waiting; retry later");
        }
        try {
            t = idle.poll(maxWait.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            waiting.decrementAndGet();
        }
        if (t == null) {
            throw new ApiException(
                    429,
                    "rate_limit_error",
                    null,
                    "server_busy",
                    "model '" + model + "': no context came free within " + maxWait.toSeconds() + " s; retry later");
        }
        return t;
    }

    /**
     * Gives a context back.
     *
     * @param t a context {@link #acquire} returned
     */
    void release(T t) {
        idle.add(t);
    }

    /**
     * @return every context (to close them)
     */
    List<T> all() {
        return all;
    }

    /**
     * @return the number of contexts
     */
    int size() {
        return all.size();
    }

    /**
     * @return contexts lent out now
     */
    int busy() {
        return all.size() - idle.size();
    }

    /**
     * @return requests waiting for a context now
     */
    int waiting() {
        return waiting.get();
    }
}
