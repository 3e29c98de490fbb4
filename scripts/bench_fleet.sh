#!/usr/bin/env bash
# bench_fleet.sh [BUILD_DIR] - does a twin pod's DDS cost grow with the fleet?
#
# K "pods" = K network namespaces on one Linux bridge (itself in a namespace of
# its own: nothing touches the host's network), each running the processes a
# fleet pod runs -- the real `dtwin sim` (physics at FLEET_RTF, default 0.02,
# so that 64 twins fit 2 cores; discovery does not depend on it) and `dtwin
# sync`, + monitor and bridge where the design puts them -- with the Cyclone
# configuration the design gives it:
#
#   mesh  the fleet overlay before issue 16: every pod lists every twin pod
#         and the core pod (monitor + bridge) as DDS peers (gen-cyclonedds.sh
#         with all pods' addresses), one DDS domain for the whole fleet;
#   pair  deploy/k8s/overlays/fleet now: one DDS domain per robot/twin pair --
#         peers = the pod itself (+ its robot), domain tag dtwin-pair-<k>; the
#         pod runs sim, sync, monitor and bridge; fleet views from Prometheus.
#         It runs with the overlay's cyclonedds.xml file itself.
#
# Per design and K (FLEET_K, default "4 16 32 64"):
#   join    pod 0 restarted into the running fleet (FLEET_JOINS rounds, default
#           7): from its start until its observer (bench/tools/fleet_probe: one
#           more participant in the pod, same configuration) has discovered every
#           participant the configuration leads to (mesh: the whole fleet; pair:
#           its pair) and its pair's ROS nodes. Median, and "x ref": the median
#           ratio to a join into a reference fleet of the first K (its own
#           bridge, running alongside), joined alternately in the same rounds --
#           the same neighbours' CPU for both, so the ratio shows what the fleet
#           size costs, not what this shared machine was doing;
#   RSS     resident memory of a pod's processes (mean over pods);
#   net/s   frames a pod sends to the network per second in steady state
#           (switch port counters over FLEET_WINDOW_S, default 16 = two SPDP
#           periods, after FLEET_SETTLE_S, default 4); disc/s the part that is DDS
#           discovery (bench/tools/fleet_sniff.py: SPDP/SEDP ports); pod/s the
#           discovery frames a pod's processes send each other on its loopback;
#   CPU     of a pod's processes, steady state;
#   cold    all pods started at once, until the last pod's observer sees what it
#           must (2 cores host every pod: CPU-bound here; shown, not judged).
# Goal (issue 16), pair design at the last K: join "x ref" <= 1.2 and RSS per
# pod <= 1.2x the first K's. Prints both designs side by side and the verdict
# (exit 1 if missed). Needs root and iproute2 (skips with a message otherwise).
# Bounded: every wait has a timeout (FLEET_JOIN_TIMEOUT 30 s, FLEET_COLD_TIMEOUT
# 60 s; a timed-out join ends that K's joins, and after 3 rounds so does
# FLEET_JOIN_BUDGET, 45 s of joins) and a watchdog stops the run after
# FLEET_DEADLINE_S (900 s). Cleans up (its processes by pid, its namespaces).
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/.." || exit 1
src=$PWD
dtwin=$build/apps/dtwin/dtwin
probe=$build/bench/fleet_probe
snap=$build/bench/cpu_snap
sniff=$src/bench/tools/fleet_sniff.py
for f in "$dtwin" "$probe" "$snap"; do
  [[ -x $f ]] || { echo "bench_fleet: $f not built" >&2; exit 1; }
done
if [[ $(id -u) -ne 0 ]] || ! command -v ip > /dev/null; then
  echo "bench_fleet: skipped (needs root and iproute2 for network namespaces)"
  exit 0
fi
read -ra ks <<< "${FLEET_K:-4 16 32 64}"
read -ra designs <<< "${FLEET_DESIGNS:-mesh pair}"
joins=${FLEET_JOINS:-7}
join_timeout=${FLEET_JOIN_TIMEOUT:-30}
cold_timeout=${FLEET_COLD_TIMEOUT:-60}
join_budget=${FLEET_JOIN_BUDGET:-45} # seconds of joins per K, after 3 rounds
window=${FLEET_WINDOW_S:-16}
settle=${FLEET_SETTLE_S:-4}
rtf=${FLEET_RTF:-0.02}
deadline=${FLEET_DEADLINE_S:-900}
goal=1.2
tag=fl$$ # every namespace and link we make starts with it
tmp=$(mktemp -d)
pids=() # every process we started, for the trap
declare -A pod_pids=() cfgs=()
watchdog=

