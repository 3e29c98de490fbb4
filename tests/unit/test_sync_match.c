/* Matching robot samples to the twin by stamp: interpolation, order, names,
 * refusals, twin history edges, offset estimation, latest robot state. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "test_sync_util.h"

typedef struct {
  dtw_sync_t *s;
  dtw_sync_report_t *r;
} fx_t;

static int setup(void **state) {
  fx_t *fx = calloc(1, sizeof *fx);
  dtw_sync_settings_t st = sync_settings();
  fx->s = sync_new(&st);
  fx->r = malloc(sizeof *fx->r);
  // twin: every joint at 0 at t=1.00, at 1 (velocity 2) at t=1.01, at 3 at t=1.02
  twin_uniform(fx->s, 1.00, 1.000, 0.0, 0.0);
  twin_uniform(fx->s, 1.01, 1.010, 1.0, 2.0);
  twin_uniform(fx->s, 1.02, 1.020, 3.0, 4.0);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fx_t *fx = *state;
  dtw_sync_destroy(fx->s);
  free(fx->r);
  free(fx);
  return 0;
}

static void test_interpolates_between_samples(void **state) {
  fx_t *fx = *state;
  // 40% of the way from 0 to 1: twin 0.4 (vel 0.8); robot 0.5 (vel 1.0)
  assert_int_equal(robot_uniform(fx->s, 1.004, 1.03, 0.5, 1.0), DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.03, fx->r);
  for (size_t j = 0; j < NJ; j++) {
    assert_near(fx->r->joints[j].err.pos_last_rad, 0.1, 1e-6);
    assert_near(fx->r->joints[j].err.vel_last_rad_s, 0.2, 1e-6);
  }
  // second segment: 1 + 0.5 * 2 = 2.0 at t=1.015; robot below the twin: |error|
  assert_int_equal(robot_uniform(fx->s, 1.015, 1.031, 1.75, 3.0), DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.032, fx->r);
  assert_near(fx->r->joints[0].err.pos_last_rad, 0.25, 1e-6);
  assert_near(fx->r->joints[0].err.vel_last_rad_s, 0.0, 1e-6);
}

static void test_exact_on_samples(void **state) {
  fx_t *fx = *state;
  // on the middle, the oldest and the newest sample: values exactly
  assert_int_equal(robot_uniform(fx->s, 1.01, 1.03, 1.0, 2.0), DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.03, fx->r);
  assert_true(fx->r->joints[5].err.pos_last_rad == 0.0);
  assert_true(fx->r->joints[5].err.vel_last_rad_s == 0.0);
  assert_int_equal(robot_uniform(fx->s, 1.00, 1.03, 0.0, 0.0), DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.03, fx->r);
  assert_true(fx->r->joints[5].err.pos_last_rad == 0.0);
  assert_int_equal(robot_uniform(fx->s, 1.02, 1.03, 3.0, 4.0), DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.03, fx->r);
  assert_true(fx->r->joints[5].err.pos_last_rad == 0.0);
  assert_true(fx->r->overall.pos_max_rad == 0.0);
}

static void test_out_of_order_matched_by_stamp(void **state) {
  fx_t *fx = *state;
  // the later stamp arrives first; each is compared at its own stamp
  assert_int_equal(robot_uniform(fx->s, 1.018, 1.03, 2.6, 0.0), DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.03, fx->r);
  assert_near(fx->r->joints[0].err.pos_last_rad, 0.0, 1e-9);
  assert_int_equal(robot_uniform(fx->s, 1.002, 1.031, 0.2, 0.0), DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.031, fx->r);
  assert_near(fx->r->joints[0].err.pos_last_rad, 0.0, 1e-9);
  assert_near(fx->r->overall.pos_max_rad, 0.0, 1e-9);
  assert_int_equal(fx->r->outcomes[DTW_SYNC_MATCHED], 2);
}

static void test_subset_reordered_unknown(void **state) {
  fx_t *fx = *state;
  dtw_joint_state_msg_t m;
  // torso and left_knee, in that order, plus a joint the twin does not have
  size_t idx[] = {J_TORSO, J_LEFT_KNEE};
  double pos[] = {0.7, 0.3};
  sync_msg(&m, 1.005, idx, 2, pos, NULL);
  snprintf(m.name[2], DTW_NAME_MAX, "tail_wag");
  m.position[2] = NAN;  // unknown joints are not inspected
  m.n_name = m.n_position = 3;
  dtw_sync_outcome_t o;
  assert_int_equal(dtw_sync_on_robot_sample(fx->s, &m, 1.03, &o), 0);
  assert_int_equal(o, DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.03, fx->r);
  assert_near(fx->r->joints[J_TORSO].err.pos_last_rad, 0.2, 1e-9);
  assert_near(fx->r->joints[J_LEFT_KNEE].err.pos_last_rad, 0.2, 1e-9);
  assert_true(isnan(fx->r->joints[0].err.pos_last_rad));  // not named: not compared
  assert_true(isnan(fx->r->joints[J_TORSO].err.vel_last_rad_s));  // no velocities
  assert_int_equal(fx->r->joints[J_TORSO].err.n_vel, 0);
  assert_int_equal(fx->r->overall.n_pos, 2);
  assert_int_equal(fx->r->unknown_names, 1);
  assert_string_equal(fx->r->last_unknown_name, "tail_wag");
  // group last error = its members' max; an untouched group has none
  assert_near(fx->r->groups[0].err.pos_last_rad, 0.2, 1e-9);
  assert_true(isnan(fx->r->groups[5].err.pos_last_rad));
}

static void expect_refused(fx_t *fx, const dtw_joint_state_msg_t *m, dtw_sync_outcome_t want) {
  dtw_sync_outcome_t o = DTW_SYNC_MATCHED;
  assert_int_equal(dtw_sync_on_robot_sample(fx->s, m, 1.03, &o), DTW_EINVAL);
  assert_int_equal(o, want);
}

static void test_refusals(void **state) {
  fx_t *fx = *state;
  dtw_joint_state_msg_t m;
  sync_msg_uniform(&m, 1.005, 0.5, 0.0);
  m.n_position = NJ - 1;
  expect_refused(fx, &m, DTW_SYNC_REFUSED_SIZE);
  sync_msg_uniform(&m, 1.005, 0.5, 0.0);
  m.n_velocity = 2;
  expect_refused(fx, &m, DTW_SYNC_REFUSED_SIZE);
  sync_msg_uniform(&m, 1.005, 0.5, 0.0);
  m.n_position = 0;
  expect_refused(fx, &m, DTW_SYNC_REFUSED_NO_POSITION);
  sync_msg_uniform(&m, 1.005, 0.5, 0.0);
  m.position[7] = NAN;
  expect_refused(fx, &m, DTW_SYNC_REFUSED_NONFINITE);
  sync_msg_uniform(&m, 1.005, 0.5, 0.0);
  m.velocity[2] = INFINITY;
  expect_refused(fx, &m, DTW_SYNC_REFUSED_NONFINITE);
  sync_msg_uniform(&m, 1.005, 0.5, 0.0);
  snprintf(m.name[9], DTW_NAME_MAX, "%s", m.name[1]);
  expect_refused(fx, &m, DTW_SYNC_REFUSED_DUPLICATE);
  sync_msg_uniform(&m, 1.005, 0.5, 0.0);
  m.n_name = m.n_position = m.n_velocity = 1;
  snprintf(m.name[0], DTW_NAME_MAX, "tail_wag");
  expect_refused(fx, &m, DTW_SYNC_REFUSED_NO_KNOWN_JOINT);
  assert_int_equal(dtw_sync_on_robot_sample(fx->s, &m, NAN, NULL), DTW_EINVAL);
  assert_int_equal(dtw_sync_on_robot_sample(fx->s, NULL, 1.0, NULL), DTW_EINVAL);

  sync_report_at(fx->s, 1.03, fx->r);
  assert_int_equal(fx->r->outcomes[DTW_SYNC_REFUSED_SIZE], 2);
  assert_int_equal(fx->r->outcomes[DTW_SYNC_REFUSED_NO_POSITION], 1);
  assert_int_equal(fx->r->outcomes[DTW_SYNC_REFUSED_NONFINITE], 2);
  assert_int_equal(fx->r->outcomes[DTW_SYNC_REFUSED_DUPLICATE], 1);
  assert_int_equal(fx->r->outcomes[DTW_SYNC_REFUSED_NO_KNOWN_JOINT], 1);
  assert_int_equal(fx->r->outcomes[DTW_SYNC_MATCHED], 0);
  assert_int_equal(fx->r->robot_samples, 7);
  // refused samples are no sign of life
  assert_true(isnan(fx->r->since_robot_s));
  assert_int_equal(fx->r->state, DTW_SYNC_NO_DATA);
  assert_int_equal(dtw_sync_latest_robot_state(fx->s, &m), DTW_ENOENT);

  // twin refusals too
  sync_msg_uniform(&m, 1.03, 0.5, 0.0);
  m.position[0] = NAN;
  assert_int_equal(dtw_sync_on_twin_sample(fx->s, &m, 1.03), DTW_EINVAL);
  sync_report_at(fx->s, 1.03, fx->r);
  assert_int_equal(fx->r->twin_refused, 1);
  assert_int_equal(fx->r->twin_samples, 4);
}

static void test_outside_history(void **state) {
  fx_t *fx = *state;
  assert_int_equal(robot_uniform(fx->s, 0.99, 1.03, 0.0, 0.0), DTW_SYNC_TOO_OLD);
  assert_int_equal(robot_uniform(fx->s, 1.021, 1.03, 0.0, 0.0), DTW_SYNC_TOO_NEW);
  sync_report_at(fx->s, 1.03, fx->r);
  assert_int_equal(fx->r->outcomes[DTW_SYNC_TOO_OLD], 1);
  assert_int_equal(fx->r->outcomes[DTW_SYNC_TOO_NEW], 1);
  // accepted (alive) but nothing matched: still NO_DATA, visible in the report
  assert_int_equal(fx->r->state, DTW_SYNC_NO_DATA);
  assert_near(fx->r->since_robot_s, 0.0, 1e-12);
  assert_true(isnan(fx->r->since_match_s));
  dtw_sync_transition_t tr;
  assert_int_equal(dtw_sync_last_transition(fx->s, &tr), DTW_ENOENT);

  // the history keeps twin_history_s x max_rate_hz samples: old ones fall out
  dtw_sync_settings_t st = sync_settings();
  st.twin_history_s = 0.1;
  st.max_rate_hz = 100;  // 12 samples
  dtw_sync_t *s = sync_new(&st);
  for (int k = 0; k <= 100; k++) twin_uniform(s, k * 0.01, k * 0.01, k, 0);
  assert_int_equal(robot_uniform(s, 0.5, 1.0, 0, 0), DTW_SYNC_TOO_OLD);
  assert_int_equal(robot_uniform(s, 0.9, 1.0, 90, 0), DTW_SYNC_MATCHED);
  dtw_sync_destroy(s);
}

static void test_no_twin_and_partial_twin(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  dtw_sync_t *s = sync_new(&st);
  assert_int_equal(robot_uniform(s, 1.0, 1.0, 0, 0), DTW_SYNC_NO_TWIN);
  // the twin reports the knee only: other robot joints cannot be compared
  dtw_joint_state_msg_t m;
  size_t knee = J_LEFT_KNEE, torso = J_TORSO;
  double p = 0.5;
  sync_msg(&m, 2.0, &knee, 1, &p, NULL);
  assert_int_equal(dtw_sync_on_twin_sample(s, &m, 2.0), 0);
  dtw_sync_outcome_t o;
  sync_msg(&m, 2.0, &torso, 1, &p, NULL);
  assert_int_equal(dtw_sync_on_robot_sample(s, &m, 2.0, &o), 0);
  assert_int_equal(o, DTW_SYNC_NO_OVERLAP);
  assert_int_equal(robot_uniform(s, 2.0, 2.0, 0.6, 0), DTW_SYNC_MATCHED);
  dtw_sync_report_t *r = malloc(sizeof *r);
  sync_report_at(s, 2.0, r);
  assert_int_equal(r->overall.n_pos, 1);
  assert_near(r->joints[J_LEFT_KNEE].err.pos_last_rad, 0.1, 1e-9);
  assert_true(isnan(r->joints[J_LEFT_KNEE].err.vel_last_rad_s));  // twin had no velocity
  free(r);
  dtw_sync_destroy(s);
}

static void test_twin_clock_restart_and_repeat(void **state) {
  fx_t *fx = *state;
  // a paused twin republishes its stamp: the newest entry is replaced
  twin_uniform(fx->s, 1.02, 1.025, 5.0, 0.0);
  assert_int_equal(robot_uniform(fx->s, 1.02, 1.03, 5.0, 0.0), DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.03, fx->r);
  assert_near(fx->r->joints[0].err.pos_last_rad, 0.0, 1e-12);
  // reset: sim time starts again at 0; the old history is gone
  twin_uniform(fx->s, 0.0, 1.04, 0.0, 0.0);
  assert_int_equal(robot_uniform(fx->s, 1.005, 1.05, 0.5, 0.0), DTW_SYNC_TOO_NEW);
  assert_int_equal(robot_uniform(fx->s, 0.0, 1.05, 0.0, 0.0), DTW_SYNC_MATCHED);
  sync_report_at(fx->s, 1.05, fx->r);
  assert_int_equal(fx->r->twin_clock_resets, 1);
}

static void test_offset_estimate(void **state) {
  (void)state;
  // the robot stamps with a wall clock 1000 s ahead of sim time, arriving 2-6 ms later
  dtw_sync_settings_t st = sync_settings();
  snprintf(st.time_alignment, sizeof st.time_alignment, "estimate");
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  for (int k = 0; k < 300; k++) {
    double t = 0.002 * k;  // 500 Hz twin; position = 0.1 t (slow ramp)
    twin_uniform(s, t, t + 0.0005, 0.1 * t, 0.1);
    if (k % 5 == 0) {      // 100 Hz robot, same motion
      double lat = 0.002 + 0.001 * (k % 4);
      robot_uniform(s, 1000.0 + t, t + lat, 0.1 * t, 0.1);
    }
  }
  sync_report_at(s, 0.6, r);
  // mapped within a few ms of the true instant
  assert_near(r->time_offset_s, -1000.0, 0.006);
  assert_true(r->outcomes[DTW_SYNC_MATCHED] >= 55);
  assert_int_equal(r->outcomes[DTW_SYNC_TOO_NEW], 0);
  assert_true(r->overall.pos_max_rad < 0.1 * 0.006 + 1e-9);
  // a fixed offset gives the same
  snprintf(st.time_alignment, sizeof st.time_alignment, "fixed");
  st.time_offset_s = -1000.0;
  dtw_sync_t *f = sync_new(&st);
  twin_uniform(f, 0.5, 0.5, 0.05, 0.1);
  assert_int_equal(robot_uniform(f, 1000.5, 0.51, 0.05, 0.1), DTW_SYNC_MATCHED);
  dtw_sync_destroy(f);
  free(r);
  dtw_sync_destroy(s);
}

static void test_latest_robot_state(void **state) {
  fx_t *fx = *state;
  dtw_joint_state_msg_t m, out;
  size_t a[] = {J_TORSO, J_LEFT_KNEE};
  double pa[] = {0.7, 0.3}, va[] = {1.0, 2.0};
  sync_msg(&m, 1.005, a, 2, pa, va);
  assert_int_equal(dtw_sync_on_robot_sample(fx->s, &m, 1.03, NULL), 0);
  // an older stamp arriving later does not override; a newer one does
  size_t b[] = {J_LEFT_KNEE};
  double pb[] = {0.1}, vb[] = {9.0};
  sync_msg(&m, 1.001, b, 1, pb, vb);
  assert_int_equal(dtw_sync_on_robot_sample(fx->s, &m, 1.031, NULL), 0);
  size_t c[] = {0};
  double pc[] = {-0.4};
  sync_msg(&m, 1.008, c, 1, pc, NULL);
  assert_int_equal(dtw_sync_on_robot_sample(fx->s, &m, 1.032, NULL), 0);

  assert_int_equal(dtw_sync_latest_robot_state(fx->s, &out), 0);
  assert_near(dtw_time_to_s(out.stamp), 1.008, 1e-9);
  assert_int_equal(out.n_name, 3);  // twin order
  assert_string_equal(out.name[0], "left_hip_yaw");
  assert_string_equal(out.name[1], "left_knee");
  assert_string_equal(out.name[2], "torso_yaw");
  assert_near(out.position[0], -0.4, 0);
  assert_near(out.position[1], 0.3, 0);
  assert_near(out.position[2], 0.7, 0);
  assert_int_equal(out.n_position, 3);
  assert_int_equal(out.n_velocity, 0);  // hip had none
}

/* A robot sample stamped far ahead (a bad clock, a replay) is refused and
 * poisons neither the clock offset nor the state a re-sync would use. */
