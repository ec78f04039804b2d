# The whole workflow from Python: index SciFact, search with BM25, re-rank with BlockRank, evaluate.
#   ./winnow run examples/scifact-workflow.py [COLLECTION_DIR] [INDEX_DIR] [MODEL] [RERANK_QUERIES]
# COLLECTION_DIR defaults to ../shared/data/scifact (beside the repository), INDEX_DIR to scifact-index in the
# workspace (the current directory unless --workspace says otherwise), MODEL to ../shared/models/stories260K.gguf
# (a tiny story model: the re-ranking is real but not meaningful; pass a real instruction model for real figures),
# RERANK_QUERIES (how many test queries are re-ranked) to 10.
import json

args = list(winnow.args())
collection_dir = args[0] if len(args) > 0 else "../shared/data/scifact"
index_dir = args[1] if len(args) > 1 else "scifact-index"
model_path = args[2] if len(args) > 2 else "../shared/models/stories260K.gguf"
rerank_queries = int(args[3]) if len(args) > 3 else 10

collection = winnow.collection(collection_dir)
print(f"{collection.name()}: {collection.size()} documents, splits {', '.join(collection.splits())}")

index = winnow.buildIndex(collection, index_dir)
print(f"indexed {index.size()} documents into {index.path()}")

queries = collection.queries("test")
first = queries[0]
hits = index.search(first.text, 10, "bm25")
print(f"query {first.id}: {first.text}")
for h in hits.hits:
    print(f"  {h.rank}. {h.id}  {h.score:.4f}  {h.title[:60]}")
display(hits)

run = index.run(queries, 100, "bm25", "bm25")
metrics = winnow.evaluate(run, collection.qrels("test"))
display(metrics)

model = winnow.loadModel(model_path, {"threads": 1})
ranker = winnow.ranker(model, "blockrank", None)
ranked = ranker.rank(first.text, hits)
display(ranked)

subset = list(queries)[:rerank_queries]
subset_ids = [q.id for q in subset]
reranked = ranker.rerank(index, subset, 10, "bm25", "bm25+blockrank")
comparison = winnow.evaluate([run.restrictTo(subset_ids), reranked], collection.qrels("test").restrictTo(subset_ids))
display(comparison)

summary = {
    "queries": len(queries),
    "ndcg10": metrics.get("nDCG@10"),
    "recall100": metrics.get("R@100"),
    "rr10": metrics.get("RR@10"),
    "firstQuery": first.id,
    "top10": list(hits.ids()),
    "reranked10": list(ranked.ids()),
    "rerankedScores": [d.score for d in ranked.documents],
    "rerankedNdcg10": comparison.get("bm25+blockrank", "nDCG@10"),
}
print(f"nDCG@10 {summary['ndcg10']:.4f}  R@100 {summary['recall100']:.4f}  RR@10 {summary['rr10']:.4f}")
display(json.dumps(summary), "application/json")
