package dev.winnow.ranking.collection;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a collection's documents one at a time, holding none of them after it hands them on, so collections larger
 * than the heap (MS MARCO passage: 8.8M passages, 3 GB) can be indexed with a bounded heap. {@link TestCollection}
 * reads a whole collection into memory (documents, queries and qrels checked against each other); this class is its
 * streaming counterpart for the documents, which are what outgrow memory. Queries and qrels stay small and are read
 * whole ({@link MsMarcoFiles}, {@link TrecFiles}).
 *
 * <p>Sources: a BEIR {@code corpus.jsonl} ({@code _id}, {@code title}, {@code text}, {@code metadata}) and an MS MARCO
 * {@code collection.tsv} ({@code pid TAB passage}, no header), given as the file or as the collection directory that
 * holds it. Malformed lines (bad JSON, no tab, an empty id, invalid UTF-8) go to the {@link ReadReport}: they fail the
 * read, or are skipped and counted with {@code skipBad}. Empty documents are kept and counted. Duplicate ids are not
 * looked for (that would hold every id in memory); an index replaces a document by id, so a repeated id is indexed
 * once, as its last version.
 */
public final class DocumentStream {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Receives documents in file order. */
    @FunctionalInterface
    public interface Sink {
        /**
         * @param doc the next document
         * @throws IOException to stop the read (e.g. the index cannot write)
         */
        void accept(Document doc) throws IOException;
    }

    /** Receives documents in batches, in file order. */
    @FunctionalInterface
    public interface BatchSink {
        /**
         * @param batch the next documents (a fresh list per call; at most the batch size; never empty)
         * @throws IOException to stop the read
         */
        void accept(List<Document> batch) throws IOException;
    }

    private DocumentStream() {}

    /**
     * The document file a source names: the file itself, or the {@code corpus.jsonl} or {@code collection.tsv} of a
     * directory.
     *
     * @param source a file or a collection directory
     * @return the file
     * @throws IOException when the source holds neither
     */
    public static Path documentFile(Path source) throws IOException {
        if (Files.isRegularFile(source)) {
            String n = source.getFileName().toString();
            if (n.endsWith(".jsonl") || n.endsWith(".tsv")) {
                return source;
            }
            throw new IOException(source + ": expected a .jsonl (BEIR corpus) or .tsv (MS MARCO collection) file");
        }
        for (String n : List.of("corpus.jsonl", "collection.tsv")) {
            if (Files.isRegularFile(source.resolve(n))) {
                return source.resolve(n);
            }
        }
        throw new IOException(source + " holds no corpus.jsonl (BEIR) or collection.tsv (MS MARCO) to stream");
    }

    /**
     * Reads every document of a source in file order.
     *
     * @param source a BEIR {@code corpus.jsonl}, an MS MARCO {@code collection.tsv}, or a directory holding one
     * @param report where malformed lines and empty documents are counted (or thrown without {@code skipBad})
     * @param sink receives each document
     * @return the number of documents handed to the sink
     * @throws IOException when a file cannot be read, a line is malformed without {@code skipBad}, or the sink fails
     */
    public static long forEach(Path source, ReadReport report, Sink sink) throws IOException {
        Path file = documentFile(source);
        long[] n = {0};
        if (file.getFileName().toString().endsWith(".tsv")) {
            MsMarcoFiles.forEachPassage(file, report, d -> {
                countEmpty(report, d);
                sink.accept(d);
                n[0]++;
            });
        } else {
            Utf8Lines.forEachNonBlank(file, report, (line, text) -> {
                JsonNode node;
                try {
                    node = JSON.readTree(text);
                } catch (JsonProcessingException e) {
                    report.malformed(file, line, "malformed JSON: " + e.getOriginalMessage());
                    return;
                }
                if (!node.isObject()) {
                    report.malformed(file, line, "expected a JSON object");
                    return;
                }
                Document d;
                try {
                    d = BeirReader.document(node, file, line);
                } catch (MalformedInputException e) {
                    report.malformed(file, line, e.problem());
                    return;
                }
                countEmpty(report, d);
                sink.accept(d);
                n[0]++;
            });
        }
        return n[0];
    }

    /**
     * Reads every document of a source in batches (e.g. to {@code DocumentIndex.addAll}, one commit per batch): at most
     * {@code batchSize} documents are held at a time.
     *
     * @param source a BEIR {@code corpus.jsonl}, an MS MARCO {@code collection.tsv}, or a directory holding one
     * @param report where malformed lines and empty documents are counted (or thrown without {@code skipBad})
     * @param batchSize documents per batch, {@code >= 1}
     * @param sink receives each batch
     * @return the number of documents read
     * @throws IOException when a file cannot be read, a line is malformed without {@code skipBad}, or the sink fails
     */
    public static long forEachBatch(Path source, ReadReport report, int batchSize, BatchSink sink) throws IOException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        List<List<Document>> current = new ArrayList<>(List.of(new ArrayList<>(batchSize)));
        long n = forEach(source, report, d -> {
            List<Document> b = current.get(0);
            b.add(d);
            if (b.size() == batchSize) {
                current.set(0, new ArrayList<>(batchSize));
                sink.accept(b);
            }
        });
        if (!current.get(0).isEmpty()) {
            sink.accept(current.get(0));
        }
        return n;
    }

    private static void countEmpty(ReadReport report, Document d) {
        if (d.isEmpty()) {
            report.emptyDocument(d.id());
        }
    }
}
