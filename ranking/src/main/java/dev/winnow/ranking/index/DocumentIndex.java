package dev.winnow.ranking.index;

import dev.winnow.models.ProgressListener;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.eval.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * An on-disk Lucene index of documents (id, title, text, metadata, optional dense vector) searched by BM25, dense
 * KNN, or both fused.
 *
 * <p>Split along Lucene's lines: an {@link IndexConfig} fixed when the index is opened (the embedder, the fusion, BM25
 * overrides; there are no setters), a writer side (add, replace, delete, commit), a near-real-time searcher (BM25,
 * dense, hybrid; batches of queries on an {@link Executor} the caller owns), and a vector backfill ({@link
 * #embedMissing}) that reports through an {@link ProgressListener}. This class is the thin facade over them; it prints
 * nothing.
 *
 * <p>Layout: {@code id} (exact-match, stored), {@code title}, {@code text}, {@code metadata} (stored only), {@code
 * contents} (title and text analysed together: Anserini's "flat" BEIR setting), and {@code vector} (HNSW, unit
 * vectors, {@link VectorSimilarityFunction#DOT_PRODUCT}). The {@link IndexSettings} live in every commit's user data,
 * so {@link #open} analyses and scores as the index was built; they are validated at open.
 *
 * <p>Writes are crash-safe by Lucene's commit protocol: until {@link #commit()}, changes are invisible to other
 * readers, and a process killed at any point leaves the last commit intact and readable. {@link #addAll} commits every
 * batch. Searches see uncommitted changes of this instance (near-real-time reader). Searching is thread-safe; writes
 * are serialised.
 *
 * <p>BM25 queries are built like Anserini's bag-of-words query: the analysed query terms as SHOULD clauses, a term
 * occurring n times boosted by n.
 */
public final class DocumentIndex implements AutoCloseable {

    /** Field holding the document id (not analysed). */
    public static final String ID = "id";
    /** Stored title. */
    public static final String TITLE = "title";
    /** Stored text. */
    public static final String TEXT = "text";
    /** Stored metadata as a JSON object of strings. */
    public static final String METADATA = "metadata";
    /** Analysed title + text, searched by BM25. */
    public static final String CONTENTS = "contents";
    /** Dense vector field (HNSW). */
    public static final String VECTOR = "vector";

    /** Runs each query of a batch on the calling thread, one after the other. */
    private static final Executor CALLING_THREAD = Runnable::run;

    private final Path path;
    private final Directory directory;
    private final IndexConfig config;
    private final Analyzer analyzer;
    private final DocumentWriter writer;
    private final DocumentSearcher searcher;
    private final Object lock = new Object();

    private DocumentIndex(Path path, Directory directory, IndexSettings stored, IndexConfig config) {
        this.path = path;
        this.directory = directory;
        this.config = config;
        IndexSettings effective = config.effective(stored);
        this.analyzer = stored.newAnalyzer();
        BM25Similarity similarity = new BM25Similarity(effective.k1(), effective.b());
        this.writer = new DocumentWriter(path, directory, analyzer, similarity, stored, lock);
        this.searcher = new DocumentSearcher(
                path, directory, analyzer, similarity, config, writer::current, writer::stored, lock);
    }

    /**
     * Creates a new, empty index with the configuration's {@link IndexConfig#settings() settings} and commits it.
     *
     * @param path the index directory (created when missing; must not already hold an index)
     * @param config the configuration (its settings are recorded)
     * @return the open index
     * @throws IOException when an index already exists there or the directory cannot be written
     */
    public static DocumentIndex create(Path path, IndexConfig config) throws IOException {
        checkNotAFile(path);
        try {
            Files.createDirectories(path);
        } catch (IOException e) {
            throw new IOException("cannot create the index directory " + path + ": " + e.getMessage(), e);
        }
        Directory dir = FSDirectory.open(path);
        if (DirectoryReader.indexExists(dir)) {
            dir.close();
            throw new IOException("an index already exists at " + path + " (open it, or delete the directory)");
        }
        DocumentIndex index = new DocumentIndex(path, dir, config.settings(), config);
        try {
            index.writer.open(IndexWriterConfig.OpenMode.CREATE);
            index.writer.commit();
        } catch (IOException | RuntimeException e) {
            index.close();
            throw e;
        }
        return index;
    }

    /**
     * Opens an existing index for BM25 search and writing ({@link IndexConfig#DEFAULT}).
     *
     * @param path the index directory
     * @return the open index
     * @throws IOException when there is no index there, or its recorded settings are missing or invalid
     */
    public static DocumentIndex open(Path path) throws IOException {
        return open(path, IndexConfig.DEFAULT);
    }

    /**
     * Opens an existing index with the settings recorded in its last commit, validated, and {@code config} fixed for
     * the life of the returned instance.
     *
     * @param path the index directory
     * @param config the configuration (its {@link IndexConfig#settings() settings} are ignored: the index keeps its own)
     * @return the open index
     * @throws IOException when there is no index there, or its recorded settings are missing, unreadable or invalid
     *     (the message names the directory)
     * @throws IllegalArgumentException when the configured embedder does not match the vectors the index holds
     */
    public static DocumentIndex open(Path path, IndexConfig config) throws IOException {
        checkNotAFile(path);
        if (!Files.isDirectory(path)) {
            throw new IOException("no index at " + path + ": directory not found");
        }
        Directory dir = FSDirectory.open(path);
        try {
            IndexSettings stored = SettingsStore.read(dir, path);
            checkEmbedder(path, stored, config.embedder());
            return new DocumentIndex(path, dir, stored, config);
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    /**
     * Reads the settings an index recorded, without opening it (e.g. to find the embedder its vectors need before
     * choosing the {@link IndexConfig}).
     *
     * @param path the index directory
     * @return the validated settings
     * @throws IOException when there is no index there, or its recorded settings are missing, unreadable or invalid
     */
    public static IndexSettings readSettings(Path path) throws IOException {
        checkNotAFile(path);
        if (!Files.isDirectory(path)) {
            throw new IOException("no index at " + path + ": directory not found");
        }
        try (Directory dir = FSDirectory.open(path)) {
            return SettingsStore.read(dir, path);
        }
    }

    private static void checkEmbedder(Path path, IndexSettings s, Embedder embedder) {
        if (embedder == null) {
            return;
        }
        if (s.vectorDimension() != 0 && s.vectorDimension() != embedder.dimension()) {
            throw new IllegalArgumentException("index " + path + " holds " + s.vectorDimension()
                    + "-dimensional vectors; the embedder makes " + embedder.dimension());
        }
        // compared by content (model SHA-256, pooling, budget, instructions), not by where the model file lies
        if (s.embedderIdentity() != null && !s.embedderIdentity().sameVectors(embedder.embedderIdentity())) {
            throw new IllegalArgumentException("index " + path + " vectors were made by ["
                    + s.embedderIdentity().contentKey() + "], not by ["
                    + embedder.embedderIdentity().contentKey() + "]");
        }
    }

    /**
     * Fails clearly when an index path (or a directory above it) exists but is not a directory, e.g. a regular file
     * given to {@code --index} by mistake.
     *
     * @param path the index path
     * @throws IOException naming the path and what it is
     */
    static void checkNotAFile(Path path) throws IOException {
        for (Path p = path.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                String what = Files.isRegularFile(p) ? "a regular file" : "not a directory";
                throw new IOException(
                        p.equals(path.toAbsolutePath().normalize())
                                ? path + " is " + what
                                        + ", not an index directory (an index is the directory winnow index writes)"
                                : "index path " + path + ": " + p + " is " + what
                                        + ", so no index directory can be there");
            }
        }
    }

    /**
     * Returns whether a directory holds a Lucene index (a commit).
     *
     * @param path the directory
     * @return true when an index exists there
     * @throws IOException when the directory cannot be read, or the path (or a directory above it) is a file
     */
    public static boolean exists(Path path) throws IOException {
        checkNotAFile(path);
        if (!Files.isDirectory(path)) {
            return false;
        }
        try (Directory d = FSDirectory.open(path)) {
            return DirectoryReader.indexExists(d);
        }
    }

    /**
     * Opens the index at {@code path}, or creates it with the configuration's settings when there is none.
     *
     * @param path the index directory
     * @param config the configuration (its settings apply to a new index only)
     * @return the open index
     * @throws IOException when the directory cannot be read or written, or an existing index's settings are invalid
     */
    public static DocumentIndex openOrCreate(Path path, IndexConfig config) throws IOException {
        return exists(path) ? open(path, config) : create(path, config);
    }

    /**
     * Returns the index directory.
     *
     * @return the path
     */
    public Path path() {
        return path;
    }

    /**
     * Returns the settings in force: those recorded in the index, with the configuration's BM25 override applied.
     *
     * @return the settings
     */
    public IndexSettings settings() {
        return config.effective(writer.stored());
    }

    /**
     * Returns the configuration this instance was opened with.
     *
     * @return the configuration
     */
    public IndexConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- writing

    /**
     * Adds a document, replacing any document with the same id (so re-indexing a collection does not duplicate).
     * Visible to this instance's searches at once; durable after {@link #commit()}.
     *
     * @param doc the document
     * @throws IOException when Lucene cannot write
     */
    public void add(Document doc) throws IOException {
        writer.put(doc, null);
    }

    /**
     * Replaces an existing document (its vector is dropped; {@link #embedMissing} recomputes it).
     *
     * @param doc the new version
     * @throws IOException when Lucene cannot write
     * @throws NoSuchElementException when no document has that id
     */
    public void update(Document doc) throws IOException {
        synchronized (lock) {
            if (searcher.get(doc.id()).isEmpty()) {
                throw new NoSuchElementException("no document with id " + doc.id() + " in " + path);
            }
            writer.put(doc, null);
        }
    }

    /**
     * Deletes a document.
     *
     * @param id the document id
     * @return whether a document with that id existed
     * @throws IOException when Lucene cannot write
     */
    public boolean delete(String id) throws IOException {
        synchronized (lock) {
            boolean existed = searcher.get(id).isPresent();
            writer.delete(id);
            return existed;
        }
    }

    /**
     * Adds many documents without progress reports; see {@link #addAll(List, int, ProgressListener)}.
     *
     * @param docs the documents (each replaces any different document with the same id)
     * @param batchSize documents per commit, {@code >= 1}
     * @return the number of documents added or replaced
     * @throws IOException when Lucene cannot write; the batches committed before stay readable
     */
    public int addAll(List<Document> docs, int batchSize) throws IOException {
        return addAll(docs, batchSize, ProgressListener.NONE);
    }

    /**
     * Adds many documents, committing after every batch. A document already in the index with the same id, title, text
     * and metadata is left as it is, with its vector, so indexing a collection again (after an interrupted {@code
     * winnow index --dense}, or to pick up changed documents) writes only what changed and {@link #embedMissing} then
     * embeds only those. A changed document replaces the old version (its vector is dropped: it must be embedded
     * again). Replaced documents are merged away at the end, so BM25 statistics match an index built in one pass.
     *
     * @param docs the documents (each replaces any different document with the same id)
     * @param batchSize documents per commit, {@code >= 1}
     * @param progress told before the first batch and after every batch how many of {@code docs} are done
     * @return the number of documents added or replaced; {@code docs.size()} minus this many were already there unchanged
     * @throws IOException when Lucene cannot write; the batches committed before stay readable
     */
    public int addAll(List<Document> docs, int batchSize, ProgressListener progress) throws IOException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        int written = 0;
        if (!docs.isEmpty()) {
            progress.onProgress(0, docs.size(), "documents");
        }
        for (int i = 0; i < docs.size(); i += batchSize) {
            List<Document> batch = docs.subList(i, Math.min(docs.size(), i + batchSize));
            synchronized (lock) {
                written += writer.putBatch(searcher.notAlreadyIndexed(batch));
            }
            progress.onProgress(i + batch.size(), docs.size(), "documents");
        }
        writer.mergeDeletes();
        return written;
    }

    /**
     * Commits pending changes and the settings atomically; after it returns, they survive a crash.
     *
     * @throws IOException when Lucene cannot write
     */
    public void commit() throws IOException {
        writer.commit();
    }

    /**
     * The text an embedder sees for a document: title and text joined by a space (BEIR's convention).
     *
     * @param doc the document
     * @return the text to embed
     */
    public static String embeddingText(Document doc) {
        return doc.title().isEmpty() ? doc.text() : doc.title() + " " + doc.text();
    }

    /**
     * Runs the vector backfill without progress reports; see {@link #embedMissing(int, ProgressListener)}.
     *
     * @param batchSize documents per embedding call, {@code >= 1}
     * @return how many documents were embedded now
     * @throws IOException when Lucene cannot read or write
     */
    public int embedMissing(int batchSize) throws IOException {
        return embedMissing(batchSize, ProgressListener.NONE);
    }

    /**
     * Embeds every document that has no vector yet with the configured embedder (the vector backfill), in batches,
     * committing every 1000 documents or 30 seconds (whichever comes first) and at the end: an interrupted run resumes
     * from its last commit. The first call records the embedder's dimension and description in the index. Vectors are
     * added by replacing documents; the replaced versions are merged away at the end so that BM25 statistics are
     * unchanged.
     *
     * @param batchSize documents per embedding call, {@code >= 1}
     * @param progress told before the first batch and after every batch how many of the documents without a vector are
     *     embedded
     * @return how many documents were embedded now (0 when all already had vectors)
     * @throws IOException when Lucene cannot read or write
     * @throws IllegalStateException when the index was opened without an embedder
     */
    public int embedMissing(int batchSize, ProgressListener progress) throws IOException {
        Embedder e = config.embedder();
        if (e == null) {
            throw new IllegalStateException("embedding the documents of " + path
                    + " needs an embedder: open the index with" + " IndexConfig.builder().embedder(...)");
        }
        return new VectorBackfill(searcher, writer, e).run(batchSize, progress);
    }

    // ---------------------------------------------------------------- reading

    /**
     * Returns the number of live documents (uncommitted changes of this instance included).
     *
     * @return the count
     * @throws IOException when Lucene cannot read
     */
    public int size() throws IOException {
        return searcher.size();
    }

    /**
     * Returns how many live documents have a dense vector.
     *
     * @return the count
     * @throws IOException when Lucene cannot read
     */
    public int vectorCount() throws IOException {
        return searcher.vectorCount();
    }

    /**
     * Fetches a document by id.
     *
     * @param id the document id
     * @return the document, or empty when there is none
     * @throws IOException when Lucene cannot read
     */
    public Optional<Document> get(String id) throws IOException {
        return searcher.get(id);
    }

    /**
     * Retrieves the top {@code k} documents for a query text.
     *
     * @param query the query text
     * @param k how many hits, {@code >= 1}
     * @param mode BM25, dense (approximate or exact) or hybrid
     * @return hits in rank order, at most k (fewer when fewer documents match)
     * @throws IOException when Lucene cannot read
     * @throws IllegalStateException for dense or hybrid without an embedder (see {@link IndexConfig.Builder#embedder})
     *     or without vectors
     * @throws IllegalArgumentException when k is below 1 or the query has more distinct terms than Lucene's clause limit
     */
    public List<Hit> search(String query, int k, SearchMode mode) throws IOException {
        return searcher.search(query, k, mode);
    }

    /**
     * Retrieves for many queries on the calling thread; see {@link #searchAll(List, int, SearchMode, Executor)}.
     *
     * @param queries the queries
     * @param k hits per query, {@code >= 1}
     * @param mode the retrieval mode
     * @return query id to hits, in the queries' order
     * @throws IOException when Lucene cannot read
     */
    public Map<String, List<Hit>> searchAll(List<Query> queries, int k, SearchMode mode) throws IOException {
        return searchAll(queries, k, mode, CALLING_THREAD);
    }

    /**
     * Retrieves for many queries, each query a task on {@code executor}, each query's own id removed from its results
     * (as Anserini does on BEIR, where some corpora contain the queries). All queries see the same snapshot of the
     * index. The results equal those of searching the queries one by one.
     *
     * @param queries the queries
     * @param k hits per query, {@code >= 1}
     * @param mode the retrieval mode
     * @param executor runs the queries (the caller owns it; e.g. a fixed pool kept for the life of a command)
     * @return query id to hits, in the queries' order
     * @throws IOException when Lucene cannot read, or the waiting thread is interrupted
     */
    public Map<String, List<Hit>> searchAll(List<Query> queries, int k, SearchMode mode, Executor executor)
            throws IOException {
        return searcher.searchAll(queries, k, mode, executor);
    }

    /**
     * Retrieves for many queries on the calling thread and returns a run; see {@link #run(List, int, SearchMode, String,
     * Executor)}.
     *
     * @param queries the queries
     * @param k hits per query, {@code >= 1}
     * @param mode the retrieval mode
     * @param name the run's name
     * @return the run, every query present (possibly with an empty list)
     * @throws IOException when Lucene cannot read
     */
    public Run run(List<Query> queries, int k, SearchMode mode, String name) throws IOException {
        return run(queries, k, mode, name, CALLING_THREAD);
    }

    /**
     * Retrieves for many queries, each a task on {@code executor}, and returns the result as a run (for evaluation and
     * run files); each query's own id is removed from its results, as in {@link #searchAll}. Stored fields are not
     * loaded.
     *
     * @param queries the queries
     * @param k hits per query, {@code >= 1}
     * @param mode the retrieval mode
     * @param name the run's name
     * @param executor runs the queries (the caller owns it)
     * @return the run, every query present (possibly with an empty list)
     * @throws IOException when Lucene cannot read, or the waiting thread is interrupted
     */
    public Run run(List<Query> queries, int k, SearchMode mode, String name, Executor executor) throws IOException {
        return searcher.run(queries, k, mode, name, executor, ProgressListener.NONE);
    }

    /**
     * Retrieves for many queries, as {@link #run(List, int, SearchMode, String, Executor)}, reporting progress: {@code
     * (done, queries.size(), "queries")}, from 0 to all, on the calling thread (queries whose results have been
     * collected, in the queries' order). Dense and hybrid retrieval embed each query first, which is most of the time of
     * a first-stage run (tens of seconds for a few hundred queries on two cores).
     *
     * @param queries the queries
     * @param k hits per query, {@code >= 1}
     * @param mode the retrieval mode
     * @param name the run's name
     * @param executor runs the queries (the caller owns it)
     * @param progress told how many queries are done; {@code null} for none
     * @return the run, every query present (possibly with an empty list)
     * @throws IOException when Lucene cannot read, or the waiting thread is interrupted
     */
    public Run run(
            List<Query> queries, int k, SearchMode mode, String name, Executor executor, ProgressListener progress)
            throws IOException {
        return searcher.run(queries, k, mode, name, executor, ProgressListener.orNone(progress));
    }

    /**
     * Commits pending changes and closes the writer, reader and directory.
     *
     * @throws IOException when the final commit fails
     */
    @Override
    public void close() throws IOException {
        synchronized (lock) {
            try {
                writer.close();
            } finally {
                try {
                    searcher.close();
                } finally {
                    analyzer.close();
                    directory.close();
                }
            }
        }
    }
}
