#!/usr/bin/env bash
# Feed problems are reported as such, never as a broken robot (nodes as separate
# processes, each scenario with its own):
#  1. a twin killed with SIGKILL while the robot holds its pose: STALE (its
#     feed stopped advancing), not SYNCED on the last twin sample;
#  2. a second robot publishing on /robot/joint_states: the sync node reports
#     two publishers, refuses the second one's samples (counted with reason
#     other_publisher), and its controller's states as well, and stays SYNCED
#     on the first;
#  3. two robots with one node name in one domain: the monitor reports the
#     duplicate name (log line, dtwin_graph_duplicate_node_names, status line).
# Times are reported, not bounded: a loaded machine makes the test slower, not wrong.
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

# ---- 1. dead twin ------------------------------------------------------------
"$DTWIN" sim "${H[@]}" --quiet --duration 120 >"$tmp/twin.log" 2>&1 &
twin_pid=$!
pids+=("$twin_pid")
"$DTWIN" robot "${H[@]}" --quiet --duration 120 >"$tmp/robot.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 60
"$DTWIN" sync "${H[@]}" --mode mirror --status-period 0 >"$tmp/sync.log" 2>&1 &
pids+=($!)
if wait_until 60 grep -q -- '-> SYNCED' "$tmp/sync.log"; then
  ok "SYNCED with a live twin"
  kill -KILL "$twin_pid"
  start=$SECONDS
  if wait_until 30 grep -q -- '-> STALE' "$tmp/sync.log"; then
    ok "a killed twin is STALE after $((SECONDS - start)) s (wall clock, stale_timeout_s 0.5)"
    grep -m1 -- '-> STALE' "$tmp/sync.log" | sed 's/^/    /'
    if grep -m1 -- '-> STALE' "$tmp/sync.log" | grep -q 'twin'; then
      ok "the reason names the twin's feed"
    else
      fail "the reason does not name the twin's feed"
    fi
  else
    fail "a killed twin is not STALE within 30 s"; tail -n 15 "$tmp/sync.log"
  fi
else
  fail "never SYNCED"; tail -n 20 "$tmp/sync.log" "$tmp/twin.log" "$tmp/robot.log"
fi
stop_all

# ---- 2. a second publisher on the robot topic -------------------------------------
"$DTWIN" sim "${H[@]}" --quiet --duration 120 >"$tmp/twin.log" 2>&1 &
pids+=($!)
"$DTWIN" robot "${H[@]}" --quiet --duration 120 >"$tmp/robot.log" 2>&1 &
pids+=($!)
expect 0 'position:' -- "$DTWIN" topic echo /twin/joint_states --count 1 --duration 60
"$DTWIN" sync "${H[@]}" --mode mirror --status-period 0 --set sync.stale_timeout_s=5 \
  >"$tmp/sync.log" 2>&1 &
pids+=($!)
if wait_until 60 grep -q -- '-> SYNCED' "$tmp/sync.log"; then
  ok "SYNCED with one robot"
  # another robot on the same topic, moving differently
  "$DTWIN" robot "${H[@]}" --quiet --duration 120 --set robot.node_name=robot_emulator_b \
    --motion config/motions/wave.yaml >"$tmp/robot2.log" 2>&1 &
  pids+=($!)
  if wait_until 60 grep -q 'has 2 publishers' "$tmp/sync.log"; then
    ok "the second publisher is reported"
    grep -m1 'has 2 publishers' "$tmp/sync.log" | sed 's/^/    /'
  else
    fail "the second publisher is not reported"; tail -n 15 "$tmp/sync.log" "$tmp/robot2.log"
  fi
  # its controller state has the same name: refused too, or its commands would
  # read as this robot's (mirror mode reads the controller's command)
  if wait_until 30 grep -q 'controller_state has 2 publishers' "$tmp/sync.log"; then
    ok "the second robot's controller state is refused"
  else
    fail "the second robot's controller state is not refused"; tail -n 15 "$tmp/sync.log"
  fi
  refused_other() {
    "$DTWIN" topic echo /sync/status --count 1 --duration 10 2>/dev/null |
      grep -q "robot_publishers', value: '2'"
  }
  if wait_until 30 refused_other; then
    ok "/sync/status says robot_publishers 2"
  else
    fail "/sync/status does not say robot_publishers 2"
    "$DTWIN" topic echo /sync/status --count 1 --duration 10 2>&1 | head -40
  fi
  sleep_sim=$SECONDS
  while ((SECONDS - sleep_sim < 3)); do sleep 0.2; done
  if grep -Eq 'SYNCED -> (DIVERGED|STALE|FAULT)' "$tmp/sync.log"; then
    fail "the state left SYNCED: $(grep -Em1 'SYNCED -> (DIVERGED|STALE|FAULT)' "$tmp/sync.log")"
  else
    ok "still SYNCED: the second robot's samples are not compared"
  fi
else
  fail "never SYNCED"; tail -n 20 "$tmp/sync.log" "$tmp/twin.log" "$tmp/robot.log"
fi
stop_all

# ---- 3. one node name twice on the graph -------------------------------------------
"$DTWIN" monitor "${H[@]}" --duration 120 >"$tmp/monitor.out" 2>"$tmp/monitor.log" &
pids+=($!)
"$DTWIN" robot "${H[@]}" --quiet --duration 120 >"$tmp/robot.log" 2>&1 &
pids+=($!)
# the monitor's own node and the robot's
if wait_until 60 grep -q 'ros nodes [2-9]' "$tmp/monitor.out"; then
  if grep -q 'DUPLICATE' "$tmp/monitor.out"; then
    fail "a duplicate is reported with one robot: $(grep -m1 DUPLICATE "$tmp/monitor.out")"
  else
    ok "one robot: no duplicate node name"
  fi
  "$DTWIN" robot "${H[@]}" --quiet --duration 120 >"$tmp/robot2.log" 2>&1 &
  pids+=($!)
  if wait_until 60 grep -q 'more than once, first /robot/robot_emulator' "$tmp/monitor.log"; then
    ok "the monitor logs the duplicate node name"
    grep -m1 'more than once' "$tmp/monitor.log" | sed 's/^/    /'
  else
    fail "the duplicate node name is not logged"; tail -n 5 "$tmp/monitor.log" "$tmp/monitor.out"
  fi
  if wait_until 30 grep -q 'DUPLICATE node names 1 (/robot/robot_emulator)' "$tmp/monitor.out"; then
    ok "the monitor's status line names it"
  else
    fail "the status line does not name it"; tail -n 3 "$tmp/monitor.out"
  fi
else
  fail "the monitor never saw the robot's node"; tail -n 5 "$tmp/monitor.out" "$tmp/monitor.log"
fi
stop_all
finish
