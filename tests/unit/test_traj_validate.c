/* Trajectory validation: every refusal reason, its label and its message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/jtc.h"

static dtw_joint_desc_t joints[3];
static dtw_jtc_config_t cfg;
static dtw_joint_trajectory_msg_t msg;
static char err[256];

static int setup(void **state) {
  (void)state;
  memset(joints, 0, sizeof joints);
  const char *names[3] = {"a", "b", "wheel"};
  for (int k = 0; k < 3; k++) {
    snprintf(joints[k].name, DTW_NAME_MAX, "%s", names[k]);
    joints[k].type = DTW_JOINT_REVOLUTE;
    joints[k].limited = true;
    joints[k].effort = 10.0;
  }
  joints[0].lower = -1.0, joints[0].upper = 1.0;
  joints[1].lower = 0.0, joints[1].upper = 2.0;
  joints[2].type = DTW_JOINT_CONTINUOUS, joints[2].limited = false;
  dtw_jtc_config_defaults(&cfg);
  cfg.n_joints = 3;
  for (int k = 0; k < 3; k++) snprintf(cfg.joints[k].name, DTW_NAME_MAX, "%s", names[k]);
  cfg.max_points = 4;
  assert_int_equal(dtw_traj_msg_init(&msg, 8), 0);
  // a valid 2-point trajectory over all joints, with velocities
  msg.n_joints = 3;
  for (int k = 0; k < 3; k++) snprintf(msg.joint_names[k], DTW_NAME_MAX, "%s", names[k]);
  for (int i = 0; i < 2; i++) {
    dtw_traj_point_t *p = dtw_traj_msg_add_point(&msg);
    p->n_positions = p->n_velocities = 3;
    for (int k = 0; k < 3; k++) {
      p->positions[k] = 0.5 * i;
      p->velocities[k] = 0.0;
    }
    p->time_from_start = dtw_duration_from_s(1.0 + i);
  }
  err[0] = '\0';
  return 0;
}

static int teardown(void **state) {
  (void)state;
  dtw_traj_msg_fini(&msg);
  return 0;
}

/* Validate and check the refusal reason, its label and a message fragment. */
static void expect(dtw_jtc_refusal_t reason, const char *fragment) {
  int rc = dtw_jtc_validate(&msg, joints, &cfg, 0.0, NULL, err, sizeof err);
  if (rc != DTW_JTC_REFUSAL_CODE(reason))
    fail_msg("rc %d (%s), expected %s; message: %s", rc,
             dtw_jtc_refusal_name(dtw_jtc_refusal_from_code(rc)), dtw_jtc_refusal_name(reason),
             err);
  assert_int_equal(dtw_jtc_refusal_from_code(rc), reason);
  // the message starts with the reason's label and says what is wrong
  const char *label = dtw_jtc_refusal_name(reason);
  assert_int_equal(strncmp(err, label, strlen(label)), 0);
  if (strstr(err, fragment) == NULL) fail_msg("message '%s' lacks '%s'", err, fragment);
}

static void test_valid_and_map(void **state) {
  (void)state;
  size_t map[DTW_MAX_JOINTS];
  // reorder the message's joints: the map says where each goes
  snprintf(msg.joint_names[0], DTW_NAME_MAX, "wheel");
  snprintf(msg.joint_names[2], DTW_NAME_MAX, "a");
  assert_int_equal(dtw_jtc_validate(&msg, joints, &cfg, 0.0, map, err, sizeof err), 0);
  assert_int_equal(map[0], 2);
  assert_int_equal(map[1], 1);
  assert_int_equal(map[2], 0);
}

static void test_empty(void **state) {
  (void)state;
  msg.n_points = 0;
  expect(DTW_JTC_REFUSAL_EMPTY, "no points");
  msg.n_points = 2;
  msg.n_joints = 0;
  expect(DTW_JTC_REFUSAL_EMPTY, "no joint_names");
}

static void test_unknown_joint(void **state) {
  (void)state;
  snprintf(msg.joint_names[1], DTW_NAME_MAX, "elbow");
  expect(DTW_JTC_REFUSAL_UNKNOWN_JOINT, "'elbow'");
}

