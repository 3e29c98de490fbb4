#!/usr/bin/env bash
# dtwin bridge end to end: `dtwin sim` in one process, `dtwin bridge` in another,
# and a ROS-TCP-Connector stand-in (test_bridge_client.py, standard library only)
# checking handshake, subscribe/publish, services both ways, topic list, and that
# a slow and a garbage-sending client do not disturb a well-behaved one.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work" "$out_file"
}
trap cleanup EXIT

# wait_line FILE REGEX SECONDS: print the first matching line
wait_line() {
  local end=$((SECONDS + $3))
  while ((SECONDS < end)); do
    if grep -Eq "$2" "$1" 2>/dev/null; then grep -Em1 "$2" "$1"; return 0; fi
    sleep 0.1
  done
  echo "FAIL: no /$2/ in $1 within $3 s:"; sed 's/^/    /' "$1" | tail -20
  return 1
}

"$DTWIN" sim --quiet --set dtwin.http_port=0 >"$work/sim.log" 2>&1 &
pids+=($!)
"$DTWIN" bridge --port 0 --quiet --set dtwin.http_port=0 \
  --set bridge.send_queue_bytes=65536 --set bridge.idle_timeout_s=30 >"$work/bridge.log" 2>&1 &
bridge_pid=$!
pids+=("$bridge_pid")

line=$(wait_line "$work/bridge.log" 'bridge listening on [0-9.]+:[0-9]+' 20) || exit 1
addr=${line##* }
metrics=$(wait_line "$work/bridge.log" 'metrics and health at http://' 5 | grep -Eo 'http://[0-9.]+:[0-9]+')/metrics
wait_line "$work/sim.log" 'publishing' 30 >/dev/null || exit 1
echo "bridge at $addr, metrics at $metrics"

expect 0 '0 failed' -- timeout 120 "$PY" "$(dirname "$0")/test_bridge_client.py" \
  "${addr%:*}" "${addr##*:}" "$DTWIN" "$metrics"
sed 's/^/    /' "$out_file"

# the bridge survived all of it and stops cleanly
expect 0 '' -- kill -0 "$bridge_pid"
kill -INT "$bridge_pid"
wait "$bridge_pid"
code=$?
if [[ $code -eq 0 ]] && grep -q 'stopped after' "$work/bridge.log"; then
  echo "ok: bridge exits 0 on SIGINT with a summary"; n_pass=$((n_pass + 1))
else
  echo "FAIL: bridge exit $code"; tail -5 "$work/bridge.log"; n_fail=$((n_fail + 1))
fi
grep -E 'WARN|ERROR' "$work/bridge.log" | head -8 | sed 's/^/    bridge log: /'
finish
