/* Controller configuration: the shipped file, defaults, and each error with
 * its file:line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/control__jtc_params.h"
#include "dtw/err.h"
#include "dtw/file.h"
#include "dtw/jtc.h"

static const char *const humanoid[23] = {
    "left_hip_yaw",        "left_hip_roll",        "left_hip_pitch",    "left_knee",
    "left_ankle_pitch",    "left_ankle_roll",      "right_hip_yaw",     "right_hip_roll",
    "right_hip_pitch",     "right_knee",           "right_ankle_pitch", "right_ankle_roll",
    "torso_yaw",           "left_shoulder_pitch",  "left_shoulder_roll", "left_shoulder_yaw",
    "left_elbow",          "right_shoulder_pitch", "right_shoulder_roll", "right_shoulder_yaw",
    "right_elbow",         "neck_yaw",             "neck_pitch"};

static char path[4096];
static char err[512];

static const char *shipped(void) {
  const char *src = getenv("DTW_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/config/digital_twin_controllers.yaml", src ? src : "../..");
  return path;
}

static void test_defaults(void **state) {
  (void)state;
  dtw_jtc_config_t c;
  memset(&c, 0x5a, sizeof c);
  dtw_jtc_config_defaults(&c);
  assert_int_equal(c.n_joints, 0);
  assert_int_equal(c.interpolation, DTW_JTC_INTERP_SPLINES);
  assert_false(c.allow_partial_joints_goal);
  assert_false(c.allow_nonzero_velocity_at_trajectory_end);
  assert_true(c.stopped_velocity_tolerance == 0.01);
  assert_true(c.goal_time == 0.0);
  assert_int_equal(c.max_points, 256);
}

static void test_shipped_config_loads(void **state) {
  (void)state;
  dtw_jtc_config_t c;
  int rc = dtw_jtc_config_load(shipped(), "humanoid_joint_trajectory_controller", &c, err,
                               sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_string_equal(c.name, "humanoid_joint_trajectory_controller");
  assert_true(c.update_rate_hz == 1000.0);
  assert_int_equal(c.n_joints, 23);
  for (int k = 0; k < 23; k++) {
    assert_string_equal(c.joints[k].name, humanoid[k]);
    assert_true(c.joints[k].gains.p > 0.0);
    assert_true(c.joints[k].gains.d > 0.0);
    assert_true(c.joints[k].trajectory_tol > 0.0);
    assert_true(c.joints[k].goal_tol > 0.0);
  }
  // plausible ranges for a ~50 kg humanoid at 1 kHz (tuned in MuJoCo by test_twin)
  assert_true(c.joints[3].gains.p >= 300 && c.joints[3].gains.p <= 600);
  assert_true(c.joints[16].gains.p >= 100 && c.joints[16].gains.p <= 200);
  assert_true(c.joints[22].gains.p >= 20 && c.joints[22].gains.p <= 150);
  assert_true(c.allow_partial_joints_goal);
  assert_int_equal(c.interpolation, DTW_JTC_INTERP_SPLINES);
  assert_true(c.goal_time > 0.0);
  // NULL name picks the file's joint_trajectory_controller
  dtw_jtc_config_t d;
  assert_int_equal(dtw_jtc_config_load(shipped(), NULL, &d, err, sizeof err), 0);
  assert_string_equal(d.name, c.name);

  // and it creates a controller for a robot with those joints
  dtw_joint_desc_t joints[23];
  memset(joints, 0, sizeof joints);
  for (int k = 0; k < 23; k++) {
    snprintf(joints[k].name, DTW_NAME_MAX, "%s", humanoid[k]);
    joints[k].limited = true, joints[k].lower = -1, joints[k].upper = 1;
  }
  dtw_jtc_t *j = NULL;
  rc = dtw_jtc_create(&c, joints, 23, &j, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  dtw_jtc_destroy(j);
  // ... but not for one that lacks a joint
  snprintf(joints[22].name, DTW_NAME_MAX, "head_tilt");
  assert_int_equal(dtw_jtc_create(&c, joints, 23, &j, err, sizeof err), DTW_EINVAL);
  assert_string_equal(err, "controller joint 'neck_pitch' is not in the robot model");
}

/* Write text to a temporary file; returns its path (static buffer). */
static const char *write_tmp(const char *text) {
  static char tmp[64];
  snprintf(tmp, sizeof tmp, "/tmp/dtw_jtc_config_XXXXXX");
  int fd = mkstemp(tmp);
  assert_true(fd >= 0);
  size_t len = strlen(text);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  close(fd);
  return tmp;
}

