package com.example;

import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
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

/**
 * Winnow from a project of your own: index a BEIR collection with BM25, evaluate a run, re-rank the first query's top
 * 10 with BlockRank. Arguments: COLLECTION_DIR INDEX_DIR MODEL.gguf (e.g. SciFact and stories260K.gguf).
 */
public final class QuickStart {
  public static void main(String[] args) throws Exception {
    Path collection = Path.of(args[0]); // corpus.jsonl, queries.jsonl, qrels/test.tsv
    Path indexDir = Path.of(args[1]); // created on the first run, reused afterwards
    Path model = Path.of(args[2]); // any GGUF decoder
    TestCollection c = TestCollection.open(collection, false);
    String split = c.defaultSplit();
    try (DocumentIndex index = DocumentIndex.openOrCreate(indexDir, IndexConfig.DEFAULT)) {
      index.addAll(c.documents(), 1000); // documents already there are skipped
      List<Query> queries = c.queries(split);
      Run bm25 = index.run(queries, 100, SearchMode.BM25, "bm25");
      double ndcg = new Evaluation(c.qrels(split)).mean(bm25, Metric.NDCG_10);
      System.out.printf("bm25 nDCG@10 %.4f over %d queries%n", ndcg, bm25.queryIds().size());
      List<Hit> hits = index.search(queries.get(0).text(), 10, SearchMode.BM25);
      try (Model llm = Llama.load().loadModel(model);
          InContextRanker ranker = InContextRanker.blockRank(llm, InContextOptions.defaults())) {
        Ranking r = ranker.rank(queries.get(0).text(), Reranking.candidates(hits));
        System.out.println("bm25 top 10: " + hits.stream().map(Hit::id).toList());
        System.out.println("blockrank:   " + r.docIds());
      }
    }
  }
}
