#!/usr/bin/env bash
# bench_up.sh [BUILD_DIR] - how many robot/twin pairs `dtwin up --twins N`
# keeps in real time at 1 kHz physics on this machine, against the bare
# mj_step capacity of the same cores measured in the same run.
#
# Baseline: bench_twin --bare-only (bare mj_step of the twin's model, steps per
# CPU second on one core) x nproc. Contender: dtwin up --twins N for
# --duration 8 s; /metrics is scraped 4 times during the run and each robot
# and twin node's dtwin_real_time_factor (1 s window) taken as the median of
# those scrapes, so one unlucky second on a shared machine does not decide.
# N is sustained when every robot and twin node is >= 0.99 and no node counted
# a pacing overrun between the first and the last scrape. Each run prints the CPU other processes took meanwhile; a
# run with neighbours above BENCH_QUIET_CORES (0.25) is marked disturbed.
# Search: N = 1, 2, 4, ... 64 until one fails, then bisection between the last
# pass and that failure (assumes more pairs never run better); each run takes
# ~9 s, so the whole bench stays under ~150 s (runs that would pass the budget
# are skipped and said so).
# Prints the per-N real-time factors and
#   pairs sustained: K; K x 2000 steps/s / (bare steps/s x cores) = ratio
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
export DTW_SOURCE_DIR=$PWD
dtwin=$build/apps/dtwin/dtwin
bench_twin=$build/bench/bench_twin
snap=$build/bench/cpu_snap
for f in "$dtwin" "$bench_twin" "$snap"; do
  [[ -x $f ]] || { echo "bench_up: $f not built" >&2; exit 1; }
