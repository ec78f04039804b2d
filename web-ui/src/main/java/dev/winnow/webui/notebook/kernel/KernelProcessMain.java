package dev.winnow.webui.notebook.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.scripting.CellResult;
import dev.winnow.scripting.DisplayData;
import dev.winnow.scripting.Language;
import dev.winnow.scripting.OutputSink;
import dev.winnow.scripting.Sandbox;
import dev.winnow.scripting.ScriptFailure;
import dev.winnow.scripting.ScriptHost;
import dev.winnow.scripting.ScriptSession;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The main class of a kernel process: the child JVM that a {@link Kernel} starts for its notebook, so that guest code
 * never runs in the server's process (as Jupyter runs each kernel in its own process). It owns one {@link
 * ScriptSession} in the sandbox given by its arguments and speaks JSON lines: requests on standard input, events on
 * standard output (nothing else is written there: {@code System.out} goes to standard error, which the server copies
 * to its log).
 *
 * <p>Arguments: {@code --workspace DIR} (required), {@code --read-only DIR} and {@code --protect DIR} (repeatable),
 * {@code --statement-limit N}, {@code --prewarm LANG} (repeatable). Requests:
 *
 * <ul>
 *   <li>{@code {op: "execute", n, cellId, language, code, source}}: runs a cell ({@code n} numbers the cells of this
 *       process: 1, 2, ...);
 *   <li>{@code {op: "interrupt", n}}: interrupts cell {@code n}, also when it has not started yet;
 *   <li>{@code {op: "shutdown"}}: exits (so does the end of standard input: the process never outlives its server).
 * </ul>
 *
 * <p>Events: {@code ready {pid}} once; {@code warm {language}} once per {@code --prewarm} language, when its spare
 * context has been built in the background (a cell of that language then starts without waiting for its context; it
 * may come at any time, between a cell's events too); per cell {@code started {n, prewarmed}} (its context is ready and
 * its code runs now; {@code prewarmed}: the context was a spare built before the cell asked for it), then
 * {@code stream}, {@code display}, {@code result}, {@code error} with the fields of {@link Kernel}'s messages, and
 * {@code end {n, status: "ok"|"error"|"interrupted"}}.
 */
