#!/usr/bin/env bash
# Embedding throughput of Winnow's ONNX embedder against plain ONNX Runtime (one text per run) on the same SciFact
# documents in one run, beside llama.cpp's GGUF embedder; then the int8 default's quality cost (SciFact train nDCG@10).
# Figures and how to read them: docs/benchmarks.md, "Embedding throughput: ONNX Runtime".
#
#   scripts/bench-embeddings.sh [DOCS [THREADS [GGUF_DOCS [OTHER_DOCS]]]]
#     DOCS        SciFact documents timed (default 256)
#     THREADS     threads of every engine (default: the machine's cores)
#     GGUF_DOCS   documents for the llama.cpp GGUF embedder (default 64; 0 skips it)
#     OTHER_DOCS  quality: unjudged documents added to the judged ones (default 1000; -1 = the whole corpus;
#                 "skip" skips the quality run)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
winnow_find_jdk
docs=${1:-256}
threads=${2:-$(nproc)}
gguf=${3:-64}
others=${4:-1000}
mvn -B -q -Pbench-embeddings -pl ranking -am verify -DskipTests -Dbench.args="throughput $docs $threads $gguf"
if [ "$others" != "skip" ]; then
  mvn -B -q -Pbench-embeddings -pl ranking -am verify -DskipTests -Dbench.args="quality $others $threads"
fi
