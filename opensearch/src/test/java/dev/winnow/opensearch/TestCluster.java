package dev.winnow.opensearch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSearch cluster for tests: winnow-opensearch-cluster's {@code ClusterMain} in a child JVM whose class path
 * is that module's (OpenSearch 3.9 and its Lucene 10.5), so this JVM keeps Winnow's Lucene. The child stops when its
 * standard input is closed ({@link #close()}) or when this JVM dies.
 */
final class TestCluster implements AutoCloseable {

    private final Process process;
    private final List<URI> nodes;
    private final Path log;

    private TestCluster(Process process, List<URI> nodes, Path log) {
        this.process = process;
        this.nodes = nodes;
        this.log = log;
    }

    static TestCluster start(Path home, int nodeCount) throws IOException, InterruptedException {
        Path target =
                Path.of("..", "opensearch-cluster", "target").toAbsolutePath().normalize();
        Path cpFile = target.resolve("cluster.classpath");
        if (!Files.isRegularFile(cpFile)) {
            throw new IllegalStateException(
                    cpFile + " is missing: build winnow-opensearch-cluster first (mvn -pl opensearch -am)");
        }
        String cp = target.resolve("classes")
                + java.io.File.pathSeparator
                + Files.readString(cpFile).strip();
        Path log = home.resolve("cluster.log");
        Files.createDirectories(home);
        ProcessBuilder pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                cp,
                "dev.winnow.opensearch.cluster.ClusterMain",
                home.toString(),
                Integer.toString(nodeCount));
        pb.redirectError(log.toFile());
        Process p = pb.start();
        CompletableFuture<List<URI>> started = CompletableFuture.supplyAsync(() -> {
            List<URI> out = new ArrayList<>();
            try {
                BufferedReader r =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("HTTP ")) {
                        out.add(URI.create("http://" + line.substring(5).strip()));
                    } else if (line.equals("STARTED")) {
                        Thread.ofVirtual().start(() -> drain(r));
                        return out;
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return null;
        });
        List<URI> nodes;
        try {
            nodes = started.get(240, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IllegalStateException("OpenSearch cluster did not start; its log: " + log + "\n" + tail(log), e);
        }
        if (nodes == null || nodes.size() != nodeCount) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    "OpenSearch cluster exited before starting; its log: " + log + "\n" + tail(log));
        }
        return new TestCluster(p, List.copyOf(nodes), log);
    }

    private static void drain(BufferedReader r) {
        try {
            while (r.readLine() != null) {
                // discard
            }
        } catch (IOException e) {
            // the child is gone
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    List<URI> nodes() {
        return nodes;
    }

    @Override
    public void close() throws Exception {
        process.getOutputStream().close();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
