#!/usr/bin/env bash
# throttle_twin.sh [BUILD_DIR] - false alarms of a twin that falls behind: the
# robot emulator, the twin (with the demo motion: `dtwin up` without robot,
# sync, monitor or bridge) and the sync node run as three processes; after 20 s
# the twin's physics threads (dtw-phys-*) get THROTTLE_QUOTA_US (default 1000)
# of CPU per THROTTLE_PERIOD_US (default 50000) for THROTTLE_S seconds (default
# 2), THROTTLE_TIMES times (default 3) 15 s apart: the twin runs below real
# time, then catches up. Passes when the sync node never went DIVERGED or
# FAULT (DEGRADED is what a lagging twin should read as).
# Needs root and the cgroup v1 cpu controller (/sys/fs/cgroup/cpu): exits 77
# without them. Too long for make check; run by hand.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
quota=${THROTTLE_QUOTA_US:-1000}
period=${THROTTLE_PERIOD_US:-50000}
secs=${THROTTLE_S:-2}
times=${THROTTLE_TIMES:-3}
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-'<General><Interfaces><NetworkInterface name="lo"/></Interfaces></General>'}
export ROS_DOMAIN_ID=${THROTTLE_DOMAIN:-96}
dtwin=$build/apps/dtwin/dtwin
[[ -x $dtwin ]] || { echo "throttle_twin: $dtwin not built" >&2; exit 1; }
cg=/sys/fs/cgroup/cpu/dtwin-throttle-$$
if ! mkdir "$cg" 2>/dev/null; then
  echo "throttle_twin: skipped: cannot create a cgroup v1 cpu group (root and /sys/fs/cgroup/cpu needed)"
  exit 77
fi
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rmdir "$cg" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
duration=$((20 + times * (secs + 15) + 5))
"$dtwin" up --set up.robot=false --set up.sync=false --set up.monitor=false \
  --set up.bridge=false --set dtwin.http_port=0 --set viewer.port=0 --status-period 1 \
  --duration "$duration" >"$tmp/twin.log" 2>&1 &
twin=$!
pids+=("$twin")
"$dtwin" robot --set dtwin.http_port=0 --quiet --duration "$duration" >"$tmp/robot.log" 2>&1 &
pids+=($!)
"$dtwin" sync --set dtwin.http_port=0 --status-period 0 --duration "$duration" >"$tmp/sync.log" 2>&1 &
pids+=($!)
sleep 20
echo "$period" >"$cg/cpu.cfs_period_us"
for ((k = 0; k < times; k++)); do
  echo "$quota" >"$cg/cpu.cfs_quota_us"
  for t in /proc/"$twin"/task/*; do
    if grep -q '^dtw-phys' "$t/comm" 2>/dev/null; then echo "${t##*/}" >"$cg/tasks"; fi
  done
  sleep "$secs"
  echo -1 >"$cg/cpu.cfs_quota_us"
  sleep 15
done
# threads go back to the parent group before the group can go
while read -r t; do echo "$t" >/sys/fs/cgroup/cpu/tasks || true; done <"$cg/tasks"
wait "${pids[@]}" 2>/dev/null || true
pids=()
echo "throttle_twin: the twin's real-time factor around each throttle (status lines):"
grep -E '^t +[0-9.]+ s \| rtf' "$tmp/twin.log" | awk '$NF < 0.97 || $NF > 1.03' | head -12 || true
grep -E -- '-> ' "$tmp/sync.log" | cut -c1-200 || true
div=$(grep -c -- '-> DIVERGED' "$tmp/sync.log" || true)
flt=$(grep -c -- '-> FAULT' "$tmp/sync.log" || true)
deg=$(grep -c -- '-> DEGRADED' "$tmp/sync.log" || true)
echo "throttle_twin: $times x ${secs} s at ${quota}/${period} us of CPU: DIVERGED $div, FAULT $flt (DEGRADED $deg: a lagging twin's own state)"
[[ $div == 0 && $flt == 0 ]]
