#!/usr/bin/env bash
# The rendered dev overlay (StatefulSets + ConfigMaps) runs under `podman kube
# play` with the image `make image` built (scripts/deploy.sh --target local):
# every process becomes ready and the health check passes; then `podman kube down`.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
# shellcheck source=scripts/podman-env.sh
source scripts/podman-env.sh
command -v podman >/dev/null || scripts/install-deps.sh >/dev/null
if [[ $(id -u) -ne 0 ]]; then echo "SKIP: podman kube play tests run as root"; exit 77; fi
scripts/make-base-image.sh >/dev/null || { echo "FAIL: scripts/make-base-image.sh"; exit 1; }
if ! reason=$(podman_can_run localhost/debian:bookworm 2>&1); then echo "SKIP: $reason"; exit 77; fi
make --no-print-directory image >/dev/null || { echo "FAIL: make image"; exit 1; }
img=localhost/dtwin:src-$(make --no-print-directory -s image-hash)

export DTW_LOCAL_STATE
DTW_LOCAL_STATE=$(mktemp -d)
cleanup() {
  scripts/deploy.sh --target local --overlay dev --down >/dev/null 2>&1
  rm -rf "$DTW_LOCAL_STATE" "$out_file"
}
trap cleanup EXIT

sel=dtwin-sim,dtwin-robot,dtwin-core

start=$SECONDS
expect 0 'local dev ready in [0-9]+ s' -- scripts/deploy.sh --target local --overlay dev --image "$img" \
  --only "$sel" --domain "${ROS_DOMAIN_ID:-0}" --timeout 200
echo "kube play: deploy to ready took $((SECONDS - start)) s"
# --dry-run diffs against what runs: nothing for the same inputs, the domain for another
local_args=(--target local --overlay dev --image "$img" --only "$sel" --dry-run)
expect 0 'no differences' -- scripts/deploy.sh "${local_args[@]}" --domain "${ROS_DOMAIN_ID:-0}"
expect 0 "^\+ +ROS_DOMAIN_ID: '?$(( ${ROS_DOMAIN_ID:-0} + 1 ))" -- \
  scripts/deploy.sh "${local_args[@]}" --domain "$(( ${ROS_DOMAIN_ID:-0} + 1 ))"
expect 0 'dtwin-local' -- podman pod ps --format '{{.Name}} {{.Status}}'
sim=$(podman ps --format '{{.Names}}' | grep -m1 -E '^dtwin-local-pod(-[0-9]+)?-sim$')
expect 0 '/etc/dtwin/dtwin.yaml' -- podman inspect --format '{{.Config.Cmd}}' "$sim"
expect 0 '^true$' -- podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$sim"
expect 0 'stopped dev' -- scripts/deploy.sh --target local --overlay dev --down
# nothing left behind (an empty listing: grep cannot match a line in no output)
# shellcheck disable=SC2016 # the $ is meant literally
expect 0 '' -- bash -c '[[ -z "$(podman ps -a --filter name=dtwin-local-pod --format "{{.Names}}")" ]]'
finish
