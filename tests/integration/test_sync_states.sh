#!/usr/bin/env bash
# The sync states, listed once in include/dtw/sync_states.h (code = position),
# read the same, in the same order, wherever they are spelled out again: the
# page (web/app.js), the Grafana dashboard's value mappings, docs/metrics.md,
# and the dtwin_sync_state help text a running `dtwin sync` serves.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp" "$out_file"' EXIT

# "0 NO_DATA, 1 SYNCED, ..." from the C list
want=$(sed -n 's/^  X(\([A-Z_]*\), [0-9],.*/\1/p' include/dtw/sync_states.h | awk '{printf "%s%d %s", (NR > 1 ? ", " : ""), NR - 1, $1}')
echo "states: $want"
expect 0 '' -- test -n "$want"

web=$(grep -o 'const STATES = \[[^]]*\]' web/app.js | grep -o '"[A-Z_]*"' | tr -d '"' |
  awk '{printf "%s%d %s", (NR > 1 ? ", " : ""), NR - 1, $1}')
expect 0 '' -- test "$web" = "$want"

grafana=$(python3 - deploy/monitoring/grafana/dashboards/dtwin.json <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    if not any("dtwin_sync_state{" in t.get("expr", "") for t in p.get("targets", [])):
        continue
    for m in p.get("fieldConfig", {}).get("defaults", {}).get("mappings", []):
        if m.get("type") == "value":
            o = m["options"]
            print(", ".join(f"{k} {o[k]['text']}" for k in sorted(o, key=int)))
EOF
)
expect 0 '' -- test "$grafana" = "$want"

# shellcheck disable=SC2016 # the backquotes are the table's
docs=$(grep '^| `dtwin_sync_state` ' docs/metrics.md | awk -F'|' '{print $5}' | sed 's/^ *//; s/ *$//')
expect 0 '' -- test "$docs" = "$want"

# the help text of the running gauge
"$DTWIN" sync --set dtwin.http_port=0 --duration 60 >"$tmp/sync.log" 2>&1 &
pid=$!
url=$(url_of "$tmp/sync.log" 30)
expect 0 "^# HELP dtwin_sync_state Sync state: $want\$" -- \
  bash -c "curl -sf '$url/metrics' | grep '^# HELP dtwin_sync_state '"
finish
