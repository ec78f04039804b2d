package dev.winnow.ranking.collection;

import dev.winnow.ranking.eval.GainMapping;
import dev.winnow.ranking.eval.Qrels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads a TREC-style collection directory: documents in SGML {@code <DOC>} files ({@code *.trec}, {@code *.sgml}, or
 * any file under {@code docs/}), topics in {@code topics*} files (any layout {@link TrecFiles#readTopics} knows), and
 * qrels in {@code qrels*} files. A qrels file's split is the part of its name between {@code qrels} and the
 * extension ({@code qrels.test.txt} is split {@code test}); a plain {@code qrels.txt} is split {@code all}.
 */
final class TrecCollectionReader {

    private TrecCollectionReader() {}

    static TestCollection read(Path dir, boolean skipBad) throws IOException {
        TestCollection.Assembler a = new TestCollection.Assembler(skipBad);
        List<Path> docFiles;
        try (Stream<Path> s = Files.list(dir)) {
            docFiles = s.filter(p -> Files.isRegularFile(p)
                            && (p.toString().endsWith(".trec") || p.toString().endsWith(".sgml")))
                    .sorted()
                    .toList();
        }
        Path docsDir = dir.resolve("docs");
        if (Files.isDirectory(docsDir)) {
            try (Stream<Path> s = Files.walk(docsDir)) {
                docFiles = Stream.concat(
                                docFiles.stream(),
                                s.filter(Files::isRegularFile).sorted())
                        .toList();
            }
        }
        if (docFiles.isEmpty()) {
            throw new IOException(
                    "TREC collection " + dir + " has no documents (*.trec, *.sgml, or files under docs/)");
        }
        for (Path f : docFiles) {
            for (Document d : TrecFiles.readTrecDocuments(f, a.report)) {
                a.document(d);
            }
        }
        for (Path f : named(dir, "topics")) {
            for (Query q : TrecFiles.readTopics(f, a.report)) {
                a.query(q);
            }
        }
        for (Path f : named(dir, "qrels")) {
            Qrels.Builder b = TrecFiles.readWhitespaceQrels(f, a.report, 4);
            a.qrels(f, splitOf(f.getFileName().toString()), b);
        }
        return a.build(dir, TestCollection.Format.TREC, GainMapping.GRADE);
    }

    static String splitOf(String qrelsFileName) {
        String s = qrelsFileName.substring("qrels".length()).replaceFirst("\\.(txt|tsv|qrels)$", "");
        s = s.replaceFirst("^[._-]+", "");
        return s.isEmpty() ? "all" : s;
    }

    private static List<Path> named(Path dir, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p ->
                            Files.isRegularFile(p) && p.getFileName().toString().startsWith(prefix))
                    .sorted()
                    .toList();
        }
    }
}
