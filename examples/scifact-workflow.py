# The whole retrieval workflow from Python: index SciFact, search, evaluate BM25 against the test qrels.
#   ./winnow run examples/scifact-workflow.py [COLLECTION_DIR] [INDEX_DIR]
# COLLECTION_DIR defaults to ../shared/data/scifact (beside the repository), INDEX_DIR to scifact-index in the
# workspace (the current directory unless --workspace says otherwise).
import json

args = list(winnow.args())
collection_dir = args[0] if len(args) > 0 else "../shared/data/scifact"
index_dir = args[1] if len(args) > 1 else "scifact-index"

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

summary = {
    "queries": len(queries),
    "ndcg10": metrics.get("nDCG@10"),
    "recall100": metrics.get("R@100"),
    "rr10": metrics.get("RR@10"),
    "firstQuery": first.id,
    "top10": list(hits.ids()),
}
print(f"nDCG@10 {summary['ndcg10']:.4f}  R@100 {summary['recall100']:.4f}  RR@10 {summary['rr10']:.4f}")
display(json.dumps(summary), "application/json")
