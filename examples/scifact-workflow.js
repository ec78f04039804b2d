// The whole workflow from JavaScript: index SciFact, search with BM25, re-rank with BlockRank, evaluate.
//   ./winnow run examples/scifact-workflow.js [COLLECTION_DIR] [INDEX_DIR] [MODEL] [RERANK_QUERIES]
// COLLECTION_DIR defaults to ../shared/data/scifact (beside the repository), INDEX_DIR to scifact-index in the
// workspace (the current directory unless --workspace says otherwise), MODEL to ../shared/models/stories260K.gguf
// (a tiny story model: the re-ranking is real but not meaningful; pass a real instruction model for real figures),
// RERANK_QUERIES (how many test queries are re-ranked) to 10.
const [collectionDir = '../shared/data/scifact', indexDir = 'scifact-index',
  modelPath = '../shared/models/stories260K.gguf', rerankQueries = '10'] = winnow.args();

const collection = winnow.collection(collectionDir);
console.log(`${collection.name()}: ${collection.size()} documents, splits ${collection.splits().join(', ')}`);

const index = winnow.buildIndex(collection, indexDir);
console.log(`indexed ${index.size()} documents into ${index.path()}`);

const queries = collection.queries('test');
const first = queries[0];
const hits = index.search(first.text, 10, 'bm25');
console.log(`query ${first.id}: ${first.text}`);
for (const h of hits.hits) {
  console.log(`  ${h.rank}. ${h.id}  ${h.score.toFixed(4)}  ${h.title.slice(0, 60)}`);
}
display(hits);

const run = index.run(queries, 100, 'bm25', 'bm25');
const metrics = winnow.evaluate(run, collection.qrels('test'));
display(metrics);

const model = winnow.loadModel(modelPath, {threads: 1});
const ranker = winnow.ranker(model, 'blockrank', null);
const ranked = ranker.rank(first.text, hits);
display(ranked);

const subset = Array.from(queries).slice(0, Number(rerankQueries));
const subsetIds = subset.map((q) => q.id);
const reranked = ranker.rerank(index, subset, 10, 'bm25', 'bm25+blockrank');
const comparison = winnow.evaluate([run.restrictTo(subsetIds), reranked], collection.qrels('test').restrictTo(subsetIds));
display(comparison);

const summary = {
  queries: queries.length,
  ndcg10: metrics.get('nDCG@10'),
  recall100: metrics.get('R@100'),
  rr10: metrics.get('RR@10'),
  firstQuery: first.id,
  top10: Array.from(hits.ids()),
  reranked10: Array.from(ranked.ids()),
  rerankedScores: Array.from(ranked.documents).map((d) => d.score),
  rerankedNdcg10: comparison.get('bm25+blockrank', 'nDCG@10'),
};
console.log(`nDCG@10 ${summary.ndcg10.toFixed(4)}  R@100 ${summary.recall100.toFixed(4)}  RR@10 ${summary.rr10.toFixed(4)}`);
display(JSON.stringify(summary), 'application/json');
