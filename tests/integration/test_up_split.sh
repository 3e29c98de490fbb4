#!/usr/bin/env bash
# The robot outside `dtwin up` (up.robot false, as with a real robot): `dtwin
# up` hosting the twin and sending the demo motion to both, an emulator in a
# process of its own started 4 s later (so its clock reads 4 s less), and
# `dtwin sync` in a third process. Robot and twin must run each motion together:
# SYNCED, then two whole motions without DIVERGED or FAULT, and the robot must
# have received and run the motions. Two ways this went wrong:
#  - the motion carried a start stamp on `dtwin up`'s own clock, which the
#    outside robot read on its own, seconds apart;
#  - the first motion went out once the robot's subscription matched, before
#    its physics loop stepped, so the robot started it late. `dtwin up` now
#    waits for the robot's first joint states: a subscriber alone (`dtwin
#    topic echo`, 4 s before the robot starts) gets no motion.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
with_background

"$DTWIN" up --set up.robot=false --set up.sync=false --set up.monitor=false \
  --set up.bridge=false --set dtwin.http_port=0 --set viewer.port=0 --quiet \
  --duration 150 >"$tmp/up.log" 2>&1 &
pids+=($!)
expect 1 'no message received' -- "$DTWIN" topic echo \
  /robot/humanoid_joint_trajectory_controller/joint_trajectory --count 1 --duration 4
"$DTWIN" robot --set dtwin.http_port=0 --quiet --duration 150 >"$tmp/robot.log" 2>&1 &
robot_pid=$!
pids+=("$robot_pid")
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
