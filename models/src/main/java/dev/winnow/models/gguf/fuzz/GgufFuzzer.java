package dev.winnow.models.gguf.fuzz;

import dev.winnow.models.gguf.GgmlCodec;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.GgufFormatException;
import dev.winnow.models.gguf.GgufTensorInfo;
import dev.winnow.models.gguf.GgufValidator;
import dev.winnow.models.gguf.inspect.GgufInspector;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Feeds seeded mutations of a valid GGUF file (bit flips, byte runs, truncations, huge lengths, inflated counts,
 * shifts) through {@link GgufFile#parse} and {@link GgufValidator#checkForLlama} and, when a variant is accepted,
 * through every accessor and {@link GgufInspector}. The contract under test: each variant is accepted or rejected with a
 * {@link GgufFormatException}, within the time limit, without any other exception or error (OutOfMemoryError,
 * StackOverflowError, IndexOutOfBoundsException...).
 *
 * <p>Case {@code i} of seed {@code s} is the same variant on every run (its {@link Random} is seeded from both), so a
 * failure is reproduced by its case number. Variants that fail can be saved as regression inputs; accepted variants
 * can be saved too, for checking that llama.cpp loads whatever the validator accepts.
 */
public final class GgufFuzzer {

    /** What happened to one variant. */
    public enum Outcome {
        /** Parsed; every accessor worked. */
        ACCEPTED,
        /** Refused with a {@link GgufFormatException}. */
        REJECTED,
        /** Any other exception or error: a bug. */
        FAILED,
        /** Did not finish within the time limit: a bug. */
        HUNG
    }

    /**
     * One case written as a file for loading through the runtime ({@link #writeCase}).
     *
     * @param index the case number
     * @param mutation what kind of damage
     * @param file the file to load (the first shard of a split model)
     * @param contextSize the context size to decode with, 0 for the loader's default
     * @param tokens tokens to decode, 0 for a short prompt and a few greedy tokens
     * @param description what was done, e.g. {@code "blk.0.attn_q.weight as i32"}
     */
    public record FuzzCase(long index, Mutation mutation, Path file, int contextSize, int tokens, String description) {}

    /**
     * The result of one case.
     *
     * @param index the case number
     * @param mutation what was done to the file
     * @param outcome what the reader did
     * @param detail the exception's text for REJECTED and FAILED, empty otherwise
     * @param input the variant's bytes
     */
    public record CaseResult(long index, Mutation mutation, Outcome outcome, String detail, byte[] input) {}

    /**
     * Totals of a run.
     *
     * @param cases cases run
     * @param byOutcome count per outcome
     * @param byMutation accepted/rejected/failed/hung counts per mutation kind
     * @param failures the FAILED and HUNG cases (at most 100 kept)
     * @param seconds wall time of the run
     */
    public record Summary(
            long cases,
            Map<Outcome, Long> byOutcome,
            Map<Mutation, Map<Outcome, Long>> byMutation,
            List<CaseResult> failures,
            double seconds) {

        /** @return true when no case FAILED or HUNG */
        public boolean passed() {
            return byOutcome.getOrDefault(Outcome.FAILED, 0L) == 0 && byOutcome.getOrDefault(Outcome.HUNG, 0L) == 0;
        }

        /** @param out where to print one line of totals and one line per mutation kind */
        public void print(PrintWriter out) {
            out.printf("%d cases in %.1f s: %s%n", cases, seconds, byOutcome);
            for (Map.Entry<Mutation, Map<Outcome, Long>> e : byMutation.entrySet()) {
                out.printf("  %-16s %s%n", e.getKey(), e.getValue());
            }
            for (CaseResult f : failures) {
                out.printf("  case %d (%s) %s: %s%n", f.index(), f.mutation(), f.outcome(), f.detail());
            }
            out.flush();
        }
    }

    private final byte[] original;
    private final long seed;
    private final long headerEnd;
    private final long[] countFields;
    private Path acceptedDir;
    private int acceptedMax;
    private int acceptedSaved;
    private Path failuresDir;
    private long timeoutMillis = 2_000;

    /**
     * @param original a valid GGUF file's bytes (parsed once here to find its header and count fields)
     * @param seed the run's seed
     * @throws GgufFormatException if {@code original} is not valid
     */
    public GgufFuzzer(byte[] original, long seed) throws GgufFormatException {
        this.original = original.clone();
        this.seed = seed;
        try (GgufFile f = GgufFile.parse(MemorySegment.ofArray(this.original), "fuzz seed file")) {
            this.headerEnd = f.dataOffset();
        }
        this.countFields = findArrayCountFields(this.original, headerEnd);
    }

    /**
     * @param millis per-case time limit in milliseconds, at least 1 (default 2,000)
     * @return this fuzzer
     */
    public GgufFuzzer timeoutMillis(long millis) {
        if (millis < 1) {
            throw new IllegalArgumentException("timeout " + millis + " ms, expected at least 1");
        }
        this.timeoutMillis = millis;
        return this;
    }

    /**
     * Saves accepted variants (those that differ from the original) as {@code accepted-<seed>-<case>.gguf}.
     *
     * @param dir an existing or creatable directory
     * @param max most files to save
     * @return this fuzzer
     */
    public GgufFuzzer saveAccepted(Path dir, int max) {
        this.acceptedDir = dir;
        this.acceptedMax = max;
        return this;
    }

    /**
     * Saves FAILED and HUNG variants as {@code failure-<seed>-<case>.gguf} (regression inputs).
     *
     * @param dir an existing or creatable directory
     * @return this fuzzer
     */
    public GgufFuzzer saveFailures(Path dir) {
        this.failuresDir = dir;
        return this;
    }

    /**
     * Runs cases {@code 0} to {@code cases - 1}.
     *
     * @param cases number of cases, 1 or more
     * @param progress receives one line every 1,000 cases (may be null)
     * @return the totals
     * @throws IOException if saving a variant fails
     */
    public Summary run(long cases, PrintWriter progress) throws IOException {
        long start = System.nanoTime();
        Map<Outcome, Long> byOutcome = new EnumMap<>(Outcome.class);
        Map<Mutation, Map<Outcome, Long>> byMutation = new EnumMap<>(Mutation.class);
        List<CaseResult> failures = new ArrayList<>();
        ExecutorService worker = newWorker();
        try {
            for (long i = 0; i < cases; i++) {
                CaseResult r = runCase(i, worker);
                if (r.outcome() == Outcome.HUNG) {
                    worker.shutdownNow();
                    worker = newWorker();
                }
                byOutcome.merge(r.outcome(), 1L, Long::sum);
                byMutation
                        .computeIfAbsent(r.mutation(), m -> new EnumMap<>(Outcome.class))
                        .merge(r.outcome(), 1L, Long::sum);
                if (r.outcome() == Outcome.FAILED || r.outcome() == Outcome.HUNG) {
                    if (failures.size() < 100) {
                        failures.add(r);
                    }
                    save(failuresDir, "failure", i, r.input());
                } else if (r.outcome() == Outcome.ACCEPTED
                        && acceptedDir != null
                        && acceptedSaved < acceptedMax
                        && !Arrays.equals(r.input(), original)) {
                    save(acceptedDir, "accepted", i, r.input());
                    acceptedSaved++;
                }
                if (progress != null && (i + 1) % 1000 == 0) {
                    progress.printf("%d/%d cases, %s%n", i + 1, cases, byOutcome);
                    progress.flush();
                }
            }
        } finally {
            worker.shutdownNow();
        }
        return new Summary(cases, byOutcome, byMutation, failures, (System.nanoTime() - start) / 1e9);
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gguf-fuzz-case");
            t.setDaemon(true);
            return t;
        });
    }

    private void save(Path dir, String prefix, long index, byte[] bytes) throws IOException {
        if (dir == null) {
            return;
        }
        Files.createDirectories(dir);
        Files.write(dir.resolve(prefix + "-" + seed + "-" + index + ".gguf"), bytes);
    }

    /**
     * Builds and checks one case.
     *
     * @param index case number, 0 or more
     * @return its result
     */
    public CaseResult runCase(long index) {
        ExecutorService worker = newWorker();
        try {
            return runCase(index, worker);
        } finally {
            worker.shutdownNow();
        }
    }

    private CaseResult runCase(long index, ExecutorService worker) {
        Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + index);
        List<Mutation> kinds = Mutation.byteLevel();
        Mutation kind = kinds.get(rnd.nextInt(kinds.size()));
        byte[] input = mutate(kind, rnd);
        Future<String> f = worker.submit(() -> check(input, "case " + index));
        try {
            f.get(timeoutMillis, TimeUnit.MILLISECONDS);
            return new CaseResult(index, kind, Outcome.ACCEPTED, "", input);
        } catch (TimeoutException e) {
            f.cancel(true);
            return new CaseResult(index, kind, Outcome.HUNG, "no result after " + timeoutMillis + " ms", input);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof GgufFormatException g) {
                return new CaseResult(index, kind, Outcome.REJECTED, g.getMessage(), input);
            }
            return new CaseResult(index, kind, Outcome.FAILED, c.toString(), input);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("fuzzing interrupted", e);
        }
    }

    /**
     * Writes case {@code index} as a file to load: half of the cases are the byte-level mutations of the reader
     * fuzzing, half the structure-aware ones ({@link Mutation#structural()}), each kind equally likely within its half.
     * Case {@code i} of a seed is the same file on every run. Files are named {@code case-<index>.gguf} (split models:
     * a directory {@code case-<index>}); the synthetic BERT of {@link Mutation#BERT_POSITIONS} is written once per
     * directory and shared.
     *
     * @param index case number, 0 or more
     * @param dir an existing directory
     * @return the case
     * @throws IOException if writing fails
     */
    public FuzzCase writeCase(long index, Path dir) throws IOException {
        // mixed (SplitMix64's finaliser): Random's first outputs are correlated for neighbouring seeds
        long z = seed * 0x9E3779B97F4A7C15L + index + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        Random rnd = new Random(z ^ (z >>> 31));
        List<Mutation> half = rnd.nextBoolean()
                ? Mutation.byteLevel()
                : Arrays.stream(Mutation.values()).filter(Mutation::structural).toList();
        Mutation kind = half.get(rnd.nextInt(half.size()));
        if (kind.structural()) {
            try (GgufFile base = GgufFile.parse(MemorySegment.ofArray(original), "fuzz seed file")) {
                return new StructuralMutator(base).write(index, kind, rnd, dir);
            }
        }
        byte[] bytes = mutate(kind, rnd);
        Path file = dir.resolve("case-" + index + ".gguf");
        Files.write(file, bytes);
        return new FuzzCase(index, kind, file, 0, 0, bytes.length + " bytes");
    }

    /**
     * Parses {@code input} and uses everything the reader offers; throws whatever the reader throws.
     *
     * @return a short description of the accepted file
     */
    static String check(byte[] input, String name) throws GgufFormatException {
        try (GgufFile f = GgufFile.parse(MemorySegment.ofArray(input), name)) {
            GgufValidator.checkForLlama(f);
            long sum = 0;
            for (GgufTensorInfo t : f.tensors()) {
                MemorySegment data = f.tensorData(t);
                sum += data.get(ValueLayout.JAVA_BYTE, 0) + data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
                if (t.elementCount() <= 4096 && GgmlCodec.supports(t.type())) {
                    sum += (long) f.readFloats(t).length;
                }
            }
            GgufInspector inspector = new GgufInspector(8);
            inspector.printText(f, name, new PrintWriter(Writer.nullWriter()));
            GgufInspector.toJsonText(inspector.json(f, name));
            return f + " " + sum;
        }
    }

    private byte[] mutate(Mutation kind, Random rnd) {
        return switch (kind) {
            case BIT_FLIPS -> bitFlips(original.clone(), rnd);
            case BYTE_RUN -> byteRun(original.clone(), rnd);
            case TRUNCATION -> Arrays.copyOf(original, rnd.nextInt(original.length));
            case HUGE_LENGTH -> hugeLength(original.clone(), rnd);
            case COUNT_INFLATION -> inflate(original.clone(), rnd);
            case SHIFT -> shift(original, rnd);
            case COMBINED -> {
                byte[] b = original.clone();
                int n = 2 + rnd.nextInt(3);
                for (int k = 0; k < n; k++) {
                    b = switch (rnd.nextInt(5)) {
                        case 0 -> bitFlips(b, rnd);
                        case 1 -> byteRun(b, rnd);
                        case 2 -> hugeLength(b, rnd);
                        case 3 -> inflate(b, rnd);
                        default -> shift(b, rnd);
                    };
                }
                yield rnd.nextInt(4) == 0 ? Arrays.copyOf(b, rnd.nextInt(b.length + 1)) : b;
            }
            default -> throw new IllegalArgumentException(kind + " is structural: use writeCase");
        };
    }

    /** A position, in the header 7 times out of 8 (mutations of tensor data are always accepted). */
    private int position(byte[] b, Random rnd, int width) {
        int limit = rnd.nextInt(8) == 0 ? b.length : (int) Math.min(b.length, headerEnd);
        return rnd.nextInt(Math.max(1, limit - width + 1));
    }

    private byte[] bitFlips(byte[] b, Random rnd) {
        int n = 1 + rnd.nextInt(8);
        for (int k = 0; k < n && b.length > 0; k++) {
            int p = position(b, rnd, 1);
            b[p] ^= (byte) (1 << rnd.nextInt(8));
        }
        return b;
    }

    private byte[] byteRun(byte[] b, Random rnd) {
        if (b.length == 0) {
            return b;
        }
        int len = Math.min(b.length, 1 + rnd.nextInt(64));
        int p = position(b, rnd, len);
        int mode = rnd.nextInt(4);
        byte v = (byte) (mode == 0 ? 0 : mode == 1 ? 0xFF : rnd.nextInt(256));
        for (int k = p; k < Math.min(b.length, p + len); k++) {
            b[k] = mode == 3 ? (byte) rnd.nextInt(256) : v;
        }
        return b;
    }

    private static final long[] HUGE = {
        1L << 31,
        1L << 32,
        (1L << 32) - 1,
        1L << 40,
        1L << 62,
        Long.MAX_VALUE,
        -1L,
        Long.MIN_VALUE,
        1L << 30,
        (1L << 30) + 1
    };

    private byte[] hugeLength(byte[] b, Random rnd) {
        if (b.length < 8) {
            return b;
        }
        long v = HUGE[rnd.nextInt(HUGE.length)];
        int p;
        if (countFields.length > 0 && rnd.nextBoolean()) {
            p = (int) countFields[rnd.nextInt(countFields.length)];
        } else {
            p = position(b, rnd, 8);
        }
        if (p + 8 <= b.length) {
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(p, v);
        }
        return b;
    }

    private byte[] inflate(byte[] b, Random rnd) {
        if (b.length < 24) {
            return b;
        }
        int p = switch (rnd.nextInt(3)) {
            case 0 -> 8;
            case 1 -> 16;
            default -> countFields.length == 0 ? 16 : (int) countFields[rnd.nextInt(countFields.length)];
        };
        if (p + 8 > b.length) {
            return b;
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long add = rnd.nextBoolean() ? 1 + rnd.nextInt(4) : 1L << (8 + rnd.nextInt(50));
        bb.putLong(p, bb.getLong(p) + add);
        return b;
    }

    private byte[] shift(byte[] b, Random rnd) {
        int n = 1 + rnd.nextInt(16);
        int p = position(b, rnd, 1);
        if (rnd.nextBoolean() || b.length <= n) {
            byte[] out = new byte[b.length + n];
            System.arraycopy(b, 0, out, 0, p);
            for (int k = 0; k < n; k++) {
                out[p + k] = (byte) rnd.nextInt(256);
            }
            System.arraycopy(b, p, out, p + n, b.length - p);
            return out;
        }
        int q = Math.min(p, b.length - n);
        byte[] out = new byte[b.length - n];
        System.arraycopy(b, 0, out, 0, q);
        System.arraycopy(b, q + n, out, q, b.length - q - n);
        return out;
    }

    /**
     * Positions of 8-byte fields in the header that hold small counts or lengths (string lengths, array lengths,
     * dimension sizes, counts): likely targets for {@link Mutation#HUGE_LENGTH} and {@link Mutation#COUNT_INFLATION}.
     */
    private static long[] findArrayCountFields(byte[] b, long headerEnd) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        List<Long> out = new ArrayList<>();
        for (int p = 8; p + 8 <= Math.min(b.length, headerEnd); p++) {
            long v = bb.getLong(p);
            if (v > 0 && v < 1 << 20) {
                out.add((long) p);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }
}
