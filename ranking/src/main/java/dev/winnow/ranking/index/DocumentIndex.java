package dev.winnow.ranking.index;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.eval.ScoredDoc;
import dev.winnow.ranking.fusion.Fusion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * An on-disk Lucene index of documents (id, title, text, metadata, optional dense vector) searched by BM25, dense
 * KNN, or both fused.
 *
 * <p>Layout: {@code id} (exact-match, stored), {@code title}, {@code text}, {@code metadata} (stored only), {@code
 * contents} (title and text analysed together: Anserini's "flat" BEIR setting), and {@code vector} (HNSW, unit
 * vectors, {@link VectorSimilarityFunction#DOT_PRODUCT}). The {@link IndexSettings} live in every commit's user data,
 * so {@link #open} analyses and scores as the index was built.
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

  private static final String SETTINGS_KEY = "winnow.settings";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DEFAULT_FUSION_DEPTH = 1000;
  private static final int DEFAULT_KNN_CANDIDATES = 100;
  private static final int EMBED_COMMIT_DOCS = 1000;
  private static final long EMBED_COMMIT_NANOS = 30_000_000_000L;

  private final Path path;
  private final Directory directory;
  private final Analyzer analyzer;
  private volatile IndexSettings settings;
  private volatile BM25Similarity similarity;
  private IndexWriter writer;
  private DirectoryReader reader;
  private volatile IndexSearcher searcher;
  private volatile Embedder embedder;
  private volatile Fusion fusion = Fusion.rrf(60);
  private volatile int fusionDepth = DEFAULT_FUSION_DEPTH;
  private volatile int knnCandidates = DEFAULT_KNN_CANDIDATES;

  private DocumentIndex(Path path, Directory directory, IndexSettings settings) {
    this.path = path;
    this.directory = directory;
    this.settings = settings;
    this.analyzer = settings.newAnalyzer();
    this.similarity = new BM25Similarity(settings.k1(), settings.b());
  }

  /**
   * Creates a new, empty index and commits it with its settings.
   *
   * @param path the index directory (created when missing; must not already hold an index)
   * @param settings how to analyse and score
   * @return the open index
   * @throws IOException when an index already exists there or the directory cannot be written
   */
  public static DocumentIndex create(Path path, IndexSettings settings) throws IOException {
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
    DocumentIndex index = new DocumentIndex(path, dir, settings);
    synchronized (index) {
      index.writer(IndexWriterConfig.OpenMode.CREATE);
      index.commit();
    }
    return index;
  }

  /**
   * Opens an existing index with the settings recorded in its last commit.
   *
   * @param path the index directory
   * @return the open index
   * @throws IOException when there is no index there, or it was not written by Winnow
   */
  public static DocumentIndex open(Path path) throws IOException {
    checkNotAFile(path);
    if (!Files.isDirectory(path)) {
      throw new IOException("no index at " + path + ": directory not found");
    }
    Directory dir = FSDirectory.open(path);
    try {
      if (!DirectoryReader.indexExists(dir)) {
        throw new IOException("no index at " + path + ": the directory holds no Lucene index (no commit found; build"
            + " one with winnow index)");
      }
      String json = SegmentInfos.readLatestCommit(dir).getUserData().get(SETTINGS_KEY);
      if (json == null) {
        throw new IOException("the index at " + path + " has no Winnow settings in its commit data");
      }
      return new DocumentIndex(path, dir, JSON.readValue(json, IndexSettings.class));
    } catch (IOException | RuntimeException e) {
      dir.close();
      throw e;
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
                ? path + " is " + what + ", not an index directory (an index is the directory winnow index writes)"
                : "index path " + path + ": " + p + " is " + what + ", so no index directory can be there");
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
   * Opens the index at {@code path}, or creates it with {@code settings} when there is none.
   *
   * @param path the index directory
   * @param settings settings for a new index (ignored when one exists)
   * @return the open index
   * @throws IOException when the directory cannot be read or written
   */
  public static DocumentIndex openOrCreate(Path path, IndexSettings settings) throws IOException {
    return exists(path) ? open(path) : create(path, settings);
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
   * Returns the settings in force (recorded in the index; BM25 parameters possibly overridden by {@link #setBm25}).
   *
   * @return the settings
   */
  public IndexSettings settings() {
    return settings;
  }

  /**
   * Changes BM25's k1 and b for this instance's searches (Lucene's BM25 applies them at query time, so no reindexing
   * is needed); the stored settings are not changed.
   *
   * @param k1 term-frequency saturation, {@code >= 0}
   * @param b length normalisation in [0, 1]
   */
  public synchronized void setBm25(float k1, float b) {
    IndexSettings s = settings.withBm25(k1, b);
    this.settings = s;
    this.similarity = new BM25Similarity(s.k1(), s.b());
    IndexSearcher old = searcher;
    if (old != null) {
      IndexSearcher fresh = new IndexSearcher(old.getIndexReader());
      fresh.setSimilarity(similarity);
      searcher = fresh;
    }
  }

  /**
   * Sets the embedder used for dense and hybrid queries and for {@link #embedMissing}.
   *
   * @param embedder the embedder; its dimension must match the stored vectors
   * @throws IllegalArgumentException when the index holds vectors of another dimension or another embedder
   */
  public void setEmbedder(Embedder embedder) {
    IndexSettings s = settings;
    if (s.vectorDimension() != 0 && s.vectorDimension() != embedder.dimension()) {
      throw new IllegalArgumentException(
          "index " + path + " holds " + s.vectorDimension() + "-dimensional vectors; the embedder makes "
              + embedder.dimension());
    }
    if (s.embedder() != null && !s.embedder().equals(embedder.describe())) {
      throw new IllegalArgumentException(
          "index " + path + " vectors were made by [" + s.embedder() + "], not by [" + embedder.describe() + "]");
    }
    this.embedder = embedder;
  }

  /**
   * Sets how hybrid search fuses its BM25 and dense lists.
   *
   * @param fusion the fusion (default: RRF with k = 60)
   * @param depth how many hits each list contributes, {@code >= 1} (default 1000)
   */
  public void setFusion(Fusion fusion, int depth) {
    if (depth < 1) {
      throw new IllegalArgumentException("fusion depth must be >= 1, got " + depth);
    }
    this.fusion = fusion;
    this.fusionDepth = depth;
  }

  /**
   * Sets how many nearest-neighbour candidates an HNSW search collects before keeping the top k (the search beam,
   * Elasticsearch's {@code num_candidates}): more candidates, higher recall against exact search, slower queries.
   *
   * @param candidates the beam width, {@code >= 1} (default 100; a search uses {@code max(k, candidates)})
   */
  public void setKnnCandidates(int candidates) {
    if (candidates < 1) {
      throw new IllegalArgumentException("KNN candidates must be >= 1, got " + candidates);
    }
    this.knnCandidates = candidates;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Adds a document, replacing any document with the same id (so re-indexing a collection does not duplicate).
   * Visible to this instance's searches at once; durable after {@link #commit()}.
   *
   * @param doc the document
   * @throws IOException when Lucene cannot write
   */
  public synchronized void add(Document doc) throws IOException {
    writer(IndexWriterConfig.OpenMode.APPEND).updateDocument(new Term(ID, doc.id()), luceneDocument(doc, null));
  }

  /**
   * Replaces an existing document (its vector is dropped; {@link #embedMissing} recomputes it).
   *
   * @param doc the new version
   * @throws IOException when Lucene cannot write
   * @throws java.util.NoSuchElementException when no document has that id
   */
  public synchronized void update(Document doc) throws IOException {
    if (get(doc.id()).isEmpty()) {
      throw new java.util.NoSuchElementException("no document with id " + doc.id() + " in " + path);
    }
    add(doc);
  }

  /**
   * Deletes a document.
   *
   * @param id the document id
   * @return whether a document with that id existed
   * @throws IOException when Lucene cannot write
   */
  public synchronized boolean delete(String id) throws IOException {
    boolean existed = get(id).isPresent();
    writer(IndexWriterConfig.OpenMode.APPEND).deleteDocuments(new Term(ID, id));
    return existed;
  }

  /**
   * Adds many documents, committing after every batch, with an optional progress bar. A document already in the index
   * with the same id, title, text and metadata is left as it is, with its vector, so indexing a collection again
   * (after an interrupted {@code winnow index --dense}, or to pick up changed documents) writes only what changed and
   * {@link #embedMissing} then embeds only those. A changed document replaces the old version (its vector is dropped:
   * it must be embedded again). Replaced documents are merged away at the end, so BM25 statistics match an index built
   * in one pass.
   *
   * @param docs the documents (each replaces any different document with the same id)
   * @param batchSize documents per commit, {@code >= 1}
   * @param progress whether to show a progress bar on standard error (redrawn on a terminal, else a line every 30 s)
   * @return the number of documents added or replaced; {@code docs.size()} minus this many were already there unchanged
   * @throws IOException when Lucene cannot write; the batches committed before stay readable
   */
  public int addAll(List<Document> docs, int batchSize, boolean progress) throws IOException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    int written = 0;
    try (ProgressBar bar = progressBar("indexing", docs.size(), progress)) {
      for (int i = 0; i < docs.size(); i += batchSize) {
        List<Document> batch = docs.subList(i, Math.min(docs.size(), i + batchSize));
        synchronized (this) {
          List<Document> changed = notAlreadyIndexed(batch);
          for (Document d : changed) {
            add(d);
          }
          if (!changed.isEmpty()) {
            commit();
          }
          written += changed.size();
        }
        if (bar != null) {
          bar.stepBy(batch.size());
        }
      }
    }
    mergeDeletes();
    return written;
  }

  /** The documents of {@code batch} that the index does not hold exactly (same id, title, text and metadata). */
  private synchronized List<Document> notAlreadyIndexed(List<Document> batch) throws IOException {
    if (writer == null && !DirectoryReader.indexExists(directory)) {
      return batch;
    }
    List<Document> out = new ArrayList<>(batch.size());
    try (Lease lease = lease()) {
      IndexSearcher s = lease.searcher();
      for (Document d : batch) {
        TopDocs td = s.search(new TermQuery(new Term(ID, d.id())), 1);
        if (td.scoreDocs.length == 0 || !toDocument(s.storedFields().document(td.scoreDocs[0].doc)).equals(d)) {
          out.add(d);
        }
      }
    }
    return out;
  }

  /**
   * Commits pending changes and the settings atomically; after it returns, they survive a crash.
   *
   * @throws IOException when Lucene cannot write
   */
  public synchronized void commit() throws IOException {
    IndexWriter w = writer(IndexWriterConfig.OpenMode.APPEND);
    w.setLiveCommitData(Map.of(SETTINGS_KEY, JSON.writeValueAsString(storedSettings())).entrySet());
    w.commit();
  }

  private IndexSettings storedSettings() throws IOException {
    IndexSettings s = settings;
    if (Files.exists(path)) {
      try {
        String json = SegmentInfos.readLatestCommit(directory).getUserData().get(SETTINGS_KEY);
        if (json != null) {
          IndexSettings stored = JSON.readValue(json, IndexSettings.class);
          return s.withBm25(stored.k1(), stored.b());
        }
      } catch (org.apache.lucene.index.IndexNotFoundException e) {
        return s;
      }
    }
    return s;
  }

  private IndexWriter writer(IndexWriterConfig.OpenMode mode) throws IOException {
    if (writer == null) {
      IndexWriterConfig c = new IndexWriterConfig(analyzer);
      c.setOpenMode(mode);
      c.setSimilarity(similarity);
      c.setRAMBufferSizeMB(128);
      c.setCommitOnClose(false);
      TieredMergePolicy merges = new TieredMergePolicy();
      merges.setForceMergeDeletesPctAllowed(0.0);
      c.setMergePolicy(merges);
      writer = new IndexWriter(directory, c);
    }
    return writer;
  }

  private org.apache.lucene.document.Document luceneDocument(Document doc, float[] vector)
      throws JsonProcessingException {
    org.apache.lucene.document.Document d = new org.apache.lucene.document.Document();
    d.add(new StringField(ID, doc.id(), Field.Store.YES));
    d.add(new SortedDocValuesField(ID, new BytesRef(doc.id())));
    d.add(new StoredField(TITLE, doc.title()));
    d.add(new StoredField(TEXT, doc.text()));
    if (!doc.metadata().isEmpty()) {
      d.add(new StoredField(METADATA, JSON.writeValueAsString(doc.metadata())));
    }
    d.add(new TextField(CONTENTS, contents(doc), Field.Store.NO));
    if (vector != null) {
      d.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.DOT_PRODUCT));
    }
    return d;
  }

  private static String contents(Document doc) {
    return doc.title().isEmpty() ? doc.text() : doc.title() + "\n" + doc.text();
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
   * Embeds every document that has no vector yet, in batches, committing every 1000 documents or 30 seconds
   * (whichever comes first) and at the end: an interrupted run resumes from its last commit. The first call records the embedder's dimension and description in the index. Vectors
   * are added by replacing documents; the replaced versions are merged away at the end so that BM25 statistics are
   * unchanged.
   *
   * @param embedder the embedder (becomes this instance's query embedder too)
   * @param batchSize documents per embedding call and commit, {@code >= 1}
   * @param progress whether to show a progress bar on standard error (redrawn on a terminal, else a line every 30 s)
   * @return how many documents were embedded now (0 when all already had vectors)
   * @throws IOException when Lucene cannot read or write
   * @throws IllegalArgumentException when the index holds vectors from another embedder
   */
  public int embedMissing(Embedder embedder, int batchSize, boolean progress) throws IOException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    setEmbedder(embedder);
    List<Document> todo = new ArrayList<>();
    try (Lease lease = lease()) {
      IndexSearcher s = lease.searcher();
      for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
        Set<Integer> withVector = new HashSet<>();
        FloatVectorValues vv = leaf.reader().getFloatVectorValues(VECTOR);
        if (vv != null) {
          KnnVectorValues.DocIndexIterator it = vv.iterator();
          for (int d = it.nextDoc(); d != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
            withVector.add(d);
          }
        }
        Bits live = leaf.reader().getLiveDocs();
        StoredFields sf = leaf.reader().storedFields();
        for (int d = 0; d < leaf.reader().maxDoc(); d++) {
          if ((live == null || live.get(d)) && !withVector.contains(d)) {
            todo.add(toDocument(sf.document(d)));
          }
        }
      }
    }
    if (todo.isEmpty()) {
      return 0;
    }
    synchronized (this) {
      settings = settings.withVectors(embedder.dimension(), embedder.describe());
    }
    long lastCommit = System.nanoTime();
    int sinceCommit = 0;
    try (ProgressBar bar = progressBar("embedding", todo.size(), progress)) {
      for (int i = 0; i < todo.size(); i += batchSize) {
        List<Document> batch = todo.subList(i, Math.min(todo.size(), i + batchSize));
        float[][] vectors = embedder.embedDocuments(batch.stream().map(DocumentIndex::embeddingText).toList());
        if (vectors.length != batch.size()) {
          throw new IllegalStateException(
              "embedder returned " + vectors.length + " vectors for " + batch.size() + " documents");
        }
        synchronized (this) {
          for (int j = 0; j < batch.size(); j++) {
            float[] v = checkDimension(vectors[j], embedder.dimension(), batch.get(j).id());
            writer(IndexWriterConfig.OpenMode.APPEND)
                .updateDocument(new Term(ID, batch.get(j).id()), luceneDocument(batch.get(j), Embedder.unitLength(v)));
          }
          sinceCommit += batch.size();
          if (sinceCommit >= EMBED_COMMIT_DOCS || System.nanoTime() - lastCommit > EMBED_COMMIT_NANOS) {
            commit();
            sinceCommit = 0;
            lastCommit = System.nanoTime();
          }
        }
        if (bar != null) {
          bar.stepBy(batch.size());
        }
      }
    }
    commit();
    mergeDeletes();
    return todo.size();
  }

  /**
   * Replaced and deleted documents still count in BM25's statistics (document frequency, average length) until merged
   * away: merge them so that BM25 scores are those of an index built in one go.
   */
  private synchronized void mergeDeletes() throws IOException {
    IndexWriter w = writer(IndexWriterConfig.OpenMode.APPEND);
    if (w.hasDeletions()) {
      w.forceMergeDeletes();
      commit();
    }
  }

  private static float[] checkDimension(float[] v, int dim, String what) {
    if (v == null || v.length != dim) {
      throw new IllegalStateException(
          "embedding of " + what + " has " + (v == null ? "no" : v.length) + " components, expected " + dim);
    }
    return v;
  }

  /**
   * A progress bar on standard error: redrawn in place on an interactive terminal; elsewhere (a log file, CI, a pipe)
   * one line every {@value #PROGRESS_LINE_MILLIS} ms, so that a long embedding run shows it is moving without filling
   * the log.
   */
  private static ProgressBar progressBar(String task, long max, boolean wanted) {
    if (!wanted) {
      return null;
    }
    ProgressBarBuilder b =
        new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII).showSpeed();
    java.io.Console console = System.console();
    if (console != null && console.isTerminal()) {
      b.setUpdateIntervalMillis(250);
    } else {
      b.setUpdateIntervalMillis(PROGRESS_LINE_MILLIS)
          .setConsumer(new DelegatingProgressBarConsumer(System.err::println, 100));
    }
    return b.build();
  }

  private static final int PROGRESS_LINE_MILLIS = 30_000;

  // ---------------------------------------------------------------- reading

  /**
   * A searcher over the latest changes whose reader stays open until the lease is closed, even when another thread
   * refreshes the index meanwhile (a background merge makes the next refresh return a new reader).
   */
  private record Lease(IndexSearcher searcher) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      searcher.getIndexReader().decRef();
    }
  }

  private synchronized Lease lease() throws IOException {
    IndexSearcher s = searcher();
    s.getIndexReader().incRef();
    return new Lease(s);
  }

  private synchronized IndexSearcher searcher() throws IOException {
    DirectoryReader fresh;
    if (reader == null) {
      fresh = writer != null ? DirectoryReader.open(writer) : DirectoryReader.open(directory);
    } else {
      fresh = writer != null ? DirectoryReader.openIfChanged(reader, writer) : DirectoryReader.openIfChanged(reader);
    }
    if (fresh != null) {
      if (reader != null) {
        reader.decRef(); // closes it once the searches still holding a lease on it release theirs
      }
      reader = fresh;
      IndexSearcher s = new IndexSearcher(reader);
      s.setSimilarity(similarity);
      searcher = s;
    }
    return searcher;
  }

  /**
   * Returns the number of live documents (uncommitted changes of this instance included).
   *
   * @return the count
   * @throws IOException when Lucene cannot read
   */
  public int size() throws IOException {
    try (Lease lease = lease()) {
      return lease.searcher().getIndexReader().numDocs();
    }
  }

  /**
   * Returns how many live documents have a dense vector.
   *
   * @return the count
   * @throws IOException when Lucene cannot read
   */
  public int vectorCount() throws IOException {
    try (Lease lease = lease()) {
      int n = 0;
      for (LeafReaderContext leaf : lease.searcher().getIndexReader().leaves()) {
        FloatVectorValues vv = leaf.reader().getFloatVectorValues(VECTOR);
        if (vv == null) {
          continue;
        }
        Bits live = leaf.reader().getLiveDocs();
        KnnVectorValues.DocIndexIterator it = vv.iterator();
        for (int d = it.nextDoc(); d != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
          if (live == null || live.get(d)) {
            n++;
          }
        }
      }
      return n;
    }
  }

  /**
   * Fetches a document by id.
   *
   * @param id the document id
   * @return the document, or empty when there is none
   * @throws IOException when Lucene cannot read
   */
  public Optional<Document> get(String id) throws IOException {
    try (Lease lease = lease()) {
      IndexSearcher s = lease.searcher();
      TopDocs td = s.search(new TermQuery(new Term(ID, id)), 1);
      if (td.scoreDocs.length == 0) {
        return Optional.empty();
      }
      return Optional.of(toDocument(s.storedFields().document(td.scoreDocs[0].doc)));
    }
  }

  private static Document toDocument(org.apache.lucene.document.Document d) throws IOException {
    String meta = d.get(METADATA);
    Map<String, String> m = meta == null ? Map.of() : JSON.readValue(meta, new TypeReference<Map<String, String>>() {});
    return new Document(d.get(ID), d.get(TITLE), d.get(TEXT), m);
  }

  /**
   * Retrieves the top {@code k} documents for a query text.
   *
   * @param query the query text
   * @param k how many hits, {@code >= 1}
   * @param mode BM25, dense (approximate or exact) or hybrid
   * @return hits in rank order, at most k (fewer when fewer documents match)
   * @throws IOException when Lucene cannot read
   * @throws IllegalStateException for dense or hybrid without an embedder ({@link #setEmbedder}) or without vectors
   * @throws IllegalArgumentException when k is below 1 or the query has more distinct terms than Lucene's clause limit
   */
  public List<Hit> search(String query, int k, SearchMode mode) throws IOException {
    return search(query, null, k, mode);
  }

  /**
   * Retrieves for many queries in parallel (one worker per available core), each query's own id removed from its
   * results (as Anserini does on BEIR, where some corpora contain the queries).
   *
   * @param queries the queries
   * @param k hits per query, {@code >= 1}
   * @param mode the retrieval mode
   * @return query id to hits, in the queries' order
   * @throws IOException when Lucene cannot read
   */
  public Map<String, List<Hit>> searchAll(List<Query> queries, int k, SearchMode mode) throws IOException {
    List<List<Hit>> results = parallel(queries, q -> search(q.text(), q.id(), k, mode));
    Map<String, List<Hit>> out = new LinkedHashMap<>();
    for (int i = 0; i < queries.size(); i++) {
      out.put(queries.get(i).id(), results.get(i));
    }
    return out;
  }

  /**
   * Retrieves for many queries in parallel and returns the result as a run (for evaluation and run files); each
   * query's own id is removed from its results, as in {@link #searchAll}. Stored fields are not loaded.
   *
   * @param queries the queries
   * @param k hits per query, {@code >= 1}
   * @param mode the retrieval mode
   * @param name the run's name
   * @return the run, every query present (possibly with an empty list)
   * @throws IOException when Lucene cannot read
   */
  public Run run(List<Query> queries, int k, SearchMode mode, String name) throws IOException {
    try (Lease lease = lease()) {
      IndexSearcher s = lease.searcher();
      List<List<ScoredDoc>> results = parallel(queries, q -> ranked(s, q.text(), q.id(), k, mode, new java.util.HashMap<>()));
      Run.Builder b = new Run.Builder(name);
      for (int i = 0; i < queries.size(); i++) {
        b.addQuery(queries.get(i).id());
        for (ScoredDoc d : results.get(i)) {
          b.add(queries.get(i).id(), d.docId(), d.score());
        }
      }
      return b.build();
    }
  }

  @FunctionalInterface
  private interface QueryTask<T> {
    T apply(Query q) throws IOException;
  }

  private <T> List<T> parallel(List<Query> queries, QueryTask<T> task) throws IOException {
    searcher();
    int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), queries.size()));
    List<T> out = new ArrayList<>(queries.size());
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      List<Future<T>> futures = new ArrayList<>();
      for (Query q : queries) {
        futures.add(pool.submit(() -> task.apply(q)));
      }
      for (Future<T> f : futures) {
        out.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("batch search interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(e.getCause());
    }
    return out;
  }

  private List<Hit> search(String text, String excludeId, int k, SearchMode mode) throws IOException {
    try (Lease lease = lease()) {
      IndexSearcher s = lease.searcher();
      Map<String, Integer> luceneDocs = new java.util.HashMap<>();
      List<ScoredDoc> ranked = ranked(s, text, excludeId, k, mode, luceneDocs);
      List<Hit> hits = new ArrayList<>(ranked.size());
      StoredFields sf = s.storedFields();
      for (ScoredDoc d : ranked) {
        org.apache.lucene.document.Document stored = sf.document(luceneDocs.get(d.docId()));
        hits.add(new Hit(d.docId(), d.score(), hits.size() + 1, stored.get(TITLE), stored.get(TEXT)));
      }
      return hits;
    }
  }

  private List<ScoredDoc> ranked(
      IndexSearcher s, String text, String excludeId, int k, SearchMode mode, Map<String, Integer> luceneDocs)
      throws IOException {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
    // no more hits than documents: keeps a huge k from allocating huge queues
    int want = (int) Math.min((long) k + (excludeId == null ? 0 : 1), Math.max(1, s.getIndexReader().maxDoc()));
    List<ScoredDoc> ranked =
        switch (mode) {
          case BM25 -> bm25(s, text, want, luceneDocs);
          case DENSE -> dense(s, text, want, false, luceneDocs);
          case DENSE_EXACT -> dense(s, text, want, true, luceneDocs);
          case HYBRID -> {
            int depth = Math.max(want, fusionDepth);
            yield fusion.fuse(bm25(s, text, depth, luceneDocs), dense(s, text, depth, false, luceneDocs));
          }
        };
    List<ScoredDoc> out = new ArrayList<>(Math.min(k, ranked.size()));
    for (ScoredDoc d : ranked) {
      if (d.docId().equals(excludeId)) {
        continue;
      }
      if (out.size() == k) {
        break;
      }
      out.add(d);
    }
    return out;
  }

  /**
   * Builds the BM25 query of a text: analysed terms as SHOULD clauses, a repeated term boosted by its count.
   *
   * @param text the query text
   * @return the query, or null when no term survives analysis
   */
  BooleanQuery bm25Query(String text) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    try (TokenStream ts = analyzer.tokenStream(CONTENTS, text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        counts.merge(term.toString(), 1, Integer::sum);
      }
      ts.end();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (counts.isEmpty()) {
      return null;
    }
    if (counts.size() > IndexSearcher.getMaxClauseCount()) {
      throw new IllegalArgumentException(
          "query has " + counts.size() + " distinct terms, more than Lucene's limit of "
              + IndexSearcher.getMaxClauseCount());
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    counts.forEach(
        (t, n) -> {
          org.apache.lucene.search.Query q = new TermQuery(new Term(CONTENTS, t));
          b.add(n == 1 ? q : new BoostQuery(q, n), BooleanClause.Occur.SHOULD);
        });
    return b.build();
  }

  private List<ScoredDoc> bm25(IndexSearcher s, String text, int k, Map<String, Integer> luceneDocs)
      throws IOException {
    BooleanQuery q = bm25Query(text);
    return q == null ? List.of() : scored(s, s.search(q, k), luceneDocs);
  }

  private List<ScoredDoc> scored(IndexSearcher s, TopDocs td, Map<String, Integer> luceneDocs)
      throws IOException {
    List<LeafReaderContext> leaves = s.getIndexReader().leaves();
    List<ScoredDoc> out = new ArrayList<>(td.scoreDocs.length);
    for (ScoreDoc sd : td.scoreDocs) {
      LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(sd.doc, leaves));
      SortedDocValues ids = leaf.reader().getSortedDocValues(ID);
      if (ids == null || !ids.advanceExact(sd.doc - leaf.docBase)) {
        throw new IllegalStateException("document " + sd.doc + " of " + path + " has no id doc value");
      }
      String id = ids.lookupOrd(ids.ordValue()).utf8ToString();
      luceneDocs.put(id, sd.doc);
      out.add(new ScoredDoc(id, sd.score));
    }
    return out;
  }

  private List<ScoredDoc> dense(
      IndexSearcher s, String text, int k, boolean exact, Map<String, Integer> luceneDocs) throws IOException {
    Embedder e = embedder;
    if (e == null) {
      throw new IllegalStateException("dense search on " + path + " needs an embedder: call setEmbedder first");
    }
    if (settings.vectorDimension() == 0) {
      throw new IllegalStateException("the index at " + path + " holds no vectors: run embedMissing first");
    }
    float[] q = Embedder.unitLength(checkDimension(e.embedQuery(text), e.dimension(), "the query"));
    if (!exact) {
      int beam = Math.max(k, knnCandidates);
      return scored(s, s.search(new KnnFloatVectorQuery(VECTOR, q, beam), k), luceneDocs);
    }
    return exactDense(s, q, k, luceneDocs);
  }

  private List<ScoredDoc> exactDense(IndexSearcher s, float[] q, int k, Map<String, Integer> luceneDocs)
      throws IOException {
    PriorityQueue<ScoreDoc> top =
        new PriorityQueue<>(
            k + 1, (a, b) -> a.score != b.score ? Float.compare(a.score, b.score) : Integer.compare(b.doc, a.doc));
    for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
      FloatVectorValues vv = leaf.reader().getFloatVectorValues(VECTOR);
      if (vv == null) {
        continue;
      }
      Bits live = leaf.reader().getLiveDocs();
      KnnVectorValues.DocIndexIterator it = vv.iterator();
      for (int d = it.nextDoc(); d != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS; d = it.nextDoc()) {
        if (live != null && !live.get(d)) {
          continue;
        }
        float score = VectorSimilarityFunction.DOT_PRODUCT.compare(q, vv.vectorValue(it.index()));
        top.add(new ScoreDoc(leaf.docBase + d, score));
        if (top.size() > k) {
          top.poll();
        }
      }
    }
    ScoreDoc[] docs = new ScoreDoc[top.size()];
    for (int i = docs.length - 1; i >= 0; i--) {
      docs[i] = top.poll();
    }
    TotalHits total = new TotalHits(docs.length, TotalHits.Relation.EQUAL_TO);
    return scored(s, new TopDocs(total, docs), luceneDocs);
  }

  /**
   * Commits pending changes and closes the writer, reader and directory.
   *
   * @throws IOException when the final commit fails
   */
  @Override
  public synchronized void close() throws IOException {
    try {
      if (writer != null) {
        if (writer.hasUncommittedChanges()) {
          commit();
        }
        writer.close();
      }
    } finally {
      writer = null;
      if (reader != null) {
        reader.close();
        reader = null;
      }
      directory.close();
    }
  }
}
