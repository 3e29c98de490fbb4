#!/usr/bin/env bash
# The page's libraries (three.js, uPlot) and its test tools, pinned by
# web/package-lock.json: installed with `npm ci` when web/node_modules is
# missing or older than the lockfile. Exit 0 when present.
set -euo pipefail
web="$(cd "$(dirname "$0")/.." && pwd)/web"
stamp="$web/node_modules/.package-lock.json"
if [[ -f "$stamp" && ! "$web/package-lock.json" -nt "$stamp" ]]; then exit 0; fi
command -v npm >/dev/null || { echo "web-deps: npm not found (install nodejs)" >&2; exit 1; }
echo "web-deps: npm ci in $web"
(cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
