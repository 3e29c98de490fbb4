#!/usr/bin/env bash
# Run every benchmark built in BUILD_DIR (bench/bench_*.c), one after another,
# each printing its figures as ratios against a baseline measured in the same run,
# and after each the CPU other processes took meanwhile (bench/tools/cpu_snap):
# a benchmark with more than BENCH_QUIET_CORES (0.25) cores of neighbours is
# marked "(disturbed)" -- its figures say less about dtwin than about the machine.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
export DTW_SOURCE_DIR=$PWD
# Published robots for bench_load (never copied into the repository).
export DTW_ROBOT_CORPUS=${DTW_ROBOT_CORPUS:-$PWD/../shared/robots}
# Keep DDS traffic on loopback and away from other runs.
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-'<General><Interfaces><NetworkInterface name="lo"/></Interfaces></General>'}
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-90}
snap=$build/bench/cpu_snap
[[ -x $snap ]] || { echo "bench: $snap not built" >&2; exit 1; }
status=0
run() { # run NAME CMD...: the benchmark, then its neighbours' CPU
  local name=$1 before; shift
  echo "== $name"
  before=$("$snap")
  "$@" || { echo "$name failed" >&2; status=1; }
  echo "$name: $("$snap" "$before" "$("$snap")")"
  echo
}
for b in "$build"/bench/bench_*; do
  [[ -x "$b" ]] || continue
  run "$(basename "$b")" "$b"
done
# scripted benchmarks (whole processes)
for b in scripts/bench_scrape.sh scripts/bench_up.sh scripts/bench_bridge_abuse.sh scripts/bench_abuse_http.sh \
  scripts/bench_viewer.sh scripts/bench_mcap.sh scripts/bench_faults_corpus.sh; do
  [[ -x "$b" ]] || continue
  run "$(basename "$b" .sh)" "$b" "$build"
done
run bench_fleet scripts/bench_fleet.sh "$build" # K pods in network namespaces (needs root)
exit $status
