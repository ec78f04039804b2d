// The whole retrieval workflow from JavaScript: index SciFact, search, evaluate BM25 against the test qrels.
//   ./winnow run examples/scifact-workflow.js [COLLECTION_DIR] [INDEX_DIR]
// COLLECTION_DIR defaults to ../shared/data/scifact (beside the repository), INDEX_DIR to scifact-index in the
// workspace (the current directory unless --workspace says otherwise).
const [collectionDir = '../shared/data/scifact', indexDir = 'scifact-index'] = winnow.args();

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

const summary = {
  queries: queries.length,
  ndcg10: metrics.get('nDCG@10'),
  recall100: metrics.get('R@100'),
  rr10: metrics.get('RR@10'),
  firstQuery: first.id,
  top10: Array.from(hits.ids()),
};
console.log(`nDCG@10 ${summary.ndcg10.toFixed(4)}  R@100 ${summary.recall100.toFixed(4)}  RR@10 ${summary.rr10.toFixed(4)}`);
display(JSON.stringify(summary), 'application/json');
