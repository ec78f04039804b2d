#!/usr/bin/env python3
"""Writes a smaller BEIR collection from a larger one, for a quick first look at `winnow demo`.

Keeps the first QUERIES judged queries of the test split, every document judged for them, then other documents in
corpus order up to DOCS in all. With --train N (and a qrels/train.tsv in SRC_DIR), also the first N judged train
queries whose judged documents are all kept, as qrels/train.tsv (the demo tunes its fusion on it). Figures on a subset
are not comparable with published ones (fewer distractors).

usage: scripts/beir-subset.py SRC_DIR DST_DIR [--docs 300] [--queries 50] [--train 0]
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
    p.add_argument("--train", type=int, default=0)
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
    train = []
    train_rows = {}
    if a.train > 0:
        tpath = os.path.join(a.src, "qrels/train.tsv")
        if not os.path.isfile(tpath):
            sys.exit(f"{a.src} has no qrels/train.tsv: --train needs one")
        with open(tpath) as f:
            tlines = f.read().splitlines()
        for q, d, s in (l.split("\t") for l in tlines[1:] if l.strip()):
            train_rows.setdefault(q, []).append((d, s))
        train = [q for q in train_rows if q not in set(queries) and all(d in kept for d, _ in train_rows[q])][: a.train]
    os.makedirs(os.path.join(a.dst, "qrels"), exist_ok=True)
    with open(os.path.join(a.dst, "corpus.jsonl"), "w") as f:
        f.writelines(l for l in corpus if json.loads(l)["_id"] in kept)
    wanted = set(queries) | set(train)
    with open(os.path.join(a.src, "queries.jsonl")) as src, open(os.path.join(a.dst, "queries.jsonl"), "w") as f:
        f.writelines(l for l in src if l.strip() and json.loads(l)["_id"] in wanted)
    with open(os.path.join(a.dst, "qrels/test.tsv"), "w") as f:
        f.write(header + "\n")
        for q in queries:
            for d, s in by_query[q]:
                f.write(f"{q}\t{d}\t{s}\n")
    if train:
        with open(os.path.join(a.dst, "qrels/train.tsv"), "w") as f:
            f.write(header + "\n")
            for q in train:
                for d, s in train_rows[q]:
                    f.write(f"{q}\t{d}\t{s}\n")
    print(f"{a.dst}: {len(kept)} documents, {len(queries)} test queries" + (f", {len(train)} train queries" if train else ""))


if __name__ == "__main__":
    main()
