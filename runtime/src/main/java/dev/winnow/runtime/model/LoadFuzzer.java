package dev.winnow.runtime.model;

import dev.winnow.models.gguf.fuzz.GgufFuzzer;
import dev.winnow.models.gguf.fuzz.Mutation;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Fuzzes the whole loading path: each case of {@link GgufFuzzer#writeCase} (byte-level header damage and
 * structure-aware defects: tensor types, per-layer arrays, split shards, non-finite weights, BERT positions) is loaded
 * and decoded through the real runtime and llama.cpp in a worker JVM ({@link ProbeRunner}). The contract: no worker
 * dies, none hangs, and every refusal at load or context creation names the file in its message (a refusal while
 * decoding is reported with the file by the worker; {@link Summary#decodeRefusalsWithoutFile} counts those whose own
 * message does not name it).
 */
public final class LoadFuzzer {

    /**
     * Totals of a run.
     *
     * @param cases cases run
     * @param byStatus count per outcome
     * @param byMutation count per mutation kind and outcome
     * @param refusalsWithoutFile load or context refusals whose message does not name the file (must be 0)
     * @param decodeRefusalsWithoutFile decode refusals whose exception message does not name the file
     * @param problems the deaths, hangs and refusals without the file (at most 100), one line each with the case
     * @param seconds wall time
     */
    public record Summary(
            long cases,
            Map<ProbeRunner.Status, Long> byStatus,
            Map<Mutation, Map<ProbeRunner.Status, Long>> byMutation,
            long refusalsWithoutFile,
            long decodeRefusalsWithoutFile,
            List<String> problems,
            double seconds) {

        /** @return worker deaths */
        public long deaths() {
            return byStatus.getOrDefault(ProbeRunner.Status.DIED, 0L);
        }

        /** @return hangs */
        public long hangs() {
            return byStatus.getOrDefault(ProbeRunner.Status.HUNG, 0L);
        }

        /** @return accepted cases (finite or not) */
        public long accepted() {
            return byStatus.getOrDefault(ProbeRunner.Status.ACCEPTED, 0L)
                    + byStatus.getOrDefault(ProbeRunner.Status.ACCEPTED_NON_FINITE, 0L);
        }

        /** @return refused cases */
        public long refused() {
            return byStatus.getOrDefault(ProbeRunner.Status.REFUSED, 0L);
        }

        /** @return true with no death, no hang and every load/context refusal naming its file */
        public boolean passed() {
            return deaths() == 0 && hangs() == 0 && refusalsWithoutFile == 0;
        }

        /** @param out where to print the totals, one line per mutation kind and the problems */
        public void print(PrintWriter out) {
            out.printf(
                    "%d cases in %.1f s: %d accepted (%d with non-finite outputs), %d refused, %d worker deaths, "
                            + "%d hangs; refusals not naming the file: %d at load/context, %d at decode%n",
                    cases,
                    seconds,
                    accepted(),
                    byStatus.getOrDefault(ProbeRunner.Status.ACCEPTED_NON_FINITE, 0L),
                    refused(),
                    deaths(),
                    hangs(),
                    refusalsWithoutFile,
                    decodeRefusalsWithoutFile);
            for (Map.Entry<Mutation, Map<ProbeRunner.Status, Long>> e : byMutation.entrySet()) {
                out.printf("  %-18s %s%n", e.getKey(), e.getValue());
            }
            for (String p : problems) {
                out.println("  " + p);
            }
            out.flush();
        }
    }

    private LoadFuzzer() {}

    /**
     * Runs cases {@code 0} to {@code cases - 1}.
     *
     * @param seedFile a valid llama model with F32 weights (stories260K)
     * @param seed the run's seed
     * @param cases number of cases
     * @param perCase time limit per case
     * @param workDir an existing directory for case files (each deleted after its case) and worker logs
     * @param failuresDir where to copy the files of deaths and hangs, or null
     * @param progress receives a line every 100 cases, or null
     * @return the totals
     * @throws IOException if the seed file cannot be read or a worker cannot start
     * @throws InterruptedException if interrupted
     */
    public static Summary run(
            Path seedFile,
            long seed,
            long cases,
            Duration perCase,
            Path workDir,
            Path failuresDir,
            PrintWriter progress)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        GgufFuzzer fuzzer = new GgufFuzzer(Files.readAllBytes(seedFile), seed);
        Map<ProbeRunner.Status, Long> byStatus = new EnumMap<>(ProbeRunner.Status.class);
        Map<Mutation, Map<ProbeRunner.Status, Long>> byMutation = new EnumMap<>(Mutation.class);
        List<String> problems = new ArrayList<>();
        long withoutFile = 0;
        long decodeWithoutFile = 0;
        Path caseDir = Files.createDirectories(workDir.resolve("cases"));
        try (ProbeRunner runner = new ProbeRunner(workDir, perCase)) {
            for (long i = 0; i < cases; i++) {
                GgufFuzzer.FuzzCase c = fuzzer.writeCase(i, caseDir);
                ProbeRunner.Result r = runner.probe(c.file().toAbsolutePath(), c.contextSize(), c.tokens());
                byStatus.merge(r.status(), 1L, Long::sum);
                byMutation
                        .computeIfAbsent(c.mutation(), m -> new EnumMap<>(ProbeRunner.Status.class))
                        .merge(r.status(), 1L, Long::sum);
                String what = "case " + i + " (" + c.mutation() + ": " + c.description() + ")";
                switch (r.status()) {
                    case DIED, HUNG -> {
                        if (problems.size() < 100) {
                            problems.add(what + " " + r.status() + ": " + r.detail());
                        }
                        if (failuresDir != null) {
                            Files.createDirectories(failuresDir);
                            copy(
                                    c.file(),
                                    failuresDir.resolve(
                                            "seed" + seed + "-" + c.file().getFileName()));
                        }
                    }
                    case REFUSED -> {
                        String abs = c.file().toAbsolutePath().toString();
                        boolean names = r.detail().contains(abs)
                                || r.detail().contains(c.file().getFileName().toString());
                        if (!names && r.step().equals("decode")) {
                            decodeWithoutFile++;
                        } else if (!names) {
                            withoutFile++;
                            if (problems.size() < 100) {
                                problems.add(
                                        what + " refused at " + r.step() + " without naming the file: " + r.detail());
                            }
                        }
                    }
                    default -> {}
                }
                delete(caseDir, i);
                if (progress != null && (i + 1) % 100 == 0) {
                    progress.printf(
                            "%d/%d cases, %s, %.0f s%n", i + 1, cases, byStatus, (System.nanoTime() - start) / 1e9);
                    progress.flush();
                }
            }
        }
        return new Summary(
                cases,
                byStatus,
                byMutation,
                withoutFile,
                decodeWithoutFile,
                problems,
                (System.nanoTime() - start) / 1e9);
    }

    private static void copy(Path file, Path target) throws IOException {
        if (Files.isRegularFile(file)) {
            Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
        }
        // split models: copy every shard next to it
        Path dir = file.getParent();
        if (dir != null && dir.getFileName().toString().startsWith("case-")) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.copy(
                            p,
                            target.resolveSibling(dir.getFileName() + "-" + p.getFileName()),
                            StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void delete(Path caseDir, long index) throws IOException {
        Files.deleteIfExists(caseDir.resolve("case-" + index + ".gguf"));
        Path d = caseDir.resolve("case-" + index);
        if (Files.isDirectory(d)) {
            try (Stream<Path> s = Files.walk(d)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
