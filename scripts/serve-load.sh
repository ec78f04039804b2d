#!/usr/bin/env bash
# Load test of `winnow serve` on loopback (docs/serve.md, docs/benchmarks.md): starts ./winnow serve with one model,
# sends re-rank (or embeddings) requests from N client threads for a bounded time (dev.winnow.webui.serve.ServeLoad),
# prints the count by status, throughput and latency percentiles and the server's own /metrics counts, then stops the
# server with SIGTERM (graceful: requests in flight finish) and says how long that took.
#
#   scripts/serve-load.sh [--model FILE] [--ranker pointwise|blockrank|icr|...|embedding] [--route rerank|embeddings]
#                         [--seconds 30] [--concurrency 8] [--documents 20] [--contexts 1] [--queue 64]
#                         [--threads N] [--via-haproxy] [--paired N]
#
# --via-haproxy puts HAProxy (apt-get install haproxy) in front of the server on another loopback port and sends the
# load through it, to measure a load balancer's overhead. --paired N (with --via-haproxy) then sends N requests
# alternately straight to the server and through HAProxy, one at a time (curl's time_total), and prints the median of
# each: a paired measurement that a loaded machine's drift affects equally on both sides. Exits 1 when a request failed with a status other than 200
# or 429 (429 is back-pressure working).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL="$HERE/../shared/models/stories260K.gguf"
RANKER=pointwise ROUTE=rerank SECONDS_=30 CONC=8 DOCS=20 CONTEXTS=1 QUEUE=64 THREADS="" VIA_HAPROXY="" PAIRED=0
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL="$2"; shift 2 ;;
    --ranker) RANKER="$2"; shift 2 ;;
    --route) ROUTE="$2"; shift 2 ;;
    --seconds) SECONDS_="$2"; shift 2 ;;
    --concurrency) CONC="$2"; shift 2 ;;
    --documents) DOCS="$2"; shift 2 ;;
    --contexts) CONTEXTS="$2"; shift 2 ;;
    --queue) QUEUE="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --via-haproxy) VIA_HAPROXY=1; shift ;;
    --paired) PAIRED="$2"; shift 2 ;;
    *) echo "serve-load: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$ROUTE" = embeddings ] && RANKER=embedding
. "$HERE/scripts/find-jdk.sh"
winnow_find_jdk || exit 1
"$HERE/winnow" --version >/dev/null   # builds the launcher's jar when sources changed
APP="$HERE/web-ui/target"
JAR=$(ls "$APP"/winnow-web-ui-*.jar | head -n 1)
WORK=$(mktemp -d /tmp/serve-load.XXXXXX)
SERVER=""; PROXY=""
cleanup() {
  [ -n "$PROXY" ] && kill "$PROXY" 2>/dev/null || true
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$WORK/token"
TOKEN=$(cat "$WORK/token")
ARGS=(serve --port 0 --token-file "$WORK/token" --model "m=$RANKER:$MODEL" --contexts "$CONTEXTS" --queue "$QUEUE")
[ -n "$THREADS" ] && ARGS+=(--threads "$THREADS")
"$HERE/winnow" "${ARGS[@]}" > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 3000); do
  grep -q '^Token: ' "$WORK/server.log" && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.2
done
PORT=$(sed -n 's|.*at http://127\.0\.0\.1:\([0-9]*\)/v1.*|\1|p' "$WORK/server.log" | head -n 1)
[ -n "$PORT" ] || { echo "serve-load: the server printed no URL" >&2; cat "$WORK/server.log" >&2; exit 1; }
URL="http://127.0.0.1:$PORT"
if [ -n "$VIA_HAPROXY" ]; then
  command -v haproxy >/dev/null || { echo "serve-load: --via-haproxy needs haproxy (apt-get install haproxy)" >&2; exit 1; }
  PPORT=$(( PORT + 1 ))
  cat > "$WORK/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 300s
  timeout server 300s
frontend api
  bind 127.0.0.1:$PPORT
  default_backend winnow
backend winnow
  balance leastconn
  option httpchk GET /health
  server s1 127.0.0.1:$PORT check
CFG
  haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
  PROXY=$!
  sleep 1
  URL="http://127.0.0.1:$PPORT"
fi
echo "serve-load: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), server $URL ($RANKER over $(basename "$MODEL"), $CONTEXTS context(s), queue $QUEUE${VIA_HAPROXY:+, through HAProxy})"
RC=0
"$JAVA_HOME/bin/java" -cp "$JAR:$APP/lib/*" dev.winnow.webui.serve.ServeLoad --url "$URL" --token-file "$WORK/token" \
  --model m --route "$ROUTE" --concurrency "$CONC" --seconds "$SECONDS_" --documents "$DOCS" || RC=$?
if [ -n "$VIA_HAPROXY" ] && [ "$PAIRED" -gt 0 ]; then
  if [ "$ROUTE" = embeddings ]; then BODY='{"model":"m","input":"the little dog ran to the park"}'
  else BODY='{"model":"m","query":"a dog","documents":["the little dog ran to the park"]}'; fi
  for i in $(seq 1 "$PAIRED"); do
    for u in "http://127.0.0.1:$PORT" "$URL"; do
      curl -s -o /dev/null -w "$u %{http_code} %{time_total}\n" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' -d "$BODY" "$u/v1/$ROUTE"
    done
  done > "$WORK/paired.txt"
  for u in "http://127.0.0.1:$PORT" "$URL"; do
    grep "^$u 200 " "$WORK/paired.txt" | awk '{print $3 * 1000}' | sort -n | awk -v u="$u" \
      '{a[NR]=$1} END {printf "paired, one at a time, %s: %d ok, median %.2f ms, p90 %.2f ms\n", u, NR, a[int((NR+1)/2)], a[int(NR*0.9+0.5)]}'
  done
  echo "paired: $(grep -vc ' 200 ' "$WORK/paired.txt") requests not 200"
fi
echo "server's /metrics:"
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/metrics" | grep -E '^winnow_requests_total|_count|^winnow_queue_depth' || true
START=$(date +%s.%N)
kill -TERM "$SERVER"
wait "$SERVER" 2>/dev/null || true
SERVER=""
echo "server stopped (SIGTERM, graceful) in $(echo "$(date +%s.%N) - $START" | bc) s"
exit $RC
