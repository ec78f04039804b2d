#!/usr/bin/env bash
# Runs jextract (https://jdk.java.net/jextract/, not installable from the registries this project uses) over the same
# llama.cpp headers and include lists as bindings/generator/gen_bindings.py, into a temporary directory, so that the
# committed sources in src/main/java/dev/winnow/bindings/llama can be diffed against what jextract generates:
#
#   bindings/regenerate.sh [OUT_DIR]          # default: a new directory under ${TMPDIR:-/tmp}
#   diff -r OUT_DIR/dev/winnow/bindings/llama bindings/src/main/java/dev/winnow/bindings/llama
#
# The include lists come from src/test/resources/dev/winnow/bindings/abi-manifest.tsv (written by the generator):
# llama.h's functions, enum constants and #defines go to header class llama_h; the ggml/ggml-backend/gguf ones to
# ggml_h; structs and callback typedefs to both runs (jextract emits each only where it is reachable). Expect
# differences of form, not of meaning: jextract names its layout accessor layout() (here $LAYOUT()), emits trace
# logging and its own C_* constants, and writes Javadoc without llama.h's comments.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANIFEST="$HERE/src/test/resources/dev/winnow/bindings/abi-manifest.tsv"
VERSION="${WINNOW_LLAMA_NPM_VERSION:-3.22.1}"
INCLUDE="${WINNOW_HOME:-$HOME/.cache/winnow}/llama.cpp/$VERSION/include"
OUT="${1:-$(mktemp -d "${TMPDIR:-/tmp}/winnow-jextract.XXXXXX")}"

command -v jextract >/dev/null 2>&1 || {
  echo "regenerate.sh: jextract is not on PATH; get it from https://jdk.java.net/jextract/ (JDK 25 build)" >&2; exit 1; }
[ -f "$INCLUDE/llama.h" ] || {
  echo "regenerate.sh: $INCLUDE/llama.h is missing; run bindings/native/fetch-llama.sh first" >&2; exit 1; }

args_for() { # $1 = header class (llama_h or ggml_h): prints jextract include options, one per line
  awk -F'\t' -v cls="dev.winnow.bindings.llama.$1" '
    $1 == "function" && $3 == cls { print "--include-function"; print $2 }
    ($1 == "enum" || $1 == "define") && $3 == cls { print "--include-constant"; print $2 }
    $1 == "struct" && $2 !~ /\./ { print "--include-struct"; print $2 }
    $1 == "callback" { n = split($3, p, "."); print "--include-typedef"; print p[n] }
  ' "$MANIFEST"
}

WRAP="$(mktemp -d)"
trap 'rm -rf "$WRAP"' EXIT
printf '#include "ggml.h"\n#include "ggml-backend.h"\n#include "gguf.h"\n#include "ggml-opt.h"\n' > "$WRAP/ggml_all.h"

mapfile -t LLAMA_ARGS < <(args_for llama_h)
mapfile -t GGML_ARGS < <(args_for ggml_h)
jextract --output "$OUT" --target-package dev.winnow.bindings.llama --header-class-name llama_h \
  -I "$INCLUDE" -D LLAMA_SHARED -D GGML_SHARED "${LLAMA_ARGS[@]}" "$INCLUDE/llama.h"
jextract --output "$OUT/ggml" --target-package dev.winnow.bindings.llama --header-class-name ggml_h \
  -I "$INCLUDE" -D GGML_SHARED "${GGML_ARGS[@]}" "$WRAP/ggml_all.h"
echo "jextract output: $OUT (llama.h) and $OUT/ggml (ggml parts)"
echo "compare: diff -r $OUT/dev/winnow/bindings/llama $HERE/src/main/java/dev/winnow/bindings/llama"
