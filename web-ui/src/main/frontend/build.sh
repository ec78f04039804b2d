#!/usr/bin/env bash
# The notebook page's front-end build, run by Maven (web-ui, generate-resources): installs the locked npm packages
# (npm ci, only when package-lock.json changed since the last install) and bundles the page with esbuild into OUTDIR.
# Needs Node.js >= 18 and npm; the packages come from the npm registry once, then from node_modules and npm's cache.
set -euo pipefail
OUT="${1:?usage: build.sh OUTDIR}"
cd "$(dirname "${BASH_SOURCE[0]}")"
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "web-ui front end: '$tool' is not installed; the notebook page is bundled from npm packages (apt-get install nodejs npm)" >&2
    exit 1
  }
done
stamp=node_modules/.winnow-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -d node_modules/esbuild ]; then
  echo "web-ui front end: npm ci (package-lock.json changed or first build)"
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error || {
    echo "web-ui front end: npm ci failed: the npm registry (or npm's cache, ~/.npm) is needed once to fetch the packages in package-lock.json" >&2
    exit 1
  }
  echo "$want" > "$stamp"
fi
node build.mjs "$OUT"
