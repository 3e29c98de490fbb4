#!/usr/bin/env bash
# A real Prometheus scrapes a running dtwin with the project's configuration
# (deploy/monitoring/prometheus/prometheus-local.yml, pointed at the test's
# dtwin, 1 s intervals) and rules:
# - the live exposition passes `promtool check metrics`, and every dtwin_* family
#   in it is documented in docs/metrics.md;
# - the target is up, every rule evaluates without error;
# - PromQL through the HTTP API: the twin's real-time factor is 0.5 ... 1.5;
# - with `dtwin up` (robot + twin + sync in one process): the sync state is
#   SYNCED (1); with the robot's left knee locked and a squat sent to robot and
#   twin, dtwin_sync_state_info{state="FAULT"} becomes 1, left_knee is reported
#   locked and the alert DigitalTwinJointLocked fires;
# - when dtwin stops, `up` drops to 0 and DigitalTwinTwinDown becomes pending.
# Until `dtwin up` is built it runs `dtwin sim` and skips the sync assertions.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
M=deploy/monitoring

for tool in prometheus promtool curl python3; do
  if ! command -v $tool >/dev/null; then
    echo "FAIL: $tool not found (apt-get install prometheus curl python3)"; exit 1
  fi
done

tmp=$(mktemp -d)
dtwin_pid='' prom_pid=''
cleanup() {
  [[ -n $dtwin_pid ]] && kill "$dtwin_pid" 2>/dev/null && wait "$dtwin_pid" 2>/dev/null
  [[ -n $prom_pid ]] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
  rm -rf "$tmp" "$out_file"
}
trap cleanup EXIT

ok() { echo "ok: $*"; n_pass=$((n_pass + 1)); }
fail() { echo "FAIL: $*"; n_fail=$((n_fail + 1)); }

# until TIMEOUT_S DESCRIPTION -- command...: retry every 0.5 s until it succeeds
until_ok() {
  local timeout=$1 desc=$2; shift 3
  local deadline=$((SECONDS + timeout))
  while :; do
    if "$@" >"$out_file" 2>&1; then ok "$desc ($(tail -1 "$out_file"))"; return 0; fi
    if ((SECONDS >= deadline)); then
      fail "$desc: not within ${timeout}s"; sed 's/^/    /' "$out_file" | tail -5; return 1
    fi
    sleep 0.5
  done
}

# --- which dtwin: `dtwin up` when it is built, else `dtwin sim` ------------------
# the robot's left knee seizes 2 s after start (robot time); no demo motion: only
# the crouch below moves the (locked) knee; no auto re-sync, so the divergence
# stays visible to Prometheus
mode=up
fault=(--lock-joint left_knee@2 --motion "" --set sync.resync_threshold_rad=0)
if [[ $mode == up ]]; then
  "$DTWIN" up --set dtwin.http_port=0 --set bridge.port=0 --set viewer.port=0 "${fault[@]}" >"$tmp/dtwin.log" 2>&1 &
else
  "$DTWIN" sim --set dtwin.http_port=0 --quiet >"$tmp/dtwin.log" 2>&1 &
fi
dtwin_pid=$!
url=''
for _ in $(seq 100); do
  url=$(grep -Eo 'metrics and health at http://[0-9.]+:[0-9]+' "$tmp/dtwin.log" | head -1 | sed 's/.* at //')
  [[ -n $url ]] && break
  kill -0 "$dtwin_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $url ]]; then
  echo "FAIL: dtwin $mode did not print its metrics address"; sed 's/^/    /' "$tmp/dtwin.log" | tail -20
  exit 1
