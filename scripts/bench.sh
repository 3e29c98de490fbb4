#!/usr/bin/env bash
# Run every benchmark built in BUILD_DIR (bench/bench_*.c), one after another,
# each printing its figures as ratios against a baseline measured in the same run.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
export DTW_SOURCE_DIR=$PWD
# Published robots for bench_load (never copied into the repository).
export DTW_ROBOT_CORPUS=${DTW_ROBOT_CORPUS:-$PWD/../shared/robots}
# Keep DDS traffic on loopback and away from other runs.
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-'<General><Interfaces><NetworkInterface name="lo"/></Interfaces></General>'}
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-90}
status=0
for b in "$build"/bench/bench_*; do
  [[ -x "$b" ]] || continue
  echo "== $(basename "$b")"
  "$b" || { echo "$(basename "$b") failed" >&2; status=1; }
  echo
done
# scripted benchmarks (whole processes)
for b in scripts/bench_scrape.sh scripts/bench_up.sh; do
  [[ -x "$b" ]] || continue
  echo "== $(basename "$b" .sh)"
  "$b" "$build" || { echo "$(basename "$b") failed" >&2; status=1; }
  echo
done
exit $status
