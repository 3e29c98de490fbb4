#!/usr/bin/env bash
# bench_viewer.sh [BUILD_DIR] - what the viewer costs dtwin up, and how fast the page draws.
#   baseline:  dtwin up, no viewer client, BENCH_VIEWER_SECONDS (10) s
#   contender: the same with 10 Foxglove protocol clients subscribed to every channel
# Each run scrapes /metrics at 3 s and at the end: the twin's /twin/joint_states rate
# (messages published over that window) and each physics node's real-time factor.
# Pass: RTF >= 0.99 with the clients and rate ratio (with / without) >= 0.99.
# Then the page in headless Chromium (robot + twin: two 23-joint robots) for 10 s: >= 30 frames/s.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
dtwin=$build/apps/dtwin/dtwin
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-'<General><Interfaces><NetworkInterface name="lo"/></Interfaces></General>'}
export ROS_DOMAIN_ID=${BENCH_VIEWER_DOMAIN:-95}
secs=${BENCH_VIEWER_SECONDS:-10}
scripts/web-deps.sh >/dev/null || { echo "bench_viewer: web dependencies missing" >&2; exit 1; }
tmp=$(mktemp -d)
up_pid=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  [[ -n $up_pid ]] && kill -INT "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
metric() { # metric URL NAME LABEL-FILTER -> value
  curl -s "$1/metrics" | grep "^$2{" | grep -- "$3" | awk '{print $2}' | head -1 || true
}
start_up() { # start_up OUT -> sets up_pid, metrics, viewer
  "$dtwin" up --duration $((secs + 6)) --quiet --set dtwin.http_port=0 --set viewer.port=0 \
    --set up.bridge=false --set up.monitor=false > "$1" 2>&1 &
  up_pid=$!
  for _ in $(seq 300); do grep -q 'viewer at' "$1" 2>/dev/null && break; sleep 0.1; done
  metrics=$(grep -o 'metrics and health at http://[^ ]*' "$1" | cut -d' ' -f5)
  viewer=$(grep -o 'Foxglove: ws://[^ )]*' "$1" | cut -d' ' -f2)
}
run() { # run CLIENTS -> "rate rtf_robot rtf_twin"
  local n=$1 out=$tmp/up_$1.txt
  start_up "$out"
  if [[ $n -gt 0 ]]; then node web/test/clients.mjs "$viewer" "$n" $((secs + 2)) > "$tmp/clients_$n.txt" & fi
  sleep 3
  local c0 t0 c1 t1
  c0=$(metric "$metrics" dtwin_messages_published_total 'topic="/twin/joint_states"'); t0=$(date +%s.%N)
  sleep "$secs"
  c1=$(metric "$metrics" dtwin_messages_published_total 'topic="/twin/joint_states"'); t1=$(date +%s.%N)
  local rr rt
  rr=$(metric "$metrics" dtwin_real_time_factor 'node="/robot/robot_emulator"')
  rt=$(metric "$metrics" dtwin_real_time_factor 'node="/twin/digital_twin"')
  wait "$up_pid" 2>/dev/null || true
  up_pid=
  wait 2>/dev/null || true
  if [[ $n -gt 0 ]]; then cat "$tmp/clients_$n.txt" >&2; fi
  awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v rr="$rr" -v rt="$rt" \
    'BEGIN { printf "%.1f %s %s\n", (b - a) / (t1 - t0), rr, rt }'
}
read -r rate0 rr0 rt0 < <(run 0)
echo "without clients: /twin/joint_states $rate0 Hz, RTF robot $rr0 twin $rt0"
read -r rate1 rr1 rt1 < <(run 10)
echo "with 10 clients: /twin/joint_states $rate1 Hz, RTF robot $rr1 twin $rt1"
status=0
awk -v a="$rate1" -v b="$rate0" -v rr="$rr1" -v rt="$rt1" 'BEGIN {
  r = a / b; printf "rate ratio with/without: %.4f (>= 0.99), RTF with clients: %s %s (>= 0.99)\n", r, rr, rt
  exit !(r >= 0.99 && rr >= 0.99 && rt >= 0.99) }' || status=1
# the page: robot and twin, two 23-joint robots, in headless Chromium
if [[ -x /usr/bin/chromium ]]; then
  start_up "$tmp/up_page.txt"
  node web/test/browser.mjs "http://${viewer#ws://}" "$build/test-artifacts/viewer" bench "$secs" || status=1
  kill -INT "$up_pid" 2>/dev/null; wait "$up_pid" 2>/dev/null || true; up_pid=
else
  echo "page: no /usr/bin/chromium, not measured"
fi
exit $status
