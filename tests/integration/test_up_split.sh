#!/usr/bin/env bash
# The robot outside `dtwin up` (up.robot false, as with a real robot): an
# emulator in a process of its own, running 1.5 s before `dtwin up` starts (so
# its clock reads 1.5 s more), `dtwin up` hosting the twin and sending the demo
# motion to both, and `dtwin sync` in a third process. Robot and twin must run
# each motion together: SYNCED, then two whole motions without DIVERGED or
# FAULT, and the robot must have received and run the motions. (The motion used
# to carry a start stamp on `dtwin up`'s own clock, which the outside robot read
# on its own: 1.5 s in its past, so it ran every motion 1.5 s ahead.) The robot
# runs first, as a real one would: a motion that reaches an emulator before its
# physics loop steps starts only when the loop does, out of step with the twin.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$DTWIN" robot --set dtwin.http_port=0 --quiet --duration 150 >"$tmp/robot.log" 2>&1 &
robot_pid=$!
pids+=("$robot_pid")
sleep 1.5
"$DTWIN" up --set up.robot=false --set up.sync=false --set up.monitor=false \
  --set up.bridge=false --set dtwin.http_port=0 --set viewer.port=0 --quiet \
  --duration 150 >"$tmp/up.log" 2>&1 &
pids+=($!)
"$DTWIN" sync --set dtwin.http_port=0 --status-period 0 --duration 150 >"$tmp/sync.log" 2>&1 &
pids+=($!)

alarm() { grep -Eq -- '-> (DIVERGED|FAULT)' "$tmp/sync.log"; }
if wait_until 60 grep -q -- '-> SYNCED' "$tmp/sync.log"; then
  echo "ok: SYNCED"; n_pass=$((n_pass + 1))
else
  echo "FAIL: never SYNCED"; show_output "$tmp/sync.log"; n_fail=$((n_fail + 1))
fi
# two whole motions (the demo motion: about 10 s and a 1 s pause each)
t0=$SECONDS
while ((SECONDS - t0 < 24)) && ! alarm; do sleep 1; done
if ! alarm; then
  echo "ok: two motions without DIVERGED or FAULT"; n_pass=$((n_pass + 1))
else
  echo "FAIL: the sync node raised an alarm"; grep -E -- '-> ' "$tmp/sync.log" | head -10
  n_fail=$((n_fail + 1))
fi
kill -INT "$robot_pid"
wait "$robot_pid"
expect 0 'dtwin robot: stopped .* ([2-9]|[1-9][0-9]+) trajectories received, 0 refused' -- cat "$tmp/robot.log"
finish
