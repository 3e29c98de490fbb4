#!/usr/bin/env bash
# DDS across "hosts" without multicast, as in a Kubernetes cluster: two network
# namespaces joined by a veth pair, the twin (`dtwin sim`) in pod A, a subscriber
# (`dtwin topic echo/hz`) in pod B, each with the Cyclone configuration that
# deploy/k8s/gen-cyclonedds.sh generates (AllowMulticast false, ParticipantIndex
# auto, Peers = the other side's address). Topics must cross; with the peers
# removed (and multicast still off) they must not.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null; then
  echo "SKIP: needs root and iproute2 to make network namespaces"; exit 77
fi
tag=dtw$$
nsa=${tag}a nsb=${tag}b
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del "$nsa" 2>/dev/null; ip netns del "$nsb" 2>/dev/null
  rm -rf "$tmp" "$out_file"
}
trap cleanup EXIT
if ! ip netns add "$nsa" 2>"$tmp/err" || ! ip netns add "$nsb" 2>>"$tmp/err"; then
  echo "SKIP: cannot create network namespaces here: $(head -1 "$tmp/err")"; exit 77
fi
# 10.253.x addresses live only inside the two namespaces
ip link add "${tag}va" type veth peer name "${tag}vb"
ip link set "${tag}va" netns "$nsa"; ip link set "${tag}vb" netns "$nsb"
ip -n "$nsa" addr add 10.253.7.1/24 dev "${tag}va"; ip -n "$nsb" addr add 10.253.7.2/24 dev "${tag}vb"
for n in "$nsa" "$nsb"; do ip -n "$n" link set lo up; done
ip -n "$nsa" link set "${tag}va" up; ip -n "$nsb" link set "${tag}vb" up
# no multicast on the link at all: what most CNIs give a pod
ip -n "$nsa" link set "${tag}va" multicast off; ip -n "$nsb" link set "${tag}vb" multicast off

gen=deploy/k8s/gen-cyclonedds.sh
$gen --interface "${tag}va" 10.253.7.2 >"$tmp/a.xml"
$gen --interface "${tag}vb" 10.253.7.1 >"$tmp/b.xml"
$gen --interface "${tag}vb" 10.253.7.99 >"$tmp/b-nopeer.xml"   # a peer that is not there
expect 0 'AllowMulticast>false' -- grep AllowMulticast "$tmp/a.xml"
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-42}

# pod A: the twin
ip netns exec "$nsa" env CYCLONEDDS_URI="file://$tmp/a.xml" \
  "$DTWIN" sim --set dtwin.http_port=0 >"$tmp/sim.log" 2>&1 &
pids+=($!)
sleep 2
kill -0 "${pids[0]}" 2>/dev/null || { echo "FAIL: dtwin sim exited"; cat "$tmp/sim.log"; exit 1; }

# pod B: the twin's joint states and clock arrive over unicast discovery
expect 0 'name:' -- ip netns exec "$nsb" env CYCLONEDDS_URI="file://$tmp/b.xml" \
  "$DTWIN" topic echo /twin/joint_states --count 2 --duration 20
expect 0 '[0-9.]+' -- ip netns exec "$nsb" env CYCLONEDDS_URI="file://$tmp/b.xml" \
  "$DTWIN" topic hz /twin/joint_states --duration 4
if kill -0 "${pids[0]}" 2>/dev/null; then
  echo "ok: dtwin sim still running"; n_pass=$((n_pass + 1))
else
  echo "FAIL: dtwin sim died"; n_fail=$((n_fail + 1))
fi
# ... and nothing crosses when neither side lists the other (proves multicast is
# not what carried them: one side knowing the other is enough for unicast)
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null
$gen --interface "${tag}va" 10.253.7.98 >"$tmp/a-nopeer.xml"
ip netns exec "$nsa" env CYCLONEDDS_URI="file://$tmp/a-nopeer.xml" \
  "$DTWIN" sim --set dtwin.http_port=0 >"$tmp/sim2.log" 2>&1 &
pids+=($!)
sleep 2
expect 1 '' -- ip netns exec "$nsb" env CYCLONEDDS_URI="file://$tmp/b-nopeer.xml" \
  "$DTWIN" topic echo /twin/joint_states --count 1 --duration 4
finish