static void test_duplicate_joint(void **state) {
  (void)state;
  snprintf(msg.joint_names[2], DTW_NAME_MAX, "a");
  expect(DTW_JTC_REFUSAL_DUPLICATE_JOINT, "'a'");
}

static void test_partial_goal(void **state) {
  (void)state;
  msg.n_joints = 2;
  for (int i = 0; i < 2; i++) msg.points[i].n_positions = msg.points[i].n_velocities = 2;
  expect(DTW_JTC_REFUSAL_PARTIAL_GOAL, "'wheel' missing");
  cfg.allow_partial_joints_goal = true;
  assert_int_equal(dtw_jtc_validate(&msg, joints, &cfg, 0.0, NULL, err, sizeof err), 0);
}

static void test_size_mismatch(void **state) {
  (void)state;
  msg.points[1].n_positions = 2;
  expect(DTW_JTC_REFUSAL_SIZE_MISMATCH, "point 1 has 2 positions");
  msg.points[1].n_positions = 0;  // positions are required
  expect(DTW_JTC_REFUSAL_SIZE_MISMATCH, "point 1 has 0 positions");
  msg.points[1].n_positions = 3;
  msg.points[0].n_velocities = 1;
  expect(DTW_JTC_REFUSAL_SIZE_MISMATCH, "velocities");
  msg.points[0].n_velocities = 3;
  msg.points[0].n_accelerations = 2;
  expect(DTW_JTC_REFUSAL_SIZE_MISMATCH, "accelerations");
}

static void test_inconsistent_fields(void **state) {
  (void)state;
  msg.points[1].n_velocities = 0;
  expect(DTW_JTC_REFUSAL_INCONSISTENT_FIELDS, "point 1 lacks velocities");
  msg.points[1].n_velocities = 3;
  msg.points[1].n_accelerations = 3;
  expect(DTW_JTC_REFUSAL_INCONSISTENT_FIELDS, "point 1 has accelerations");
}

static void test_effort_field(void **state) {
  (void)state;
  msg.points[0].n_effort = 3;
  expect(DTW_JTC_REFUSAL_EFFORT_FIELD, "point 0");
}

static void test_time_not_increasing(void **state) {
  (void)state;
  msg.points[1].time_from_start = msg.points[0].time_from_start;
  expect(DTW_JTC_REFUSAL_TIME_NOT_INCREASING, "point 1");
  msg.points[1].time_from_start = dtw_duration_from_s(0.5);
  expect(DTW_JTC_REFUSAL_TIME_NOT_INCREASING, "not after point 0");
  msg.points[1].time_from_start = dtw_duration_from_s(2.0);
  msg.points[0].time_from_start = dtw_duration_from_s(-0.1);
  expect(DTW_JTC_REFUSAL_TIME_NOT_INCREASING, "point 0");
  // a first point at 0 is accepted ("reach it at once", as JTC)
  msg.points[0].time_from_start = dtw_duration_from_s(0.0);
  assert_int_equal(dtw_jtc_validate(&msg, joints, &cfg, 0.0, NULL, err, sizeof err), 0);
}

static void test_ends_in_past(void **state) {
  (void)state;
  msg.stamp = dtw_time_from_s(100.0);  // last point at 102 s
  assert_int_equal(dtw_jtc_validate(&msg, joints, &cfg, 101.0, NULL, err, sizeof err), 0);
  int rc = dtw_jtc_validate(&msg, joints, &cfg, 103.0, NULL, err, sizeof err);
  assert_int_equal(rc, DTW_JTC_REFUSAL_CODE(DTW_JTC_REFUSAL_ENDS_IN_PAST));
  assert_non_null(strstr(err, "ends at 102"));
  // unstamped: starts on receipt, never in the past
  msg.stamp = (dtw_time_t){0, 0};
  assert_int_equal(dtw_jtc_validate(&msg, joints, &cfg, 1e6, NULL, err, sizeof err), 0);
}

static void test_not_finite(void **state) {
  (void)state;
  msg.points[1].positions[1] = NAN;
  expect(DTW_JTC_REFUSAL_NOT_FINITE, "position of 'b'");
  msg.points[1].positions[1] = 0.5;
  msg.points[0].velocities[2] = INFINITY;
  expect(DTW_JTC_REFUSAL_NOT_FINITE, "velocity of 'wheel'");
  msg.points[0].velocities[2] = 0.0;
  for (int i = 0; i < 2; i++) msg.points[i].n_accelerations = 3;
  msg.points[1].accelerations[0] = -INFINITY;
  expect(DTW_JTC_REFUSAL_NOT_FINITE, "acceleration of 'a'");
}

