#!/usr/bin/env bash
# dtwin monitor over real DDS (loopback, this test's domain): a live scrape
# passes promtool; /twin/digital_twin is up and /twin/joint_states arrives at
# the rate the sim publishes it (~500 Hz); bad HTTP requests get 404/405 without disturbing concurrent scrapes;
# stopping the sim makes the node down and the topic quiet (with log lines).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap 'cleanup; rm -f "$out_file"' EXIT

"$DTWIN" sim --quiet --duration 120 --set dtwin.http_port=0 >"$work/sim.log" 2>&1 &
sim=$!; pids+=("$sim")
"$DTWIN" monitor --set dtwin.http_port=0 >"$work/monitor.log" 2>&1 &
mon=$!; pids+=("$mon")
sim_url=$(url_of "$work/sim.log")
mon_url=$(url_of "$work/monitor.log")
if [[ -z $sim_url || -z $mon_url ]]; then
  echo "FAIL: no endpoint URL printed"; cat "$work/sim.log" "$work/monitor.log"; exit 1
fi
echo "sim at $sim_url, monitor at $mon_url"

L='node="/monitoring_node"'
node_up() { [[ $(metric "$mon_url" "dtwin_graph_node_up{$L,ros_node=\"/twin/digital_twin\"}") == 1 ]]; }
# The monitor's rate must be what the sim publishes: its own counter over a
# second (500 Hz when the machine keeps up; a loaded one runs slower, and
# the monitor must see that too), within 25% + 20 Hz.
published() { metric "$sim_url" 'dtwin_messages_published_total{node="/twin/digital_twin",topic="/twin/joint_states"}'; }
rate_ok() {
  local c1 t1 c2 t2 r
  c1=$(published); t1=$(date +%s.%N); sleep 1; c2=$(published); t2=$(date +%s.%N)
  r=$(metric "$mon_url" "dtwin_topic_rate_hz{$L,topic=\"/twin/joint_states\"}")
  [[ -n $c1 && -n $c2 && -n $r ]] || return 1
  awk -v r="$r" -v c1="$c1" -v c2="$c2" -v t1="$t1" -v t2="$t2" 'BEGIN{
    e = (c2 - c1) / (t2 - t1)
    printf "monitor %.1f Hz, sim published %.1f Hz\n", r, e
    d = r - e; if (d < 0) d = -d
    exit !(e > 0 && d <= 0.25 * e + 20)}'
}
expect 0 '' -- wait_until 40 node_up
expect 0 '' -- wait_until 60 rate_ok
echo "rate: $(metric "$mon_url" "dtwin_topic_rate_hz{$L,topic=\"/twin/joint_states\"}") Hz"
expect 0 '' -- test "$(metric "$mon_url" "dtwin_topic_publishers{$L,topic=\"/twin/joint_states\"}")" = 1
expect 0 '' -- test "$(metric "$mon_url" "dtwin_topic_quiet{$L,topic=\"/twin/joint_states\"}")" = 0
expect 0 '' -- test "$(metric "$mon_url" "dtwin_graph_node_up{$L,ros_node=\"/synchronization_node\"}")" = 0

# (i) the exposition lints clean
curl -s --max-time 2 "$mon_url/metrics" >"$work/scrape.txt"
if command -v promtool >/dev/null; then
  lint() { promtool check metrics <"$1"; }
  expect 0 '' -- lint "$work/scrape.txt"
else
  echo "skip: promtool not installed (Debian package prometheus)"
fi

# (iv) bad requests, concurrently with scrapes
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@"; }
expect 0 '^404$' -- status "$mon_url/nope"
expect 0 '^405$' -- status -X POST "$mon_url/metrics"
( for _ in $(seq 50); do status "$mon_url/nope" >/dev/null; status -X POST -d x "$mon_url/metrics" >/dev/null; done ) &
bad=$!
scrapes_ok() {
  for _ in $(seq 20); do
    curl -sf --max-time 2 "$mon_url/metrics" | grep -q '^dtwin_graph_nodes{' || return 1
  done
}
expect 0 '' -- scrapes_ok
wait "$bad"
expect 0 '^200$' -- status "$mon_url/metrics"

# (ii) the sim stops: node down, topic quiet, both logged
kill -INT "$sim"; wait "$sim"
node_down() { [[ $(metric "$mon_url" "dtwin_graph_node_up{$L,ros_node=\"/twin/digital_twin\"}") == 0 ]]; }
topic_quiet() { [[ $(metric "$mon_url" "dtwin_topic_quiet{$L,topic=\"/twin/joint_states\"}") == 1 ]]; }
expect 0 '' -- wait_until 15 node_down
expect 0 '' -- wait_until 10 topic_quiet
expect 0 'expected node /twin/digital_twin is down' -- cat "$work/monitor.log"
expect 0 'topic /twin/joint_states is quiet' -- cat "$work/monitor.log"

kill -INT "$mon"
expect 0 '' -- wait "$mon"
pids=()
finish
