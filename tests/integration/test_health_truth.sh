#!/usr/bin/env bash
# Health tells the truth: a twin whose model compiles but explodes on every step
# advances no simulated time, so its real-time factor is 0, /readyz says why it is
# not ready, and `dtwin health` fails -- instead of RTF 1.0 and 200s.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done; wait; rm -rf "$work"; }
trap cleanup EXIT

# wait_for SECONDS CMD...: until CMD succeeds (checked every 0.2 s)
wait_for() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.2; done
}
readyz_says() { curl -s "$url/readyz" | grep -q "$1"; }
rtf_is_zero() {
  curl -fsS "$url/metrics" | grep -E '^dtwin_real_time_factor\{node="/twin/digital_twin"\} 0(\.0)?$' -q
}

D=$DTW_TEST_DATA/sim
"$DTWIN" sim --quiet --model "$D/explodes.xml" --set sim.world= \
  --set sim.controllers_file="$D/explodes_controllers.yaml" --set sim.controller=jtc \
  --set dtwin.http_port=0 >"$work/sim.log" 2>&1 &
pids+=($!)
wait_for 30 grep -q 'metrics and health at http://' "$work/sim.log" || { cat "$work/sim.log"; exit 1; }
url=$(grep -Eo 'http://[0-9.]+:[0-9]+' "$work/sim.log" | head -1)

for check in "readyz_says 'unready /twin/digital_twin: physics advancing'" rtf_is_zero; do
  if wait_for 20 eval "$check"; then
    echo "ok: $check"; n_pass=$((n_pass + 1))
  else
    echo "FAIL: $check"; curl -s "$url/readyz"; curl -s "$url/metrics" | grep real_time
    n_fail=$((n_fail + 1))
  fi
done
expect 0 'physics failed in [0-9]+ of the last 1000 steps: not ready' -- cat "$work/sim.log"
expect 1 '' -- "$DTWIN" health --endpoint "$url" --no-graph

# Only loops that simulate export a real-time factor: in `dtwin up` the robot and
# the twin do; the I/O loop (sync, monitor, bridge) does not, so the RTF alert
# (dtwin_real_time_factor < 0.9) cannot fire on it.
"$DTWIN" up --quiet --set dtwin.http_port=0 --set bridge.port=0 --set viewer.port=0 >"$work/up.log" 2>&1 &
pids+=($!)
wait_for 60 grep -q 'metrics and health at http://' "$work/up.log" || { cat "$work/up.log"; exit 1; }
url=$(grep -Eo 'http://[0-9.]+:[0-9]+' "$work/up.log" | head -1)
rtf_nodes() { curl -fsS "$url/metrics" | sed -nE 's/^dtwin_real_time_factor\{node="([^"]*)"\} ([0-9.e+-]+)$/\1 \2/p'; }
all_rtf_up() { local n; n=$(rtf_nodes | awk '$2 >= 0.5' | wc -l); [[ $n -ge 2 ]]; }
if wait_for 30 all_rtf_up; then
  echo "ok: robot and twin report their real-time factor"; n_pass=$((n_pass + 1))
else
  echo "FAIL: real-time factors: $(rtf_nodes | tr '\n' ' ')"; n_fail=$((n_fail + 1))
fi
others=$(rtf_nodes | grep -Ev '^/(robot|twin)/' || true)
if [[ -z "$others" ]]; then
  echo "ok: no real-time factor from loops that simulate nothing"; n_pass=$((n_pass + 1))
else
  echo "FAIL: real-time factor exported by: $others"; n_fail=$((n_fail + 1))
fi
finish
