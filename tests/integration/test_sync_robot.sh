#!/usr/bin/env bash
# dtwin sync against the robot emulator (`dtwin robot`: model error, encoder
# noise, latency), each scenario with its own processes:
#  1. a knee that locks mid-motion (--lock-joint left_knee@6.75, while the demo
#     bends it at ~1.3 rad/s) is DIVERGED naming left_knee within 500 ms of the
#     fault, measured on the robot's clock (its stamps: sim time, offset 0);
#  2. a feed that goes silent (--silent-at 4:2) is STALE within
#     stale_timeout_s (+ a tick) and SYNCED again when the feed returns;
#  3. mirror mode with a robot holding its pose: the error stays within the
#     encoder noise (rms < 3 x 0.001 rad);
#  4. mirror mode with --replay: the twin's joints follow the recording.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
pids=()
stop_all() { for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done; wait "${pids[@]}" 2>/dev/null; pids=(); }
trap 'stop_all; rm -rf "$tmp"' EXIT
H=(--set dtwin.http_port=0)
ok() { echo "ok: $*"; n_pass=$((n_pass + 1)); }
fail() { echo "FAIL: $*"; n_fail=$((n_fail + 1)); }
# seconds since midnight of a log line's ISO timestamp (2026-11-26T20:16:09.666Z)
log_time() { sed -nE 's/^[0-9-]+T([0-9]+):([0-9]+):([0-9.]+)Z.*/\1 \2 \3/p' | head -1 |
  awk '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 }'; }
wait_grep() {  # FILE REGEX TIMEOUT_S
  local end=$((SECONDS + $3))
  while ((SECONDS < end)); do grep -Eq -- "$2" "$1" && return 0; sleep 0.2; done
  return 1
}

# ---- 1. locked knee, shadow mode -------------------------------------------
"$DTWIN" sim "${H[@]}" --quiet --duration 120 --trajectory config/motions/demo.yaml --loop \
  >"$tmp/twin.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 60
# both stamp with their sim time: compare at equal stamps. No threshold re-sync:
# it would clear the twin history, which lags behind these robot stamps.
"$DTWIN" sync "${H[@]}" --quiet --set sync.time_alignment=fixed --set sync.twin_history_s=10 \
  --set sync.resync_threshold_rad=0 >"$tmp/sync.log" 2>&1 &
pids+=($!)
"$DTWIN" robot "${H[@]}" --quiet --duration 120 --motion config/motions/demo.yaml \
  --lock-joint left_knee@6.75 >"$tmp/robot.log" 2>&1 &
pids+=($!)
if wait_grep "$tmp/sync.log" '-> DIVERGED' 60; then
  line=$(grep -m1 -- '-> DIVERGED' "$tmp/sync.log")
  echo "    $line"
  stamp=$(sed -nE 's/.*robot stamp ([0-9.]+) s.*/\1/p' <<<"$line")
  det=$(awk -v s="$stamp" 'BEGIN { printf "%.0f", (s - 6.75) * 1000 }')
  echo "    locked knee detected $det ms after the fault (robot clock)"
  [[ $line == *"DIVERGED: "*"left_knee "* ]] && ok "DIVERGED names left_knee" ||
    fail "DIVERGED does not name left_knee"
  ((det >= 0 && det < 500)) && ok "detected within 500 ms ($det ms)" ||
    fail "detection took $det ms"
  grep -q 'NO_DATA -> SYNCED' "$tmp/sync.log" && ! grep -q 'SYNCED -> STALE' "$tmp/sync.log" &&
    [[ $(grep -c -- '-> DIVERGED' "$tmp/sync.log") -eq 1 ]] &&
    ok "SYNCED before the fault, no false alarm" || fail "false alarm before the fault"
  ((n_fail > 0)) && grep -v multicast "$tmp/sync.log" | head -20
else
  fail "no DIVERGED within 60 s"; tail -20 "$tmp/sync.log" "$tmp/robot.log"
fi
stop_all

# ---- 2. silent feed -----------------------------------------------------------
"$DTWIN" sim "${H[@]}" --quiet --duration 120 >"$tmp/twin.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 60
"$DTWIN" sync "${H[@]}" --quiet >"$tmp/sync.log" 2>&1 &
pids+=($!)
"$DTWIN" robot "${H[@]}" --quiet --duration 120 --silent-at 4:2 >"$tmp/robot.log" 2>&1 &
pids+=($!)
if wait_grep "$tmp/sync.log" 'STALE -> SYNCED' 60; then
  t_silent=$(grep -m1 'silent at' "$tmp/robot.log" | log_time)
  t_stale=$(grep -m1 -- '-> STALE' "$tmp/sync.log" | log_time)
  det=$(awk -v a="$t_silent" -v b="$t_stale" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
  echo "    silent feed: STALE $det ms after the robot went silent (log times)"
  ((det >= 400 && det < 1100)) && ok "STALE within stale_timeout_s + a tick ($det ms)" ||
    fail "STALE after $det ms"
  ok "SYNCED again after the feed returned"
else
  fail "no STALE -> SYNCED within 60 s"; tail -20 "$tmp/sync.log" "$tmp/robot.log"
fi
stop_all

# ---- 3. mirror: error within the encoder noise --------------------------------
"$DTWIN" sim "${H[@]}" --quiet --duration 120 >"$tmp/twin.log" 2>&1 &
pids+=($!)
"$DTWIN" robot "${H[@]}" --quiet --duration 120 --noise 0.001 >"$tmp/robot.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /robot/joint_states --count 1 --duration 60
expect 0 'to DIVERGED 0, to STALE 0' -- "$DTWIN" sync "${H[@]}" --mode mirror --duration 6 \
  --status-period 1
rms=$(grep -E '^sync ' "$out_file" | tail -1 | sed -nE 's/.*error rms ([0-9.]+) .*/\1/p')
echo "    mirror with 0.001 rad encoder noise: error rms ${rms:-?} rad"
awk -v r="${rms:-1}" 'BEGIN { exit !(r > 0 && r < 0.003) }' && ok "rms < 3 x noise" ||
  fail "rms ${rms:-?} not within 3 x noise"
stop_all

# ---- 4. mirror: a replayed recording drives the twin -----------------------------
"$DTWIN" sim "${H[@]}" --quiet --duration 120 >"$tmp/twin.log" 2>&1 &
pids+=($!)
"$DTWIN" sync "${H[@]}" --quiet --mode mirror >"$tmp/sync.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 60
"$DTWIN" robot "${H[@]}" --quiet --duration 120 --replay "$DTW_TEST_DATA/sync/elbows.csv" \
  >"$tmp/robot.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /robot/joint_states --count 1 --duration 60
sleep 2   # the ramp (1 s) is over, the hold lasts until 30 s
expect 0 'position:' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 10
# joint_states order: left_elbow is the 17th joint, right_elbow the 21st
read -r le re < <(sed -nE 's/^position: \[(.*)\]/\1/p' "$out_file" | tr -d ' ' |
  awk -F, '{ print $17, $21 }')
echo "    twin left_elbow ${le:-?} rad, right_elbow ${re:-?} rad (recording: 0.7, 0.4)"
awk -v a="${le:-9}" -v b="${re:-9}" 'BEGIN { exit !(a > 0.68 && a < 0.72 && b > 0.38 && b < 0.42) }' &&
  ok "the twin follows the recording" || fail "the twin does not follow the recording"
stop_all
finish
