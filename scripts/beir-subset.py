#!/usr/bin/env python3
"""Writes a smaller BEIR collection from a larger one, for a quick first look at `winnow demo`.

Keeps the first QUERIES judged queries of the test split, every document judged for them, then other documents in
corpus order up to DOCS in all. Figures on a subset are not comparable with published ones (fewer distractors).

usage: scripts/beir-subset.py SRC_DIR DST_DIR [--docs 300] [--queries 50]
"""
import argparse
import json
import os
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--docs", type=int, default=300)
    p.add_argument("--queries", type=int, default=50)
    a = p.parse_args()
    for f in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
        if not os.path.isfile(os.path.join(a.src, f)):
            sys.exit(f"{a.src} has no {f}: give a BEIR directory")
    with open(os.path.join(a.src, "qrels/test.tsv")) as f:
        lines = f.read().splitlines()
    header, rows = lines[0], [l.split("\t") for l in lines[1:] if l.strip()]
    by_query = {}
    for q, d, s in rows:
        by_query.setdefault(q, []).append((d, s))
    queries = list(by_query)[: a.queries]
    keep = []
    for q in queries:
        for d, _ in by_query[q]:
            if d not in keep:
                keep.append(d)
    with open(os.path.join(a.src, "corpus.jsonl")) as f:
        corpus = [l for l in f if l.strip()]
    for line in corpus:
        if len(keep) >= a.docs:
            break
        d = json.loads(line)["_id"]
        if d not in keep:
            keep.append(d)
    kept = set(keep)
    os.makedirs(os.path.join(a.dst, "qrels"), exist_ok=True)
    with open(os.path.join(a.dst, "corpus.jsonl"), "w") as f:
        f.writelines(l for l in corpus if json.loads(l)["_id"] in kept)
    wanted = set(queries)
    with open(os.path.join(a.src, "queries.jsonl")) as src, open(os.path.join(a.dst, "queries.jsonl"), "w") as f:
        f.writelines(l for l in src if l.strip() and json.loads(l)["_id"] in wanted)
    with open(os.path.join(a.dst, "qrels/test.tsv"), "w") as f:
        f.write(header + "\n")
        for q in queries:
            for d, s in by_query[q]:
                f.write(f"{q}\t{d}\t{s}\n")
    print(f"{a.dst}: {len(kept)} documents, {len(queries)} test queries")


if __name__ == "__main__":
    main()
