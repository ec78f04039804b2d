#!/usr/bin/env bash
# BlockRank's device check, for a GPU machine without network or Java (docs/gpu.md).
#
#   scripts/device-check.sh --prepare DIR    here (JDK 25, Maven, the llama.cpp cache): puts into DIR what the GPU
#                                            machine lacks: a jlink-ed Java runtime with only the modules needed, the
#                                            jars, the llama.cpp source of the bound release, stories260K and its
#                                            generation oracle (under 60 MiB in all)
#   scripts/device-check.sh --run DIR [--cpu] [--preset P] [--n 100,500] [--doc-tokens 190] [--model-dir D]
#                                            [--threads T] [--lib-dir D (an existing build of the same release)]
#                                            there: builds llama.cpp with CUDA for that GPU's architecture only (or,
#                                            with --cpu, for the CPU), reproduces stories260K's generation oracle,
#                                            writes the synthetic model (mistral-7b-shape, F16, ~14.5 GB) to local disk,
#                                            and runs BlockRank at each N against its floor and full attention,
#                                            printing each figure as it is measured
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
dir="${2:-}"
[ -n "$mode" ] && [ -n "$dir" ] || { echo "usage: $0 --prepare DIR | --run DIR [--cpu] [--preset P] [--n N,N] [--doc-tokens T] [--model-dir D]" >&2; exit 2; }
shift 2

prepare() {
  local out="$1"
  mkdir -p "$out/lib"
  out="$(cd "$out" && pwd)"
  local src="${WINNOW_HOME:-$HOME/.cache/winnow}/llama.cpp"
  local version
  version="$(ls "$src" | sort -V | tail -1)"
  src="$src/$version/src"
  [ -f "$src/CMakeLists.txt" ] || { echo "no llama.cpp source under $src (run a build once: it fetches it)" >&2; exit 1; }
  local java_home="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  # 1. the jars: every module's classes, the benchmark classes, the third-party jars of ranking's classpath
  (cd "$here" && mvn -B -q -o -Pbench-incontext -pl ranking -am test-compile dependency:build-classpath \
      -Dmdep.outputFile="$out/cp.txt" -Dmdep.includeScope=test >/dev/null)
  local m
  for m in bindings models runtime ranking; do
    "$java_home/bin/jar" cf "$out/lib/winnow-$m.jar" -C "$here/$m/target/classes" .
  done
  "$java_home/bin/jar" cf "$out/lib/winnow-bench.jar" -C "$here/ranking/target/test-classes" dev/winnow/ranking/incontext/bench
  # what the check loads: no Lucene, ONNX/protobuf or test libraries
  tr ':' '\n' < "$out/cp.txt" | grep '\.jar$' | grep -e slf4j -e jackson \
    | while read -r jar; do cp "$jar" "$out/lib/"; done
  rm "$out/cp.txt"
  # 2. a Java runtime with only the modules the check loads
  # (xz-compressed: libjvm.so alone is 29 MB; --run unpacks it)
  rm -rf "$out/jre" "$out/jre.tar.xz"
  "$java_home/bin/jlink" --add-modules java.base,java.management,jdk.unsupported,jdk.incubator.vector \
    --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$out/jre"
  tar -C "$out" -cJf "$out/jre.tar.xz" jre && rm -rf "$out/jre"
  # 3. the llama.cpp source of the bound release (the build's parts only: no models, tools or other GPU backends)
  tar -C "$src" -cJf "$out/llama.cpp-src.tar.xz" \
    --exclude='ggml/src/ggml-vulkan' --exclude='ggml/src/ggml-sycl' --exclude='ggml/src/ggml-metal' \
    --exclude='ggml/src/ggml-opencl' --exclude='ggml/src/ggml-cann' --exclude='ggml/src/ggml-musa' \
    --exclude='ggml/src/ggml-kompute' --exclude='ggml/src/ggml-webgpu' --exclude='ggml/src/ggml-zdnn' \
    --exclude='ggml/src/ggml-hexagon' --exclude='ggml/src/ggml-openvino' --exclude='ggml/src/ggml-virtgpu' \
    --exclude='ggml/src/ggml-hip' --exclude='ggml/src/ggml-zendnn' --exclude='ggml/src/ggml-et' \
    --exclude='*.gguf' \
    CMakeLists.txt cmake include src ggml common vendor licenses LICENSE
  echo "$version" > "$out/llama.cpp-version"
  # 4. stories260K and its generation oracle (../shared/models/SOURCES.md)
  cp "$here/../shared/models/stories260K.gguf" "$out/"
  printf '%s\n' "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day," > "$out/stories260K.oracle.txt"
  cp "$0" "$out/device-check.sh"
  du -sh "$out"
  local mib
  mib=$(du -sm "$out" | cut -f1)
  [ "$mib" -lt 60 ] || echo "warning: $out is $mib MiB, over the 60 MiB the GPU machine takes" >&2
}

