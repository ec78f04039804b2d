package dev.winnow.ranking.dense.bench;

import dev.winnow.models.ProgressListener;
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Qrels;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.Reranking;
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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * SciFact quality of the embedding re-ranker: a seeded sample of test queries (seed 7), BM25 top K from an on-disk
 * index of all documents, re-ranked by {@code InContextRanker.embedding} with each named catalog model; prints
 * nDCG@10 and RR@10 over the sample (judged on the sample alone) and the seconds each re-ranking took.
 *
 * <p>Run: {@code mvn -B -q -Pbench-embedding -pl ranking -am verify -DskipTests -Dbench.args="30 20 minilm,bge-small"}
 * (sample size, depth K, models).
 */
public final class EmbeddingRerankBench {

    private EmbeddingRerankBench() {}

    /**
     * @param argv sample size, depth K, comma-separated catalog models (minilm, bge-small); one string or three
     * @throws Exception on failure
     */
    public static void main(String[] argv) throws Exception {
        String[] args = argv.length == 1 ? argv[0].trim().split("\\s+") : argv;
        int sample = Integer.parseInt(args[0]);
        int k = Integer.parseInt(args[1]);
        String[] models = args[2].split(",");
        int threads = Runtime.getRuntime().availableProcessors();
        Path shared = Path.of(System.getProperty("winnow.shared.dir", "../shared"));
        TestCollection c = TestCollection.open(shared.resolve("data/scifact"), false);
        Qrels qrels = c.qrels("test");
        List<Query> queries = new ArrayList<>();
        for (Query q : c.queries("test")) {
            if (qrels.queryIds().contains(q.id())) {
                queries.add(q);
            }
        }
        Collections.shuffle(queries, new Random(7));
        queries = queries.subList(0, Math.min(sample, queries.size()));
        Set<String> ids = new HashSet<>();
        queries.forEach(q -> ids.add(q.id()));
        Evaluation eval = new Evaluation(qrels.restrictTo(ids));
        Path tmp = Files.createTempDirectory("winnow-embedding-bench");
        try (DocumentIndex idx =
                DocumentIndex.create(tmp.resolve("index"), IndexConfig.builder().build())) {
            idx.addAll(c.documents(), 1000);
            Map<String, List<Hit>> firstStage = idx.searchAll(queries, k, SearchMode.BM25);
            Run bm25 = idx.run(queries, k, SearchMode.BM25, "bm25");
            System.out.printf(
                    Locale.ROOT,
                    "SciFact test: %d sampled queries (seed 7), BM25 top %d, %d threads%n",
                    queries.size(),
                    k,
                    threads);
            System.out.printf(Locale.ROOT, "| method | nDCG@10 | RR@10 | seconds |%n|---|---|---|---|%n");
            System.out.printf(
                    Locale.ROOT,
                    "| BM25 | %.4f | %.4f | - |%n",
                    eval.mean(bm25, Metric.NDCG_10),
                    eval.mean(bm25, Metric.RR_10));
            for (String name : models) {
                try (Model model = Llama.load()
                                .loadModel(EmbeddingModels.fromEnvironment().ensure(name));
                        InContextRanker emb = InContextRanker.embedding(
                                model, InContextOptions.defaults().withThreads(threads))) {
                    long t0 = System.nanoTime();
                    Run r = Reranking.rerank(queries, firstStage, emb, "embedding", ProgressListener.NONE);
                    System.out.printf(
                            Locale.ROOT,
                            "| BM25 > embedding %s | %.4f | %.4f | %.0f |%n",
                            name,
                            eval.mean(r, Metric.NDCG_10),
                            eval.mean(r, Metric.RR_10),
                            (System.nanoTime() - t0) / 1e9);
                }
            }
        }
    }
}
