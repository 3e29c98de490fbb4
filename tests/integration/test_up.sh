#!/usr/bin/env bash
# dtwin up: the whole system in one process. It comes up ready, stays SYNCED
# with no fault, reports a locked knee as a FAULT naming the knee after the
# fault (on the robot's clock; how soon is test_sync_state's, with an injected
# clock: here it is reported), a payload in a hand as a weight the arm holds,
# in mirror mode a hip yaw without torque from the robot's controller state,
# passes `dtwin health`, hosts several robot/twin pairs (the monitor watching
# theirs, not one pair's names), still runs its motion to the end after a
# stall of the whole process, and stops cleanly on SIGINT with a summary.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
with_background

# start_up LOG ARGS...: run dtwin up in the background; sets $url once it serves
start_up() {
  local log=$1; shift
  "$DTWIN" up --set dtwin.http_port=0 --set bridge.port=0 --set viewer.port=0 --status-period 1 "$@" >"$log" 2>&1 &
  pids+=($!)
  up_pid=$!
  url=$(url_of "$log" 20)
}

# wait_for LOG REGEX SECONDS: true once LOG has a line matching REGEX
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -Eq -- "$2" "$1" && return 0
    sleep 0.1
  done
  return 1
}

check() {  # check DESCRIPTION command...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; n_pass=$((n_pass + 1)); else echo "FAIL: $what"; n_fail=$((n_fail + 1)); fi
}

# 1. no fault: ready, SYNCED, healthy, and still SYNCED after the demo motion has run a while
start_up "$tmp/a.log"
check "serves metrics" test -n "$url"
check "ready within 30 s" wait_for "$tmp/a.log" 'sync SYNCED' 30
expect 0 'ok .*readyz' -- "$DTWIN" health --endpoint "$url" --expect-node /twin/digital_twin \
  --expect-node /robot/robot_emulator --expect-node /synchronization_node --min-rtf 0.5 --wait 20
# six seconds of the robot's motion, on its own clock (a loaded machine runs it slower)
robot_time() { metric "$url" 'dtwin_sim_time_seconds{node="/robot/robot_emulator"}'; }
t_ready=$(robot_time)
past() { awk -v t="$(robot_time)" -v s="${t_ready:-0}" 'BEGIN{exit !(t != "" && t >= s + 6)}'; }
check "the motion ran 6 s of robot time (from ${t_ready:-?} s)" wait_until 120 past
check "no divergence during the demo motion" bash -c "! grep -q 'DIVERGED' '$tmp/a.log'"
check "status line shows per-group errors and latency" \
  grep -Eq 'sync SYNCED .*left_leg .*latency over min p50' "$tmp/a.log"
kill -INT "$up_pid"
wait "$up_pid"
code=$?
check "SIGINT stops it with exit 0 (got $code)" test "$code" -eq 0
check "summary printed" grep -q 'dtwin up: stopped after' "$tmp/a.log"
if [[ -n $url ]]; then
  expect 1 'FAIL' -- "$DTWIN" health --endpoint "$url" --no-graph --timeout 2
fi

# 2. a locked knee: FAULT naming left_knee and the kind, after the fault (robot clock)
start_up "$tmp/b.log" --lock-joint left_knee@4 --set sync.resync_threshold_rad=0
check "fault injected" wait_for "$tmp/b.log" 'left_knee locked at t=4' 30
check "FAULT reported" wait_for "$tmp/b.log" '(SYNCED|DEGRADED) -> FAULT' 20
line=$(grep -Em1 '(SYNCED|DEGRADED) -> FAULT' "$tmp/b.log")
echo "    $line"
check "the knee is named, as locked" grep -q 'left_knee locked' <<<"$line"
check "the status line keeps the fault" wait_for "$tmp/b.log" 'sync FAULT .*FAULT left_knee locked' 10
stamp=$(sed -nE 's/.*robot stamp ([0-9.]+) s.*/\1/p' <<<"$line")
echo "    detected at robot stamp ${stamp:-?} s, the fault at 4 s"
check "detected after the fault (at robot stamp ${stamp:-?} s)" \
  python3 -c "import sys; sys.exit(0 if float('${stamp:--1}') >= 4.0 else 1)"
kill -INT "$up_pid"; wait "$up_pid"

# 2b. a 2 kg payload in the left hand: an external load on the left arm, with its
# mass. At 3 s the arms turn overhead: the loaded arm stalls there before it
# follows the twin down, its shoulder pushing as a seized one would - the first
# report must still be the load, not a lock.
start_up "$tmp/p.log" --payload left_forearm:2@3 --set sync.resync_threshold_rad=0
check "payload added" wait_for "$tmp/p.log" '2.000 kg added at left_forearm at t=3' 40
check "reported as a weight held by the left arm" \
  wait_for "$tmp/p.log" 'fault: left_[a-z_]+ external load: .*chain left_arm, as [0-9.]+ kg held at its end' 30
line=$(grep -Em1 '(SYNCED|DEGRADED) -> FAULT' "$tmp/p.log")
echo "    $line"
check "the first report is the load, not a lock" grep -q 'external load: .*chain left_arm' <<<"$line"
kg=$(grep -Eo 'chain left_arm, as [0-9.]+ kg' "$tmp/p.log" | head -1 | grep -Eo '[0-9.]+ kg' | cut -d' ' -f1)
echo "    the fit says ${kg:-?} kg (2 kg added; the robot's masses are 5 % off the model's)"
check "the mass is about 2 kg (${kg:-?})" \
  python3 -c "import sys; sys.exit(0 if 1.2 <= float('${kg:--1}') <= 3.5 else 1)"
