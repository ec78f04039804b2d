package dev.winnow.ranking.incontext.encoder.bench;

import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.incontext.Candidate;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.incontext.encoder.EncoderInContextRanker;
import dev.winnow.ranking.incontext.encoder.EncoderRankerOptions;
import dev.winnow.ranking.incontext.encoder.EncoderScores;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * SciFact quality of the encoder in-context ranker against BM25 and the bi-encoder cosine re-ranker, all re-ranking the
 * BM25 top K of the same query sample.
 *
 * <p>{@code tune}: on a seeded sample of TRAIN queries, one pass per query yields the scores of every layer and both
 * sources; prints nDCG@10 per (source, layer, single or summed). {@code test}: on a seeded sample of TEST queries,
 * prints nDCG@10, R@K and RR@10 of BM25, the embedding re-ranker and the encoder ranker with the given setting.
 *
 * <p>Run: {@code mvn -B -q -Pbench-encoder -pl ranking -am verify -DskipTests -Dbench.args="MODE SAMPLE K DOC_BUDGET
 * WINDOW LAYER SOURCE SUM"}, e.g. {@code "tune 20 20 128 2048"} or {@code "test 40 20 128 2048 3 QUERY_TOKENS false"}.
 */
public final class EncoderQualityBench {

    private EncoderQualityBench() {}

    /**
     * @param args mode (tune|test), sample size, depth K, document token budget, window tokens, then for test: layer,
     *             source (QUERY_TOKENS|CLS), sum over layers (true|false), optionally "encoder-only" (no embedding row)
     * @throws Exception on failure
     */
    public static void main(String[] argv) throws Exception {
        String[] args = argv.length == 1 ? argv[0].trim().split("\\s+") : argv;
        String mode = args[0];
        int sample = Integer.parseInt(args[1]);
        int k = Integer.parseInt(args[2]);
        int budget = Integer.parseInt(args[3]);
        int window = Integer.parseInt(args[4]);
        int threads = Runtime.getRuntime().availableProcessors();
        Path shared = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
        TestCollection c = TestCollection.open(shared.resolve("data/scifact"), false);
        String split = mode.equals("tune") ? "train" : "test";
        Qrels qrels = c.qrels(split);
        List<Query> queries = new ArrayList<>();
        for (Query q : c.queries(split)) {
            if (qrels.queryIds().contains(q.id())) {
                queries.add(q);
            }
        }
        Collections.shuffle(queries, new Random(7));
        queries = queries.subList(0, Math.min(sample, queries.size()));
        System.out.printf(
                Locale.ROOT,
                "SciFact %s: %d sampled queries (seed 7), BM25 top %d, documents cut to %d tokens,"
                        + " %d-token windows, %d threads%n",
                split,
                queries.size(),
                k,
                budget,
                window,
                threads);
        Path tmp = Files.createTempDirectory("winnow-encoder-bench");
        // Evaluation.mean averages over every judged query of the split: judge the sample alone
        java.util.Set<String> ids = new java.util.HashSet<>();
        queries.forEach(q -> ids.add(q.id()));
        Evaluation eval = new Evaluation(qrels.restrictTo(ids));
        Metric recallK = new Metric(Metric.Kind.RECALL, k);
        try (DocumentIndex idx = DocumentIndex.create(tmp.resolve("index"), IndexConfig.DEFAULT);
                Model model =
                        Llama.load().loadModel(EmbeddingModels.fromEnvironment().ensure("minilm"))) {
            idx.addAll(c.documents(), 1000);
            Map<String, List<Hit>> firstStage = idx.searchAll(queries, k, SearchMode.BM25);
            Run bm25 = idx.run(queries, k, SearchMode.BM25, "bm25");
            EncoderRankerOptions o = EncoderRankerOptions.defaults()
                    .withDocumentTokenBudget(budget)
                    .withWindowTokens(window)
                    .withThreads(threads);
            if (mode.equals("tune")) {
                tune(queries, firstStage, model, o, eval, bm25);
                return;
            }
            int layer = Integer.parseInt(args[5]);
            EncoderRankerOptions.Source source = EncoderRankerOptions.Source.valueOf(args[6]);
            boolean sum = Boolean.parseBoolean(args[7]);
            System.out.printf(Locale.ROOT, "| method | nDCG@10 | R@%d | RR@10 | seconds |%n|---|---|---|---|---|%n", k);
            row(eval, bm25, recallK, "BM25 (k1 0.9, b 0.4)", 0);
            boolean withEmbedding = args.length < 9 || !args[8].equals("encoder-only");
            if (withEmbedding)
                try (InContextRanker emb = InContextRanker.embedding(
                        model,
                        InContextOptions.defaults().withBudgets(budget, 64).withThreads(threads))) {
                    long t0 = System.nanoTime();
                    Run r = Reranking.rerank(queries, firstStage, emb, "embedding", null);
                    row(eval, r, recallK, "embedding cosine (MiniLM, mean pooling)", (System.nanoTime() - t0) / 1e9);
                }
            try (InContextRanker enc = new EncoderInContextRanker(
                    model, o.withLayer(layer).withSource(source).withSumOverLayers(sum))) {
                long t0 = System.nanoTime();
                Run r = Reranking.rerank(queries, firstStage, enc, "encoder", null);
                row(
                        eval,
                        r,
                        recallK,
                        "encoder in-context (MiniLM, layer " + layer + (sum ? " summed" : "") + ", " + source + ")",
                        (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    private static void row(Evaluation eval, Run run, Metric recallK, String name, double seconds) {
        System.out.printf(
                Locale.ROOT,
                "| %s | %.4f | %.4f | %.4f | %.0f |%n",
                name,
                eval.mean(run, Metric.NDCG_10),
                eval.mean(run, recallK),
                eval.mean(run, Metric.RR_10),
                seconds);
    }

    private static void tune(
            List<Query> queries,
            Map<String, List<Hit>> firstStage,
            Model model,
            EncoderRankerOptions o,
            Evaluation eval,
            Run bm25) {
        System.out.printf(Locale.ROOT, "BM25 nDCG@10 %.4f%n", eval.mean(bm25, Metric.NDCG_10));
        List<EncoderScores> all = new ArrayList<>();
        long t0 = System.nanoTime();
        try (EncoderInContextRanker r = new EncoderInContextRanker(model, o)) {
            for (Query q : queries) {
                all.add(r.scoreAll(q.text(), Reranking.candidates(firstStage.get(q.id()))));
            }
        }
        System.out.printf(Locale.ROOT, "%d passes in %.0f s%n", all.size(), (System.nanoTime() - t0) / 1e9);
        int layers = all.getFirst().queryTokens().length;
        for (EncoderRankerOptions.Source s : EncoderRankerOptions.Source.values()) {
            for (boolean sum : new boolean[] {false, true}) {
                StringBuilder line =
                        new StringBuilder(String.format(Locale.ROOT, "%-12s %-6s", s, sum ? "summed" : "single"));
                for (int l = 0; l < layers; l++) {
                    Run.Builder b = new Run.Builder("encoder");
                    for (int i = 0; i < queries.size(); i++) {
                        String qid = queries.get(i).id();
                        b.addQuery(qid);
                        EncoderScores e = all.get(i);
                        double[] sc = e.select(s, l, sum);
                        List<Candidate> docs = e.documents();
                        for (int d = 0; d < sc.length; d++) {
                            b.add(qid, docs.get(d).docId(), sc[d]);
                        }
                    }
                    line.append(String.format(Locale.ROOT, "  L%d %.4f", l, eval.mean(b.build(), Metric.NDCG_10)));
                }
                System.out.println(line);
            }
        }
    }
}
