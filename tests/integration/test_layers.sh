#!/usr/bin/env bash
# The layering rules of docs/architecture.md and src/CMakeLists.txt, checked on
# the sources and on the built static libraries (nm):
#  - only src/bus includes DDS, only src/sim MuJoCo, only src/hclient libcurl;
#  - the bridge's transport and queue know no ROS, its session/router/calls make
#    no socket calls;
#  - no source file includes another directory's internal header;
#  - the libraries' symbol references form no cycle, and the node layer
#    (dtw_node) references neither libcurl nor the health-check client;
#  - no source file in src/ is over 800 lines, except the two xacro interpreters.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
build=${DTW_BUILD_DIR:?DTW_BUILD_DIR must point at the build directory}
command -v nm >/dev/null || { echo "SKIP: nm not installed"; exit 77; }

# only_in PATTERN DIR: files of src/ apps/ include/ whose #include lines match, outside DIR
only_in() {
  grep -rlE "^#include [<\"]$1" src apps include --include='*.[ch]' | grep -v "^$2/" || true
}
expect 0 '' -- test -z "$(only_in 'dds/' src/bus)"
expect 0 '' -- test -z "$(only_in 'mujoco' src/sim)"
expect 0 '' -- test -z "$(only_in 'curl/' src/hclient)"
# the transport and its queue: no ROS (bus, names, the codec's commands)
expect 1 '' -- grep -lE '#include "(dtw/bus|dtw/ros_names|dtw/bridge)' \
  src/bridge/bridge__transport.h src/bridge/bridge_transport.c \
  src/bridge/bridge__queue.h src/bridge/bridge_queue.c
# the session, router and call table: no socket I/O of their own
expect 1 '' -- grep -nE '\b(send|sendmsg|recv|accept4?|epoll_[a-z]+|socket|write|read)\(' \
  src/bridge/bridge_session.c src/bridge/bridge_router.c src/bridge/bridge_calls.c
# internal headers (src/<dir>/<dir>__*.h) stay in their directory
cross=$(grep -rnE '#include "[a-z]+/[a-z_]+__[a-z_]+\.h"' src apps || true)
expect 0 '' -- test -z "$cross"

# symbol references between the libraries
libs=()
for l in "$build"/src/libdtw_*.a "$build"/src/bus/libdtw_*.a; do [[ -f $l ]] && libs+=("$l"); done
expect 0 '' -- test "${#libs[@]}" -ge 8
graph=$(mktemp)
trap 'rm -f "$graph" "$out_file"' EXIT
for l in "${libs[@]}"; do
  name=$(basename "$l" .a)
  nm -g --defined-only "$l" 2>/dev/null | awk -v n="${name#lib}" 'NF==3 {print "D", n, $3}'
  nm -g --undefined-only "$l" 2>/dev/null | awk -v n="${name#lib}" 'NF==2 {print "U", n, $2}'
done >"$graph"
expect 0 "no cycle" -- python3 - "$graph" <<'EOF'
import sys
owner, refs = {}, []
for line in open(sys.argv[1]):
    kind, lib, sym = line.split()
    if kind == "D":
        owner[sym] = lib
    else:
        refs.append((lib, sym))
deps = {}
for lib, sym in refs:
    o = owner.get(sym)
    if o and o != lib:
        deps.setdefault(lib, set()).add(o)
for lib in sorted(deps):
    print(lib, "->", " ".join(sorted(deps[lib])))
state = {}
def visit(n, path):
    state[n] = 1
    for m in deps.get(n, ()):
        if state.get(m) == 1:
            sys.exit("cycle: " + " -> ".join(path + [n, m]))
        if m not in state:
            visit(m, path + [n])
    state[n] = 2
for n in list(deps):
    if n not in state:
        visit(n, [])
print("no cycle")
EOF
node_refs=$(nm -g --undefined-only "$build/src/libdtw_node.a" | awk '{print $2}' | sort -u)
expect 1 '' -- grep -E '^(curl_|dtw_hclient_|dtw_k8s_|dtw_hcheck_)' <<<"$node_refs"
expect 0 '' -- grep -q '^dtw_bridge_server_create$' <<<"$node_refs" # the check sees references
# the robot emulator component (src/robot) sits below the nodes: no bus, no metrics
emu_refs=$(nm -g --undefined-only "$build/src/libdtw_robot_emu.a" | awk '{print $2}' | sort -u)
expect 1 '' -- grep -E '^(dds_|dtw_bus_|dtw_pub_|dtw_sub_|dtw_metrics_|dtw_counter_|dtw_gauge_|dtw_health_|dtw__twin_node_)' <<<"$emu_refs"
expect 0 '' -- grep -q '^dtw_twin_sim$' <<<"$emu_refs" # the check sees references

# file length: only the two xacro interpreters (elements, expressions) may pass 800 lines
long=$(find src -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 800 {print $2}' |
  grep -vE '^src/model/xacro(_eval)?\.c$' || true)
expect 0 '' -- test -z "$long"
[[ -n "$long" ]] && echo "    over 800 lines: $long"
finish