/* A minimal valid file, with one line replaced/added by each error case. */
#define HEAD                                                   \
  "controller_manager:\n"                                      \
  "  ros__parameters:\n"                                       \
  "    update_rate: 500\n"                                     \
  "    arm:\n"                                                 \
  "      type: joint_trajectory_controller/JointTrajectoryController\n" \
  "arm:\n"                                                     \
  "  ros__parameters:\n"                                       \
  "    joints: [j1, j2]\n"                                     \
  "    command_interfaces: [effort]\n"                         \
  "    state_interfaces: [position, velocity]\n"
#define GAINS                                                  \
  "    gains:\n"                                               \
  "      j1: {p: 10.0, d: 1.0}\n"                              \
  "      j2: {p: 20.0, d: 2.0, i: 1.0, i_clamp: 3.0}\n"

/* Load text as controller "arm"; expect rc and an exact message (file name
 * replaced by "F"). */
static void expect_error(const char *text, int code, const char *message) {
  const char *p = write_tmp(text);
  dtw_jtc_config_t c;
  err[0] = '\0';
  int rc = dtw_jtc_config_load(p, "arm", &c, err, sizeof err);
  unlink(p);
  char want[512];
  snprintf(want, sizeof want, "%s%s", p, message);
  if (rc != code || strcmp(err, want) != 0)
    fail_msg("rc %d (want %d)\n got: %s\nwant: %s", rc, code, err, want);
}

static void test_minimal_file(void **state) {
  (void)state;
  const char *p = write_tmp(HEAD GAINS
                            "    interpolation_method: none\n"
                            "    constraints:\n"
                            "      goal_time: 0.25\n"
                            "      j2: {trajectory: 0.2, goal: 0.01}\n"
                            "    max_points: 32\n");
  dtw_jtc_config_t c;
  int rc = dtw_jtc_config_load(p, "arm", &c, err, sizeof err);
  unlink(p);
  if (rc != 0) fail_msg("%s", err);
  assert_true(c.update_rate_hz == 500.0);
  assert_int_equal(c.n_joints, 2);
  assert_int_equal(c.interpolation, DTW_JTC_INTERP_NONE);
  assert_true(c.goal_time == 0.25);
  assert_true(c.joints[1].trajectory_tol == 0.2);
  assert_true(c.joints[1].goal_tol == 0.01);
  assert_true(c.joints[0].goal_tol == 0.0);
  assert_true(c.joints[1].gains.i_clamp == 3.0);
  assert_true(c.joints[0].gains.i == 0.0);
  assert_int_equal(c.max_points, 32);
  assert_false(c.allow_partial_joints_goal);  // default kept
}

