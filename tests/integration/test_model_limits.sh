#!/usr/bin/env bash
# dtwin model check and dtwin sim refuse, with the file and the limit, what MuJoCo 2.2.2
# cannot run (issue 15 item 8): a URDF chain one link deeper than MuJoCo's XML reader
# nests, the 2000-link star that overflowed MuJoCo's stack in `sim`, values no physics
# survives. The models one step below each limit still pass (both sides of each limit
# are compiled by MuJoCo in tests/unit/test_model_limits.c).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$DTW_SOURCE_DIR" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work" "$out_file"' EXIT

# gen KIND N TYPE: a base link, one revolute arm and N links joined by TYPE joints, in a
# chain (each below the last) or a star (all on the base); link lN is on line N + 3
gen() {
  local kind=$1 n=$2 type=$3 i parent
  local inertial='<inertial><mass value="0.1"/><inertia ixx="0.001" iyy="0.001" izz="0.001" ixy="0" ixz="0" iyz="0"/></inertial>'
  local geom='<collision><geometry><sphere radius="0.01"/></geometry></collision>'
  echo '<robot name="gen">'
  echo "<link name=\"base\">$inertial$geom</link>"
  echo "<link name=\"arm\">$inertial$geom</link>"
  for ((i = 1; i <= n; i++)); do echo "<link name=\"l$i\">$inertial$geom</link>"; done
  echo '<joint name="arm_joint" type="revolute"><parent link="base"/><child link="arm"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="10" velocity="1"/></joint>'
  for ((i = 1; i <= n; i++)); do
    parent=base
    [[ $kind == chain && $i -gt 1 ]] && parent=l$((i - 1))
    echo "<joint name=\"j$i\" type=\"$type\"><parent link=\"$parent\"/><child link=\"l$i\"/><origin xyz=\"0 0 0.01\"/></joint>"
  done
  echo '</robot>'
}

gen chain 95 fixed >"$work/chain95.urdf"
gen chain 96 fixed >"$work/chain96.urdf"
gen star 2000 floating >"$work/star2000.urdf"
gen star 201 floating >"$work/star201.urdf"

expect 0 "robot 'gen', 1 actuated joints" -- "$DTWIN" model check "$work/chain95.urdf"
expect 2 "chain96.urdf:99: link 'l96': 96 links below the root; .*MuJoCo 2.2.2 reads XML nested at most 99 deep" -- \
  "$DTWIN" model check "$work/chain96.urdf"
expect 2 "star2000.urdf: model 'gen': 2002 bodies and 12001 degrees of freedom need [0-9]+ entries of MuJoCo 2.2.2's data stack" -- \
  "$DTWIN" model check "$work/star2000.urdf"
expect 2 "star2000.urdf: .*implicit integrator" -- \
  "$DTWIN" sim --model "$work/star2000.urdf" --duration 0.01 --quiet
expect 0 "robot 'gen', 1 actuated joints" -- "$DTWIN" model check "$work/star201.urdf"

# values: file:line and the element
sed 's|<link name="l1"><inertial><mass value="0.1"/>|<link name="l1"><inertial><mass value="1e300"/>|' \
  "$work/chain95.urdf" >"$work/heavy.urdf"
expect 2 "heavy.urdf:4: link 'l1': <inertial>: mass 1e\+300 kg is beyond the 1e\+06 kg" -- \
  "$DTWIN" model check "$work/heavy.urdf"
sed 's|<child link="l1"/><origin xyz="0 0 0.01"/>|<child link="l1"/><origin xyz="0 0 1e308"/>|' \
  "$work/chain95.urdf" >"$work/far.urdf"
expect 2 "far.urdf:[0-9]+: joint 'j1': <origin xyz>: 1e\+308 m is beyond the 10000 m" -- \
  "$DTWIN" model check "$work/far.urdf"
cat >"$work/big.xml" <<'XML'
<mujoco model="big">
  <worldbody>
    <body name="b"><joint name="j"/><geom name="g" type="sphere" size="1e200"/></body>
  </worldbody>
  <actuator><motor joint="j"/></actuator>
</mujoco>
XML
expect 2 "big.xml:3: <geom name=\"g\">: size=\"1e200\"" -- "$DTWIN" model check "$work/big.xml"
finish
