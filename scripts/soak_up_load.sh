#!/usr/bin/env bash
# soak_up_load.sh [BUILD_DIR] - false alarms of a busy host: `dtwin up` (shadow
# mode, demo motion, no fault) for SOAK_DURATION seconds (default 600) while
# SOAK_HOGS (default 2) CPU-bound processes compete for the cores. Passes when
# the sync node never left SYNCED for DIVERGED or FAULT (DEGRADED and STALE from a
# starved process are what a busy host should read as: counted and their reasons
# listed, not false alarms of the comparison). SOAK_ARGS adds
# options ("--twins 2").
# Too long for make check; run by hand or from make bench with SOAK=1.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.."
export DTW_SOURCE_DIR=$PWD
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-'<General><Interfaces><NetworkInterface name="lo"/></Interfaces></General>'}
export ROS_DOMAIN_ID=${SOAK_DOMAIN:-95}
duration=${SOAK_DURATION:-600}
hogs=${SOAK_HOGS:-2}
dtwin=$build/apps/dtwin/dtwin
[[ -x $dtwin ]] || { echo "soak_up_load: $dtwin not built" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
for ((i = 0; i < hogs; i++)); do
  (while :; do :; done) &
  pids+=($!)
done
# SOAK_ARGS: more `dtwin up` options, e.g. "--twins 2"
# shellcheck disable=SC2086
"$dtwin" up --duration "$duration" --status-period 10 --set dtwin.http_port=0 --set bridge.port=0 \
  --set viewer.port=0 ${SOAK_ARGS:-} >"$tmp/out" 2>"$tmp/log" || true
summary=$(grep 'dtwin up: stopped' "$tmp/out" || true)
echo "$summary"
faults=$(grep -c 'fault:' "$tmp/log" || true)
div=$(sed -n 's/.*transitions to DIVERGED \([0-9]*\).*/\1/p' <<<"$summary")
flt=$(sed -n 's/.*FAULT \([0-9]*\);.*/\1/p' <<<"$summary")
deg=$(sed -n 's/.*transitions to DEGRADED \([0-9]*\).*/\1/p' <<<"$summary")
stale=$(sed -n 's/.*STALE \([0-9]*\),.*/\1/p' <<<"$summary")
echo "soak_up_load: ${duration} s with $hogs CPU hogs: DIVERGED ${div:-?}, FAULT ${flt:-?}, fault log lines $faults (DEGRADED ${deg:-?}, STALE ${stale:-?}: a busy host's own states)"
grep -E 'WARN.*(DIVERGED|FAULT|fault:)' "$tmp/log" | head -5 || true
# the busy host's account: DEGRADED/STALE episodes by reason (numbers masked)
echo "soak_up_load: DEGRADED/STALE episodes by reason:"
grep -oE -- '-> (DEGRADED|STALE): [a-z ]+' "$tmp/log" | sort | uniq -c | sort -rn | head -8 || true
[[ ${div:-1} == 0 && ${flt:-1} == 0 && $faults == 0 ]]