static void test_errors_with_lines(void **state) {
  (void)state;
  expect_error(HEAD GAINS "    frobnicate: true\n", DTW_EPARSE,
               ":14: frobnicate: unknown parameter");
  expect_error(HEAD GAINS "    allow_partial_joints_goal: maybe\n", DTW_EPARSE,
               ":14: allow_partial_joints_goal: 'maybe' is not a boolean (expected true or false)");
  expect_error(HEAD GAINS "    open_loop_control: [1]\n", DTW_EPARSE,
               ":14: open_loop_control: got a sequence (expected true or false)");
  expect_error(HEAD GAINS "    interpolation_method: cubic\n", DTW_ERANGE,
               ":14: interpolation_method: 'cubic' is not a valid choice (expected one of: "
               "splines, none)");
  expect_error(HEAD GAINS "    constraints:\n      goal_time: -1\n", DTW_ERANGE,
               ":15: constraints.goal_time: -1 is out of range (expected a number in [0, 3600])");
  expect_error(HEAD GAINS "    constraints:\n      j3: {goal: 0.1}\n", DTW_EPARSE,
               ":15: constraints.j3: 'j3' is not one of the controller's joints");
  expect_error(HEAD GAINS "    constraints:\n      j1: {goal: 0.1, path: 1}\n", DTW_EPARSE,
               ":15: constraints.j1.path: unknown parameter (trajectory, goal)");
  expect_error(HEAD GAINS "    max_points: 0\n", DTW_ERANGE,
               ":14: max_points: 0 is out of range (expected an integer in [1, 100000])");
  // gains
  expect_error(HEAD "    gains:\n      j1: {p: 10.0}\n", DTW_EPARSE,
               ":8: gains: joint 'j2' has no gains (the effort interface needs p, d...)");
  expect_error(HEAD "    gains:\n      j1: {p: -5.0}\n      j2: {p: 1}\n", DTW_ERANGE,
               ":12: gains.j1.p: -5.0 is out of range (expected a number in [0, 1000000])");
  expect_error(HEAD "    gains:\n      j1: {p: 1, kp: 5}\n      j2: {p: 1}\n", DTW_EPARSE,
               ":12: gains.j1.kp: unknown parameter (p, i, d, i_clamp, ff_velocity_scale)");
  expect_error(HEAD "    gains:\n      j1: {d: 5}\n      j2: {p: 1}\n", DTW_EPARSE,
               ":12: gains.j1: missing p");
  expect_error(HEAD "    gains:\n      j1: {p: '5'}\n      j2: {p: 1}\n", DTW_EPARSE,
               ":12: gains.j1.p: '5' is a quoted string (expected a number in [0, 1000000])");
  expect_error(HEAD "    gains:\n      j1: {p: .nan}\n      j2: {p: 1}\n", DTW_ERANGE,
               ":12: gains.j1.p: NaN is not allowed (expected a number in [0, 1000000])");
  expect_error(HEAD "    gains:\n      wrist: {p: 1}\n", DTW_EPARSE,
               ":12: gains.wrist: 'wrist' is not one of the controller's joints");
  // interfaces
  expect_error(
      "arm:\n  ros__parameters:\n    joints: [j1]\n    command_interfaces: [position]\n",
      DTW_EUNSUP,
      ":4: command_interfaces: 'position' is not supported: the twin drives joints by effort "
      "only (use [effort])");
  expect_error("arm:\n  ros__parameters:\n    joints: [j1]\n    command_interfaces: [effort]\n"
               "    state_interfaces: [position]\n    gains: {j1: {p: 1}}\n",
               DTW_EPARSE, ":5: state_interfaces: must include position and velocity");
  expect_error("arm:\n  ros__parameters:\n    joints: [j1]\n    gains: {j1: {p: 1}}\n",
               DTW_EPARSE, ":3: command_interfaces: missing (use [effort])");
  // joints
  expect_error("arm:\n  ros__parameters:\n    joints: [j1, j1]\n", DTW_EPARSE,
               ":3: joints: 'j1' is listed twice");
  expect_error("arm:\n  ros__parameters:\n    joints: []\n", DTW_EPARSE, ":3: joints: empty list");
  expect_error("arm:\n  ros__parameters:\n    command_interfaces: [effort]\n", DTW_EPARSE,
               ":3: joints: missing");
  expect_error("arm:\n  ros__parameters:\n    joints: j1\n", DTW_EPARSE,
               ":3: joints: expected a sequence, got a scalar");
  // structure
  expect_error("arm:\n  parameters: {}\n", DTW_EPARSE,
               ":2: arm.parameters: unknown key (expected ros__parameters)");
  expect_error("controller_manager:\n  ros__parameters:\n    update_rate: 0\n", DTW_ERANGE,
               ":3: controller_manager.update_rate: 0 is out of range (expected an integer in "
               "[1, 100000])");
  expect_error("controller_manager:\n  ros__parameters:\n    arm:\n      type: "
               "forward_command_controller/ForwardCommandController\n",
               DTW_EUNSUP,
               ":4: controller_manager.arm.type: "
               "'forward_command_controller/ForwardCommandController' is not "
               "joint_trajectory_controller/JointTrajectoryController");
  expect_error("other:\n  ros__parameters: {}\n", DTW_ENOENT, ": controller 'arm' not found");
}

