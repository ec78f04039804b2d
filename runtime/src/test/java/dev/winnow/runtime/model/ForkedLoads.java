package dev.winnow.runtime.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Loads model files through the runtime in worker JVMs ({@link LoadProbe}), so that a llama.cpp {@code abort()} kills
 * a worker, not the caller, and is attributed to the file being loaded: a worker prints one line per file as it
 * finishes it; when it dies (or says nothing for the time limit), the first file without a line is reported as the
 * crash (or hang), and a new worker continues with the next file.
 */
final class ForkedLoads {
    /** What happened to one file. */
    enum Status {
        /** Loaded and decoded, every logit finite. */
        OK_FINITE,
        /** Loaded and decoded, some logits NaN or infinite (weights are not validated). */
        OK_NON_FINITE,
        /** Refused with a Java exception (the runtime's checks or a llama.cpp error). */
        REFUSED,
        /** The worker JVM died on this file: llama.cpp aborted (or the JVM crashed). */
        CRASHED,
        /** No answer within the time limit. */
        HUNG
    }

    /**
     * @param file the model file
     * @param status the outcome
     * @param detail the exception text (REFUSED), or the worker's exit code and last stderr lines (CRASHED)
     */
    record Result(Path file, Status status, String detail) {}

    private ForkedLoads() {}

    /**
     * @param files model files (their file names must differ)
     * @param perFileSeconds time limit for one file, worker start included
     * @param workDir where the workers' stderr goes
     * @return one result per file, in order
     */
    static List<Result> run(List<Path> files, long perFileSeconds, Path workDir)
            throws IOException, InterruptedException {
        List<Result> results = new ArrayList<>();
        int worker = 0;
        while (results.size() < files.size()) {
            List<Path> rest = files.subList(results.size(), files.size());
            Path stderr = workDir.resolve("worker-" + worker++ + ".stderr");
            Process p = new ProcessBuilder(probeCommand(rest))
                    .redirectError(stderr.toFile())
                    .start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the worker died: handled below by its exit
                }
            });
            for (Path f : rest) {
                String line = lines.poll(perFileSeconds, TimeUnit.SECONDS);
                if (line == null && !reader.isAlive()) {
                    line = lines.poll(); // a last line can arrive as the reader ends
                }
                if (line == null) {
                    Status s = p.isAlive() ? Status.HUNG : Status.CRASHED;
                    p.destroyForcibly();
                    p.waitFor();
                    results.add(new Result(f, s, "exit " + p.exitValue() + ", stderr: " + tail(stderr)));
                    break;
                }
                results.add(parse(f, line));
            }
            p.waitFor(perFileSeconds, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
        return results;
    }

    /**
     * @param files model files
     * @return the command line of a worker JVM ({@link LoadProbe}) with this JVM's class path, over {@code files}
     */
    static List<String> probeCommand(List<Path> files) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(LoadProbe.class.getName());
        files.forEach(f -> cmd.add(f.toString()));
        return cmd;
    }

    private static Result parse(Path f, String line) {
        String name = f.getFileName().toString();
        if (line.equals("OK " + name + " finite")) {
            return new Result(f, Status.OK_FINITE, "");
        }
        if (line.equals("OK " + name + " non-finite")) {
            return new Result(f, Status.OK_NON_FINITE, "");
        }
        if (line.startsWith("REFUSED " + name + " ")) {
            return new Result(f, Status.REFUSED, line.substring(("REFUSED " + name + " ").length()));
        }
        throw new IllegalStateException("worker's line for " + name + " is not understood: " + line);
    }

    private static String tail(Path stderr) throws IOException {
        List<String> all = new String(Files.readAllBytes(stderr), StandardCharsets.UTF_8)
                .lines()
                .toList();
        return String.join(" | ", all.subList(Math.max(0, all.size() - 5), all.size()));
    }
}