fi
ok "dtwin $mode serves metrics at $url"
target=${url#http://}

# --- the live exposition ----------------------------------------------------------
curl -sf "$url/metrics" >"$tmp/scrape.txt"
expect 0 '' -- promtool check metrics <"$tmp/scrape.txt"
undocumented=$(sed -n 's/^# TYPE \(dtwin_[a-zA-Z0-9_:]*\) .*/\1/p' "$tmp/scrape.txt" | sort -u |
  while read -r name; do grep -q "^| \`$name\` |" docs/metrics.md || echo "$name"; done)
if [[ -z $undocumented ]]; then ok "every dtwin_* metric exported is in docs/metrics.md"
else fail "exported but not in docs/metrics.md: ${undocumented//$'\n'/ }"; fi

# --- Prometheus with the project's configuration -----------------------------------
sed -e "s#\.\./rules/\*\.yml#$PWD/$M/rules/*.yml#" \
    -e "s#127\.0\.0\.1:9100#$target#" \
    -e 's#scrape_interval: 5s#scrape_interval: 1s#' \
    -e 's#scrape_timeout: 4s#scrape_timeout: 1s#' \
    -e 's#evaluation_interval: 5s#evaluation_interval: 1s#' \
    "$M/prometheus/prometheus-local.yml" >"$tmp/prometheus.yml"
expect 0 "$target" -- grep -F "$target" "$tmp/prometheus.yml"
expect 0 'SUCCESS' -- promtool check config "$tmp/prometheus.yml"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
prom=''
for attempt in 1 2 3; do
  port=$(free_port)
  prometheus --config.file="$tmp/prometheus.yml" --web.listen-address="127.0.0.1:$port" \
    --storage.tsdb.path="$tmp/data$attempt" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
  prom_pid=$!
  for _ in $(seq 300); do
    if curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then prom="http://127.0.0.1:$port"; break; fi
    kill -0 "$prom_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $prom ]] && break
  kill "$prom_pid" 2>/dev/null; wait "$prom_pid" 2>/dev/null; prom_pid=''
done
if [[ -z $prom ]]; then
  echo "FAIL: prometheus did not start"; sed 's/^/    /' "$tmp/prometheus.log" | tail -20; exit 1
fi
ok "prometheus ready at $prom"

# pq QUERY CONDITION: the instant query has results and every value satisfies
# CONDITION (a Python expression in v); prints the values
cat >"$tmp/pq.py" <<'EOF'
import json, sys, urllib.parse, urllib.request
base, query, cond = sys.argv[1:4]
with urllib.request.urlopen(base + "/api/v1/query?" + urllib.parse.urlencode({"query": query}), timeout=5) as r:
    d = json.load(r)
res = d["data"]["result"] if d.get("status") == "success" else []
vals = [float(x["value"][1]) for x in res]
print(f"{query} -> {vals}")
sys.exit(0 if vals and all(eval(cond, {}, {"v": v}) for v in vals) else 1)
EOF
pq() { python3 "$tmp/pq.py" "$prom" "$@"; }

# alert NAME STATES: the alert is in one of STATES (regex) per /api/v1/alerts
cat >"$tmp/alert.py" <<'EOF'
import json, re, sys, urllib.request
base, name, states = sys.argv[1:4]
with urllib.request.urlopen(base + "/api/v1/alerts", timeout=5) as r:
    alerts = json.load(r)["data"]["alerts"]
got = [a["state"] for a in alerts if a["labels"].get("alertname") == name]
print(f"{name}: {got or 'inactive'}")
sys.exit(0 if any(re.fullmatch(states, s) for s in got) else 1)
EOF
alert() { python3 "$tmp/alert.py" "$prom" "$@"; }

# every rule loaded and evaluating without error
cat >"$tmp/rules.py" <<'EOF'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/api/v1/rules", timeout=5) as r:
    groups = json.load(r)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
bad = [(r["name"], r.get("lastError")) for r in rules if r.get("health") != "ok"]
print(f"{len(rules)} rules, not ok: {bad}")
sys.exit(0 if len(rules) >= 20 and not bad else 1)
EOF

until_ok 15 "prometheus scrapes dtwin (up == 1)" -- pq 'up{job="dtwin"}' 'v == 1'
until_ok 15 "the twin's real-time factor is 0.5 ... 1.5" -- \
  pq 'dtwin_real_time_factor{node="/twin/digital_twin"}' '0.5 <= v <= 1.5'
until_ok 10 "simulated time advances" -- pq 'changes(dtwin_sim_time_seconds{node="/twin/digital_twin"}[10s])' 'v > 0'
until_ok 10 "every rule evaluates without error" -- python3 "$tmp/rules.py" "$prom"

if [[ $mode == up ]]; then
  until_ok 25 "sync state is SYNCED (dtwin_sync_state == 1)" -- pq 'dtwin_sync_state' 'v == 1'
  # the robot's left knee is locked since t=2 s; both crouch and hold it, so the
  # twin's knee bends and the robot's cannot, for as long as the test needs
  cat >"$tmp/crouch.yaml" <<'YAML'
joint_names: [left_hip_pitch, left_knee, left_ankle_pitch, right_hip_pitch, right_knee, right_ankle_pitch]
points:
  - time_from_start: 2.0
    positions:  [-0.6, 1.2, -0.6, -0.6, 1.2, -0.6]
    velocities: [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
YAML
  for ns in robot twin; do
    expect 0 '' -- "$DTWIN" traj send "$tmp/crouch.yaml" \
      --topic /$ns/humanoid_joint_trajectory_controller/joint_trajectory
  done
  # the fault isolation names the joint and the kind: FAULT, not DIVERGED
  until_ok 25 "sync state becomes FAULT" -- pq 'dtwin_sync_state_info{state="FAULT"}' 'v == 1'
  until_ok 10 "left_knee reported locked (dtwin_sync_joint_fault == 1)" -- \
    pq 'dtwin_sync_joint_fault{joint="left_knee"}' 'v == 1'
  # no for: a latched fault fires at once (the knee stays locked)
  until_ok 45 "alert DigitalTwinJointLocked firing" -- alert DigitalTwinJointLocked firing
  until_ok 5 "robot fault reported (dtwin_robot_fault_active)" -- \
    pq 'dtwin_robot_fault_active{fault="lock", joint="left_knee"}' 'v == 1'
fi

# the target goes away: up == 0 and the TwinDown alert is pending (for: 1m)
kill "$dtwin_pid"; wait "$dtwin_pid" 2>/dev/null; dtwin_pid=''
until_ok 15 "up drops to 0 when dtwin stops" -- pq 'up{job="dtwin"}' 'v == 0'
until_ok 10 "alert DigitalTwinTwinDown pending" -- alert DigitalTwinTwinDown 'pending|firing'

finish
