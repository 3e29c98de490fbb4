#!/usr/bin/env bash
# The bridge "abuse" run (issue 15 items 2-5, 9) against `dtwin up` on loopback,
# side by side with a quiet run; see scripts/bench_bridge_abuse.py. Usage: BUILD_DIR.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
exec python3 scripts/bench_bridge_abuse.py "$build/apps/dtwin/dtwin"
