#!/usr/bin/env bash
# Inputs that the twin cannot take are refused where they are dropped -- with a log
# line and a counted reason -- never lost without a word: here a trajectory with
# more points than sim.max_trajectory_points, which the bus conversion cannot hold.
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
metric() { # metric URL REGEX -> the value of the first sample line matching REGEX
  curl -fsS "$1/metrics" 2>/dev/null | grep -E "$2" | head -1 | awk '{print $NF}'
}
metric_is() { [[ "$(metric "$url" "$1")" == "$2" ]]; }

"$DTWIN" sim --quiet --set dtwin.http_port=0 >"$work/sim.log" 2>&1 &
pids+=($!)
wait_for 30 grep -q 'metrics and health at http://' "$work/sim.log" || { cat "$work/sim.log"; exit 1; }
url=$(grep -Eo 'http://[0-9.]+:[0-9]+' "$work/sim.log" | head -1)

# 1500 points for one joint: a valid motion, but more than the twin holds (1024)
{
  echo "joint_names: [left_elbow]"
  echo "points:"
  for ((i = 1; i <= 1500; i++)); do
    printf '  - time_from_start: %d.%03d\n    positions: [0.1]\n' $((i / 1000)) $((i % 1000))
  done
} >"$work/long.yaml"
expect 0 'sent 1500 points' -- "$DTWIN" traj send "$work/long.yaml" --wait 20
malformed='dtwin_messages_refused_total\{.*reason="trajectory_malformed".*\}'
if wait_for 20 metric_is "$malformed" 1; then
  echo "ok: counted as trajectory_malformed"; n_pass=$((n_pass + 1))
else
  echo "FAIL: the oversized trajectory was not counted: $(metric "$url" "$malformed")"
  n_fail=$((n_fail + 1))
fi
expect 0 'refused trajectory: more than 64 joint names or more than 1024 points' -- \
  grep -h 'refused trajectory' "$work/sim.log"
# the twin keeps taking good ones
expect 0 'sent' -- "$DTWIN" traj send config/motions/wave.yaml --wait 20
if wait_for 20 metric_is 'dtwin_messages_received_total\{.*topic=".*joint_trajectory".*\}' 1; then
  echo "ok: the good trajectory was taken after the refused one"; n_pass=$((n_pass + 1))
else
  echo "FAIL: received $(metric "$url" 'dtwin_messages_received_total\{.*joint_trajectory')"
  n_fail=$((n_fail + 1))
fi
finish