done
command -v curl > /dev/null || { echo "bench_up: needs curl" >&2; exit 1; }
# loopback only, and a DDS domain of our own
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-'<General><Interfaces><NetworkInterface name="lo"/></Interfaces></General>'}
export ROS_DOMAIN_ID=${BENCH_UP_DOMAIN:-94}
duration=${BENCH_UP_DURATION:-8}
max_n=${BENCH_UP_MAX:-64} # dtwin up's own limit (up.twins)
budget=${BENCH_UP_BUDGET:-150} # seconds of wall time for the whole bench
threshold=0.99
cores=$(nproc)
t_start=$SECONDS
tmp=$(mktemp -d)
up_pid=
cleanup() {
  # only the dtwin up we started, by its pid
  if [[ -n $up_pid ]] && kill -0 "$up_pid" 2> /dev/null; then
    kill -INT "$up_pid" 2> /dev/null || true
    wait "$up_pid" 2> /dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- baseline: bare mj_step on one core ------------------------------------
"$bench_twin" --bare-only --seconds 1 --rounds 3 > "$tmp/bare.txt"
bare=$(awk '/^bare steps\/s:/ {print $3}' "$tmp/bare.txt")
[[ -n $bare ]] || { echo "bench_up: no figure from bench_twin --bare-only" >&2; exit 1; }
echo "bare mj_step: $bare steps/s per CPU second (one core), $cores cores"

# ---- one run of N pairs: writes "PASS|FAIL min ..." to $tmp/verdict_N ------
# Scrapes at 3, 4.5, 6 and 7.2 s of the run's duration (after start-up).
run_up() {
  local n=$1 out=$tmp/up_$1.out url="" i before
  before=$("$snap")
  "$dtwin" up --twins "$n" --duration "$duration" --quiet --set dtwin.http_port=0 \
    --set bridge.port=0 --set up.bridge=false --set up.monitor=false \
    > "$out" 2> "$tmp/up_$n.err" &
  up_pid=$!
  # start-up (model compiles) ends with the "started in" line; the duration counts from it
  for ((i = 0; i < 300; i++)); do
    grep -q "started in" "$out" 2> /dev/null && break
    kill -0 "$up_pid" 2> /dev/null || break
    sleep 0.1
  done
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out" | head -1 || true)
  if [[ -z $url ]] || ! grep -q "started in" "$out"; then
    echo "bench_up: dtwin up --twins $n did not start:" >&2
    tail -3 "$tmp/up_$n.err" >&2
    kill -INT "$up_pid" 2> /dev/null || true
    wait "$up_pid" 2> /dev/null || true
    up_pid=
    echo "FAIL nan start-up failed" > "$tmp/verdict_$n"
    return
  fi
  local scale
  scale=$(awk -v d="$duration" 'BEGIN {print d / 8}')
  local at prev=0
  : > "$tmp/scrapes_$n"
  for at in 3 4.5 6 7.2; do
    at=$(awk -v a="$at" -v s="$scale" 'BEGIN {print a * s}')
    sleep "$(awk -v a="$at" -v p="$prev" 'BEGIN {print a - p}')"
    prev=$at
    curl -s --max-time 2 "$url/metrics" | grep -E '^dtwin_(real_time_factor|pacing_overruns_total)\{node="/(robot|twin)' >> "$tmp/scrapes_$n" || true
  done
  wait "$up_pid" 2> /dev/null || echo "bench_up: dtwin up --twins $n exited with an error" >&2
  up_pid=
  "$snap" "$before" "$("$snap")" > "$tmp/neighbours_$n"
  # per node: median over the scrapes; sustained if every node >= threshold
  awk -v thr="$threshold" -v want=$((2 * n)) '
    function med(s,   a, k, i, j, t) {
      k = split(s, a, " ")
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    {
      match($0, /node="[^"]*"/); node = substr($0, RSTART + 6, RLENGTH - 7)
      if ($0 ~ /^dtwin_real_time_factor/) { v[node] = v[node] " " $2; if (!(node in seen)) { seen[node] = 1; order[++n] = node } }
      else { if (!(node in first)) first[node] = $2; over[node] = $2 - first[node] }
    }
    END {
      ok = (n == want); min = 1e9; list = ""; ov = 0
      for (i = 1; i <= n; i++) {
        r = med(v[order[i]]); if (r < min) { min = r; worst = order[i] }
        if (r < thr) ok = 0
        if (over[order[i]] > 0) ok = 0
        ov += over[order[i]]
        # the slow ones, a few of them
        if ((r < thr || n <= 4) && listed < 6) { list = list sprintf(" %s=%.3f", order[i], r); listed++ }
        else if (r < thr) more++
      }
      if (more) list = list sprintf(" (+%d more below %.2f)", more, thr)
      min = n ? sprintf("%.3f", min) : "nan"
      if (n == 0) worst = "-"
      printf "%s %s worst %s, overruns %d, %d/%d nodes:%s\n", ok ? "PASS" : "FAIL", min, worst, ov, n, want, list
    }' "$tmp/scrapes_$n" > "$tmp/verdict_$n"
}

try() {
  local n=$1 line
  if ((SECONDS - t_start + duration + 3 > budget)); then
    echo "N=$n: skipped (time budget of ${budget} s)"
    return 2
  fi
  run_up "$n" # not in a subshell: cleanup must see up_pid
  line=$(cat "$tmp/verdict_$n")
  local verdict=${line%% *} rest=${line#* }
  printf 'N=%-2d %s  rtf min %s; %s\n' "$n" "$verdict" "$rest" "$(cat "$tmp/neighbours_$n" 2> /dev/null)"
  [[ $verdict == PASS ]]
}

good=0 bad=$((max_n + 1)) n=1 cut=0
while ((n <= max_n)); do
  if try "$n"; then
    good=$n
    n=$((n * 2))
    if ((n > max_n && good < max_n)); then n=$max_n; fi
  else
    if [[ $? -eq 2 ]]; then cut=1; else bad=$n; fi
    break
  fi
done
# bisection between the last pass and the first failure
while ((cut == 0 && bad - good > 1 && good < max_n)); do
  n=$(((good + bad) / 2))
  if try "$n"; then good=$n
  else
    if [[ $? -eq 2 ]]; then cut=1; break; fi
    bad=$n
  fi
done

if ((cut)); then echo "note: search cut short by the time budget; K is a lower bound"; fi
if ((good == max_n)); then echo "note: N=$max_n (the search limit) sustained; K is a lower bound"; fi
awk -v k="$good" -v bare="$bare" -v c="$cores" 'BEGIN {
  printf "pairs sustained: %d; %d x 2000 steps/s / (%.0f bare steps/s x %d cores) = %.2f\n",
    k, k, bare, c, k * 2000 / (bare * c) }'
