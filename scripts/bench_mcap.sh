#!/usr/bin/env bash
# bench_mcap.sh [BUILD_DIR] - what recording costs and how fast a recording is analyzed.
#   recording: CPU of the `dtwin up` process (user + sys) over BENCH_MCAP_SECONDS (20) s,
#              without and with --record (every topic: two 500 Hz joint-state streams,
#              /clock, status, commands), BENCH_MCAP_ROUNDS (3) alternating rounds; the
#              cost is the difference of the least-disturbed (minimum) runs, as a
#              fraction of one core. Goal <= 3 %.
#   analyze:   seconds of recording per CPU second of `dtwin analyze` on that file.
#              Goal >= 60x. Beside it, the twin's physics alone: `dtwin sim --rtf 0`
#              over the same simulated time and motion, its share of analyze's CPU.
# Each phase prints the CPU other processes took meanwhile (bench/tools/cpu_snap).
# The large-message write throughput against dd is bench/bench_mcap.c.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
dtwin=$build/apps/dtwin/dtwin
snap=$build/bench/cpu_snap
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-'<General><Interfaces><NetworkInterface name="lo"/></Interfaces></General>'}
export ROS_DOMAIN_ID=${BENCH_MCAP_DOMAIN:-96}
secs=${BENCH_MCAP_SECONDS:-20}
rounds=${BENCH_MCAP_ROUNDS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
up_args=(up --duration "$secs" --quiet --set dtwin.http_port=0 --set bridge.port=0 --set viewer.port=0)

cpu_of() { # cpu_of LOG CMD... -> user+sys seconds of CMD (its output in LOG)
  local log=$1 TIMEFORMAT='%U %S'
  shift
  { time "$@" >"$log" 2>&1; } 2>&1 | awk '{ printf "%.3f\n", $1 + $2 }'
}
min_of() { printf '%s\n' "$@" | sort -g | head -1; }

before=$("$snap")
plain=() rec=()
for ((r = 1; r <= rounds; r++)); do
  plain+=("$(cpu_of "$tmp/plain.log" "$dtwin" "${up_args[@]}")")
  rec+=("$(cpu_of "$tmp/rec.log" "$dtwin" "${up_args[@]}" --record "$tmp/rec.mcap")")
  echo "round $r: dtwin up ${secs} s: CPU ${plain[-1]} s without, ${rec[-1]} s with --record"
done
msgs=$(sed -nE 's/.*: ([0-9]+) messages recorded.*/\1/p' "$tmp/rec.log")
bytes=$(stat -c %s "$tmp/rec.mcap")
echo "recording: $msgs messages in $secs s ($((msgs / secs)) /s), $((bytes / 1024)) KiB"
echo "recording phase: $("$snap" "$before" "$("$snap")")"
status=0
awk -v a="$(min_of "${rec[@]}")" -v b="$(min_of "${plain[@]}")" -v s="$secs" 'BEGIN {
  c = (a - b) / s
  printf "recording cost: %.2f %% of one core (up alone %.1f %%, with --record %.1f %%); goal <= 3 %%: %s\n",
    100 * c, 100 * b / s, 100 * a / s, c <= 0.03 ? "met" : "NOT met"
  exit !(c <= 0.03) }' || status=1

before=$("$snap")
acpu=$(cpu_of "$tmp/analyze.log" "$dtwin" analyze "$tmp/rec.mcap" -o "$tmp/report")
dur=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["duration_s"])' "$tmp/report.json")
scpu=$(cpu_of "$tmp/sim.log" "$dtwin" sim --rtf 0 --duration "$dur" --quiet --set dtwin.http_port=0 \
  --trajectory config/motions/demo.yaml --loop)
echo "analyze phase: $("$snap" "$before" "$("$snap")")"
awk -v d="$dur" -v a="$acpu" -v p="$scpu" 'BEGIN {
  x = d / a
  printf "analyze: %.1f s of recording in %.2f CPU s = %.0fx real time; goal >= 60x: %s\n",
    d, a, x, (x >= 60 ? "met" : "NOT met")
  printf "  twin physics alone (dtwin sim --rtf 0, same motion and time): %.2f CPU s = %.0f %% of analyze, at most %.0fx\n",
    p, 100 * p / a, d / p
  exit !(x >= 60) }' || status=1
exit $status
