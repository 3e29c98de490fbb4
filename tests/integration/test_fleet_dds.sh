#!/usr/bin/env bash
# The fleet overlay's DDS configuration (deploy/k8s/overlays/fleet/cyclonedds.xml,
# used as is): one DDS domain per robot/twin pair. Two network namespaces joined
# by a veth: pod A runs the twin of pair 3 (ORDINAL=3, its robot's address in
# DTW_ROBOT_PEER = namespace B); B plays robots. Checks that
#  - inside pod A, a process of pair 3 gets the twin's joint states (peer
#    localhost), one with ORDINAL=4 does not (domain tag dtwin-pair-4), though
#    it shares the pod's network namespace;
#  - the robot of pair 3 in B (tag dtwin-pair-3, no peers of its own that exist)
#    gets them: the pod lists its robot, one side knowing the other is enough;
#  - a robot of another pair at that same address (tag dtwin-pair-4) does not,
#    though the pod sends it discovery.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null; then
  echo "SKIP: needs root and iproute2 to make network namespaces"; exit 77
fi
tag=dtf$$
nsa=${tag}a nsb=${tag}b
tmp=$(mktemp -d)
sim_pid=
cleanup() {
  [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  ip netns del "$nsa" 2>/dev/null; ip netns del "$nsb" 2>/dev/null
  rm -rf "$tmp" "$out_file"
}
trap cleanup EXIT
if ! ip netns add "$nsa" 2>"$tmp/err" || ! ip netns add "$nsb" 2>>"$tmp/err"; then
  echo "SKIP: cannot create network namespaces here: $(head -1 "$tmp/err")"; exit 77
fi
# 10.253.8.x addresses live only inside the two namespaces; eth0 as in a pod
ip link add eth0 netns "$nsa" type veth peer name eth0 netns "$nsb"
ip -n "$nsa" addr add 10.253.8.1/24 dev eth0; ip -n "$nsb" addr add 10.253.8.2/24 dev eth0
for n in "$nsa" "$nsb"; do ip -n "$n" link set lo up; ip -n "$n" link set eth0 up; done

fleet=$PWD/deploy/k8s/overlays/fleet/cyclonedds.xml
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-43}
ip netns exec "$nsa" env CYCLONEDDS_URI="file://$fleet" ORDINAL=3 DTW_ROBOT_PEER=10.253.8.2 \
  "$DTWIN" sim --set dtwin.http_port=0 --set sim.namespace=/twin_3 --set sim.rtf=0.1 \
  >"$tmp/sim.log" 2>&1 &
sim_pid=$!

echo_in() { # echo_in NS ENV... : one joint state of the twin within $wait_s s
  local ns=$1; shift
  ip netns exec "$ns" env "$@" "$DTWIN" topic echo /twin_3/joint_states \
    --type sensor_msgs/msg/JointState --count 1 --duration "${wait_s:-8}"
}
expect 0 'name:' -- echo_in "$nsa" CYCLONEDDS_URI="file://$fleet" ORDINAL=3
expect 1 '' -- echo_in "$nsa" CYCLONEDDS_URI="file://$fleet" ORDINAL=4
# the robots' side: a tag and a peer that is nobody (only the pod knows them)
deploy/k8s/gen-cyclonedds.sh --tag dtwin-pair-3 10.253.8.99 >"$tmp/robot3.xml"
deploy/k8s/gen-cyclonedds.sh --tag dtwin-pair-4 10.253.8.99 >"$tmp/robot4.xml"
# a robot nobody lists hears of the pod at the pod's next periodic announcement
# (periodic, seconds apart): wait for it up to 30 s, not a fixed 8 s
wait_s=30 expect 0 'name:' -- echo_in "$nsb" CYCLONEDDS_URI="file://$tmp/robot3.xml"
expect 1 '' -- echo_in "$nsb" CYCLONEDDS_URI="file://$tmp/robot4.xml"
if kill -0 "$sim_pid" 2>/dev/null; then
  echo "ok: dtwin sim still running"; n_pass=$((n_pass + 1))
else
  echo "FAIL: dtwin sim died"; sed 's/^/    /' "$tmp/sim.log" | head; n_fail=$((n_fail + 1))
fi
finish
