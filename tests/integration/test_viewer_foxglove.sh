#!/usr/bin/env bash
# dtwin's Foxglove WebSocket server read with Foxglove's own client library
# (@foxglove/ws-protocol) and ros2msg/CDR libraries: channels, schemas, decoding,
# a service call, a malformed client closed alone (web/test/foxglove.mjs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${DTW_SOURCE_DIR:-$here/../..}
command -v node >/dev/null || { echo "SKIP: no node"; exit 77; }
"$src/scripts/web-deps.sh" || { echo "SKIP: web dependencies (npm ci) unavailable"; exit 77; }
log=$(mktemp)
# robot = model (no model error, no noise): SYNCED until the fault
"$DTWIN" up --duration 240 --quiet --set viewer.port=0 --set bridge.port=0 --set dtwin.http_port=0 \
  --set robot.mass_scale=1 --set robot.friction_scale=1 --set robot.encoder_noise_rad=0 \
  --set robot.velocity_noise_rad_s=0 \
  >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
url=""
for _ in $(seq 200); do
  url=$(grep -o 'Foxglove: ws://[^ )]*' "$log" | head -1 | cut -d' ' -f2 || true)
  [[ -n "$url" ]] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "FAIL: dtwin up exited"; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$log"; echo "FAIL: no viewer address printed"; exit 1; }
cd "$src/web/test"
node foxglove.mjs "$url"
