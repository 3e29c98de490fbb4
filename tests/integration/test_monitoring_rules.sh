#!/usr/bin/env bash
# The monitoring stack's content (deploy/monitoring): Prometheus rules pass
# `promtool check rules` and their unit tests (every alert fires in a test and is
# shown silent in one; the tests fail when the `for:` durations are removed),
# the local Prometheus configuration passes `promtool check config`, alerts carry
# severity/summary/description/runbook_url with an existing runbook section, the
# Grafana provisioning and dashboard are well formed and reference the datasource
# by uid, and every metric name used by rules and dashboard is documented in
# docs/metrics.md. yamllint (relaxed) when installed.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
M=deploy/monitoring

if ! command -v promtool >/dev/null; then
  echo "FAIL: promtool not found (apt-get install prometheus)"; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out_file"' EXIT

expect 0 'SUCCESS' -- promtool check rules "$M"/rules/*.yml
# unit tests: run from the tests directory (rule_files are relative to it)
expect 0 'SUCCESS' -- bash -c "cd $M/tests && promtool test rules *_test.yml"
expect 0 'valid prometheus config' -- promtool check config "$M/prometheus/prometheus-local.yml"

# A temporary copy whose rule_files are absolute, as test_prometheus.sh uses it.
sed "s#\.\./rules/\*\.yml#$PWD/$M/rules/*.yml#" "$M/prometheus/prometheus-local.yml" >"$tmp/prom.yml"
expect 0 'SUCCESS: 2 rule files found' -- promtool check config "$tmp/prom.yml"

# The tests must be able to fail: without the `for:` durations the "stays silent
# under the for: duration" cases fail; with the thresholds changed the "fires" ones do.
mkdir -p "$tmp/mut/rules" "$tmp/mut/tests"
cp "$M"/tests/*_test.yml "$tmp/mut/tests/"
cp "$M"/rules/*.yml "$tmp/mut/rules/"
sed -i '/^ *for: /d' "$tmp/mut/rules/dtwin-alerts.yml"
expect 1 'FAILED' -- bash -c "cd $tmp/mut/tests && promtool test rules *_test.yml"
cp "$M"/rules/*.yml "$tmp/mut/rules/"
sed -i 's/dtwin_sync_state == 2/dtwin_sync_state == 3/' "$tmp/mut/rules/dtwin-alerts.yml"
expect 1 'alertname: DigitalTwinSyncDiverged' -- bash -c "cd $tmp/mut/tests && promtool test rules *_test.yml"

# Structure of rules, unit tests, runbooks, Grafana files; metric names.
cat >"$tmp/check.py" <<'EOF'
import glob, json, re, sys
import yaml

M = "deploy/monitoring"
problems = []
def bad(msg):
    problems.append(msg)

# --- documented metric names (docs/metrics.md tables) ---
known, histograms = set(), set()
for line in open("docs/metrics.md", encoding="utf-8"):
    m = re.match(r"^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \|(?: ([a-z]+) \|)?", line)
    if m:
        known.add(m.group(1))
        if m.group(2) == "histogram":
            histograms.add(m.group(1))
for h in histograms:
    known |= {h + "_bucket", h + "_sum", h + "_count"}
# the sync states as docs/metrics.md numbers them ("0 NO_DATA, 1 SYNCED, ...")
SYNC_STATES = {}
for line in open("docs/metrics.md", encoding="utf-8"):
    if line.startswith("| `dtwin_sync_state` |"):
        SYNC_STATES = dict(re.findall(r"(\d+) ([A-Z_]+)", line.split("|")[4]))
if len(SYNC_STATES) < 5:
    bad(f"docs/metrics.md: dtwin_sync_state's states not found ({SYNC_STATES})")
if len(known) < 50:
    bad(f"docs/metrics.md: only {len(known)} metric names found in its tables")

KEYWORDS = set("""sum min max avg group stddev stdvar count count_values bottomk topk
quantile by without on ignoring group_left group_right and or unless bool offset
inf nan""".split())
def metric_names(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    names = set()
    for m in re.finditer(r"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", e):
        if m.group(2) or m.group(1).lower() in KEYWORDS:
            continue
        names.add(m.group(1))
    return names
# the extractor itself
assert metric_names('histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="y"}[5m]))) > 0.05') == {"a_bucket"}
assert metric_names('x / y > 0.8 and on (job, instance) z offset 5m') == {"x", "y", "z"}

# --- runbook anchors ---
anchors = set()
for line in open("docs/runbooks.md", encoding="utf-8"):
    m = re.match(r"^#{2,3} (.+?)\s*$", line)
    if m:
        anchors.add(re.sub(r"[^a-z0-9 _-]", "", m.group(1).lower()).replace(" ", "-"))

# --- rules ---
alerts, records = {}, set()
for path in sorted(glob.glob(f"{M}/rules/*.yml")):
    for g in yaml.safe_load(open(path))["groups"]:
        for r in g["rules"]:
            if "record" in r:
                records.add(r["record"])
            else:
                alerts[r["alert"]] = (path, r)
known |= records
for name, (path, r) in alerts.items():
    where = f"{path}: {name}"
    if not re.fullmatch(r"DigitalTwin[A-Z][A-Za-z0-9]+", name):
        bad(f"{where}: not CamelCase with prefix DigitalTwin")
    if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
        bad(f"{where}: severity must be critical, warning or info")
    ann = r.get("annotations", {})
    if not ann.get("summary") or "{{" in ann["summary"]:
        bad(f"{where}: summary missing or templated")
    # absent() has no labels to show: its description may be static
    if not ann.get("description") or ("{{" not in ann["description"]
                                      and not r["expr"].startswith("absent(")):
        bad(f"{where}: description missing or not templated")
    url = ann.get("runbook_url", "")
    m = re.fullmatch(r"docs/runbooks\.md#([a-z0-9-]+)", url)
    if not m or m.group(1) not in anchors:
        bad(f"{where}: runbook_url {url!r} does not name a section of docs/runbooks.md")
    elif m.group(1) != name.lower():
        bad(f"{where}: runbook anchor should be #{name.lower()}")
    if re.search(r"\bjob\s*=", r["expr"]) and name not in ("DigitalTwinTwinDown", "DigitalTwinNoTargets"):
        bad(f"{where}: depends on the job name")
    for n in metric_names(r["expr"]) - known:
        bad(f"{where}: expr uses {n}, not in docs/metrics.md")
for r in records:
    if r not in open("docs/metrics.md").read():
        bad(f"recording rule {r} not documented in docs/metrics.md")
required = """TwinDown TwinNotReady RealTimeFactorLow SyncDiverged RobotFeedStale
HighSyncLatency HighRefusalRate PhysicsFailures HighCPU HighMemory TopicQuiet
ExpectedNodeDown""".split()
for n in required:
    if "DigitalTwin" + n not in alerts:
        bad(f"alert DigitalTwin{n} missing")

# --- unit tests cover every alert, firing and silent ---
fires, silent = set(), set()
for path in glob.glob(f"{M}/tests/*_test.yml"):
    for t in yaml.safe_load(open(path))["tests"]:
        for a in t.get("alert_rule_test", []):
            exp = a.get("exp_alerts") or []
            (fires if exp else silent).add(a["alertname"])
            for e in exp:
                if "severity" not in e.get("exp_labels", {}) or \
                        set(e.get("exp_annotations", {})) != {"summary", "description", "runbook_url"}:
                    bad(f"{path}: {a['alertname']}: give exp_labels with severity and all exp_annotations")
for n in alerts:
    if n not in fires:
        bad(f"{n}: no unit test in which it fires")
    if n not in silent:
        bad(f"{n}: no unit test in which it stays silent")

# --- Grafana provisioning ---
UID = "dtwin-prometheus"
ds = yaml.safe_load(open(f"{M}/grafana/provisioning/datasources/prometheus.yml"))
if ds.get("apiVersion") != 1 or not any(d.get("uid") == UID and d.get("type") == "prometheus"
                                        for d in ds.get("datasources", [])):
    bad(f"datasources/prometheus.yml: needs apiVersion 1 and a prometheus datasource with uid {UID}")
dp = yaml.safe_load(open(f"{M}/grafana/provisioning/dashboards/dtwin.yml"))
if dp.get("apiVersion") != 1 or not any(p.get("type") == "file" and p.get("options", {}).get("path")
                                        for p in dp.get("providers", [])):
    bad("dashboards/dtwin.yml: needs apiVersion 1 and a file provider with options.path")

# --- dashboards ---
for path in sorted(glob.glob(f"{M}/grafana/dashboards/*.json")):
    text = open(path).read()
    d = json.loads(text)
    if "__inputs" in d or "${DS_" in text:
        bad(f"{path}: uses __inputs/${{DS_...}} (import-only); reference the datasource by uid")
    if not d.get("uid") or not d.get("title"):
        bad(f"{path}: needs uid and title")
    for v in d.get("templating", {}).get("list", []):
        if "datasource" in v and (v["datasource"] or {}).get("uid") != UID:
            bad(f"{path}: variable {v.get('name')}: datasource uid is not {UID}")
    panels = []
    for p in d.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)):
        bad(f"{path}: duplicate panel ids")
    used = set()
    exprs = []
    for p in panels:
        if p.get("type") == "row":
            continue
        title = f"{path}: panel {p.get('title')!r}"
        g = p.get("gridPos", {})
        if g.get("x", 0) + g.get("w", 0) > 24 or g.get("h", 0) <= 0:
            bad(f"{title}: bad gridPos {g}")
        if (p.get("datasource") or {}).get("uid") != UID:
            bad(f"{title}: datasource uid is not {UID}")
        if not p.get("targets"):
            bad(f"{title}: no query")
        for t in p.get("targets", []):
            if (t.get("datasource") or {}).get("uid") != UID:
                bad(f"{title}: target {t.get('refId')}: datasource uid is not {UID}")
            expr = t.get("expr", "")
            if not expr:
                bad(f"{title}: target {t.get('refId')}: empty expr")
            exprs.append(expr)
            for n in metric_names(expr):
                used.add(n)
                if n not in known:
                    bad(f"{title}: expr uses {n}, not in docs/metrics.md")
        if p.get("type") == "stat" and "dtwin_sync_state{" in json.dumps(p.get("targets")):
            maps = {k: v.get("text") for m in p["fieldConfig"]["defaults"].get("mappings", [])
                    for k, v in m.get("options", {}).items()}
            if maps != SYNC_STATES:
                bad(f"{title}: sync state value mappings are {maps}")
    for n in """dtwin_sync_state dtwin_sync_position_error_radians dtwin:sync_latency_seconds:p50_5m
            dtwin:sync_latency_seconds:p99_5m dtwin_real_time_factor dtwin_messages_published_total
            dtwin_messages_refused_total process_cpu_seconds_total process_resident_memory_bytes
            dtwin_graph_node_up dtwin_bridge_clients""".split():
        if n not in used:
            bad(f"{path}: no panel shows {n}")

for p in problems:
    print("problem:", p)
print(f"{len(alerts)} alerts, {len(records)} recording rules, {len(known)} known metric names,",
      f"{len(problems)} problems")
sys.exit(1 if problems else 0)
EOF
expect 0 ' 0 problems' -- python3 "$tmp/check.py"

# yamllint, relaxed (long lines are fine in PromQL and test series)
if command -v yamllint >/dev/null; then
  expect 0 '' -- yamllint -s -d '{extends: relaxed, rules: {line-length: disable}}' \
    "$M/rules" "$M/tests" "$M/prometheus" "$M/grafana/provisioning"
else
  echo "skip: yamllint not installed (apt-get install yamllint)"
fi

finish