kill -INT "$up_pid"; wait "$up_pid"

# 2c. mirror mode, efforts measured with noise: a hip yaw without torque. The
# model alone cannot tell it (a yaw joint needs no torque against gravity, and
# the dead drive reads as noise around 0): the robot's controller state can (it
# commands an effort the drive does not deliver, and the joint falls behind)
start_up "$tmp/m.log" --mode mirror --no-torque left_hip_yaw@4 --set robot.effort_noise_nm=0.02
check "fault injected" wait_for "$tmp/m.log" 'left_hip_yaw has no torque from t=4' 40
check "reported as no torque on the hip yaw, from its controller" \
  wait_for "$tmp/m.log" '-> FAULT: left_hip_yaw no torque: .* where its controller commands' 20
line=$(grep -Em1 -- '-> FAULT' "$tmp/m.log")
echo "    $line"
check "the first report is the hip yaw's" grep -q 'left_hip_yaw no torque' <<<"$line"
stamp=$(sed -nE 's/.*robot stamp ([0-9.]+) s.*/\1/p' <<<"$line")
check "detected after the fault (at robot stamp ${stamp:-?} s)" \
  python3 -c "import sys; sys.exit(0 if float('${stamp:--1}') >= 4.0 else 1)"
kill -INT "$up_pid"; wait "$up_pid"

# 3. several pairs on the worker pool, each in its own namespaces
start_up "$tmp/c.log" --twins 3 --motion config/motions/wave.yaml
check "three pairs SYNCED" wait_for "$tmp/c.log" 'pairs SYNCED 3/3' 40
expect 0 'average rate' -- "$DTWIN" topic hz /twin_2/joint_states --duration 2.5
expect 0 "SYNCED" -- "$DTWIN" topic echo /sync_1/status --count 1
# the monitor watches the pairs' names, not the one pair's (/twin/..., /sync/status:
# they do not exist here and read as quiet after 1 s and down after 3 s)
check "the monitor watches each pair's status" grep -q "monitor watches each pair's /sync_N/status" "$tmp/c.log"
check "5 s of status lines" wait_for "$tmp/c.log" '^t +5\.0 s' 30
check "no monitor alarm for names of a single pair" \
  bash -c "! grep -E 'monitor: (topic|expected node) /(twin|robot|sync|synchronization_node)[/ ]' '$tmp/c.log'"
kill -INT "$up_pid"; wait "$up_pid"

# 4. a stall of the whole process (stopped 4 s): its pacers give up catching up,
# and robot and twin lose that time. The motion is timed on the robot's clock,
# so it still runs to its end pose (all zero) and holds it until the next run
# starts (0.3 s: the lead each run is sent with, and up.motion_pause_s, 0); timed
# on the wall clock, each later motion would be sent 4 s early and replace the
# one under way before its end.
start_up "$tmp/s.log"
check "ready within 30 s" wait_for "$tmp/s.log" 'sync SYNCED' 30
t0=$(robot_time)
kill -STOP "$up_pid"; sleep 4; kill -CONT "$up_pid"
sleep 1
t1=$(robot_time)
check "the stall lost its time (robot clock ${t0:-?} s -> ${t1:-?} s over 5 s)" \
  awk -v a="${t0:-0}" -v b="${t1:-99}" 'BEGIN{exit !(b - a < 3)}'
"$DTWIN" topic echo /robot/humanoid_joint_trajectory_controller/controller_state \
  --duration 200 >"$tmp/cs.yaml" 2>/dev/null &
echo_pid=$!
pids+=("$echo_pid")
past_cycle() { awk -v t="$(robot_time)" -v s="${t1:-0}" 'BEGIN{exit !(t != "" && t >= s + 12)}'; }
check "12 s of robot time after the stall" wait_until 120 past_cycle
kill "$echo_pid"; wait "$echo_pid" 2>/dev/null
# a reference at the end pose: positions and velocities all zero
at_end=$(awk '/^[a-z]/ {r = ($0 ~ /^reference:/); z = 1; next}
  r && /^  (positions|velocities):/ {
    gsub(/[][,]/, " "); for (i = 2; i <= NF; i++) if ($i + 0 > 1e-9 || $i + 0 < -1e-9) z = 0
    if ($1 == "velocities:") n += z }
  END {print n + 0}' "$tmp/cs.yaml")
msgs=$(grep -c '^reference:' "$tmp/cs.yaml")
check "the motion reached its end pose after the stall ($at_end of $msgs states there)" \
  test "${at_end:-0}" -gt 10
kill -INT "$up_pid"; wait "$up_pid"

# 5. bad settings are usage errors
expect 2 'up.twins' -- "$DTWIN" up --twins 0
expect 2 'left_kneee' -- "$DTWIN" up --lock-joint left_kneee@1 --set dtwin.http_port=0 --set bridge.port=0
expect 2 'sim.rtf must be > 0' -- "$DTWIN" up --rtf 0 --set dtwin.http_port=0 --set bridge.port=0
finish
