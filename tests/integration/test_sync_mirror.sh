#!/usr/bin/env bash
# dtwin sync in mirror mode: the robot (a stand-in: a second `dtwin sim` in
# /robot) runs the looped demo motion, the twin only holds its pose - it moves
# because the sync forwards every robot sample to /twin/set_state. The twin
# must stay SYNCED; /sync/resync is refused (nothing to re-sync in mirror mode).
# The measured error is the robot's velocity times the loop delay
# robot -> sync -> twin -> sync (a few ms on an idle machine); the alarm is
# raised here so that a loaded test machine's scheduling stalls don't count.
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done; wait; rm -rf "$tmp"; }
trap cleanup EXIT

"$DTWIN" sim --set dtwin.http_port=0 --quiet --duration 120 >"$tmp/twin.log" 2>&1 &
pids+=($!)
"$DTWIN" sim --set dtwin.http_port=0 --quiet --duration 120 --trajectory config/motions/demo.yaml \
  --loop --set sim.namespace=/robot --set sim.node_name=robot --set sim.publish_clock=false \
  >"$tmp/robot.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 60
expect 0 'position:' -- "$DTWIN" topic echo /robot/joint_states --count 1 --duration 60

"$DTWIN" sync --mode mirror --duration 12 --status-period 1 --set dtwin.http_port=0 \
  --set sync.alarm_position_error_rad=0.3 --set sync.alarm_velocity_error_rad_s=0 \
  --set sync.stale_timeout_s=2 >"$tmp/sync.log" 2>&1 &
sync_pid=$!
pids+=($sync_pid)
# the first statuses may still say NO_DATA: any SYNCED within 50 of them (5 s)
expect 0 "message: 'SYNCED'" -- "$DTWIN" topic echo /sync/status --count 50 --duration 60
expect 0 "message: 'mirror mode: every robot sample" -- "$DTWIN" service call /sync/resync
cp "$out_file" "$tmp/resync.out"
expect 0 'success: false' -- cat "$tmp/resync.out"
# the twin follows the robot: by 4 s of demo its left shoulder is far from 0
sleep 3
expect 0 '' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 30
q=$(sed -nE 's/^position: \[[^,]*, [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, [^,]*, ([^,]*),.*/\1/p' "$out_file" | head -n 1)
if awk -v q="${q:-0}" 'BEGIN { exit !(q < -0.2 || q > 0.2) }'; then
  echo "ok: twin left_shoulder_pitch follows the robot ($q rad)"; n_pass=$((n_pass + 1))
else
  echo "FAIL: twin left_shoulder_pitch is ${q:-?} rad: it does not follow the robot"
  n_fail=$((n_fail + 1))
fi
wait "$sync_pid"
code=$?
pids=("${pids[@]:0:2}")
cat "$tmp/sync.log" | grep -v multicast
if [[ $code -eq 0 ]] && grep -q 'to SYNCED 1, to DIVERGED 0, to STALE 0' "$tmp/sync.log"; then
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
