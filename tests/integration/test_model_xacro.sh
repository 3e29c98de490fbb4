#!/usr/bin/env bash
# dtwin model xacro: the published UR5e expanded by dtwin is the robot ros/xacro made
# of it (compared structurally by the corpus test's compare mode) and is printed as the
# xacro command prints it; errors exit 2 with file:line and print nothing on stdout; a
# write error on stdout is reported. name:=value args reach check and mjcf too.
# Needs the robot corpus ($DTW_ROBOT_CORPUS): exit 77 without it.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
CORPUS=${DTW_ROBOT_CORPUS:-}
if [[ -z "$CORPUS" || ! -d "$CORPUS" ]]; then
  echo "robot corpus not found (DTW_ROBOT_CORPUS='$CORPUS'): skipped"
  exit 77
fi
COMPARE=${DTW_BUILD_DIR:?}/tests/unit_test_xacro_corpus
D=$DTW_TEST_DATA/xacro
work=$(mktemp -d)
trap 'rm -rf "$work" "$out_file"' EXIT

# the UR5e as the README says ros/xacro was run on it
ur=$CORPUS/ur_description/urdf/ur.urdf.xacro
expect 0 '' -- "$DTWIN" model xacro "$ur" name:=ur ur_type:=ur5e --package-path "$CORPUS"
cp "$out_file" "$work/ur5e.urdf"
expect 0 'same robot' -- "$COMPARE" --compare "$work/ur5e.urdf" "$CORPUS/expected/ur5e.urdf"
# formatted like the xacro command: identical after the banner (which names the input)
if diff <(tail -n +6 "$work/ur5e.urdf") <(tail -n +6 "$CORPUS/expected/ur5e.urdf") >"$work/diff"; then
  echo "ok: output matches ros/xacro's text after the banner"; n_pass=$((n_pass + 1))
else
  echo "FAIL: output differs from ros/xacro's text"; head -20 "$work/diff"; n_fail=$((n_fail + 1))
fi
# the comparison can fail: a wrong joint limit is caught
sed 's/upper="3.141592653589793"/upper="3.14159"/' "$work/ur5e.urdf" >"$work/wrong.urdf"
expect 1 "joint 'elbow_joint' <limit upper>" -- "$COMPARE" --compare "$work/wrong.urdf" "$CORPUS/expected/ur5e.urdf"
# ROS_PACKAGE_PATH works like --package-path
expect 0 '<robot name="ur">' -- env ROS_PACKAGE_PATH="$CORPUS" "$DTWIN" model xacro "$ur" name:=ur ur_type:=ur5e

# errors: exit 2, file:line, nothing on stdout
"$DTWIN" model xacro "$ur" ur_type:=ur5e --package-path "$CORPUS" >"$work/stdout" 2>"$work/stderr"
code=$?
if [[ $code -eq 2 && ! -s "$work/stdout" ]] && grep -q "ur.urdf.xacro:2: <robot name>: undefined substitution argument 'name'" "$work/stderr"; then
  echo "ok: missing arg -> exit 2, located message, empty stdout"; n_pass=$((n_pass + 1))
else
  echo "FAIL: missing arg -> exit $code"; cat "$work/stderr"; head -3 "$work/stdout"; n_fail=$((n_fail + 1))
fi
expect 2 "package 'ur_description' not found \(searched: package path '/nonexistent'" -- \
  env -u ROS_PACKAGE_PATH -u AMENT_PREFIX_PATH "$DTWIN" model xacro "$ur" name:=ur ur_type:=ur5e --package-path /nonexistent
expect 2 "ur_common.xacro:[0-9]+: .*ur5x/visual_parameters.yaml': No such file.*called at .*ur.urdf.xacro:42" -- \
  "$DTWIN" model xacro "$ur" name:=ur ur_type:=ur5x --package-path "$CORPUS"
expect 2 'expected name:=value|xacro arguments are name:=value' -- "$DTWIN" model xacro "$ur" ur_type=ur5e
# a write error on stdout is reported and fails the command
if [[ -w /dev/full ]]; then
  expect 1 'stdout: write error' -- bash -c "\"$DTWIN\" model xacro \"$ur\" name:=ur ur_type:=ur5e --package-path \"$CORPUS\" >/dev/full"
fi

# name:=value reaches check and mjcf
expect 0 'r2_shoulder +revolute +-2.500 +2.500' -- "$DTWIN" model check "$D/args_robot.urdf.xacro" prefix:=r2_ upper:=2.5
expect 0 'joint name="r2_shoulder"' -- "$DTWIN" model mjcf "$D/args_robot.urdf.xacro" prefix:=r2_
expect 0 '<joint name="r2_shoulder" type="revolute">' -- "$DTWIN" model xacro "$D/args_robot.urdf.xacro" prefix:=r2_
# sim.xacro_args (the twin's setting) reach the expander
expect 2 "args_robot.urdf.xacro:19: <limit lower>: invalid literal for float\\(\\): 'abc'" -- \
  "$DTWIN" sim --set sim.model="$D/args_robot.urdf.xacro" --set "sim.xacro_args=prefix:=r2_ upper:=abc" \
  --duration 0.01 --set dtwin.http_port=0

finish