/* The table-driven reader: each kind of problem, with file:line and the element. */
static void test_table_errors(void **state) {
  (void)state;
  // unknown keys: at the top, a dotted name (nested maps only), in a joint's entry
  expect_error(HEAD GAINS "    max_point: 5\n", DTW_EPARSE, ":14: max_point: unknown parameter");
  expect_error(HEAD GAINS "    constraints.goal_time: 1.0\n", DTW_EPARSE,
               ":14: constraints.goal_time: unknown parameter");
  expect_error(HEAD GAINS "    constraints:\n      j1: {trajectory: 0.1, goal_time: 1}\n",
               DTW_EPARSE, ":15: constraints.j1.goal_time: unknown parameter (trajectory, goal)");
  expect_error("controller_manager:\n  ros__parameters:\n    update_rate: 100\n"
               "    arm: {type: " DTW_JTC_TYPE "}\n"
               "arm:\n  ros__parameters:\n    joints: [j1]\n    gains: {j1: {p: 1, p_gain: 2}}\n",
               DTW_EPARSE,
               ":8: gains.j1.p_gain: unknown parameter (p, i, d, i_clamp, ff_velocity_scale)");
  // wrong types
  expect_error(HEAD GAINS "    max_points: 1.5\n", DTW_EPARSE,
               ":14: max_points: 1.5 is not an integer (expected an integer in [1, 100000])");
  expect_error(HEAD GAINS "    state_publish_rate: fast\n", DTW_EPARSE,
               ":14: state_publish_rate: 'fast' is not a number (expected a number in [0.1, "
               "10000])");
  expect_error(HEAD GAINS "    constraints:\n      j2: 0.1\n", DTW_EPARSE,
               ":15: constraints.j2: expected a mapping, got a scalar");
  expect_error(HEAD GAINS "    constraints:\n      goal_time: {s: 1}\n", DTW_EPARSE,
               ":15: constraints.goal_time: got a mapping (expected a number in [0, 3600])");
  expect_error(HEAD "    gains:\n      j1: {p: 1, d: [1]}\n      j2: {p: 1}\n", DTW_EPARSE,
               ":12: gains.j1.d: got a sequence (expected a number in [0, 1000000])");
  expect_error(HEAD GAINS "    set_last_command_interface_value_as_state_on_activation: 1\n",
               DTW_EPARSE,
               ":14: set_last_command_interface_value_as_state_on_activation: '1' is not a "
               "boolean (expected true or false)");
  // out of range, ignored parameters included
  expect_error(HEAD GAINS "    constraints:\n      j1: {trajectory: 101}\n", DTW_ERANGE,
               ":15: constraints.j1.trajectory: 101 is out of range (expected a number in [0, "
               "100])");
  expect_error(HEAD GAINS "    action_monitor_rate: -1.0\n", DTW_ERANGE,
               ":14: action_monitor_rate: -1.0 is out of range (expected a number in [0, "
               "10000])");
  expect_error(HEAD "    gains:\n      j1: {p: 1, ff_velocity_scale: -2e6}\n      j2: {p: 1}\n",
               DTW_ERANGE,
               ":12: gains.j1.ff_velocity_scale: -2e6 is out of range (expected a number in "
               "[-1000000, 1000000])");
  expect_error(HEAD GAINS "    constraints:\n      stopped_velocity_tolerance: .inf\n",
               DTW_ERANGE,
               ":15: constraints.stopped_velocity_tolerance: .inf is out of range (expected a "
               "number in [0, 100])");
  // missing gains: a joint without an entry, an entry without its required p
  expect_error(HEAD "    gains:\n      j2: {p: 1}\n", DTW_EPARSE,
               ":8: gains: joint 'j1' has no gains (the effort interface needs p, d...)");
  expect_error(HEAD "    gains:\n      j1: {p: 1}\n      j2: {i: 1, d: 2}\n", DTW_EPARSE,
               ":13: gains.j2: missing p");
}

