#!/usr/bin/env bash
# dtwin sync in shadow mode with no fault: robot (a stand-in: a second
# `dtwin sim` in /robot) and twin run the same looped demo motion, each on its
# own, from their own start. Both stamp with their simulated time, so the sync
# compares them at equal stamps (time_alignment fixed, offset 0; the robot
# starts after the twin, so its stamps lag and stay inside the twin history).
# The twin must stay SYNCED for the whole run: no DIVERGED, STALE or FAULT (a stall
# of the host may show as DEGRADED and back).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
with_background
common=(--set dtwin.http_port=0 --quiet --duration 120 --trajectory config/motions/demo.yaml --loop)

"$DTWIN" sim "${common[@]}" >"$tmp/twin.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 60
"$DTWIN" sim "${common[@]}" --set sim.namespace=/robot --set sim.node_name=robot \
  --set sim.publish_clock=false >"$tmp/robot.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /robot/joint_states --count 1 --duration 60

# 12 s: more than one loop of the 9 s demo. A machine stall must not read as a
# silent robot here, hence the generous stale timeout.
sync_args=(--duration 12 --status-period 2 --set dtwin.http_port=0
  --set sync.time_alignment=fixed --set sync.twin_history_s=10 --set sync.stale_timeout_s=2)
# (a stall shows as DEGRADED and back to SYNCED: allowed, it is no alarm)
expect 0 'to SYNCED [0-9]+, to DIVERGED 0, to STALE 0, to FAULT 0' -- "$DTWIN" sync "${sync_args[@]}"
cat "$out_file"
if grep -Eq 'DIVERGED [0-9.]+ s STALE 0.0 s' "$out_file" && grep -q 'DIVERGED 0.0 s' "$out_file"; then
  echo "ok: no time in DIVERGED or STALE"; n_pass=$((n_pass + 1))
else
  echo "FAIL: time spent in DIVERGED or STALE"; n_fail=$((n_fail + 1))
fi
# it really compared moving joints: thousands of matched samples
matched=$(sed -nE 's/.*robot samples [0-9]+ \(([0-9]+) matched\).*/\1/p' "$out_file")
if [[ ${matched:-0} -gt 2000 ]]; then
  echo "ok: $matched matched samples"; n_pass=$((n_pass + 1))
else
  echo "FAIL: only ${matched:-0} matched samples"; n_fail=$((n_fail + 1))
fi
finish
