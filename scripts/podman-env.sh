#!/usr/bin/env bash
# Source this file before calling podman/buildah: it points CONTAINERS_CONF at the
# repository's containers.conf (runc, cgroupfs, file events, sandbox ulimits).
#   source scripts/podman-env.sh        # in a shell or a script
#   scripts/podman-env.sh podman ps     # or run one command with it
# An existing CONTAINERS_CONF is kept (set DTW_PODMAN_CONF to force another file).
_dtw_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF=${DTW_PODMAN_CONF:-${CONTAINERS_CONF:-$_dtw_root/deploy/podman/containers.conf}}
unset _dtw_root

# podman_can_run: true when podman is installed and can start a container here.
# Prints the reason on stderr otherwise (used by the tests to skip cleanly).
podman_can_run() {
  local image=${1:-localhost/debian:bookworm} out
  if ! command -v podman >/dev/null 2>&1; then
    echo "podman is not installed (scripts/install-deps.sh installs it)" >&2; return 1
  fi
  if ! out=$(podman run --rm --network=none "$image" true 2>&1); then
    echo "podman cannot run containers on this machine: ${out##*$'\n'}" >&2; return 1
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" && $# -gt 0 ]]; then
  exec "$@"
fi
