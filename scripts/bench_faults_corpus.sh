#!/usr/bin/env bash
# The fault matrix of bench_faults on the published robots (DTW_ROBOT_CORPUS),
# each set up as `dtwin up` sets it up: every joint x {locked, no torque,
# sensor frozen}, a payload at the end of every chain, shadow and mirror mode,
# then a nominal run per mode for false alarms (BENCH_FAULTS_NOMINAL seconds,
# default 600). Deterministic (simulated time): neighbours slow it, they do not
# change its figures. Usage: scripts/bench_faults_corpus.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
corpus=${DTW_ROBOT_CORPUS:-$PWD/../shared/robots}
bench=$build/bench/bench_faults
[[ -x $bench ]] || { echo "bench_faults_corpus: $bench not built" >&2; exit 1; }
[[ -d $corpus ]] || { echo "bench_faults_corpus: no corpus at $corpus (DTW_ROBOT_CORPUS): not run"; exit 0; }
export ROS_PACKAGE_PATH=$corpus
nominal=${BENCH_FAULTS_NOMINAL:-600}
# path|xacro arguments (the makers' own, as test_up_model passes them)
robots=(
  "h1_description/mjcf/h1.xml|"
  "h1_description/urdf/h1.urdf|"
  "g1_description/g1_23dof.urdf|"
  "g1_description/g1_23dof.xml|"
  "ur_description/urdf/ur.urdf.xacro|name:=ur ur_type:=ur5e"
  "franka_description/robots/fr3/fr3.urdf.xacro|"
)
status=0
for entry in "${robots[@]}"; do
  IFS='|' read -r path args <<<"$entry"
  echo "== $path${args:+ ($args)}"
  # the twin's start-up lines are in the logs of dtwin up; here only the figures
  if ! "$bench" --model "$corpus/$path" --xacro-args "$args" --nominal "$nominal" 2>&1 |
    grep --line-buffered -Ev '^[0-9T:.-]+Z (INFO|WARN) '; then
    echo "bench_faults_corpus: $path failed" >&2
    status=1
  fi
done
exit $status
