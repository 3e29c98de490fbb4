#!/usr/bin/env bash
# dtwin's MCAP against an independent implementation, Foxglove's @mcap/core (npm,
# pinned in tests/interop/mcap/package-lock.json, installed with `npm ci` into the
# build tree): it reads a recording of `dtwin up` (schemas, channels, message count,
# every message's CDR decoded), and dtwin reads JointState messages it wrote.
# Exits 77 when node/npm are missing or the packages cannot be installed.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node/npm not installed"
  exit 77
fi
build=${DTW_BUILD_DIR:-$(dirname "$DTWIN")/../..}
mods=$build/mcap-interop
src=$DTW_SOURCE_DIR/tests/interop/mcap
mkdir -p "$mods"
if ! cmp -s "$src/package-lock.json" "$mods/package-lock.json" || [[ ! -d $mods/node_modules ]]; then
  cp "$src/package.json" "$src/package-lock.json" "$mods/"
  (cd "$mods" && timeout 300 npm ci --no-audit --no-fund --ignore-scripts >npm.log 2>&1) \
    || { echo "SKIP: npm ci failed (no registry?):"; tail -5 "$mods/npm.log"; exit 77; }
fi
cp "$src/check.js" "$mods/"
work=$(mktemp -d)
trap 'rm -rf "$work" "$out_file"; [[ -n ${up_pid:-} ]] && kill "$up_pid" 2>/dev/null' EXIT

# 1. record a short `dtwin up`; @mcap/core reads it
"$DTWIN" up --duration 9 --quiet --set dtwin.http_port=0 --set up.bridge=false --set viewer.port=0 >"$work/up.log" 2>&1 &
up_pid=$!
expect 0 'messages recorded' -- "$DTWIN" record -o "$work/rec.mcap" --duration 5
kill -INT "$up_pid" 2>/dev/null; wait "$up_pid" 2>/dev/null; up_pid=
expect 0 '' -- node "$mods/check.js" read "$work/rec.mcap"
node "$mods/check.js" read "$work/rec.mcap" >"$work/read.json" 2>&1
expect 0 'ok' -- python3 - "$work/read.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["profile"] == "ros2", d["profile"]
schemas = {s["name"]: s["encoding"] for s in d["schemas"]}
assert schemas.get("sensor_msgs/msg/JointState") == "ros2msg", schemas
chans = {c["topic"]: c for c in d["channels"]}
for t in ("/robot/joint_states", "/twin/joint_states"):
    assert chans[t]["messageEncoding"] == "cdr" and chans[t]["schema"] == "sensor_msgs/msg/JointState", chans.get(t)
    assert "offered_qos_profiles" in chans[t]["metadata"], chans[t]
    assert chans[t]["metadata"]["topic_type_hash"].startswith("RIHS01_"), chans[t]
n = d["statistics"]["messageCount"]
assert n > 1000 and d["indexedMessages"] == n == d["streamedMessages"], (n, d["indexedMessages"], d["streamedMessages"])
assert d["streamDone"] and d["chunkIndexes"] == d["statistics"]["chunkCount"] > 0
js = d["decoded"]["/robot/joint_states"]
assert js["names"] == js["positions"] > 0, js
assert d["metadata"]["dtwin"]["version"], d["metadata"]
print("ok", n, "messages,", len(schemas), "schemas")
PY

# 2. @mcap/core writes JointStates; dtwin reads them (analyze with them as the robot feed)
expect 0 '' -- node "$mods/check.js" write "$work/foreign.mcap" 300
expect 0 '300 robot samples' -- "$DTWIN" analyze "$work/foreign.mcap" --robot-topic /js -o "$work/foreign"
expect 0 'not_a_joint_of_the_model' -- cat "$work/foreign.json"
expect 0 '<svg' -- cat "$work/foreign.html"

# 3. the same file as the robot feed: dtwin robot --replay publishes its joint
# states (names matched to the model, the unknown one reported); at --rate 2 a
# sample recorded at t is published at robot time t/2 (positions 0.1 sin t)
"$DTWIN" robot --replay "$work/foreign.mcap" --rate 2 --duration 30 --quiet \
  --set dtwin.http_port=0 >"$work/replay.log" 2>&1 &
up_pid=$!
expect 0 'name: \[left_knee, right_knee\]' -- "$DTWIN" topic echo /robot/joint_states --count 1 --duration 20
cp "$out_file" "$work/echo.txt"
expect 0 '^ok' -- python3 - "$work/echo.txt" <<'PY'
import math, re, sys
text = open(sys.argv[1]).read()
sec, ns = map(int, re.search(r"stamp: \{sec: (\d+), nanosec: (\d+)\}", text).groups())
pos = [float(x) for x in re.search(r"position: \[([^\]]*)\]", text).group(1).split(",")]
t = 2 * (sec + ns * 1e-9)
assert abs(pos[0] - 0.1 * math.sin(t)) < 1e-6 and abs(pos[1] + 0.1 * math.sin(t)) < 1e-6, (t, pos)
print("ok", t, pos)
PY
kill -INT "$up_pid" 2>/dev/null; wait "$up_pid" 2>/dev/null; up_pid=
expect 0 'not joints of the model \(ignored\): not_a_joint_of_the_model' -- cat "$work/replay.log"
# a dtwin recording holds several JointState topics: name one
expect 2 'several JointState topics.*--topic' -- "$DTWIN" robot --replay "$work/rec.mcap" --duration 1 --set dtwin.http_port=0
expect 2 "no topic '/nope'" -- "$DTWIN" robot --replay "$work/rec.mcap" --topic /nope --duration 1 --set dtwin.http_port=0
finish