static void test_future_stamp_refused(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  snprintf(st.time_alignment, sizeof st.time_alignment, "estimate");
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  dtw_joint_state_msg_t out;
  for (int k = 0; k < 100; k++) {
    double t = 0.01 * k;
    twin_uniform(s, t, t + 0.0005, 0.1 * t, 0.1);
    robot_uniform(s, t, t + 0.002, 0.1 * t, 0.1);
  }
  // stamped 60 s ahead, arriving now
  dtw_joint_state_msg_t m;
  sync_msg_uniform(&m, 61.0, 5.0, 0.0);
  dtw_sync_outcome_t o = DTW_SYNC_MATCHED;
  assert_int_equal(dtw_sync_on_robot_sample(s, &m, 1.0, &o), DTW_EINVAL);
  assert_int_equal(o, DTW_SYNC_REFUSED_STAMP_FUTURE);
  assert_true(dtw_sync_outcome_refused(o));
  assert_string_equal(dtw_sync_outcome_name(o), "refused_stamp_future");
  assert_int_equal(dtw_sync_latest_robot_state(s, &out), 0);
  assert_near(dtw_time_to_s(out.stamp), 0.99, 1e-9);
  assert_near(out.position[0], 0.099, 1e-12);
  // the feed goes on as before: matched, the offset where it was
  twin_uniform(s, 1.0, 1.0005, 0.1, 0.1);
  assert_int_equal(robot_uniform(s, 1.0, 1.002, 0.1, 0.1), DTW_SYNC_MATCHED);
  sync_report_at(s, 1.01, r);
  assert_near(r->time_offset_s, 0.0, 0.001);
  assert_int_equal(r->outcomes[DTW_SYNC_REFUSED_STAMP_FUTURE], 1);
  free(r);
  dtw_sync_destroy(s);
}

