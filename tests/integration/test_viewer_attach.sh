#!/usr/bin/env bash
# dtwin view attached over DDS to a system running in another process (dtwin up
# with its viewer off, the split deployment's shape): Foxglove's client library
# reads its channels, calls services that reach the other process, publishes a
# fault the sync node then reports (web/test/foxglove.mjs), and the 3D panel's
# needs are met (web/test/foxglove_3d.mjs). 77 = cannot run here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${DTW_SOURCE_DIR:-$here/../..}
out=${DTW_BUILD_DIR:-/tmp}/test-artifacts/viewer-attach
command -v node >/dev/null || { echo "SKIP: no node"; exit 77; }
"$src/scripts/web-deps.sh" || { echo "SKIP: web dependencies (npm ci) unavailable"; exit 77; }
up_log=$(mktemp) view_log=$(mktemp)
# robot = model (no model error, no noise): SYNCED until the fault
"$DTWIN" up --duration 240 --quiet --set viewer.enabled=false --set bridge.port=0 \
  --set dtwin.http_port=0 --set robot.mass_scale=1 --set robot.friction_scale=1 \
  --set robot.encoder_noise_rad=0 --set robot.velocity_noise_rad_s=0 >"$up_log" 2>&1 &
up=$!
"$DTWIN" view --port 0 --duration 240 --set dtwin.http_port=0 >"$view_log" 2>&1 &
view=$!
trap 'kill $up $view 2>/dev/null; wait 2>/dev/null; rm -f "$up_log" "$view_log"' EXIT
url=""
for _ in $(seq 300); do
  url=$(grep -o 'viewer at http://[^ ]*' "$view_log" | head -1 | cut -d' ' -f3 || true)
  [[ -n "$url" ]] && break
  kill -0 $view 2>/dev/null || { cat "$view_log"; echo "FAIL: dtwin view exited"; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$view_log"; echo "FAIL: dtwin view printed no address"; exit 1; }
if grep -q 'viewer at' "$up_log"; then echo "FAIL: dtwin up served a viewer too"; exit 1; fi
echo "dtwin view at $url, dtwin up (pid $up) without a viewer"
cd "$src/web/test"
node foxglove.mjs "ws://${url#http://}"
if [[ -x /usr/bin/chromium ]]; then
  node foxglove_3d.mjs "ws://${url#http://}" "$url" "$out"
else
  echo "not run: the 3D panel check (no /usr/bin/chromium)"
fi