public final class KernelProcessMain {
    private static final Logger LOG = LoggerFactory.getLogger(KernelProcessMain.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PrintStream protocol;
    private final ScriptSession session;
    private final BlockingQueue<JsonNode> cells = new LinkedBlockingQueue<>();
    /** The number of the last cell an interrupt was asked for (cells are numbered from 1). */
    private volatile long interruptFor;
    /** The number of the cell running now, 0 when none. */
    private volatile long runningCell;

    private KernelProcessMain(PrintStream protocol, ScriptSession session) {
        this.protocol = protocol;
        this.session = session;
    }

    /**
     * Runs the kernel process until standard input ends or a {@code shutdown} request comes.
     *
     * @param args the sandbox settings, see the class comment
     */
    public static void main(String[] args) {
        // standard output carries the protocol only: anything else printed by Java code goes to standard error, and so
        // does what native code (llama.cpp) writes to file descriptor 1 once that is moved
        PrintStream protocol = new PrintStream(protocolStream(), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        Sandbox sandbox;
        List<Language> prewarm = new ArrayList<>();
        try {
            Path workspace = null;
            List<Path> readOnly = new ArrayList<>();
            List<Path> protect = new ArrayList<>();
            long statementLimit = 0;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("kernel process argument " + a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--workspace" -> workspace = Path.of(v);
                    case "--read-only" -> readOnly.add(Path.of(v));
                    case "--protect" -> protect.add(Path.of(v));
                    case "--statement-limit" -> statementLimit = Long.parseLong(v);
                    case "--prewarm" -> prewarm.add(Language.fromId(v));
                    default -> throw new IllegalArgumentException("unknown kernel process argument " + a);
                }
            }
            if (workspace == null) {
                throw new IllegalArgumentException("kernel process needs --workspace DIR");
            }
            sandbox = new Sandbox(workspace, readOnly, statementLimit, protect);
        } catch (IllegalArgumentException e) {
            System.err.println("winnow kernel process: " + e.getMessage());
            Runtime.getRuntime().halt(2);
            return;
        }
        ScriptHost host = ScriptHost.create(sandbox);
        if (!prewarm.isEmpty()) {
            host.prewarm(prewarm.toArray(Language[]::new));
        }
        KernelProcessMain kernel = new KernelProcessMain(protocol, host.openSession());
        Thread worker = new Thread(kernel::work, "winnow-kernel-process-cells");
        worker.setDaemon(true);
        worker.start();
        kernel.send(JSON.createObjectNode()
                .put("type", "ready")
                .put("pid", ProcessHandle.current().pid()));
        for (Language l : prewarm) {
            host.spareReady(l)
                    .thenRun(() -> kernel.send(
                            JSON.createObjectNode().put("type", "warm").put("language", l.id())));
        }
        kernel.read();
        // standard input ended or shutdown asked: close what can be closed quickly, then exit whatever still runs (a
        // builtin that never polls keeps its thread; halt does not wait for it)
        Thread closer = new Thread(host::close, "winnow-kernel-process-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        protocol.flush();
        Runtime.getRuntime().halt(0);
    }

    /**
     * The stream the events go to: on Linux a duplicate of file descriptor 1 (the pipe to the server), after which
     * descriptor 1 itself is pointed at standard error, so that native code printing to it cannot break the protocol;
     * elsewhere, or if that fails, plain standard output.
     */
    private static OutputStream protocolStream() {
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            MethodHandle dup = linker.downcallHandle(
                    libc.find("dup").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle dup2 = linker.downcallHandle(
                    libc.find("dup2").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            Path copy;
            int fd = (int) dup.invokeExact(1);
            if (fd < 0) {
                throw new IOException("dup(1) failed");
            }
            copy = Path.of("/proc/self/fd/" + fd);
            OutputStream out = Files.newOutputStream(copy, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            System.out.flush();
            if ((int) dup2.invokeExact(2, 1) < 0) {
                out.close();
                throw new IOException("dup2(2, 1) failed");
            }
            return out;
        } catch (Throwable t) {
            System.err.println("winnow kernel process: events on plain standard output (" + t + ")");
            return new FileOutputStream(FileDescriptor.out);
        }
    }

    /** Reads requests until standard input ends or {@code shutdown}. */
    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode m;
                try {
                    m = JSON.readTree(line);
                } catch (IOException e) {
                    LOG.warn("kernel process: ignoring a request that is not JSON: {}", e.getMessage());
                    continue;
                }
                switch (m.path("op").asText("")) {
                    case "execute" -> cells.add(m);
                    case "interrupt" -> {
                        long n = m.path("n").asLong(0);
                        interruptFor = Math.max(interruptFor, n);
                        if (n != 0 && runningCell == n) {
                            // ScriptSession.interrupt waits up to its grace period: keep reading meanwhile
                            Thread.ofVirtual()
                                    .name("winnow-kernel-process-interrupt")
                                    .start(session::interrupt);
                        }
                    }
                    case "shutdown" -> {
                        return;
                    }
                    default ->
                        LOG.warn(
                                "kernel process: ignoring unknown request {}",
                                m.path("op").asText(""));
                }
            }
        } catch (IOException e) {
            LOG.warn("kernel process: reading requests failed", e);
        }
    }

    private void work() {
        while (true) {
            JsonNode m;
            try {
                m = cells.take();
            } catch (InterruptedException e) {
                return;
            }
            run(m);
        }
    }

    private void run(JsonNode request) {
        long n = request.path("n").asLong();
        String cellId = request.path("cellId").asText();
        String status;
        runningCell = n;
        try {
            Language language = Language.fromId(request.path("language").asText());
            CellResult r = session.run(
                    language,
                    request.path("code").asText(),
                    request.path("source").asText("cell-" + n + (language == Language.JS ? ".js" : ".py")),
                    new Sink(cellId),
                    null,
                    () -> {
                        // asked once the cell's context has started, just before its code runs: the server counts the
                        // interrupt escalation from here (starting a context may take seconds)
                        send(event("started", cellId).put("n", n).put("prewarmed", session.prewarmed(language)));
                        return interruptFor >= n;
                    });
            if (r.value().isPresent()) {
                ObjectNode m = event("result", cellId);
                m.set("data", bundle(r.value().get()));
                send(m);
            }
            status = "ok";
        } catch (ScriptFailure f) {
            ObjectNode m = event("error", cellId);
            m.put("ename", f.errorType() == null ? "Error" : f.errorType());
            String full = f.getMessage();
            String prefix = f.errorType() == null ? "" : f.errorType() + ": ";
            m.put("evalue", full.startsWith(prefix) ? full.substring(prefix.length()) : full);
            var tb = m.putArray("traceback");
            for (String line : f.traceback().split("\n", -1)) {
                tb.add(line);
            }
            send(m);
            status = f.interrupted() ? "interrupted" : "error";
        } catch (RuntimeException e) {
            LOG.error("cell {} failed inside Winnow", cellId, e);
            ObjectNode m = event("error", cellId);
            m.put("ename", e.getClass().getSimpleName());
            m.put("evalue", String.valueOf(e.getMessage()));
            m.putArray("traceback").add(e.toString());
            send(m);
            status = "error";
        } finally {
            runningCell = 0;
        }
        send(event("end", cellId).put("n", n).put("status", status));
    }

    private static ObjectNode event(String type, String cellId) {
        ObjectNode m = JSON.createObjectNode();
        m.put("type", type);
        m.put("cellId", cellId);
        return m;
    }

    private static ObjectNode bundle(DisplayData d) {
        ObjectNode o = JSON.createObjectNode();
        for (Map.Entry<String, String> e : d.mimeBundle().entrySet()) {
            o.put(e.getKey(), e.getValue());
        }
        return o;
    }

    private void send(ObjectNode m) {
        String line = m.toString();
        synchronized (protocol) {
            protocol.print(line);
            protocol.print('\n');
            protocol.flush();
        }
    }

    private final class Sink implements OutputSink {
        private final String cellId;

        Sink(String cellId) {
            this.cellId = cellId;
        }

        @Override
        public void stdout(String text) {
            send(event("stream", cellId).put("name", "stdout").put("text", text));
        }

        @Override
        public void stderr(String text) {
            send(event("stream", cellId).put("name", "stderr").put("text", text));
        }

        @Override
        public void display(DisplayData data) {
            ObjectNode m = event("display", cellId);
            m.set("data", bundle(data));
            send(m);
        }
    }
}
