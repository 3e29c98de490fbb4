#!/usr/bin/env bash
# The dtwin command line: help, version, exit codes, and clear messages for bad
# models and bad configuration (exit 2, naming file, line and element).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
D=$DTW_TEST_DATA/cli
cd "$DTW_SOURCE_DIR" || exit 1

expect 0 '^dtwin [0-9]+\.[0-9]+\.[0-9]+' -- "$DTWIN" --version
expect 0 'usage: dtwin' -- "$DTWIN" --help
expect 2 'unknown command' -- "$DTWIN" frobnicate
expect 2 'usage: dtwin' -- "$DTWIN"
for cmd in sim demo config model; do
  expect 0 "usage: dtwin $cmd" -- "$DTWIN" "$cmd" --help
done

# configuration
expect 0 'config/dtwin.yaml: ok' -- "$DTWIN" config check config/dtwin.yaml
expect 2 'bad_params.yaml:5: sim.rtff' -- "$DTWIN" config check "$D/bad_params.yaml"
expect 2 'bad_params.yaml:6: sim.base' -- "$DTWIN" config check "$D/bad_params.yaml"
expect 2 'bad_params.yaml:7: sim.armature' -- "$DTWIN" config check "$D/bad_params.yaml"
expect 2 'bad_syntax.yaml:[0-9]+' -- "$DTWIN" config check "$D/bad_syntax.yaml"
fifo=$(mktemp -u); mkfifo "$fifo"
expect 2 'not a regular file' -- timeout 10 "$DTWIN" config check "$fifo"
expect 2 'not a regular file' -- timeout 10 "$DTWIN" model check "$fifo"
rm -f "$fifo"
# names: a link name longer than the twin carries is refused with file:line, and a
# duplicate among thousands of links is found (by a name index, in linear time)
big=$(mktemp --suffix=.urdf)
{
  echo '<robot name="star">'
  printf '<link name="%s"/>\n' "$(printf 'x%.0s' {1..5000})"
  echo '</robot>'
} >"$big"
expect 2 "$(basename "$big"):2: link 'x{40}...': name longer than 63 characters" -- \
  "$DTWIN" model check "$big"
{
  echo '<robot name="star"><link name="base"/>'
  for ((i = 0; i < 5000; i++)); do
    printf '<link name="l%d"/><joint name="j%d" type="fixed"><parent link="base"/><child link="l%d"/></joint>\n' "$i" "$i" "$i"
  done
  echo '<link name="l4321"/></robot>'
} >"$big"
expect 2 "link 'l4321': name already used by the link at line 4323" -- \
  timeout 20 "$DTWIN" model check "$big"
# more joints than a twin carries: not "ok" (a 70-link chain of revolute joints)
{
  echo '<robot name="chain"><link name="l0"/>'
  for ((i = 1; i <= 70; i++)); do
    printf '<link name="l%d"><inertial><mass value="0.1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>' "$i"
    printf '<joint name="j%d" type="revolute"><parent link="l%d"/><child link="l%d"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint>\n' "$i" "$((i - 1))" "$i"
  done
  echo '</robot>'
} >"$big"
expect 2 "robot 'chain' has 70 actuated joints, more than the 64 a twin carries" -- \
  "$DTWIN" model check "$big"
rm -f "$big"
expect 2 "bad_node_name.yaml:4: sim.node_name: node name 'bad name'" -- "$DTWIN" config check "$D/bad_node_name.yaml"
expect 2 'bad_node_name.yaml:5: sim.remappings: .*oops' -- "$DTWIN" config check "$D/bad_node_name.yaml"
expect 2 'sim.rtf' -- "$DTWIN" sim --set sim.rtf=fast --duration 0.01 --set dtwin.http_port=0
expect 2 'sim.rtf' -- "$DTWIN" sim --set sim.rtf=1000 --duration 0.01 --set dtwin.http_port=0
expect 2 'bad_params.yaml:5' -- "$DTWIN" sim --config "$D/bad_params.yaml" --duration 0.01 --set dtwin.http_port=0
expect 2 '[Nn]o such file' -- "$DTWIN" sim --config "$D/does_not_exist.yaml" --duration 0.01 --set dtwin.http_port=0
expect 0 'physics_rate_hz: 500' -- "$DTWIN" config dump --set sim.physics_rate_hz=500

# one rule for exit codes: output that cannot be written is a failure (1) with
# the reason; a log level that is not one is a usage error (2)
# shellcheck disable=SC2016 # $1 is expanded by the inner sh
expect 1 'config: cannot write to standard output: No space left' -- \
  sh -c '"$1" config dump >/dev/full' sh "$DTWIN"
# shellcheck disable=SC2016 # $1 is expanded by the inner sh
expect 1 'model: cannot write to standard output' -- \
  sh -c '"$1" model mjcf models/digital_twin_humanoid.urdf.xacro >/dev/full' sh "$DTWIN"
expect 2 "DTW_LOG_LEVEL='banana' is not one of" -- env DTW_LOG_LEVEL=banana "$DTWIN" config dump
expect 0 'physics_rate_hz' -- env DTW_LOG_LEVEL=warn "$DTWIN" config dump

# config/dtwin.yaml and docs/config.md are generated from the parameter tables
# (make config-files): they must say what the binary says
check_generated() {
  local file=$1; shift
  local tmp; tmp=$(mktemp)
  "$@" >"$tmp" 2>&1
  if diff -u "$file" "$tmp" >/dev/null; then
    echo "ok: $file matches $*"; n_pass=$((n_pass + 1))
  else
    echo "FAIL: $file differs from the output of $* (run make config-files)"
    diff -u "$file" "$tmp" | head -20; n_fail=$((n_fail + 1))
  fi
  rm -f "$tmp"
}
check_generated config/dtwin.yaml "$DTWIN" config dump
check_generated docs/config.md "$DTWIN" config docs
# docs/controllers.md carries `dtwin config docs controllers` between its markers
ctl_section=$(mktemp)
sed -n '/<!-- BEGIN generated: dtwin config docs controllers -->/,/<!-- END generated: dtwin config docs controllers -->/p' \
  docs/controllers.md >"$ctl_section"
check_generated "$ctl_section" "$DTWIN" config docs controllers
rm -f "$ctl_section"

# models
expect 0 '23 actuated joints' -- "$DTWIN" model check models/digital_twin_humanoid.urdf.xacro
expect 0 '<mujoco' -- "$DTWIN" model mjcf models/digital_twin_humanoid.urdf.xacro
expect 2 'no_such_robot.urdf' -- "$DTWIN" sim --model "$D/no_such_robot.urdf" --duration 0.01 --set dtwin.http_port=0
expect 2 "bad_limits.urdf:(7|11).*shoulder.*lower" -- "$DTWIN" sim --model "$D/bad_limits.urdf" --duration 0.01 --set dtwin.http_port=0
expect 2 'malformed.urdf:[0-9]+' -- "$DTWIN" model check "$D/malformed.urdf"
expect 2 "bad_joint_type.urdf:5.*helical" -- "$DTWIN" model check "$D/bad_joint_type.urdf"

# a short run of the twin
expect 0 'sim time' -- "$DTWIN" sim --rtf 0 --duration 0.5 --set dtwin.http_port=0
finish