static void test_position_limit(void **state) {
  (void)state;
  msg.points[1].positions[0] = 1.2;
  expect(DTW_JTC_REFUSAL_POSITION_LIMIT, "1.2 of 'a' is outside [-1, 1]");
  msg.points[1].positions[0] = 1.0;  // exactly at the limit is fine
  msg.points[0].positions[1] = -0.01;
  expect(DTW_JTC_REFUSAL_POSITION_LIMIT, "'b'");
  msg.points[0].positions[1] = 0.0;
  // continuous joints have no limits
  msg.points[1].positions[2] = 100.0;
  assert_int_equal(dtw_jtc_validate(&msg, joints, &cfg, 0.0, NULL, err, sizeof err), 0);
}

static void test_nonzero_end_velocity(void **state) {
  (void)state;
  msg.points[1].velocities[0] = 0.3;
  expect(DTW_JTC_REFUSAL_NONZERO_END_VELOCITY, "'a' is 0.3");
  cfg.allow_nonzero_velocity_at_trajectory_end = true;
  assert_int_equal(dtw_jtc_validate(&msg, joints, &cfg, 0.0, NULL, err, sizeof err), 0);
  // intermediate points may move
  cfg.allow_nonzero_velocity_at_trajectory_end = false;
  msg.points[1].velocities[0] = 0.0;
  msg.points[0].velocities[0] = 0.3;
  assert_int_equal(dtw_jtc_validate(&msg, joints, &cfg, 0.0, NULL, err, sizeof err), 0);
}

static void test_too_many_points(void **state) {
  (void)state;
  for (int i = 2; i < 5; i++) {
    dtw_traj_point_t *p = dtw_traj_msg_add_point(&msg);
    p->n_positions = p->n_velocities = 3;
    p->time_from_start = dtw_duration_from_s(1.0 + i);
  }
  expect(DTW_JTC_REFUSAL_TOO_MANY_POINTS, "5 points, capacity is 4");
}

static void test_names_and_codes(void **state) {
  (void)state;
  assert_string_equal(dtw_jtc_refusal_name(DTW_JTC_REFUSAL_UNKNOWN_JOINT), "unknown_joint");
  assert_string_equal(dtw_jtc_refusal_name(DTW_JTC_REFUSAL_TOO_MANY_POINTS), "too_many_points");
  assert_string_equal(dtw_jtc_refusal_name(0), "none");
  assert_string_equal(dtw_jtc_refusal_name(-3), "invalid");
  assert_string_equal(dtw_jtc_refusal_name(DTW_JTC_REFUSAL_COUNT), "invalid");
  // every reason has a distinct label, and codes never collide with DTW_E*
  for (int r = 1; r < DTW_JTC_REFUSAL_COUNT; r++) {
    for (int o = 1; o < r; o++)
      assert_string_not_equal(dtw_jtc_refusal_name(r), dtw_jtc_refusal_name(o));
    int code = DTW_JTC_REFUSAL_CODE(r);
    assert_true(code < DTW_ESIM);
    assert_int_equal(dtw_jtc_refusal_from_code(code), r);
  }
  assert_int_equal(dtw_jtc_refusal_from_code(0), DTW_JTC_REFUSAL_NONE);
  assert_int_equal(dtw_jtc_refusal_from_code(DTW_EINVAL), DTW_JTC_REFUSAL_NONE);
  assert_int_equal(dtw_jtc_refusal_from_code(DTW_JTC_REFUSAL_CODE(DTW_JTC_REFUSAL_COUNT)),
                   DTW_JTC_REFUSAL_NONE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_valid_and_map),      T(test_empty),          T(test_unknown_joint),
      T(test_duplicate_joint),    T(test_partial_goal),   T(test_size_mismatch),
      T(test_inconsistent_fields), T(test_effort_field),  T(test_time_not_increasing),
      T(test_ends_in_past),       T(test_not_finite),     T(test_position_limit),
      T(test_nonzero_end_velocity), T(test_too_many_points), T(test_names_and_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
