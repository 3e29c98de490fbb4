#!/usr/bin/env bash
# GitHub Actions rules on every workflow in .github/workflows: third-party
# actions pinned to a full commit SHA with a version comment, least-privilege
# permissions (read-only at the top, declared per job, writes only where a job
# pushes, signs or uploads), no ${{ }} expressions inside run: (inputs go through
# env:), no pull_request_target. tests/data/deploy/bad-workflow.yml must fail.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out_file"' EXIT
cat >"$tmp/check.py" <<'PYEOF'
import re, sys, yaml
WRITE_OK = {"packages", "id-token", "security-events", "deployments", "attestations"}
PIN = re.compile(r"^\s*-?\s*uses:\s*([^\s#]+)\s*(#.*)?$")
problems = []
def bad(f, msg): problems.append(f"{f}: {msg}")
def check_perms(f, where, perms, top):
    if perms is None:
        bad(f, f"{where}: no permissions: block (least privilege per job)"); return
    if isinstance(perms, str):
        if perms != "read-all" or not top:
            bad(f, f"{where}: permissions: {perms}")
        return
    for scope, level in perms.items():
        if level == "write" and (top or scope not in WRITE_OK):
            bad(f, f"{where}: {scope}: write" + (" at the top level" if top else " is not needed"))
for f in sys.argv[1:]:
    text = open(f).read()
    wf = yaml.safe_load(text)
    for n, line in enumerate(text.splitlines(), 1):
        m = PIN.match(line)
        if not m or m.group(1).startswith("./") or m.group(1).startswith("docker://"):
            continue
        ref = m.group(1).rsplit("@", 1)
        if len(ref) != 2 or not re.fullmatch(r"[0-9a-f]{40}", ref[1]):
            bad(f, f"line {n}: {m.group(1)} is not pinned to a full commit SHA")
        elif not m.group(2) or not re.search(r"v\d", m.group(2)):
            bad(f, f"line {n}: {m.group(1)} has no version comment (# vX.Y.Z)")
    on = wf.get("on", wf.get(True))
    events = on if isinstance(on, (list, dict)) else [on]
    if "pull_request_target" in events:
        bad(f, "pull_request_target runs untrusted code with secrets")
    check_perms(f, "top level", wf.get("permissions", {}), True)
    for name, job in (wf.get("jobs") or {}).items():
        check_perms(f, f"job {name}", job.get("permissions"), False)
        for i, step in enumerate(job.get("steps") or []):
            run = step.get("run")
            if run and "${{" in run:
                expr = re.search(r"\$\{\{[^}]*\}\}", run).group(0)
                bad(f, f"job {name} step {i + 1}: {expr} inside run: (pass it through env:)")
for p in problems:
    print(p)
print(f"{len(sys.argv) - 1} workflow(s), {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
PYEOF

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
expect 0 '' -- test ${#workflows[@]} -ge 1
expect 0 ' 0 problem' -- "$PY" "$tmp/check.py" "${workflows[@]}"
for w in "${workflows[@]}"; do
  expect 0 '' -- "$PY" -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$w"
done
# the workflows call the same make targets as .ci/run
expect 0 'make check' -- grep -h 'make check' .ci/run .github/workflows/ci.yml
expect 0 'make image' -- grep -h 'make image' .github/workflows/ci.yml
# deployments: by digest, per-environment concurrency, health-gated
expect 0 'group: deploy-' -- grep 'group: deploy-' .github/workflows/deploy.yml
# shellcheck disable=SC2016 # the $ is meant literally
expect 0 'environment:' -- grep 'environment: \${{ inputs.environment }}' .github/workflows/deploy.yml
# shellcheck disable=SC2016 # the $ is meant literally
expect 0 '@\$DIGEST' -- grep -- '--image "ghcr.io/$REPO@$DIGEST"' .github/workflows/deploy.yml
# Trivy pinned and failing on fixable HIGH/CRITICAL
expect 0 'ignore-unfixed: true' -- grep -A8 'aquasecurity/trivy-action@' .github/workflows/ci.yml
expect 0 'exit-code: "1"' -- grep -A8 'aquasecurity/trivy-action@' .github/workflows/ci.yml

D=$DTW_TEST_DATA/deploy
expect 1 'actions/checkout@v4 is not pinned' -- "$PY" "$tmp/check.py" "$D/bad-workflow.yml"
expect 1 'some/action@main is not pinned' -- "$PY" "$tmp/check.py" "$D/bad-workflow.yml"
expect 1 'has no version comment' -- "$PY" "$tmp/check.py" "$D/bad-workflow.yml"
expect 1 'permissions: write-all' -- "$PY" "$tmp/check.py" "$D/bad-workflow.yml"
expect 1 'job build: no permissions' -- "$PY" "$tmp/check.py" "$D/bad-workflow.yml"
expect 1 'github.event.pull_request.title \}\} inside run' -- "$PY" "$tmp/check.py" "$D/bad-workflow.yml"
expect 1 'pull_request_target' -- "$PY" "$tmp/check.py" "$D/bad-workflow.yml"
finish
