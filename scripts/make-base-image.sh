#!/usr/bin/env bash
# Make the container base image locally (no registry is reachable from the build
# machines): debootstrap --variant=minbase of Debian bookworm, imported into podman
# as localhost/debian:bookworm. Idempotent: does nothing when the image exists.
# Usage: scripts/make-base-image.sh [--force] [IMAGE]
#   DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_SUITE (bookworm)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/podman-env.sh
source "$here/podman-env.sh"

force=0
if [[ "${1:-}" == "--force" ]]; then force=1; shift; fi
suite=${DEBIAN_SUITE:-bookworm}
image=${1:-localhost/debian:$suite}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [[ $force -eq 0 ]] && podman image exists "$image"; then
  echo "make-base-image: $image present ($(podman image inspect --format '{{.Created}}' "$image"))"
  exit 0
fi
for tool in debootstrap podman; do
  command -v "$tool" >/dev/null || { echo "make-base-image: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "make-base-image: debootstrap needs root" >&2; exit 1; }

root=$(mktemp -d /var/tmp/dtwin-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
start=$SECONDS
echo "make-base-image: debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# Smaller and reproducible-ish: no apt caches, lists or logs in the layer.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/*
cat >"$root/etc/apt/apt.conf.d/90container" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
CONF
tar --numeric-owner -C "$root" -c . |
  podman import --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "make-base-image: $image created in $((SECONDS - start)) s ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
