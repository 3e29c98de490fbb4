#!/usr/bin/env bash
# The HTTP "abuse" run (issue 15 item 1: idle connections and slowloris on the
# metrics/health port) against `dtwin up` on loopback, side by side with a quiet
# run; see scripts/bench_abuse_http.py. Usage: BUILD_DIR.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
exec python3 scripts/bench_abuse_http.py "$build/apps/dtwin/dtwin"
