package dev.winnow.runtime.lab;

import dev.winnow.runtime.TestModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs ../shared/tools/llama_reference.py (the independent float64 forward pass) as a subprocess, many jobs per
 * process through reference_driver.py, which only calls the reference's own forward().
 */
final class LlamaReference {
    private static String python;

    private LlamaReference() {}

    /** A reference array: float64 values in C order with their shape. */
    record Arr(double[] data, int[] shape) {
        double at(int... idx) {
            int k = 0;
            for (int d = 0; d < shape.length; d++) {
                k = k * shape[d] + idx[d];
            }
            return data[k];
        }
    }

    /** One forward pass of the reference. */
    static final class Job {
        final int[] tokens;
        final List<String> capture = new ArrayList<>();
        final Map<String, Arr> patch = new LinkedHashMap<>();
        final Map<Integer, List<Integer>> ablate = new LinkedHashMap<>();
        final Map<Integer, Arr> steer = new LinkedHashMap<>();

        Job(int[] tokens, String... capture) {
            this.tokens = tokens.clone();
            this.capture.addAll(List.of(capture));
        }

        Job patch(String name, Arr value) {
            patch.put(name, value);
            return this;
        }

        Job ablate(int layer, int head) {
            ablate.computeIfAbsent(layer, k -> new ArrayList<>()).add(head);
            return this;
        }
    }

    /** A python3 with numpy and PyYAML (gguf-py imports yaml): "python3" first, then /usr/bin/python3. */
    static synchronized String python() {
        if (python != null) {
            return python;
        }
        for (String p : List.of("python3", "/usr/bin/python3")) {
            try {
                Process pr = new ProcessBuilder(p, "-c", "import numpy, yaml")
                        .redirectErrorStream(true)
                        .start();
                pr.getInputStream().readAllBytes();
                if (pr.waitFor(60, TimeUnit.SECONDS) && pr.exitValue() == 0) {
                    python = p;
                    return p;
                }
            } catch (IOException | InterruptedException e) {
                // try the next
            }
        }
        throw new IllegalStateException("no python3 with numpy and PyYAML found (tried python3, /usr/bin/python3):"
                + " install the Debian packages python3-numpy and python3-yaml (.ci/run does)");
    }

    static List<Map<String, Arr>> run(Path model, List<Job> jobs, Path dir) throws Exception {
        Files.createDirectories(dir);
        Path driver = dir.resolve("reference_driver.py");
        try (InputStream in = LlamaReference.class.getResourceAsStream("reference_driver.py")) {
            Files.write(driver, in.readAllBytes());
        }
        StringBuilder json = new StringBuilder("[");
        int file = 0;
        for (int j = 0; j < jobs.size(); j++) {
            Job job = jobs.get(j);
            json.append(j == 0 ? "" : ",").append("{\"tokens\":[");
            for (int i = 0; i < job.tokens.length; i++) {
                json.append(i == 0 ? "" : ",").append(job.tokens[i]);
            }
            json.append("],\"capture\":[");
            for (int i = 0; i < job.capture.size(); i++) {
                json.append(i == 0 ? "" : ",")
                        .append('"')
                        .append(job.capture.get(i))
                        .append('"');
            }
            json.append("],\"patch\":{");
            boolean first = true;
            for (var e : job.patch.entrySet()) {
                json.append(first ? "" : ",")
                        .append('"')
                        .append(e.getKey())
                        .append("\":")
                        .append(arrJson(e.getValue(), dir.resolve("in" + file++ + ".f64"), 1.0));
                first = false;
            }
            json.append("},\"ablate\":{");
            first = true;
            for (var e : job.ablate.entrySet()) {
                json.append(first ? "" : ",")
                        .append('"')
                        .append(e.getKey())
                        .append("\":")
                        .append(e.getValue());
                first = false;
            }
            json.append("},\"steer\":{");
            first = true;
            for (var e : job.steer.entrySet()) {
                json.append(first ? "" : ",")
                        .append('"')
                        .append(e.getKey())
                        .append("\":")
                        .append(arrJson(e.getValue(), dir.resolve("in" + file++ + ".f64"), 1.0));
                first = false;
            }
            json.append("}}");
        }
        json.append("]");
        Path jobsFile = dir.resolve("jobs.json");
        Files.writeString(jobsFile, json);
        Path out = dir.resolve("out");
        Path script = TestModels.sharedDir().resolve("tools/llama_reference.py");
        ProcessBuilder pb = new ProcessBuilder(
                        python(),
                        driver.toString(),
                        script.toString(),
                        model.toString(),
                        jobsFile.toString(),
                        out.toString())
                .redirectErrorStream(true);
        // one BLAS thread: numpy's default thread pool is 7x slower on a busy 2-core machine
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        pb.environment().put("MKL_NUM_THREADS", "1");
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("reference failed: " + log);
        }
        List<Map<String, Arr>> results = new ArrayList<>();
        for (int j = 0; j < jobs.size(); j++) {
            results.add(new LinkedHashMap<>());
        }
        for (String line : Files.readAllLines(out.resolve("index.txt"))) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            int job = Integer.parseInt(f[0]);
            int[] shape = new int[f.length - 2];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = Integer.parseInt(f[i + 2]);
            }
            ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(out.resolve(f[0]).resolve(f[1] + ".f64")))
                    .order(ByteOrder.LITTLE_ENDIAN);
            double[] d = new double[bb.remaining() / 8];
            bb.asDoubleBuffer().get(d);
            results.get(job).put(f[1], new Arr(d, shape));
        }
        return results;
    }

    private static String arrJson(Arr a, Path file, double scale) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(a.data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : a.data) {
            bb.putDouble(v);
        }
        Files.write(file, bb.array());
        StringBuilder s = new StringBuilder("{\"file\":\"")
                .append(file.toString().replace("\\", "\\\\"))
                .append("\",\"scale\":")
                .append(scale)
                .append(",\"shape\":[");
        for (int i = 0; i < a.shape.length; i++) {
            s.append(i == 0 ? "" : ",").append(a.shape[i]);
        }
        return s.append("]}").toString();
    }
}
