package dev.winnow.webui.demo;

import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.BatchingEmbedder;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.IndexSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The demo's indexes of a collection, keyed by content, not place: a BM25 index under {@code
 * INDEXES/<collection>-bm25-<key>} (the key hashes the corpus file's bytes and the index settings), built first so that
 * BM25's figures come before the dense set-up; and BM25 plus dense vectors in one on-disk Lucene index under {@code
 * INDEXES/<collection>-<key>} ({@code --indexes}), seeded with a copy of the BM25 index, where the key also hashes the
 * embedder's identity (model file SHA-256, pooling, normalisation, token budget, document instruction). A later run
 * with the same inputs, from any path or checkout holding the same corpus, finds them and reuses them; an interrupted
 * build resumes (documents are committed in batches, and only documents without a vector are embedded).
 */
public final class DemoIndex {

    /** Documents per embedding call (the index commits every 1000 documents or 30 s: what an interrupted set-up can lose). */
    static final int COMMIT_BATCH = 64;

    /**
     * What {@link #prepare} did.
     *
     * @param directory the index directory
     * @param documents documents in the index
     * @param addedNow documents added to the BM25 index by this call (0 when it was reused)
     * @param embeddedNow documents embedded by this call (0 when every document already had a vector)
     * @param truncatedNow documents cut to the embedder's token budget by this call
     * @param seconds wall time of the set-up
     */
    public record Status(
            Path directory, int documents, int addedNow, int embeddedNow, long truncatedNow, double seconds) {}

    private DemoIndex() {}

