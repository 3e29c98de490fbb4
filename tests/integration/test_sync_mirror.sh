#!/usr/bin/env bash
# dtwin sync in mirror mode: the robot (a stand-in: a second `dtwin sim` in
# /robot) runs the looped demo motion, the twin only holds its pose - it moves
# because the sync forwards every robot sample to /twin/set_state. The twin
# must stay SYNCED; /sync/resync is refused (nothing to re-sync in mirror mode).
# The measured error is the robot's velocity times the loop delay
# robot -> sync -> twin -> sync (a few ms on an idle machine); the alarm is
# raised here so that a loaded test machine's scheduling stalls don't count.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
with_background

"$DTWIN" sim --set dtwin.http_port=0 --quiet --duration 120 >"$tmp/twin.log" 2>&1 &
pids+=($!)
"$DTWIN" sim --set dtwin.http_port=0 --quiet --duration 120 --trajectory config/motions/demo.yaml \
  --loop --set sim.namespace=/robot --set sim.node_name=robot --set sim.publish_clock=false \
  >"$tmp/robot.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 60
expect 0 'position:' -- "$DTWIN" topic echo /robot/joint_states --count 1 --duration 60
# the robot's controller state, as a runbook asks to read it: the tracking
# error and the commanded effort decoded, one per joint name
expect 0 '^joint_names: \[[a-z_]+, ' -- "$DTWIN" topic echo \
  /robot/humanoid_joint_trajectory_controller/controller_state --count 1 --duration 60
cp "$out_file" "$tmp/ctl.out"
# shellcheck disable=SC2016  # an awk program: its $1 is awk's
expect 0 '' -- awk '/^[a-z]+:$/ { part = $1 }
  part == "error:" && /^  positions: \[-?[0-9]/ { e = 1 }
  part == "output:" && /^  effort: \[-?[0-9]/ { o = 1 }
  END { exit !(e && o) }' "$tmp/ctl.out"

# it runs until the checks below are done (SIGINT): a loaded machine makes each
# `dtwin topic echo` take seconds to discover, and a twin no longer driven stops
"$DTWIN" sync --mode mirror --duration 300 --status-period 1 --set dtwin.http_port=0 \
  --set sync.alarm_position_error_rad=0.3 --set sync.alarm_velocity_error_rad_s=0 \
  --set sync.stale_timeout_s=2 >"$tmp/sync.log" 2>&1 &
sync_pid=$!
pids+=("$sync_pid")
# the first statuses may still say NO_DATA: any SYNCED within 50 of them (5 s)
expect 0 "message: 'SYNCED'" -- "$DTWIN" topic echo /sync/status --count 50 --duration 60
expect 0 "message: 'mirror mode: every robot sample" -- "$DTWIN" service call /sync/resync --timeout 60
cp "$out_file" "$tmp/resync.out"
expect 0 'success: false' -- cat "$tmp/resync.out"
# the twin follows the robot: while the robot's left shoulder moves, so does the
# twin's (the twin itself runs no motion). Sampled a few times, since the demo
# holds its pose between runs.
shoulder() {  # shoulder NS: the current left_shoulder_pitch of NS/joint_states
  "$DTWIN" topic echo "/$1/joint_states" --count 1 --duration 10 2>/dev/null |
    sed -nE 's/^position: \[([^,]*, ){13}([^,]*),.*/\2/p' | head -n 1
}
robot_q=(); twin_q=()
for _ in $(seq 8); do
  robot_q+=("$(shoulder robot)"); twin_q+=("$(shoulder twin)")
  sleep 0.2
done
verdict=$(python3 - "${robot_q[*]}" "${twin_q[*]}" <<'PY'
import sys
r = [float(x) for x in sys.argv[1].split()]
t = [float(x) for x in sys.argv[2].split()]
rr, tr = max(r) - min(r), max(t) - min(t)
if rr < 0.05:
    print(f"skip: the robot's shoulder hardly moved (range {rr:.3f} rad)")
elif tr > 0.5 * rr:
    print(f"ok: the twin's left shoulder moves with the robot's (range {tr:.3f} vs {rr:.3f} rad)")
else:
    print(f"FAIL: the twin's left shoulder does not follow (range {tr:.3f} vs {rr:.3f} rad)")
PY
)
echo "$verdict"
case $verdict in
  ok*) n_pass=$((n_pass + 1)) ;;
  FAIL*) n_fail=$((n_fail + 1)) ;;
esac
kill -INT "$sync_pid"
wait "$sync_pid"
code=$?
pids=("${pids[@]:0:2}")
grep -v multicast "$tmp/sync.log"
# (DEGRADED and back after a stall of the host is allowed: no alarm)
if [[ $code -eq 0 ]] && grep -Eq 'to SYNCED [0-9]+, to DIVERGED 0, to STALE 0, to FAULT 0' "$tmp/sync.log"; then
  echo "ok: mirror stayed SYNCED"; n_pass=$((n_pass + 1))
else
  echo "FAIL: mirror left SYNCED or sync failed (exit $code)"; n_fail=$((n_fail + 1))
fi
if grep -q 'refused' "$tmp/twin.log"; then
  echo "FAIL: the twin refused forwarded samples"; n_fail=$((n_fail + 1))
else
  echo "ok: the twin took every forwarded sample"; n_pass=$((n_pass + 1))
fi
finish
