#!/usr/bin/env bash
# Install the Debian 12 packages dtwin needs to build, test and run.
# Idempotent: installs only what is missing and says what it installs.
# Usage: scripts/install-deps.sh [--check]   (--check: list what is missing, exit 1 if any)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git clang libclang-rt-14-dev
  # runtime libraries (why each: docs/dependencies.md)
  libmujoco-dev cyclonedds-dev cyclonedds-tools libxml2-dev libyaml-dev libassimp-dev libxxhash-dev
  libmicrohttpd-dev libcjson-dev libcurl4-openssl-dev libwebsockets-dev libzstd-dev liblz4-dev libdeflate-dev
  # tests: cmocka, promtool and a real Prometheus server, HTTP and process tools
  libcmocka-dev prometheus yamllint python3 python3-yaml curl procps iproute2
  # the viewer's browser test (headless Chromium; node + npm come with the image)
  chromium
  # container image and local deployment (make image, scripts/deploy.sh --target local);
  # runc: crun 1.8 fails on hybrid cgroups (deploy/podman/containers.conf)
  podman runc buildah debootstrap uidmap slirp4netns fuse-overlayfs catatonit util-linux shellcheck
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "install-deps: missing: ${missing[*]}"
  exit 1
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install packages" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh package lists only when apt has none or they are older than a day.
if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mtime -1 2>/dev/null | head -1)" ]]; then
  $sudo apt-get update -q
fi
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
# The prometheus package starts a system service; tests start their own server.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
  $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
echo "install-deps: done"