run() {
  local d="$1"; shift
  d="$(cd "$d" && pwd)"
  local cpu=0 preset=mistral-7b-shape ns=100,500 doc_tokens=190 model_dir="${TMPDIR:-/tmp}/winnow-device-models" threads
  local lib_dir=""
  threads="$(nproc)"
  while [ $# -gt 0 ]; do
    case "$1" in
      --cpu) cpu=1 ;;
      --preset) preset="$2"; shift ;;
      --n) ns="$2"; shift ;;
      --doc-tokens) doc_tokens="$2"; shift ;;
      --model-dir) model_dir="$2"; shift ;;
      --threads) threads="$2"; shift ;;
      --lib-dir) lib_dir="$2"; shift ;;   # an existing llama.cpp build of the same release: skip building
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
  done
  local start=$SECONDS
  [ -x "$d/jre/bin/java" ] || tar -C "$d" -xJf "$d/jre.tar.xz"
  local build="$d/llama-build"
  if [ -n "$lib_dir" ]; then
    build="$(cd "$lib_dir/.." && pwd)"; mkdir -p "$d/libs-given"; ln -sfn "$(cd "$lib_dir" && pwd)" "$d/libs-given/bin"
    build="$d/libs-given"
  elif [ ! -f "$build/bin/libllama.so" ]; then
    rm -rf "$d/llama-src" && mkdir -p "$d/llama-src"
    tar -C "$d/llama-src" -xJf "$d/llama.cpp-src.tar.xz"
    local flags=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
                 -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DGGML_NATIVE=ON -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_APP=OFF)
    if [ "$cpu" = 0 ]; then
      # this GPU's architecture only (e.g. 9.0 -> 90-real on an H100/H200): one set of kernels, a shorter build
      local cap
      cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"
      flags+=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=${cap}-real")
      echo "building llama.cpp $(cat "$d/llama.cpp-version") with CUDA for sm_${cap}"
    else
      echo "building llama.cpp $(cat "$d/llama.cpp-version") for the CPU (--cpu)"
    fi
    # compiler output goes to DIR/llama-build.log, shown only when the build fails
    { cmake -S "$d/llama-src" -B "$build" "${flags[@]}" && cmake --build "$build" -j "$(nproc)" --target llama; } \
      > "$d/llama-build.log" 2>&1 || { tail -40 "$d/llama-build.log"; echo "llama.cpp build failed" >&2; exit 1; }
    echo "built in $((SECONDS - start)) s"
  fi
  export WINNOW_LLAMA_LIB_DIR="$build/bin" LD_LIBRARY_PATH="$build/bin:${LD_LIBRARY_PATH:-}"
  [ "$cpu" = 1 ] && export WINNOW_LLAMA_VARIANT=cpu || export WINNOW_LLAMA_VARIANT=cuda
  "$d/jre/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$d/lib/*" dev.winnow.ranking.incontext.bench.DeviceCheck \
    "$d/stories260K.gguf" "$d/stories260K.oracle.txt" "$model_dir" "$preset" "$ns" "$doc_tokens" "$threads"
  echo "device check done in $((SECONDS - start)) s"
}

case "$mode" in
  --prepare) prepare "$dir" ;;
  --run) run "$dir" "$@" ;;
  *) echo "unknown mode $mode (expected --prepare or --run)" >&2; exit 2 ;;
esac
