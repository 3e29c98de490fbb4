#!/usr/bin/env bash
# scripts/deploy.sh's Kubernetes path, step by step, against a stand-in kubectl
# (no cluster here): `kubectl kustomize` is the real one; every other call is
# logged and answered as a cluster would, with failures injected by variables.
# Checks: preflight refusals, the order apply -> rollout status -> health Job,
# the Job rendered with the deployed image, rollback (rollout undo of what
# existed before) when a rollout or the health gate fails, --dry-run = diff only.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
real_kubectl=$(command -v kubectl) || { echo "SKIP: kubectl (with kustomize) is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out_file"' EXIT
mkdir "$tmp/bin"
export FAKE_LOG=$tmp/calls.log FAKE_DIR=$tmp REAL_KUBECTL=$real_kubectl
cat >"$tmp/bin/kubectl" <<'KUBECTL'
#!/usr/bin/env bash
# stand-in kubectl: FAKE_EXISTING (workloads already deployed, "statefulset/x ..."),
# FAKE_FAIL_ROLLOUT (a workload whose rollout fails), FAKE_FAIL_HEALTH=1 (the Job fails)
args=("$@")
[[ ${args[0]} == --context ]] && args=("${args[@]:2}")
[[ ${args[0]} == kustomize ]] && exec "$REAL_KUBECTL" "${args[@]}"
echo "kubectl ${args[*]}" >>"$FAKE_LOG"
[[ ${args[0]} == -n ]] && args=("${args[@]:2}")
case "${args[0]} ${args[1]:-}" in
  "config current-context") echo fake-cluster ;;
  "version --request-timeout=10s") echo "Server Version: v1.32.0" ;;
  "get "*) [[ " ${FAKE_EXISTING:-} " == *" ${args[1]} "* || ${args[1]} == services ]] || exit 1 ;;
  "apply "*) for a in "${args[@]}"; do [[ $prev == -f ]] && cp "$a" "$FAKE_DIR/applied.$RANDOM.yaml"; prev=$a; done ;;
  "rollout status") [[ ${args[2]} == "${FAKE_FAIL_ROLLOUT:-none}" ]] && { echo "timed out" >&2; exit 1; } ;;
  "wait --for=condition=complete") [[ ${FAKE_FAIL_HEALTH:-0} == 1 ]] && exit 1 ;;
  "logs job/dtwin-health") echo "FAIL real-time factor: /twin/digital_twin at 0.4" ;;
  "diff -f") echo "+ changed"; exit 1 ;;
esac
exit 0
KUBECTL
chmod +x "$tmp/bin/kubectl"
export PATH="$tmp/bin:$PATH"
digest=sha256:$(printf '%064d' 7)
run() { : >"$FAKE_LOG"; rm -f "$tmp"/applied.*; scripts/deploy.sh "$@"; }

# preflight: prod-based overlays need a digest (not the placeholder) and a context
expect 1 'deploys by digest' -- run --overlay prod --context c --image ghcr.io/o/dtwin:1.0
expect 1 'placeholder digest' -- run --overlay prod --context c --image "ghcr.io/o/dtwin@sha256:$(printf '%064d' 0)"
expect 1 'explicit --context' -- run --overlay prod --image "ghcr.io/o/dtwin@$digest"
expect 2 "no overlay 'nope'" -- run --overlay nope

# a good deployment: apply, every rollout, then the health Job with the same image
expect 0 'deployed prod' -- run --overlay prod --context c --image "ghcr.io/o/dtwin@$digest"
expect 0 '' -- grep -q 'apply --server-side' "$FAKE_LOG"
expect 0 '' -- grep -q 'rollout status statefulset/dtwin-sim' "$FAKE_LOG"
expect 0 '' -- grep -q 'rollout status statefulset/dtwin-core' "$FAKE_LOG"
expect 0 "image: ghcr.io/o/dtwin@$digest" -- grep -h 'image:' "$tmp"/applied.*
expect 0 '^ *- --kubernetes$' -- grep -h -A1 -- '- health$' "$tmp"/applied.*
expect 1 '' -- grep -q 'rollout undo' "$FAKE_LOG"
# the order: apply before rollout status before the Job
expect 0 '' -- bash -c "grep -n '' '$FAKE_LOG' | grep -E 'apply --server-side|rollout status|wait --for' | cut -d: -f2- | head -1 | grep -q 'apply --server-side'"

# a rollout fails: every workload that existed before is rolled back
export FAKE_EXISTING="statefulset/dtwin-sim statefulset/dtwin-core" FAKE_FAIL_ROLLOUT=statefulset/dtwin-sim
expect 1 'did not roll out - rolling back' -- run --overlay prod --context c --image "ghcr.io/o/dtwin@$digest"
expect 0 '' -- grep -q 'rollout undo statefulset/dtwin-sim' "$FAKE_LOG"
expect 0 '' -- grep -q 'rollout undo statefulset/dtwin-core' "$FAKE_LOG"
expect 1 '' -- grep -q 'wait --for=condition=complete' "$FAKE_LOG"

# the health gate fails: its log is shown and the deployment rolled back
unset FAKE_FAIL_ROLLOUT
export FAKE_FAIL_HEALTH=1
expect 1 'health check failed - rolling back' -- run --overlay prod --context c --image "ghcr.io/o/dtwin@$digest"
expect 1 'FAIL real-time factor' -- run --overlay prod --context c --image "ghcr.io/o/dtwin@$digest"
expect 0 '' -- grep -q 'rollout undo statefulset/dtwin-sim' "$FAKE_LOG"

# a first deployment has nothing to roll back to, and says so
unset FAKE_EXISTING
expect 1 'first deployment: nothing to roll back to' -- run --overlay prod --context c --image "ghcr.io/o/dtwin@$digest"
unset FAKE_FAIL_HEALTH

# dev without --image: the Job runs the overlay's own image
expect 0 'deployed dev' -- run --overlay dev
expect 0 'image: localhost/dtwin:dev' -- bash -c "grep -h -B2 -A2 'name: health' '$tmp'/applied.*"

# --dry-run: a diff against the cluster, nothing applied
expect 0 'differences above' -- run --overlay prod --context c --image "ghcr.io/o/dtwin@$digest" --dry-run
expect 0 '' -- grep -q 'diff -f' "$FAKE_LOG"
expect 1 '' -- grep -q 'apply' "$FAKE_LOG"
finish
