package dev.winnow.webui.notebook.kernel;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outgoing messages of one client (a page's WebSocket): a bounded queue that the kernel fills without ever
 * waiting, drained by the client's own sender (a virtual thread) that does the blocking network writes.
 *
 * <p>Drop policy: a client whose queue is over its bound (10,000 messages or 16 Mi characters by default) and whose
 * last completed send is older than {@link #STALL} (it never reads, or has stopped reading) is dropped: its
 * connection is cut and it is detached from the kernel. A client that is still reading may queue up to {@link
 * #HARD_FACTOR} times the bound (a burst of output, e.g. a cell printing tens of megabytes at once), beyond which it
 * is dropped as well. A client whose send fails (it went away in the middle of the output) is dropped too. Nothing a client does reaches the kernel's thread. Consecutive {@code stream}
 * messages of the same cell and stream that are still waiting are merged (up to {@link #MERGE_CHARS} characters), so
 * a cell printing many short lines costs few entries.
 *
 * <p>Thread-safe.
 */
public final class ClientQueue implements KernelListener {
    private static final Logger LOG = LoggerFactory.getLogger(ClientQueue.class);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Default bound on the waiting messages (after merging). */
    public static final int DEFAULT_MAX_MESSAGES = 10_000;

    /** Default bound on the waiting characters: 16 Mi (a message larger than that is accepted into an empty queue). */
    public static final long DEFAULT_MAX_CHARS = 16L << 20;

    /** How long without a completed send makes a client over its bound count as stalled. */
    public static final Duration STALL = Duration.ofSeconds(2);

    /** How many times its bound a client that still reads may queue. */
    public static final int HARD_FACTOR = 4;

    /** The most characters one merged {@code stream} message collects. */
    public static final int MERGE_CHARS = 64 << 10;

    /** Where a client's messages go. */
    public interface Transport {
        /**
         * Sends one text frame, blocking until it is written.
         *
         * @param text the message
         * @throws IOException when the connection is gone
         */
        void send(String text) throws IOException;

        /** Cuts the connection at once (called once, when the client is dropped). */
        void disconnect();
    }

    /** A waiting message: serialised, or a stream text still open for merging. */
    private static final class Entry {
        final String json;
        final String cellId;
        final String stream;
        final StringBuilder text;

        Entry(String json) {
            this.json = json;
            this.cellId = null;
            this.stream = null;
            this.text = null;
        }

        Entry(String cellId, String stream, String text) {
            this.json = null;
            this.cellId = cellId;
            this.stream = stream;
            this.text = new StringBuilder(text);
        }

        long chars() {
            return json != null ? json.length() : text.length();
        }

        String serialise() {
            if (json != null) {
                return json;
            }
            ObjectNode m = F.objectNode();
            m.put("type", "stream");
            m.put("cellId", cellId);
            m.put("name", stream);
            m.put("text", text.toString());
            return m.toString();
        }
    }

    private final String name;
    private final Transport transport;
    private final Runnable onDrop;
    private final int maxMessages;
    private final long maxChars;
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    private long chars;
    private volatile long lastProgress = System.nanoTime();
    private final AtomicBoolean dropped = new AtomicBoolean();
    private volatile String dropReason;
    private final Thread sender;

    /**
     * Creates the queue with the default bounds and starts its sender.
     *
     * @param name the client, for logs and the sender's thread name
     * @param transport the connection
     * @param onDrop run once when the client is dropped (detach it from its kernel there); not on the kernel's thread
     */
    public ClientQueue(String name, Transport transport, Runnable onDrop) {
        this(name, transport, onDrop, DEFAULT_MAX_MESSAGES, DEFAULT_MAX_CHARS);
    }

    /**
     * Creates the queue and starts its sender.
     *
     * @param name the client, for logs and the sender's thread name
     * @param transport the connection
     * @param onDrop run once when the client is dropped (detach it from its kernel there); not on the kernel's thread
     * @param maxMessages the most waiting messages before the client is dropped
     * @param maxChars the most waiting characters before the client is dropped
     */
    public ClientQueue(String name, Transport transport, Runnable onDrop, int maxMessages, long maxChars) {
        if (maxMessages <= 0 || maxChars <= 0) {
            throw new IllegalArgumentException("client queue bounds must be positive, got " + maxMessages
                    + " messages and " + maxChars + " characters");
        }
        this.name = name;
        this.transport = transport;
        this.onDrop = onDrop;
        this.maxMessages = maxMessages;
        this.maxChars = maxChars;
        this.sender = Thread.ofVirtual().name("winnow-ws-send " + name).start(this::drain);
    }

    /**
     * Queues a message for the client; never blocks. When the queue is full the client is dropped instead.
     *
     * @param message a JSON object
     */
    @Override
    public void message(ObjectNode message) {
        if (dropped.get()) {
            return;
        }
        boolean stream = "stream".equals(message.path("type").asText());
        String overflow = null;
        synchronized (queue) {
            Entry last = queue.peekLast();
            if (stream) {
                String cellId = message.path("cellId").asText();
                String s = message.path("name").asText();
                String text = message.path("text").asText();
                if (last != null
                        && last.text != null
                        && last.cellId.equals(cellId)
                        && last.stream.equals(s)
                        && last.text.length() + text.length() <= MERGE_CHARS) {
                    last.text.append(text);
                    chars += text.length();
                } else {
                    overflow = add(new Entry(cellId, s, text));
                }
            } else {
                overflow = add(new Entry(message.toString()));
            }
            if (overflow == null) {
                queue.notifyAll();
            }
        }
        if (overflow != null) {
            drop(overflow);
        }
    }

    private String add(Entry e) {
        if (!queue.isEmpty() && (queue.size() >= maxMessages || chars + e.chars() > maxChars)) {
            long idleMs = (System.nanoTime() - lastProgress) / 1_000_000;
            boolean hard =
                    queue.size() >= (long) HARD_FACTOR * maxMessages || chars + e.chars() > HARD_FACTOR * maxChars;
            if (hard || idleMs >= STALL.toMillis()) {
                return "its queue is full (" + queue.size() + " messages, " + chars + " characters waiting, last send "
                        + idleMs + " ms ago): it reads too slowly";
            }
        }
        queue.addLast(e);
        chars += e.chars();
        return null;
    }

    private void drain() {
        try {
            while (!dropped.get()) {
                Entry e;
                synchronized (queue) {
                    while (queue.isEmpty() && !dropped.get()) {
                        lastProgress = System.nanoTime(); // nothing to send is not a stall
                        queue.wait();
                    }
                    if (dropped.get()) {
                        return;
                    }
                    e = queue.pollFirst();
                    chars -= e.chars();
                }
                transport.send(e.serialise());
                lastProgress = System.nanoTime();
            }
        } catch (InterruptedException e) {
            // dropped or closed
        } catch (IOException | RuntimeException e) {
            drop("sending failed: " + e);
        }
    }

    /**
     * Whether the client was dropped (or closed).
     *
     * @return {@code true} once dropped
     */
    public boolean dropped() {
        return dropped.get();
    }

    /**
     * Why the client was dropped.
     *
     * @return the reason, or {@code null} while it is connected
     */
    public String dropReason() {
        return dropReason;
    }

    /**
     * Drops the client: discards its waiting messages, stops the sender, cuts the connection and runs the drop action.
     * Idempotent; never blocks the caller on the network.
     *
     * @param reason why, for the log
     */
    public void drop(String reason) {
        if (!dropped.compareAndSet(false, true)) {
            return;
        }
        dropReason = reason;
        LOG.info("notebook client {} dropped: {}", name, reason);
        synchronized (queue) {
            queue.clear();
            chars = 0;
            queue.notifyAll();
        }
        sender.interrupt();
        Thread.ofVirtual().name("winnow-ws-drop " + name).start(() -> {
            try {
                onDrop.run();
            } finally {
                try {
                    transport.disconnect();
                } catch (RuntimeException e) {
                    LOG.debug("disconnecting client {} failed", name, e);
                }
            }
        });
    }

    /** Stops the sender after the connection closed normally (no disconnect, no drop action). Idempotent. */
    public void close() {
        if (!dropped.compareAndSet(false, true)) {
            return;
        }
        dropReason = "closed";
        synchronized (queue) {
            queue.clear();
            chars = 0;
            queue.notifyAll();
        }
        sender.interrupt();
    }
}
