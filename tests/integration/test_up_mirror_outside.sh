#!/usr/bin/env bash
# `dtwin up --mode mirror` with the robot outside (up.robot false, as with a
# real robot) whose trajectory controller has a name of its own: the sync node
# must find and read that controller's state ('*', sync.robot_controller's
# default), not the name `dtwin up` gives its own emulator's, which would read
# nothing. Nothing is commanded here: a controller publishes its state holding
# still too.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
with_background

"$DTWIN" up --mode mirror --set up.robot=false --set up.monitor=false --set up.bridge=false \
  --set dtwin.http_port=0 --set viewer.port=0 --status-period 0 --duration 120 \
  >"$tmp/up.log" 2>&1 &
pids+=($!)
"$DTWIN" robot --set dtwin.http_port=0 --quiet --duration 120 --set robot.controller=arm_controller \
  --set robot.controllers_file= >"$tmp/robot.log" 2>&1 &
pids+=($!)

if wait_until 60 grep -q "reading the robot's controller state on /robot/arm_controller/controller_state" \
  "$tmp/up.log"; then
  echo "ok: the outside robot's controller found and read"; n_pass=$((n_pass + 1))
else
  echo "FAIL: the outside robot's controller was not read"; show_output "$tmp/up.log"
  show_output "$tmp/robot.log"; n_fail=$((n_fail + 1))
fi
expect 1 '' -- grep -q "humanoid_joint_trajectory_controller/controller_state" "$tmp/up.log"
finish
