#!/usr/bin/env bash
# Provision the llama.cpp shared libraries and headers Winnow binds to, from the npm registry, once per user.
#
#   $WINNOW_HOME/llama.cpp/<version>/<variant>/   libllama.v0.5.0.so, libggml*.so, _nlcBuildMetadata.json
#   $WINNOW_HOME/llama.cpp/<version>/include/     llama.h, ggml.h, ggml-backend.h, ggml-cpu.h, gguf.h, ...
#   $WINNOW_HOME/llama.cpp/<version>/src/         llama.cpp source of the same release (git clone of the bundle)
#
# Variant: WINNOW_LLAMA_VARIANT = cpu (default) | cuda | cuda-ext | vulkan  -> @node-llama-cpp/linux-x64[-suffix].
# Each tarball is checked against the integrity (sha512) the registry publishes before it is unpacked; directories are
# written under a temporary name and renamed into place, so an interrupted run never leaves a half-written cache.
# Prints the variant's library directory on stdout (everything else goes to stderr).
set -euo pipefail

VERSION="${WINNOW_LLAMA_NPM_VERSION:-3.22.1}"
VARIANT="${WINNOW_LLAMA_VARIANT:-cpu}"
HOME_DIR="${WINNOW_HOME:-$HOME/.cache/winnow}"
ROOT="$HOME_DIR/llama.cpp/$VERSION"

case "$VARIANT" in
  cpu) PKG="@node-llama-cpp/linux-x64"; DIR="linux-x64" ;;
  cuda) PKG="@node-llama-cpp/linux-x64-cuda"; DIR="linux-x64-cuda" ;;
  cuda-ext) PKG="@node-llama-cpp/linux-x64-cuda-ext"; DIR="linux-x64-cuda-ext" ;;
  vulkan) PKG="@node-llama-cpp/linux-x64-vulkan"; DIR="linux-x64-vulkan" ;;
  *) echo "winnow: unknown WINNOW_LLAMA_VARIANT '$VARIANT' (expected cpu, cuda, cuda-ext or vulkan)" >&2; exit 2 ;;
esac

log() { echo "winnow: $*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || { log "'$1' is required to fetch llama.cpp ($2)"; exit 3; }
}

# fetch PKG@VERSION into dir $2, verify its sha512 integrity, echo the tarball path
fetch_verified() {
  local spec="$1" work="$2" expected tarball actual
  need npm "install Node.js and npm, e.g. apt-get install nodejs npm"
  if ! expected=$(npm view "$spec" dist.integrity 2>/dev/null) || [ -z "$expected" ]; then
    log "cannot read the integrity of $spec from the npm registry ($(npm config get registry)):"
    log "  the first set-up needs network access to the npm registry; set WINNOW_LLAMA_LIB_DIR to a local llama.cpp build instead"
    exit 4
  fi
  tarball=$(cd "$work" && npm pack --silent "$spec" 2>/dev/null | tail -n 1) || { log "npm pack $spec failed"; exit 4; }
  actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
  if [ "$actual" != "$expected" ]; then
    log "integrity mismatch for $spec: registry says $expected, tarball has $actual"
    rm -f "$work/$tarball"
    exit 5
  fi
  echo "$work/$tarball"
}

mkdir -p "$ROOT"
WORK=$(mktemp -d "$ROOT/.fetch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ ! -f "$ROOT/$DIR/.complete" ]; then
  log "fetching $PKG@$VERSION (llama.cpp shared libraries) into $ROOT/$DIR"
  tgz=$(fetch_verified "$PKG@$VERSION" "$WORK")
  mkdir -p "$WORK/libs"
  tar -xzf "$tgz" -C "$WORK/libs"
  src="$WORK/libs/package/bins/$DIR"
  [ -d "$src" ] || src=$(dirname "$(find "$WORK/libs/package/bins" -name 'libllama*.so' | head -n 1)")
  mkdir -p "$WORK/out"
  cp -a "$src"/. "$WORK/out/"
  rm -f "$WORK/out/llama-addon.node"   # node's N-API addon; Winnow binds the C libraries directly
  echo "$PKG@$VERSION" > "$WORK/out/.complete"
  rm -rf "$ROOT/$DIR"
  mv "$WORK/out" "$ROOT/$DIR"
fi

if [ ! -f "$ROOT/include/.complete" ] || [ ! -f "$ROOT/src/.complete" ]; then
  need git "install git"
  log "fetching node-llama-cpp@$VERSION (llama.cpp source and headers of the same release) into $ROOT/include"
  tgz=$(fetch_verified "node-llama-cpp@$VERSION" "$WORK")
  mkdir -p "$WORK/pkg"
  tar -xzf "$tgz" -C "$WORK/pkg" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
  git clone -q "$WORK/pkg/package/llama/gitRelease.bundle" "$WORK/src" 2>/dev/null
  cp "$WORK/pkg/package/llama/llama.cpp.info.json" "$WORK/src/.nlc-llama.cpp.info.json"
  mkdir -p "$WORK/include"
  cp "$WORK/src/include/llama.h" "$WORK/src/ggml/include/"*.h "$WORK/include/"
  echo "node-llama-cpp@$VERSION" > "$WORK/include/.complete"
  echo "node-llama-cpp@$VERSION" > "$WORK/src/.complete"
  rm -rf "$ROOT/include" "$ROOT/src"
  mv "$WORK/include" "$ROOT/include"
  mv "$WORK/src" "$ROOT/src"
fi

echo "$ROOT/$DIR"
