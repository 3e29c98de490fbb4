#!/usr/bin/env bash
# Does serving metrics disturb the loops? Runs `dtwin sim`, measures its
# real-time factor (from /metrics) and its joint_states rate (dtwin topic hz)
# for a while without scrapes, then while a client scrapes /metrics ~200 times
# a second, and prints both side by side with the ratio loaded/quiet.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
dtwin=$build/apps/dtwin/dtwin
export CYCLONEDDS_URI=${CYCLONEDDS_URI:-'<General><Interfaces><NetworkInterface name="lo"/></Interfaces></General>'}
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-91}
seconds=${SCRAPE_BENCH_SECONDS:-6}
log=$(mktemp)
"$dtwin" sim --quiet --set dtwin.http_port=0 >"$log" 2>&1 &
sim=$!
trap 'kill -INT $sim 2>/dev/null; wait $sim 2>/dev/null; rm -f "$log"' EXIT
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1) && [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { echo "bench_scrape: dtwin sim did not start" >&2; exit 1; }

rtf() { curl -s "$url/metrics" | sed -nE 's/^dtwin_real_time_factor\{[^}]*\} ([0-9.]+)$/\1/p'; }
rate() { "$dtwin" topic hz /twin/joint_states --duration "$seconds" | sed -nE 's/^average rate: ([0-9.]+) Hz/\1/p' | tail -n +2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

sleep 2
quiet_rate=$(rate); quiet_rtf=$(rtf)
# ~200 scrapes per second for the measuring window (bounded in count and time)
python3 - "$url/metrics" "$((seconds + 2))" <<'PY' &
import sys, time, urllib.request
url, secs = sys.argv[1], float(sys.argv[2])
end, n = time.monotonic() + secs, 0
while time.monotonic() < end and n < 200 * secs:
    t = time.monotonic()
    urllib.request.urlopen(url, timeout=2).read()
    n += 1
    time.sleep(max(0.0, 0.005 - (time.monotonic() - t)))
print(f"scrapes: {n} in {secs:.0f} s ({n / secs:.0f}/s)")
PY
scraper=$!
sleep 1
loaded_rate=$(rate); loaded_rtf=$(rtf)
wait $scraper
printf 'joint_states rate   quiet %8.1f Hz   under scrapes %8.1f Hz   ratio %.3f\n' \
  "$quiet_rate" "$loaded_rate" "$(python3 -c "print($loaded_rate/$quiet_rate)")"
printf 'real-time factor    quiet %8.3f      under scrapes %8.3f      ratio %.3f\n' \
  "$quiet_rtf" "$loaded_rtf" "$(python3 -c "print($loaded_rtf/$quiet_rtf)")"
