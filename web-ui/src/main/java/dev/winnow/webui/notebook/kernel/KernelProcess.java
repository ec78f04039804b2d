package dev.winnow.webui.notebook.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.Sandbox;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's handle on one kernel process ({@link KernelProcessMain}): a child JVM started with the server's own
 * {@code java} binary, JVM options and class path, with the sandbox of the server's script host. Its events arrive,
 * parsed, in {@link #events()}; when the process ends, an {@code exit {code}} event comes last. Its standard error
 * goes to the server's log. Thread-safe.
 */
final class KernelProcess {
    private static final Logger LOG = LoggerFactory.getLogger(KernelProcess.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** JVM options of the server that a kernel process must not repeat (debuggers and agents bind ports or files). */
    private static final List<String> NOT_INHERITED = List.of(
            "-agentlib:", "-agentpath:", "-javaagent:", "-Xrunjdwp", "-Xdebug", "-XX:Flags=", "-Djava.class.path=");

    private final String name;
    private final Process process;
    private final OutputStream requests;
    private final BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final long startedAt = System.nanoTime();
    private volatile boolean ready;
    private final Set<Language> warm = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Integer> ended = new CompletableFuture<>();

    private KernelProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.requests = process.getOutputStream();
    }

    /**
     * Starts a kernel process. Returns at once: the JVM boots in the background (requests wait in the pipe).
     *
     * @param sandbox what the kernel's cells may touch
     * @param name the notebook, for logs
     * @param prewarm the languages whose context the process starts before the first cell needs it
     * @return the process
     * @throws UncheckedIOException when the process cannot be started
     */
    static KernelProcess start(Sandbox sandbox, String name, Set<Language> prewarm) {
        List<String> cmd = command(sandbox, prewarm);
        Process p;
        try {
            p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot start the kernel process of " + name + " (" + cmd.getFirst() + "): " + e.getMessage(), e);
        }
        KernelProcess k = new KernelProcess(name, p);
        Thread out = new Thread(k::readEvents, "winnow-kernel-events " + name + " pid " + p.pid());
        out.setDaemon(true);
        out.start();
        Thread err = new Thread(k::drainErrors, "winnow-kernel-stderr " + name + " pid " + p.pid());
        err.setDaemon(true);
        err.start();
        LOG.debug("kernel process of {} started: pid {}", name, p.pid());
        return k;
    }

    /** The command line of a kernel process: this JVM's binary, options, class path and system properties. */
    static List<String> command(Sandbox sandbox, Set<Language> prewarm) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        List<String> inherited = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String a : inherited) {
            if (NOT_INHERITED.stream().noneMatch(a::startsWith)) {
                cmd.add(a);
            }
        }
        // properties set at run time (not on the command line) that the kernel's code reads
        Map<String, String> props = new TreeMap<>();
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("winnow.") || key.startsWith("polyglot.") || key.startsWith("org.slf4j.simpleLogger.")) {
                props.put(key, System.getProperty(key));
            }
        }
        props.forEach((k, v) -> {
            String d = "-D" + k + "=" + v;
            if (!inherited.contains(d)) {
                cmd.add(d);
            }
        });
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(KernelProcessMain.class.getName());
        cmd.add("--workspace");
        cmd.add(sandbox.workspace().toString());
        for (Path p : sandbox.readOnlyRoots()) {
            cmd.add("--read-only");
            cmd.add(p.toString());
        }
        for (Path p : sandbox.protectedTrees()) {
            cmd.add("--protect");
            cmd.add(p.toString());
        }
        cmd.add("--statement-limit");
        cmd.add(Long.toString(sandbox.statementLimit()));
        for (Language l : prewarm) {
            cmd.add("--prewarm");
            cmd.add(l.id());
        }
        return cmd;
    }

    /**
     * The process's events, in order; {@code exit {code}} is the last.
     *
     * @return the queue
     */
    BlockingQueue<JsonNode> events() {
        return events;
    }

    /**
     * The operating system's handle of the process.
     *
     * @return the handle
     */
    ProcessHandle handle() {
        return process.toHandle();
    }

    /**
     * Whether the process has said it is ready (its JVM and session started).
     *
     * @return {@code true} after its {@code ready} event
     */
    boolean ready() {
        return ready;
    }

    /**
     * The languages whose spare context the process has built (its {@code warm} events): a first cell in one of them
     * starts without waiting for a context.
     *
     * @return a live, unmodifiable view
     */
    Set<Language> warm() {
        return Collections.unmodifiableSet(warm);
    }

    /**
     * Completes when the process has ended and all its events have been read (the {@code exit} event is queued).
     *
     * @return the future, with the exit code
     */
    CompletableFuture<Integer> ended() {
        return ended;
    }

    /**
     * Completes when the process has ended.
     *
     * @return the future, with the exit code
     */
    CompletableFuture<Integer> onExit() {
        return process.onExit().thenApply(Process::exitValue);
    }

    /**
     * Sends a request. A process that has ended ignores it (its {@code exit} event tells the kernel).
     *
     * @param request the request, with an {@code op} field
     */
    void send(ObjectNode request) {
        byte[] line = (request.toString() + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (requests) {
            try {
                requests.write(line);
                requests.flush();
            } catch (IOException e) {
                LOG.debug(
                        "kernel process of {} (pid {}) does not take requests: {}",
                        name,
                        process.pid(),
                        e.getMessage());
            }
        }
    }

    /** Kills the process now (a cell that does not stop, a restart while a cell runs). */
    void kill() {
        process.destroyForcibly();
    }

    /**
     * Asks the process to exit and kills it if it has not within {@code graceMs} (a shutdown or an idle restart: its
     * cells have ended, their files are closed).
     *
     * @param graceMs how long it may take to exit
     */
    void shutdown(long graceMs) {
        send(JSON.createObjectNode().put("op", "shutdown"));
        synchronized (requests) {
            try {
                requests.close();
            } catch (IOException e) {
                // already closed
            }
        }
        process.onExit().orTimeout(graceMs, TimeUnit.MILLISECONDS).exceptionally(t -> {
            process.destroyForcibly();
            return process;
        });
    }

    private void readEvents() {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                // every event starts with its type; text before it came from something else writing to the stream
                int at = line.indexOf("{\"type\":");
                JsonNode m;
                try {
                    m = at < 0 ? null : JSON.readTree(line.substring(at));
                } catch (IOException e) {
                    m = null;
                }
                if (at > 0 && m != null) {
                    LOG.warn(
                            "kernel {} (pid {}) wrote text that is not an event: {}",
                            name,
                            process.pid(),
                            line.substring(0, at));
                }
                if (m == null || !m.isObject()) {
                    // something wrote to the protocol's stream (native code can): keep it visible, never act on it
                    LOG.warn("kernel {} (pid {}) wrote a line that is not an event: {}", name, process.pid(), line);
                    continue;
                }
                if (m.path("type").asText().equals("warm")) {
                    // not a cell's event: recorded here, never queued
                    try {
                        warm.add(Language.fromId(m.path("language").asText()));
                        LOG.debug(
                                "kernel process of {}: {} context warm, {} ms after its start",
                                name,
                                m.path("language").asText(),
                                (System.nanoTime() - startedAt) / 1_000_000);
                    } catch (IllegalArgumentException e) {
                        LOG.warn("kernel {} (pid {}) reported an unknown language warm: {}", name, process.pid(), line);
                    }
                    continue;
                }
                if (m.path("type").asText().equals("ready")) {
                    ready = true;
                    LOG.info(
                            "kernel process of {} ready: pid {}, {} ms after its start",
                            name,
                            process.pid(),
                            (System.nanoTime() - startedAt) / 1_000_000);
                }
                events.add(m);
            }
        } catch (IOException e) {
            LOG.debug("reading the events of kernel {} ended: {}", name, e.getMessage());
        }
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            code = -1;
        }
        events.add(JSON.createObjectNode().put("type", "exit").put("code", code));
        ended.complete(code);
    }

    private void drainErrors() {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.equals("WARNING: Using incubator modules: jdk.incubator.vector")) {
                    LOG.info("kernel {} (pid {}): {}", name, process.pid(), line);
                }
            }
        } catch (IOException e) {
            LOG.debug("reading the standard error of kernel {} ended: {}", name, e.getMessage());
        }
    }
}
