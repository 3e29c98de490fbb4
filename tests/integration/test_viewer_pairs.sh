#!/usr/bin/env bash
# dtwin up --twins 2 in a real browser: the page offers both pairs; choosing
# pair 1 shows that pair (/robot_1, its /tf frames) and its joints move
# (web/test/browser.mjs pair). 77 = cannot run here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${DTW_SOURCE_DIR:-$here/../..}
out=${DTW_BUILD_DIR:-/tmp}/test-artifacts/viewer-pairs
[[ -x /usr/bin/chromium ]] || { echo "SKIP: no /usr/bin/chromium (apt-get install chromium)"; exit 77; }
command -v node >/dev/null || { echo "SKIP: no node"; exit 77; }
"$src/scripts/web-deps.sh" || { echo "SKIP: web dependencies (npm ci) unavailable"; exit 77; }
log=$(mktemp)
"$DTWIN" up --twins 2 --duration 240 --quiet --set viewer.port=0 --set bridge.port=0 \
  --set dtwin.http_port=0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
url=""
for _ in $(seq 300); do
  url=$(grep -o 'viewer at http://[^ ]*' "$log" | head -1 | cut -d' ' -f3 || true)
  [[ -n "$url" ]] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "FAIL: dtwin up exited"; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$log"; echo "FAIL: no viewer address printed"; exit 1; }
cd "$src/web/test"
node browser.mjs "$url" "$out" pair 1