stop_pids() { # stop_pids PID...: TERM, then wait (KILL after 5 s)
  local p alive
  [[ $# -gt 0 ]] || return 0
  kill -TERM "$@" 2> /dev/null
  for _ in $(seq 50); do
    alive=0
    for p in "$@"; do kill -0 "$p" 2> /dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  kill -KILL "$@" 2> /dev/null
  for p in "$@"; do wait "$p" 2> /dev/null; done
  return 0
}
net_down() { # net_down PREFIX: delete our namespaces whose name starts with it
  local n
  for n in $(ip netns list | awk -v t="$1" 'index($1, t) == 1 {print $1}'); do
    ip netns del "$n" 2> /dev/null
  done
}
cleanup() {
  trap - EXIT INT TERM
  if [[ -n $watchdog ]]; then # the watchdog subshell and its sleep, by pid
    pkill -P "$watchdog" 2> /dev/null
    kill "$watchdog" 2> /dev/null
  fi
  stop_pids "${pids[@]}"
  net_down "$tag"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "bench_fleet: stopped (deadline ${deadline} s or signal)" >&2; exit 1' INT TERM
(sleep "$deadline" && kill -TERM $$) 2> /dev/null &
watchdog=$!

# ---- network: fleet F (m = measured, r = reference) = a bridge in namespace
# ${tag}Fsw and one namespace ${tag}Fp<k> (core: ${tag}Fc) per pod -------------
addr_of() { # pod index (or "core") -> its address (each fleet its own L2 segment)
  [[ $1 == core ]] && { echo 10.252.0.2; return; }
  echo "10.252.$((1 + $1 / 200)).$((10 + $1 % 200))"
}
ns_of() { [[ $2 == core ]] && echo "${tag}$1c" || echo "${tag}$1p$2"; }
net_up() { # net_up F WHO...
  local f=$1 who ns port sw=${tag}$1sw
  shift
  ip netns add "$sw" && ip -n "$sw" link add br0 type bridge && ip -n "$sw" link set br0 up ||
    return 1
  for who in "$@"; do
    ns=$(ns_of "$f" "$who")
    port=${tag}${f}h${who/core/c} # the switch's end of the pod's link
    ip netns add "$ns" || return 1
    ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6;
                                echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6'
    ip link add "$port" netns "$sw" type veth peer name eth0 netns "$ns" || return 1
    ip -n "$sw" link set "$port" master br0 up
    ip -n "$ns" addr add "$(addr_of "$who")/16" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
  done
}

# ---- the processes of one pod, as each design's manifests run them ---------
launch() { # launch F WHO NAME CMD...: start CMD in the pod's namespace, record its pid
  local f=$1 who=$2 name=$3
  shift 3
  ip netns exec "$(ns_of "$f" "$who")" env ORDINAL="$who" CYCLONEDDS_URI="file://${cfgs[$f]}" \
    ROS_DOMAIN_ID=0 ROS_DISTRO=humble DTW_LOG_LEVEL=warn "$@" >> "$tmp/$f.$who.$name.log" 2>&1 &
  pids+=($!)
  pod_pids[$f.$who]+=" $!"
}
conf=(--config "$src/deploy/k8s/base/dtwin.yaml")
start_pod() { # start_pod DESIGN F WHO
  local d=$1 f=$2 k=$3
  pod_pids[$f.$k]=""
  if [[ $k == core ]]; then # mesh only: the core pod without sync (the old fleet overlay)
    launch "$f" core monitor "$dtwin" monitor "${conf[@]}"
    launch "$f" core bridge "$dtwin" bridge "${conf[@]}"
    return
  fi
  launch "$f" "$k" sim "$dtwin" sim "${conf[@]}" --set "sim.namespace=/twin_$k" --set "sim.rtf=$rtf"
  launch "$f" "$k" sync "$dtwin" sync "${conf[@]}" --set "sync.robot_namespace=/robot_$k" \
    --set "sync.twin_namespace=/twin_$k"
  if [[ $d == pair ]]; then # as deploy/k8s/overlays/fleet/pair-pod.yaml
    launch "$f" "$k" monitor "$dtwin" monitor "${conf[@]}" \
      --set "monitor.expected_nodes=/twin_$k/digital_twin /synchronization_node" \
      --set "monitor.watched_topics=/twin_$k/joint_states /robot_$k/joint_states /sync/status"
    launch "$f" "$k" bridge "$dtwin" bridge "${conf[@]}"
  fi
}
stop_pod() { # stop_pod F WHO
  # shellcheck disable=SC2086
  stop_pids ${pod_pids[$1.$2]}
  pod_pids[$1.$2]=""
}
run_probe() { # run_probe DESIGN F K WHO SINCE_NS TIMEOUT &: the observer (replaces the subshell)
  local d=$1 f=$2 k=$3 who=$4 args
  if [[ $d == mesh ]]; then # everyone: core (2) + K pods x 2 + itself
    args=(--participants $((2 + 2 * k + 1)) --node "/twin_$who/digital_twin" --node /monitoring_node)
  else # its pair: sim, sync, monitor, bridge + itself
    args=(--participants 5 --node "/twin_$who/digital_twin" --node /synchronization_node
      --node /monitoring_node --node /unity_bridge)
  fi
  exec ip netns exec "$(ns_of "$f" "$who")" env CYCLONEDDS_URI="file://${cfgs[$f]}" \
    ROS_DOMAIN_ID=0 ORDINAL="$who" "$probe" "${args[@]}" --since-ns "$5" --timeout "$6"
}
secs_of() { sed -n 's/.* in \([0-9.]*\) s$/\1/p' <<< "$1"; }

# fleet_up DESIGN F K: network, configuration, every pod at once; writes the
# cold-start observer's line to $tmp/cold.F
fleet_up() {
  local d=$1 f=$2 k=$3 who t0 cp
  local names=()
  [[ $d == mesh ]] && names+=(core)
  for ((who = 0; who < k; who++)); do names+=("$who"); done
  if ! net_up "$f" "${names[@]}"; then
    echo "bench_fleet: cannot make network namespaces here" >&2
    return 1
  fi
  if [[ $d == mesh ]]; then
    cfgs[$f]=$tmp/mesh-$f.xml
    local peers=()
    for who in "${names[@]}"; do peers+=("$(addr_of "$who")"); done
    "$src/deploy/k8s/gen-cyclonedds.sh" "${peers[@]}" > "${cfgs[$f]}"
  else
    cfgs[$f]=$src/deploy/k8s/overlays/fleet/cyclonedds.xml
  fi
  t0=$(date +%s%N)
  run_probe "$d" "$f" "$k" $((k - 1)) "$t0" "$cold_timeout" > "$tmp/cold.$f" 2>&1 &
  cp=$!
  pids+=("$cp")
  for who in "${names[@]}"; do start_pod "$d" "$f" "$who"; done
  wait "$cp"
}
fleet_down() { # fleet_down F: all its processes at once, then its namespaces
  local key all=()
  for key in "${!pod_pids[@]}"; do
    if [[ $key == "$1".* ]]; then
      # shellcheck disable=SC2206
      all+=(${pod_pids[$key]})
      unset "pod_pids[$key]"
    fi
  done
  stop_pids "${all[@]}"
  net_down "${tag}$1"
}
join_s=
join() { # join DESIGN F K: restart pod 0 of fleet F; join_s = seconds, or "inf" on timeout
  local d=$1 f=$2 k=$3 t0 jp line s
  stop_pod "$f" 0
  sleep 0.5
  t0=$(date +%s%N)
  run_probe "$d" "$f" "$k" 0 "$t0" "$join_timeout" > "$tmp/join" 2>&1 &
  jp=$!
  pids+=("$jp")
  start_pod "$d" "$f" 0
  wait "$jp"
  line=$(cat "$tmp/join")
  [[ -n ${FLEET_VERBOSE:-} ]] && echo "    join $f K=$k: $line" >&2
  s=$(secs_of "$line")
  join_s=${s:-inf}
  sleep 0.5
}

pod_rss_kb() { # pod_rss_kb F WHO: sum of VmRSS of the pod's processes
  local p sum=0 kb
  for p in ${pod_pids[$1.$2]}; do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2> /dev/null)
    sum=$((sum + ${kb:-0}))
  done
  echo "$sum"
}
cpu_ticks() { # utime+stime of the given pids
  local p sum=0 t
  for p in "$@"; do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2> /dev/null)
    sum=$((sum + ${t:-0}))
  done
  echo "$sum"
}
udp_errors() { # udp_errors F WHO...: datagrams the pods' kernels dropped, "RECEIVE/SEND"
  local f=$1 who rx=0 tx=0 n
  shift
  for who in "$@"; do
    # shellcheck disable=SC2016 # awk's fields
    read -ra n <<< "$(ip netns exec "$(ns_of "$f" "$who")" \
      awk '/^Udp:/ && $2 ~ /^[0-9]/ {print $4, $7}' /proc/net/snmp)"
    rx=$((rx + ${n[0]:-0})) tx=$((tx + ${n[1]:-0}))
  done
  echo "$rx/$tx"
}
pod_frames() { # frames the twin pods of fleet m sent into the switch (port rx counters)
  ip netns exec "${tag}msw" sh -c "cat /sys/class/net/${tag}mh[0-9]*/statistics/rx_packets" |
    awk '{s += $1} END {print s + 0}'
}

# ---- one design at one K (fleet m, reference fleet r running alongside) ----
run_one() {
  local d=$1 k=$2 kref=$3 i line snap0 cold
  snap0=$("$snap")
  fleet_up "$d" m "$k" || return 1
  line=$(cat "$tmp/cold.m")
  cold=$(secs_of "$line")
  [[ -n $cold ]] || cold=">$cold_timeout"
  [[ -n ${FLEET_VERBOSE:-} ]] && echo "    cold start K=$k: $line"
  sleep "$settle"

  # steady state: frames the pods send (exact counts; kinds from the sniffer),
  # discovery inside the last pod, CPU of the pods' processes, then memory
  local all=() ps c0 c1 f0 f1 traffic lp rss=0
  for ((i = 0; i < k; i++)); do
    read -ra ps <<< "${pod_pids[m.$i]}"
    all+=("${ps[@]}")
  done
  c0=$(cpu_ticks "${all[@]}")
  f0=$(pod_frames)
  ip netns exec "$(ns_of m $((k - 1)))" python3 "$sniff" lo "$window" > "$tmp/local" &
  lp=$!
  pids+=("$lp")
  traffic=$(ip netns exec "${tag}msw" python3 "$sniff" "${tag}mh" "$window")
  f1=$(pod_frames)
  wait "$lp"
  c1=$(cpu_ticks "${all[@]}")
  for ((i = 0; i < k; i++)); do rss=$((rss + $(pod_rss_kb m "$i"))); done

  # joins, alternating with the reference fleet (which one first alternates too)
  local tm tr pairs=() t_joins=$SECONDS
  for ((i = 0; i < joins; i++)); do
    if ((i % 2)); then
      join "$d" m "$k" && tm=$join_s
      join "$d" r "$kref" && tr=$join_s
    else
      join "$d" r "$kref" && tr=$join_s
      join "$d" m "$k" && tm=$join_s
    fi
    pairs+=("$tm:$tr")
    [[ $tm == inf ]] && break
    ((i >= 2 && SECONDS - t_joins > join_budget)) && break # slow joins: 3 rounds will do
  done
  local names=() udp neighbours
  [[ $d == mesh ]] && names+=(core)
  for ((i = 0; i < k; i++)); do names+=("$i"); done
  udp=$(udp_errors m "${names[@]}")
  neighbours=$("$snap" "$snap0" "$("$snap")")

  local trf lo
  read -ra trf <<< "${traffic:-total 0 disc 0 data 0 icmp 0 other 0 dropped 0}"
  read -ra lo < "$tmp/local"
  python3 - "$tmp/res.$d.$k" "$d" "$k" "$cold" "$rss" "${#all[@]}" "$((f1 - f0))" \
    "${trf[1]}" "${trf[3]}" "${trf[5]}" "${trf[7]}" "$window" "$((c1 - c0))" \
    "$(getconf CLK_TCK)" "$udp" "$neighbours" "${lo[3]:-0}" "${pairs[@]}" << 'EOF'
import math, statistics, sys
(out, d, k, cold, rss, procs, frames, stot, sdisc, sdata, sicmp, win, ticks, hz, udp,
 neighbours, local) = sys.argv[1:18]
pairs = [tuple(float(x) for x in p.split(":")) for p in sys.argv[18:]]
k, rss, procs, frames, win = int(k), int(rss), int(procs), int(frames), float(win)
stot, sdisc, sdata, sicmp = int(stot), int(sdisc), int(sdata), int(sicmp)
med = lambda v: statistics.median(v) if v else math.inf
tm = med([m for m, _ in pairs])
tref = med([r for _, r in pairs])
xref = med([m / r if r > 0 else math.inf for m, r in pairs])
pps = frames / k / win
share = (lambda n: pps * n / stot) if stot else (lambda n: 0.0)
v = dict(d=d, k=k, cold=cold, join=f"{tm:.3f}", xref=f"{xref:.2f}", ref=f"{tref:.3f}",
         n=len(pairs), rss=f"{rss / k / 1024:.1f}", rssp=f"{rss / procs / 1024:.1f}",
         pps=f"{pps:.1f}", disc=f"{share(sdisc):.1f}", data=f"{share(sdata):.1f}",
         icmp=f"{share(sicmp):.1f}", local=f"{int(local) / win:.1f}",
         cpu=f"{int(ticks) / int(hz) / win / k * 1000:.1f}", udp=udp)
open(out, "w").write(" ".join(f"{a}={b}" for a, b in v.items()) + "\n")
print(f"  {d} K={k}: join {v['join']} s ({len(pairs)} rounds; reference fleet {v['ref']} s,"
      f" ratio {v['xref']}), RSS {v['rss']} MiB/pod ({v['rssp']} per process),"
      f" {v['pps']} frames/s/pod to the network ({v['disc']} discovery, {v['data']} data,"
      f" {v['icmp']} ICMP), {v['local']} discovery frames/s inside the pod, CPU {v['cpu']}"
      f" ms/s/pod, cold start {cold} s, UDP drops receive/send {udp}; {neighbours}")
EOF
  fleet_down m
}

echo "fleet: K pods in network namespaces on one bridge; sim at rtf $rtf; $joins join rounds"
for d in "${designs[@]}"; do
  fleet_up "$d" r "${ks[0]}" || exit 1 # the reference fleet, for the whole design
  for k in "${ks[@]}"; do
    run_one "$d" "$k" "${ks[0]}" || exit 1
  done
  fleet_down r
done

# ---- both designs side by side, and the verdict --------------------------
python3 - "$goal" "$tmp" "${designs[*]}" "${ks[*]}" << 'EOF'
import math, os, sys
goal, tmp, designs, ks = float(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
res = {}
for d in designs:
    for k in ks:
        f = os.path.join(tmp, f"res.{d}.{k}")
        if os.path.exists(f):
            res[d, k] = dict(kv.split("=", 1) for kv in open(f).read().split())
print()
print("per pod: join s = restarted into the running fleet until it has discovered what its")
print(f"configuration leads to (median), x ref = its ratio to joins into a {ks[0]}-pod fleet in")
print("the same rounds; RSS of its processes; net/s frames it sends to the network, disc/s")
print("of them DDS discovery, pod/s discovery frames inside the pod (loopback); CPU ms/s of")
print("its processes (steady state); cold s = whole fleet started at once (CPU-bound here)")
cols = [("join s", "join", 7), ("x ref", "xref", 6), ("RSS MiB", "rss", 8), ("net/s", "pps", 7),
        ("disc/s", "disc", 7), ("pod/s", "local", 6), ("CPU ms/s", "cpu", 8), ("cold s", "cold", 6)]
print(f"{'':5}" + "".join(f"| {d + ':':<5}" + "".join(f"{h:>{w + 1}}" for h, _, w in cols) + " "
                          for d in designs))
for k in ks:
    row = f"K={k:<3}"
    for d in designs:
        r = res.get((d, k))
        row += f"| {'':5}" + "".join(f"{(r[key] if r else '-'):>{w + 1}}" for _, key, w in cols) + " "
    print(row)
ok = True
lo, hi = ks[0], ks[-1]
for d in designs:
    a, b = res.get((d, lo)), res.get((d, hi))
    if not a or not b or lo == hi:
        continue
    ratio = lambda key: float(b[key]) / float(a[key]) if float(a[key]) else math.nan
    rx, rr = float(b["xref"]), ratio("rss")
    verdict = ""
    if d == "pair":
        good = rx <= goal and rr <= goal
        ok = ok and good
        verdict = f"  (goal <= {goal}x: {'ok' if good else 'FAIL'})"
    print(f"{d}: K={hi} vs K={lo}: join time {rx:.2f}x (side by side; {ratio('join'):.2f}x"
          f" between runs), RSS per pod {rr:.2f}x, frames/s per pod {ratio('pps'):.2f}x{verdict}")
sys.exit(0 if ok else 1)
EOF
