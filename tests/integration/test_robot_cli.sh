#!/usr/bin/env bash
# dtwin robot's command line: refusals at start (exit 2 with a message naming
# the parameter, joint, or file:line), and short unpaced runs with their summary.
source "$DTW_SOURCE_DIR/tests/integration/lib.sh"
D=$DTW_TEST_DATA/robot
R=("$DTWIN" robot --set dtwin.http_port=0)

expect 0 'lock-joint NAME@T' -- "$DTWIN" robot --help

# faults naming joints the robot does not have
expect 2 "robot.fault.lock_joint: unknown joint 'no_such_joint'" -- \
  "${R[@]}" --lock-joint no_such_joint@1
expect 2 "robot.fault.no_torque_joint: unknown joint 'wrist'" -- "${R[@]}" --no-torque wrist@0
expect 2 "robot.fault.freeze_joint: unknown joint 'elbow'" -- "${R[@]}" --freeze-sensor elbow@2
expect 2 "fault.lock_at_s" -- "${R[@]}" --lock-joint left_knee@soon
expect 2 "needs JOINT@SECONDS" -- "${R[@]}" --lock-joint @1
expect 2 "silent_for_s" -- "${R[@]}" --silent-at 1:-2
expect 2 "robot.fault.payload_body: 'no_such_body' is no body of the model with a mass" -- \
  "${R[@]}" --payload no_such_body:2@1
expect 2 "needs BODY\[:KG\]@SECONDS" -- "${R[@]}" --payload :2@1
expect 2 "fault.payload_kg" -- "${R[@]}" --payload left_forearm:-1@1
expect 2 "loss_rate" -- "${R[@]}" --loss 1.5

# bad recordings, refused with file:line
expect 2 "bad_joint.csv:2: column 3: unknown joint 'right_wrist'" -- \
  "${R[@]}" --replay "$D/bad_joint.csv"
expect 2 "not_numeric.csv:4: column 3: 'x0.2' is not a number" -- \
  "${R[@]}" --replay "$D/not_numeric.csv"
expect 2 "not_increasing.csv:4: .*times must increase" -- "${R[@]}" --replay "$D/not_increasing.csv"
expect 2 "no_header.csv:1: missing header" -- "${R[@]}" --replay "$D/no_header.csv"
expect 2 "no_such.csv" -- "${R[@]}" --replay "$D/no_such.csv"
expect 2 "needs the physics" -- \
  "${R[@]}" --replay "$D/wave_recording.csv" --lock-joint right_elbow@1
expect 2 "a payload needs the physics" -- \
  "${R[@]}" --replay "$D/wave_recording.csv" --payload left_forearm@1
expect 2 "exclude each other" -- \
  "${R[@]}" --replay "$D/wave_recording.csv" --motion config/motions/wave.yaml

# unpaced runs: 1 s at 500 Hz is 500 samples; half of them lost; a silent second
expect 0 'robot time 1.000 s after 1000 steps.*500 samples measured, 49[0-9] published' \
  -- "${R[@]}" --rtf 0 --duration 1 --quiet
expect 0 '500 samples measured, [0-9]+ published, (2[2-7][0-9]) lost' -- \
  "${R[@]}" --rtf 0 --duration 1 --quiet --loss 0.5 --latency 0
expect 0 'fault: joint_states silent at t=0.500 s for 0.300 s' -- \
  "${R[@]}" --rtf 0 --duration 1 --quiet --silent-at 0.5:0.3
expect 0 '150 silenced' -- "${R[@]}" --rtf 0 --duration 1 --quiet --silent-at 0.5:0.3
expect 0 'fault: left_knee has no torque from t=0.200 s' -- \
  "${R[@]}" --rtf 0 --duration 0.5 --quiet --no-torque left_knee@0.2
expect 0 'replaying a recording' -- \
  "${R[@]}" --rtf 0 --duration 0.5 --quiet --replay "$D/wave_recording.csv"

finish
