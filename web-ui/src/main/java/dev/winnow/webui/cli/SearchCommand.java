package dev.winnow.webui.cli;

import dev.winnow.ranking.dense.Embedder;
import dev.winnow.ranking.dense.Embedders;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.IndexSettings;
import dev.winnow.ranking.index.SearchMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code winnow search}: retrieves from an index and prints rank, document id, score and title. */
@Command(
        name = "search",
        mixinStandardHelpOptions = true,
        description = "Retrieve from an index: BM25, dense, or hybrid (reciprocal rank fusion, k = 60).")
public final class SearchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--index", required = true, paramLabel = "DIR", description = "index directory")
    Path index;

    @Option(names = "--query", required = true, paramLabel = "TEXT", description = "query text")
    String query;

    @Option(
            names = "--mode",
            defaultValue = "bm25",
            description = "bm25, dense, dense-exact or hybrid (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "-k", defaultValue = "10", description = "number of hits (default ${DEFAULT-VALUE})")
    int k;

    @Mixin
    QueryInstructionOption queryInstruction = new QueryInstructionOption();

    @Option(names = "--text", description = "print each hit's text under its title")
    boolean showText;

    @Override
    public Integer call() throws Exception {
        SearchMode m = SearchMode.parse(mode);
        PrintWriter out = spec.commandLine().getOut();
        try (Embedder embedder = m == SearchMode.BM25 ? null : embedderOf(DocumentIndex.readSettings(index), m);
                DocumentIndex idx = DocumentIndex.open(
                        index, IndexConfig.builder().embedder(embedder).build())) {
            if (embedder != null) {
                queryInstruction.apply(embedder);
            }
            List<Hit> hits = idx.search(query, k, m);
            out.printf(Locale.ROOT, "%4s  %-14s %10s  %s%n", "rank", "id", "score", "title");
            for (Hit h : hits) {
                String title = h.title().isBlank() ? shorten(h.text(), 90) : shorten(h.title(), 90);
                out.printf(Locale.ROOT, "%4d  %-14s %10.4f  %s%n", h.rank(), h.id(), h.score(), title);
                if (showText) {
                    out.println("      " + shorten(h.text(), 400));
                }
            }
            if (hits.isEmpty()) {
                out.println("(no hits)");
            }
        }
        return 0;
    }

    private Embedder embedderOf(IndexSettings recorded, SearchMode m) throws IOException {
        String made = recorded.embedder();
        if (made == null) {
            throw new IllegalStateException("index " + index
                    + " has no vectors: build it with winnow index --dense MODEL for --mode " + m.cliName());
        }
        return Embedders.fromDescription(made);
    }

    private static String shorten(String s, int max) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() <= max ? one : one.substring(0, max - 3) + "...";
    }
}