/* A robot restarted with a younger clock: its new samples become the state a
 * re-sync uses, and the old clock's offset is not kept. */
static void test_robot_clock_restart(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  snprintf(st.time_alignment, sizeof st.time_alignment, "estimate");
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  dtw_joint_state_msg_t out;
  // robot clock 100 s ahead of twin time, then the robot restarts at 0
  for (int k = 0; k < 100; k++) {
    double t = 0.01 * k;
    twin_uniform(s, t, t + 0.0005, 0.2, 0.0);
    robot_uniform(s, 100.0 + t, t + 0.002, 0.2, 0.0);
  }
  for (int k = 100; k < 200; k++) {
    double t = 0.01 * k;
    twin_uniform(s, t, t + 0.0005, 0.2, 0.0);
    robot_uniform(s, t - 1.0, t + 0.002, 0.2, 0.0);
  }
  sync_report_at(s, 2.0, r);
  assert_int_equal(r->robot_clock_resets, 1);
  assert_near(r->time_offset_s, 1.0, 0.003);
  assert_int_equal(dtw_sync_latest_robot_state(s, &out), 0);
  assert_near(dtw_time_to_s(out.stamp), 0.99, 1e-9);
  assert_true(r->outcomes[DTW_SYNC_MATCHED] >= 190);
  free(r);
  dtw_sync_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_interpolates_between_samples, setup, teardown),
      cmocka_unit_test_setup_teardown(test_exact_on_samples, setup, teardown),
      cmocka_unit_test_setup_teardown(test_out_of_order_matched_by_stamp, setup, teardown),
      cmocka_unit_test_setup_teardown(test_subset_reordered_unknown, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_outside_history, setup, teardown),
      cmocka_unit_test(test_no_twin_and_partial_twin),
      cmocka_unit_test_setup_teardown(test_twin_clock_restart_and_repeat, setup, teardown),
      cmocka_unit_test(test_offset_estimate),
      cmocka_unit_test_setup_teardown(test_latest_robot_state, setup, teardown),
      cmocka_unit_test(test_future_stamp_refused),
      cmocka_unit_test(test_robot_clock_restart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
