#!/usr/bin/env bash
# The dtwin page in a real browser: dtwin up serves it (port 0), headless
# Chromium (Debian's) loads it through puppeteer-core: no console errors, robot
# and ghost drawn, the error plot advances, "lock left_knee" shows the fault.
# Screenshots stay in $DTW_BUILD_DIR/test-artifacts/viewer. 77 = cannot run here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${DTW_SOURCE_DIR:-$here/../..}
out=${DTW_BUILD_DIR:-/tmp}/test-artifacts/viewer
[[ -x /usr/bin/chromium ]] || { echo "SKIP: no /usr/bin/chromium (apt-get install chromium)"; exit 77; }
command -v node >/dev/null || { echo "SKIP: no node"; exit 77; }
"$src/scripts/web-deps.sh" || { echo "SKIP: web dependencies (npm ci) unavailable"; exit 77; }
mkdir -p "$out"
log=$(mktemp)
# robot = model (no model error, no noise): SYNCED until the fault makes it differ
"$DTWIN" up --duration 240 --quiet --set viewer.port=0 --set bridge.port=0 --set dtwin.http_port=0 \
  --set robot.mass_scale=1 --set robot.friction_scale=1 --set robot.encoder_noise_rad=0 \
  --set robot.velocity_noise_rad_s=0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
url=""
for _ in $(seq 200); do
  url=$(grep -o 'viewer at http://[^ ]*' "$log" | head -1 | cut -d' ' -f3 || true)
  [[ -n "$url" ]] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "FAIL: dtwin up exited"; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$log"; echo "FAIL: no viewer address printed"; exit 1; }
echo "viewer at $url"
cd "$src/web/test"
node browser.mjs "$url" "$out" check