/* What the tables accept lands in the configuration; ignored keys change nothing. */
static void test_table_values(void **state) {
  (void)state;
  const char *p = write_tmp(HEAD
                            "    gains:\n"
                            "      j1: {p: 10, i: 0.5, d: 1.0, i_clamp: 2, ff_velocity_scale: -1}\n"
                            "      j2: {p: 20.0}\n"
                            "    action_monitor_rate: 5.0\n"
                            "    set_last_command_interface_value_as_state_on_activation: false\n"
                            "    open_loop_control: true\n"
                            "    allow_nonzero_velocity_at_trajectory_end: true\n"
                            "    state_publish_rate: 25\n"
                            "    constraints:\n"
                            "      stopped_velocity_tolerance: 0.5\n"
                            "      j1: {goal: 0.02}\n");
  dtw_jtc_config_t c;
  int rc = dtw_jtc_config_load(p, "arm", &c, err, sizeof err);
  unlink(p);
  if (rc != 0) fail_msg("%s", err);
  const dtw_jtc_gains_t *g = &c.joints[0].gains;
  assert_true(g->p == 10 && g->i == 0.5 && g->d == 1.0 && g->i_clamp == 2 &&
              g->ff_velocity_scale == -1);
  g = &c.joints[1].gains;
  assert_true(g->p == 20 && g->i == 0 && g->d == 0 && g->i_clamp == 0);
  assert_true(c.open_loop_control && c.allow_nonzero_velocity_at_trajectory_end);
  assert_true(c.state_publish_rate_hz == 25.0 && c.stopped_velocity_tolerance == 0.5);
  assert_true(c.joints[0].goal_tol == 0.02 && c.joints[0].trajectory_tol == 0.0);
  assert_true(c.goal_time == 0.0 && c.max_points == 256 && c.update_rate_hz == 500.0);
}

/* Each table is valid: its defaults parse and are the configuration's defaults. */
static void test_tables(void **state) {
  (void)state;
  const dtw_param_table_t *tables[] = {&dtw__jtc_manager_table, &dtw__jtc_param_table,
                                       &dtw__jtc_ignored_table, &dtw__jtc_tolerance_table,
                                       &dtw__jtc_gain_table};
  char buf[512];
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
    assert_true(tables[t]->struct_size <= sizeof buf);
    assert_int_equal(dtw_param_defaults(tables[t], buf), 0);
  }
  dtw__jtc_manager_t m;
  dtw__jtc_params_t p;
  dtw_param_defaults(&dtw__jtc_manager_table, &m);
  dtw_param_defaults(&dtw__jtc_param_table, &p);
  dtw_jtc_config_t from_tables, defaults;
  memset(&from_tables, 0, sizeof from_tables);
  dtw__jtc_params_apply(&m, &p, &from_tables);
  dtw_jtc_config_defaults(&defaults);
  assert_memory_equal(&from_tables, &defaults, sizeof defaults);
  // p is required: a gains entry names it, and the reference says so
  assert_null(dtw__jtc_gain_table.params[dtw_param_find(&dtw__jtc_gain_table, "p")].def);
}

static void test_no_controller_found(void **state) {
  (void)state;
  const char *p = write_tmp("controller_manager:\n  ros__parameters:\n    update_rate: 100\n");
  dtw_jtc_config_t c;
  int rc = dtw_jtc_config_load(p, NULL, &c, err, sizeof err);
  unlink(p);
  assert_int_equal(rc, DTW_ENOENT);
  assert_non_null(strstr(err, "no controller of type"));
  rc = dtw_jtc_config_load("/nonexistent/c.yaml", "arm", &c, err, sizeof err);
  assert_int_equal(rc, DTW_ENOENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_shipped_config_loads),
      cmocka_unit_test(test_minimal_file),
      cmocka_unit_test(test_errors_with_lines),
      cmocka_unit_test(test_table_errors),
      cmocka_unit_test(test_table_values),
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_no_controller_found),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
