package dev.winnow.ranking.bench;

import dev.winnow.ranking.collection.DocumentStream;
import dev.winnow.ranking.collection.ReadReport;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.IndexSettings;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.FSDirectory;

/**
 * Heap-bounded indexing (issue 23 item 3): generates an MS MARCO-shaped {@code collection.tsv} of N passages, then in
 * the same JVM (run it with {@code -Xmx512m}) indexes it (1) with Winnow, streamed ({@link DocumentStream} in batches
 * of 10,000 into {@link DocumentIndex#addAll}), and (2) with plain Lucene ({@code IndexWriter.addDocument} per line,
 * the same analyzer, one commit). Prints docs/s, the peak heap used (all heap pools) and the peak resident set (anonymous
 * memory sampled every 100 ms, and the kernel's VmHWM, reset between the two runs) of each.
 *
 * <pre>mvn -B -q -Pbench-streaming -pl ranking -am verify -DskipTests [-Dbench.docs=2000000] [-Dbench.dir=/tmp/x]</pre>
 */
public final class StreamingIndexBench {

    private StreamingIndexBench() {}

    public static void main(String[] args) throws Exception {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
        Path dir =
                args.length > 1 && !args[1].isBlank() ? Path.of(args[1]) : Files.createTempDirectory("streaming-bench");
        Files.createDirectories(dir);
        Path tsv = dir.resolve("collection.tsv");
        long t0 = System.nanoTime();
        generate(tsv, n);
        System.out.printf(
                Locale.ROOT,
                "generated %,d passages (%,d MB) in %.1f s; max heap %d MB; %d cores%n",
                n,
                Files.size(tsv) >> 20,
                (System.nanoTime() - t0) / 1e9,
                Runtime.getRuntime().maxMemory() >> 20,
                Runtime.getRuntime().availableProcessors());
        System.out.println("| indexer | docs | seconds | docs/s | peak heap used MB | peak RSS anon MB | VmHWM MB |");
        System.out.println("|---|---|---|---|---|---|---|");
        measure("Winnow: DocumentStream -> DocumentIndex.addAll (batches of 10,000)", n, () -> {
            try (DocumentIndex index = DocumentIndex.create(dir.resolve("winnow-index"), IndexConfig.DEFAULT)) {
                long read =
                        DocumentStream.forEachBatch(tsv, new ReadReport(false), 10_000, b -> index.addAll(b, 10_000));
                index.commit();
                return read;
            }
        });
        measure("plain Lucene: IndexWriter.addDocument per line, one commit", n, () -> {
            IndexWriterConfig c =
                    new IndexWriterConfig(IndexSettings.builder().build().newAnalyzer());
            long count = 0;
            try (FSDirectory d = FSDirectory.open(dir.resolve("lucene-index"));
                    IndexWriter w = new IndexWriter(d, c);
                    BufferedReader r = Files.newBufferedReader(tsv, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    int tab = line.indexOf('\t');
                    Document doc = new Document();
                    doc.add(new StringField("id", line.substring(0, tab), Field.Store.YES));
                    doc.add(new TextField("text", line.substring(tab + 1), Field.Store.YES));
                    w.addDocument(doc);
                    count++;
                }
                w.commit();
            }
            return count;
        });
    }

    @FunctionalInterface
    private interface Run {
        long run() throws IOException;
    }

    private static void measure(String name, long expected, Run run) throws Exception {
        System.gc();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            p.resetPeakUsage();
        }
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // resets VmHWM to the current RSS
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux, or not allowed: VmHWM is then the process's peak so far
        }
        AtomicLong peakAnon = new AtomicLong();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakAnon.accumulateAndGet(status("RssAnon"), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        long t = System.nanoTime();
        long docs = run.run();
        double s = (System.nanoTime() - t) / 1e9;
        sampler.interrupt();
        sampler.join();
        peakAnon.accumulateAndGet(status("RssAnon"), Math::max);
        long heapPeak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                heapPeak += p.getPeakUsage().getUsed();
            }
        }
        if (docs != expected) {
            throw new IllegalStateException(name + ": indexed " + docs + " of " + expected);
        }
        System.out.printf(
                Locale.ROOT,
                "| %s | %,d | %.1f | %,.0f | %d | %d | %d |%n",
                name,
                docs,
                s,
                docs / s,
                heapPeak >> 20,
                peakAnon.get() >> 10,
                status("VmHWM") >> 10);
    }

    /** A field of /proc/self/status in kB, or -1. */
    private static long status(String field) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith(field + ":")) {
                    return Long.parseLong(
                            l.substring(field.length() + 1).replace("kB", "").strip());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Passages of 30-60 words drawn from a 20,000-word Zipf-like vocabulary, seed 23. */
    private static void generate(Path tsv, long n) throws IOException {
        String[] vocab = new String[20_000];
        SplittableRandom r = new SplittableRandom(23);
        for (int i = 0; i < vocab.length; i++) {
            StringBuilder w = new StringBuilder();
            int len = 3 + r.nextInt(7);
            for (int c = 0; c < len; c++) {
                w.append((char) ('a' + r.nextInt(26)));
            }
            vocab[i] = w.toString();
        }
        try (BufferedWriter out = Files.newBufferedWriter(tsv, StandardCharsets.UTF_8)) {
            StringBuilder sb = new StringBuilder(512);
            for (long d = 0; d < n; d++) {
                sb.setLength(0);
                sb.append(d).append('\t');
                int words = 30 + r.nextInt(31);
                for (int k = 0; k < words; k++) {
                    // Zipf-like: the square of a uniform draw favours the first words
                    double u = r.nextDouble();
                    sb.append(vocab[(int) (u * u * vocab.length)]).append(k + 1 < words ? ' ' : '\n');
                }
                out.append(sb);
            }
        }
    }
}
