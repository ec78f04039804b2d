package dev.winnow.runtime.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Loads and decodes model files in a worker JVM ({@link ProbeWorker}, started with this JVM's class path), one file
 * at a time, with a time limit per file: a llama.cpp {@code abort()} or segmentation fault kills the worker, not the
 * caller, and is attributed to the file in progress ({@link Status#DIED}, with the exit code, 134 for SIGABRT and 139
 * for SIGSEGV, and the {@code hs_err} file if the JVM wrote one); a file without an answer in time is
 * {@link Status#HUNG} and its worker is killed. The next file gets a fresh worker. Not thread-safe.
 */
public final class ProbeRunner implements AutoCloseable {
    /** What happened to one file. */
    public enum Status {
        /** Loaded and decoded; every value read was finite. */
        ACCEPTED,
        /** Loaded and decoded; some logits or embeddings were NaN or infinite (weights are not scanned at load). */
        ACCEPTED_NON_FINITE,
        /** Refused with a Java exception (Winnow's checks or a llama.cpp error). */
        REFUSED,
        /** The worker JVM died on it. */
        DIED,
        /** No answer within the time limit. */
        HUNG
    }

    /**
     * @param file the model file
     * @param status the outcome
     * @param step for REFUSED: {@code load}, {@code context} or {@code decode}; empty otherwise
     * @param detail for REFUSED the exception ({@code Class: message}); for DIED the exit code, the hs_err file and the
     *     last lines of the worker's stderr; for HUNG the limit
     */
    public record Result(Path file, Status status, String step, String detail) {}

    private final Path workDir;
    private final Duration perFile;
    private Process worker;
    private Writer toWorker;
    private BlockingQueue<String> lines;
    private Path stderr;
    private int started;

    /**
     * @param workDir an existing directory for the workers' stderr and hs_err files
     * @param perFile time limit for one file (the worker's start is not counted)
     */
    public ProbeRunner(Path workDir, Duration perFile) {
        this.workDir = workDir;
        this.perFile = perFile;
    }

    /** @return how many worker JVMs were started so far */
    public int workersStarted() {
        return started;
    }

    /**
     * Loads {@code file} and decodes in the worker.
     *
     * @param file the model file (absolute paths are reported as given)
     * @param contextSize context size, 0 for the default ({@link ProbeWorker})
     * @param tokens tokens to decode, 0 for the default
     * @return the outcome
     * @throws IOException if a worker cannot be started
     * @throws InterruptedException if interrupted while waiting
     */
    public Result probe(Path file, int contextSize, int tokens) throws IOException, InterruptedException {
        if (worker == null || !worker.isAlive()) {
            start();
        }
        try {
            toWorker.write(file + "\t" + contextSize + "\t" + tokens + "\n");
            toWorker.flush();
        } catch (IOException e) {
            return died(file);
        }
        long deadline = System.nanoTime() + perFile.toNanos();
        String line = nextAnswer(deadline);
        if (line == null) {
            if (worker.isAlive()) {
                kill();
                return new Result(file, Status.HUNG, "", "no answer after " + perFile.toMillis() + " ms");
            }
            line = nextAnswer(System.nanoTime() + 200_000_000L);
            if (line == null) {
                return died(file);
            }
        }
        String[] f = line.split("\t", 4);
        if (f[0].equals("OK") && f.length >= 3) {
            return new Result(file, f[2].equals("finite") ? Status.ACCEPTED : Status.ACCEPTED_NON_FINITE, "", "");
        }
        if (f[0].equals("REFUSED") && f.length == 4) {
            return new Result(file, Status.REFUSED, f[2], f[3]);
        }
        throw new IllegalStateException("the worker's answer for " + file + " is not understood: " + line);
    }

    /**
     * The next answer line of the worker, skipping other output (when ggml aborts it runs gdb for a backtrace, which
     * writes lines such as "[New LWP 123]" to the process's stdout before the process dies).
     */
    private String nextAnswer(long deadlineNanos) throws InterruptedException {
        while (true) {
            long left = deadlineNanos - System.nanoTime();
            String line = lines.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (line == null || line.startsWith("OK\t") || line.startsWith("REFUSED\t")) {
                return line;
            }
            if (left <= 0) {
                return null;
            }
        }
    }

    private Result died(Path file) throws InterruptedException, IOException {
        worker.waitFor(10, TimeUnit.SECONDS);
        int rc = worker.isAlive() ? -1 : worker.exitValue();
        long pid = worker.pid();
        String err = tail(stderr);
        kill();
        Path hsErr = workDir.resolve("hs_err_pid" + pid + ".log");
        String detail = "worker exit " + rc + (Files.exists(hsErr) ? ", " + hsErr : "") + ", stderr: " + err;
        return new Result(file, Status.DIED, "", detail);
    }

    private void start() throws IOException, InterruptedException {
        kill();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xmx1g");
        cmd.add("-XX:ErrorFile=" + workDir.resolve("hs_err_pid%p.log"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ProbeWorker.class.getName());
        stderr = workDir.resolve("worker-" + started++ + ".stderr");
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().name("probe-worker-reader").start(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    q.add(line);
                }
            } catch (IOException e) {
                // the worker died: probe() sees it by its exit
            }
        });
        String ready = q.poll(120, TimeUnit.SECONDS);
        if (!"READY".equals(ready)) {
            p.destroyForcibly();
            throw new IOException("the probe worker JVM did not start (" + ready + "): " + tail(stderr));
        }
        worker = p;
        lines = q;
        toWorker = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
    }

    private void kill() throws InterruptedException {
        if (worker != null) {
            worker.destroyForcibly();
            worker.waitFor(10, TimeUnit.SECONDS);
            worker = null;
            if (stderr != null) {
                try {
                    // a dead worker's stderr was read by died(); keep only the last worker's
                    Files.deleteIfExists(stderr);
                } catch (IOException e) {
                    // best effort
                }
            }
        }
    }

    private static String tail(Path file) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join(" | ", all.subList(Math.max(0, all.size() - 4), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(no stderr)";
        }
    }

    /** Stops the worker. */
    @Override
    public void close() throws InterruptedException {
        kill();
        try (Stream<Path> s = Files.list(workDir)) {
            s.filter(p -> p.getFileName().toString().endsWith(".stderr"))
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
