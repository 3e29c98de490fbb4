#!/usr/bin/env bash
# What Foxglove's 3D panel needs, with Foxglove's client library and a URDF
# parser in headless Chromium (web/test/foxglove_3d.mjs): the robot and twin
# URDFs (links named as /tf names them, a tree as /tf is), their meshes through
# fetchAsset, and urdf-loader's link poses matching /tf. For the demo humanoid
# (primitives) and, with the corpus (DTW_ROBOT_CORPUS), robots with meshes from
# an MJCF (H1) and a URDF (G1). 77 = cannot run here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${DTW_SOURCE_DIR:-$here/../..}
out=${DTW_BUILD_DIR:-/tmp}/test-artifacts/viewer-urdf
[[ -x /usr/bin/chromium ]] || { echo "SKIP: no /usr/bin/chromium (apt-get install chromium)"; exit 77; }
command -v node >/dev/null || { echo "SKIP: no node"; exit 77; }
"$src/scripts/web-deps.sh" || { echo "SKIP: web dependencies (npm ci) unavailable"; exit 77; }
log=$(mktemp)
pid=""
trap '[[ -n "$pid" ]] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -f "$log"' EXIT

# check_robot NAME ARGS...: dtwin up ARGS, then foxglove_3d.mjs against its viewer
check_robot() {
  local name=$1; shift
  echo "== $name"
  # a fresh log: the background start may truncate it only after the loop
  # below has read the previous robot's address from it
  rm -f "$log"; log=$(mktemp)
  "$DTWIN" up --duration 240 --quiet --set viewer.port=0 --set bridge.port=0 \
    --set dtwin.http_port=0 "$@" >"$log" 2>&1 &
  pid=$!
  local url="" i
  for ((i = 0; i < 600; i++)); do
    url=$(grep -o 'viewer at http://[^ ]*' "$log" | head -1 | cut -d' ' -f3 || true)
    [[ -n "$url" ]] && break
    kill -0 $pid 2>/dev/null || { cat "$log"; echo "FAIL: $name: dtwin up exited"; exit 1; }
    sleep 0.1
  done
  [[ -n "$url" ]] || { cat "$log"; echo "FAIL: $name: no viewer address printed"; exit 1; }
  if ! (cd "$src/web/test" && node foxglove_3d.mjs "ws://${url#http://}" "$url" "$out"); then
    # say whether dtwin up is still there, and what it said
    local st=0
    kill -0 $pid 2>/dev/null || { wait $pid || st=$?; echo "dtwin up exited with status $st"; }
    tail -n 40 "$log"
    echo "FAIL: $name"; exit 1
  fi
  kill $pid; wait $pid 2>/dev/null || true
  pid=""
}

check_robot "demo humanoid (xacro, primitives)"
corpus=${DTW_ROBOT_CORPUS:-}
if [[ -d $corpus/h1_description ]]; then
  export ROS_PACKAGE_PATH=$corpus
  check_robot "Unitree H1 (MJCF, STL meshes)" --model "$corpus/h1_description/mjcf/h1.xml"
  check_robot "Unitree G1 (URDF, STL meshes)" --model "$corpus/g1_description/g1_23dof.urdf"
else
  echo "not run: the robots with meshes (no corpus at '${corpus}', DTW_ROBOT_CORPUS)"
fi