    /**
     * The SHA-256 of a collection's corpus file's bytes: the same data at another path, or in a fresh checkout, has
     * the same key.
     *
     * @param collection the collection
     * @return 64 hex digits
     * @throws IOException when the corpus file cannot be read
     */
    public static String corpusKey(TestCollection collection) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(collection.directory().resolve("corpus.jsonl"))) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Where the BM25 index of a collection lives.
     *
     * @param indexesRoot the directory of all demo indexes ({@code $WINNOW_HOME/indexes})
     * @param collection the collection
     * @param corpusKey {@link #corpusKey}
     * @return {@code indexesRoot/<collection name>-bm25-<12 hex digits>}
     */
    public static Path bm25Directory(Path indexesRoot, TestCollection collection, String corpusKey) {
        return indexesRoot.resolve(collection.name() + "-bm25-" + key(corpusKey + "\n" + IndexSettings.DEFAULT));
    }

    /**
     * Where the index of a collection embedded by an embedder lives.
     *
     * @param indexesRoot the directory of all demo indexes ({@code $WINNOW_HOME/indexes})
     * @param collection the collection
     * @param corpusKey {@link #corpusKey}
     * @param embedder the embedder (its identity's content key is part of the key; where its model file lies is not)
     * @return {@code indexesRoot/<collection name>-<12 hex digits>}
     */
    public static Path directory(Path indexesRoot, TestCollection collection, String corpusKey, Embedder embedder) {
        return indexesRoot.resolve(collection.name() + "-"
                + key(corpusKey + "\n" + IndexSettings.DEFAULT + "\n"
                        + embedder.embedderIdentity().contentKey()));
    }

    private static String key(String text) {
        return HexFormat.of()
                .formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)))
                .substring(0, 12);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Opens the collection's BM25 index, adding the documents it lacks.
     *
     * @param collection the collection
     * @param dir {@link #bm25Directory}
     * @param out where the one progress line goes
     * @return the open index (the caller closes it) and how many documents this call added
     * @throws IOException when Lucene cannot read or write
     */
    public static Opened prepareBm25(TestCollection collection, Path dir, PrintWriter out) throws IOException {
        long t0 = System.nanoTime();
        int total = collection.documents().size();
        DocumentIndex index = DocumentIndex.openOrCreate(dir, IndexConfig.DEFAULT);
        try {
            int added = 0;
            if (index.size() < total) {
                index.addAll(collection.documents(), 1000);
                added = total;
                out.printf(
                        Locale.ROOT,
                        "  BM25 index: built %s (%d documents, %s)%n",
                        dir,
                        index.size(),
                        duration((System.nanoTime() - t0) / 1e9));
            } else {
                out.printf("  BM25 index: reused %s (%d documents)%n", dir, index.size());
            }
            out.flush();
            return new Opened(index, new Status(dir, index.size(), added, 0, 0, (System.nanoTime() - t0) / 1e9));
        } catch (IOException | RuntimeException e) {
            index.close();
            throw e;
        }
    }

    /**
     * Starts a dense index as a copy of the (closed) BM25 index, when it does not exist yet: its documents and BM25
     * statistics are then already there and only the vectors are added. The copy is made beside it and renamed, so an
     * interrupted copy leaves nothing half-made.
     *
     * @param bm25 the BM25 index directory (closed)
     * @param dense the dense index directory
     * @return whether a copy was made
     * @throws IOException when a file cannot be copied
     */
    public static boolean seed(Path bm25, Path dense) throws IOException {
        if (Files.exists(dense) || !Files.isDirectory(bm25)) {
            return false;
        }
        Path tmp = dense.resolveSibling(
                dense.getFileName() + ".seeding-" + ProcessHandle.current().pid());
        Files.createDirectories(tmp);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(bm25)) {
            for (Path f : files) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().equals("write.lock")) {
                    Files.copy(f, tmp.resolve(f.getFileName()));
                }
            }
        }
        try {
            Files.move(tmp, dense, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
                for (Path f : files) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(tmp);
            if (!Files.isDirectory(dense)) {
                throw e;
            }
            return false; // another run made it meanwhile
        }
        return true;
    }

    /**
     * Opens the collection's index, building what is missing: the BM25 documents (when the index holds fewer than the
     * collection), then a vector for every document without one. Prints progress lines to {@code out} (at most one
     * every {@code progressSeconds} while embedding).
     *
     * @param collection the collection
     * @param embedder the embedding model
     * @param dir the index directory ({@link #directory})
     * @param out where progress goes
     * @param progressSeconds seconds between embedding progress lines, {@code >= 0}
     * @return the open index (the caller closes it) and what was done
     * @throws IOException when Lucene cannot read or write
     */
    public static Opened prepare(
            TestCollection collection, BatchingEmbedder embedder, Path dir, PrintWriter out, double progressSeconds)
            throws IOException {
        long t0 = System.nanoTime();
        int total = collection.documents().size();
        DocumentIndex index = DocumentIndex.openOrCreate(
                dir, IndexConfig.builder().embedder(embedder).build());
        try {
            int added = 0;
            if (index.size() < total) {
                out.printf("  dense index: adding %d documents to %s%n", total, dir);
                index.addAll(collection.documents(), 1000);
                added = total;
            }
            int missing = total - index.vectorCount();
            long truncatedBefore = embedder.truncatedCount();
            int embedded;
            if (missing > 0) {
                out.printf(
                        "  dense index: embedding %d of %d documents with %s (at most %d tokens each; resumable: an interrupted"
                                + " run continues where it stopped)%n",
                        missing, total, embedder.describe().replaceAll(" sha256=\\S+", ""), embedder.maxTokens());
                out.printf("    into %s%n", dir);
                long start = embedder.embeddedCount();
                long began = System.nanoTime();
                long[] lastPrint = {began};
                embedder.progressListener((done, all, unit) -> {
                    long now = System.nanoTime();
                    long n = done - start;
                    if (n < missing && (now - lastPrint[0]) / 1e9 < progressSeconds) {
                        return;
                    }
                    lastPrint[0] = now;
                    double s = (now - began) / 1e9;
                    double rate = n / Math.max(s, 1e-9);
                    out.printf(
                            Locale.ROOT,
                            "    embedded %d/%d documents, %.1f docs/s, %s left%n",
                            n,
                            missing,
                            rate,
                            duration(rate > 0 ? (missing - n) / rate : 0));
                    out.flush();
                });
                try {
                    embedded = index.embedMissing(COMMIT_BATCH);
                } finally {
                    embedder.progressListener(null);
                }
            } else {
                embedded = 0;
                out.printf(
                        "  dense index: reused (%d vectors, 0 documents embedded now) %s%n", index.vectorCount(), dir);
            }
            Status status = new Status(
                    dir,
                    index.size(),
                    added,
                    embedded,
                    embedder.truncatedCount() - truncatedBefore,
                    (System.nanoTime() - t0) / 1e9);
            return new Opened(index, status);
        } catch (IOException | RuntimeException e) {
            index.close();
            throw e;
        }
    }

    /**
     * An index opened by {@link #prepare}, with what was done.
     *
     * @param index the open index, its embedder set
     * @param status what the set-up did
     */
    public record Opened(DocumentIndex index, Status status) {}

    /**
     * Formats seconds as minutes or seconds for progress lines.
     *
     * @param seconds a duration, {@code >= 0}
     * @return e.g. {@code 12 s} or {@code 7 min}
     */
    static String duration(double seconds) {
        return seconds < 90
                ? String.format(Locale.ROOT, "%.0f s", seconds)
                : String.format(Locale.ROOT, "%.0f min", seconds / 60);
    }
}
