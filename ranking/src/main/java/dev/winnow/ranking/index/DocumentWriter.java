package dev.winnow.ranking.index;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.winnow.ranking.collection.Document;
import dev.winnow.ranking.dense.EmbedderIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.similarities.Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.BytesRef;

/**
 * The writing side of a {@link DocumentIndex} (Lucene's {@link IndexWriter}, opened on first write): adds, replaces
 * and deletes documents, and commits them together with the index's {@link IndexSettings}. Every method runs under
 * the index's lock, which the {@link DocumentSearcher} shares so that its near-real-time reader sees a consistent
 * writer.
 */
final class DocumentWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final Directory directory;
    private final Analyzer analyzer;
    private final Similarity similarity;
    private final Object lock;
    private volatile IndexSettings stored;
    private IndexWriter writer;

    DocumentWriter(
            Path path,
            Directory directory,
            Analyzer analyzer,
            Similarity similarity,
            IndexSettings stored,
            Object lock) {
        this.path = path;
        this.directory = directory;
        this.analyzer = analyzer;
        this.similarity = similarity;
        this.stored = stored;
        this.lock = lock;
    }

    /** The settings recorded with every commit (the vectors' embedder included once the backfill has run). */
    IndexSettings stored() {
        return stored;
    }

    /** The open Lucene writer, or null before the first write (callers hold the lock). */
    IndexWriter current() {
        return writer;
    }

    /** Opens the Lucene writer on first use; {@code CREATE} only when making a new index. */
    IndexWriter open(IndexWriterConfig.OpenMode mode) throws IOException {
        synchronized (lock) {
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
    }

    /** Adds or replaces (same id) a document, with its unit vector or none. */
    void put(Document doc, float[] unitVector) throws IOException {
        synchronized (lock) {
            open(IndexWriterConfig.OpenMode.APPEND)
                    .updateDocument(new Term(DocumentIndex.ID, doc.id()), luceneDocument(doc, unitVector));
        }
    }

    /** Deletes the document with that id, if any. */
    void delete(String id) throws IOException {
        synchronized (lock) {
            open(IndexWriterConfig.OpenMode.APPEND).deleteDocuments(new Term(DocumentIndex.ID, id));
        }
    }

    /**
     * Writes a batch of documents (those the index does not hold unchanged) and commits when any was written.
     *
     * @return how many were written
     */
    int putBatch(List<Document> changed) throws IOException {
        synchronized (lock) {
            for (Document d : changed) {
                put(d, null);
            }
            if (!changed.isEmpty()) {
                commit();
            }
            return changed.size();
        }
    }

    /** Records the vectors' dimension and embedder; written with the next commit. */
    void recordVectors(int dimension, String description) {
        synchronized (lock) {
            stored = stored.withVectors(dimension, description);
        }
    }

    void recordVectors(int dimension, EmbedderIdentity identity) {
        synchronized (lock) {
            stored = stored.withVectors(dimension, identity);
        }
    }

    /** Commits pending changes and the settings atomically. */
    void commit() throws IOException {
        synchronized (lock) {
            IndexWriter w = open(IndexWriterConfig.OpenMode.APPEND);
            w.setLiveCommitData(SettingsStore.commitData(stored).entrySet());
            w.commit();
        }
    }

    /**
     * Replaced and deleted documents still count in BM25's statistics (document frequency, average length) until merged
     * away: merges them so that BM25 scores are those of an index built in one go.
     */
    void mergeDeletes() throws IOException {
        synchronized (lock) {
            IndexWriter w = open(IndexWriterConfig.OpenMode.APPEND);
            if (w.hasDeletions()) {
                w.forceMergeDeletes();
                commit();
            }
        }
    }

    /** Commits pending changes and closes the Lucene writer. */
    void close() throws IOException {
        synchronized (lock) {
            try {
                if (writer != null) {
                    if (writer.hasUncommittedChanges()) {
                        commit();
                    }
                    writer.close();
                }
            } finally {
                writer = null;
            }
        }
    }

    private static org.apache.lucene.document.Document luceneDocument(Document doc, float[] vector)
            throws JsonProcessingException {
        org.apache.lucene.document.Document d = new org.apache.lucene.document.Document();
        d.add(new StringField(DocumentIndex.ID, doc.id(), Field.Store.YES));
        d.add(new SortedDocValuesField(DocumentIndex.ID, new BytesRef(doc.id())));
        d.add(new StoredField(DocumentIndex.TITLE, doc.title()));
        d.add(new StoredField(DocumentIndex.TEXT, doc.text()));
        if (!doc.metadata().isEmpty()) {
            d.add(new StoredField(DocumentIndex.METADATA, JSON.writeValueAsString(doc.metadata())));
        }
        d.add(new TextField(DocumentIndex.CONTENTS, contents(doc), Field.Store.NO));
        if (vector != null) {
            d.add(new KnnFloatVectorField(DocumentIndex.VECTOR, vector, VectorSimilarityFunction.DOT_PRODUCT));
        }
        return d;
    }

    private static String contents(Document doc) {
        return doc.title().isEmpty() ? doc.text() : doc.title() + "\n" + doc.text();
    }

    /** The document a stored Lucene document holds. */
    static Document toDocument(org.apache.lucene.document.Document d) throws IOException {
        String meta = d.get(DocumentIndex.METADATA);
        Map<String, String> m =
                meta == null ? Map.of() : JSON.readValue(meta, new TypeReference<Map<String, String>>() {});
        return new Document(d.get(DocumentIndex.ID), d.get(DocumentIndex.TITLE), d.get(DocumentIndex.TEXT), m);
    }

    /** The index directory, for messages. */
    Path path() {
        return path;
    }
}
