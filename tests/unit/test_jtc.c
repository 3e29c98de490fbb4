/* The controller against a simulated plant: each joint a unit-inertia double
 * integrator (qdd = effort + disturbance) stepped at 1 kHz. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/harness.h"
#include "dtw/err.h"
#include "dtw/jtc.h"

#define NR 4   /* robot joints: a, x (not controlled), b, c */
#define DT 1e-3

enum { RA = 0, RX = 1, RB = 2, RC = 3 };  /* robot indices */
enum { CA = 0, CB = 1, CC = 2 };          /* controller indices */

typedef struct {
  dtw_joint_desc_t joints[NR];
  dtw_jtc_config_t cfg;
  dtw_jtc_t *jtc;
  double q[NR], qd[NR], u[NR], dist[NR];
  bool stuck[NR];           /* an obstacle: the joint does not move */
  double t;
  dtw_joint_trajectory_msg_t msg;
  char err[256];
} fx_t;

static void make_robot(fx_t *f) {
  const char *names[NR] = {"a", "x", "b", "c"};
  for (int r = 0; r < NR; r++) {
    dtw_joint_desc_t *j = &f->joints[r];
    snprintf(j->name, DTW_NAME_MAX, "%s", names[r]);
    j->type = DTW_JOINT_REVOLUTE;
    j->limited = true;
    j->lower = -2.0, j->upper = 2.0;
    j->effort = 1000.0;
  }
  dtw_jtc_config_t *c = &f->cfg;
  dtw_jtc_config_defaults(c);
  snprintf(c->name, DTW_NAME_MAX, "test_controller");
  c->n_joints = 3;
  const char *cn[3] = {"a", "b", "c"};
  for (int k = 0; k < 3; k++) {
    snprintf(c->joints[k].name, DTW_NAME_MAX, "%s", cn[k]);
    // critically damped at 20 rad/s for unit inertia
    c->joints[k].gains = (dtw_jtc_gains_t){.p = 400.0, .d = 40.0};
    c->joints[k].goal_tol = 0.01;
  }
  c->stopped_velocity_tolerance = 0.05;
  c->allow_partial_joints_goal = true;
}

static int setup(void **state) {
  static fx_t f;
  memset(&f, 0, sizeof f);
  make_robot(&f);
  assert_int_equal(dtw_traj_msg_init(&f.msg, 16), 0);
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fx_t *f = *state;
  dtw_jtc_destroy(f->jtc);
  dtw_traj_msg_fini(&f->msg);
  return 0;
}

static void create(fx_t *f) {
  int rc = dtw_jtc_create(&f->cfg, f->joints, NR, &f->jtc, f->err, sizeof f->err);
  if (rc != 0) fail_msg("create: %s", f->err);
}

/* One control step then one plant step. */
static void step(fx_t *f) {
  f->u[RX] = 123.0;  // the controller must leave joints it does not drive alone
  dtw_jtc_update(f->jtc, f->t, f->q, f->qd, f->u);
  assert_true(f->u[RX] == 123.0);
  for (int r = 0; r < NR; r++) {
    if (r == RX || f->stuck[r]) {
      f->qd[r] = 0.0;
      continue;
    }
    f->qd[r] += (f->u[r] + f->dist[r]) * DT;
    f->q[r] += f->qd[r] * DT;
  }
  f->t += DT;
}

static void run(fx_t *f, double until) {
  while (f->t < until - 1e-9) step(f);
}

static dtw_jtc_state_t get(fx_t *f) {
  dtw_jtc_state_t s;
  dtw_jtc_get_state(f->jtc, &s);
  return s;
}

/* Trajectory builder: names then points of (time, positions[, velocities]). */
static void traj_begin(fx_t *f, const char *names) {
  dtw_traj_msg_clear(&f->msg);
  char buf[128];
  snprintf(buf, sizeof buf, "%s", names);
  for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " "))
    snprintf(f->msg.joint_names[f->msg.n_joints++], DTW_NAME_MAX, "%s", tok);
}

static void traj_point(fx_t *f, double t, const double *pos, const double *vel) {
  dtw_traj_point_t *p = dtw_traj_msg_add_point(&f->msg);
  assert_non_null(p);
  size_t n = f->msg.n_joints;
  p->n_positions = n;
  memcpy(p->positions, pos, n * sizeof *pos);
  if (vel) {
    p->n_velocities = n;
    memcpy(p->velocities, vel, n * sizeof *vel);
  }
  p->time_from_start = dtw_duration_from_s(t);
}

static void accept_ok(fx_t *f) {
  int rc = dtw_jtc_accept(f->jtc, &f->msg, f->t, f->err, sizeof f->err);
  if (rc != 0) fail_msg("accept: %d %s", rc, f->err);
}

static const double zero3[3] = {0, 0, 0};

static void test_tracks_reachable_goal(void **state) {
  fx_t *f = *state;
  create(f);
  step(f);
  assert_int_equal(get(f).status, DTW_JTC_IDLE);
  traj_begin(f, "a b c");
  traj_point(f, 0.5, (double[]){0.4, -0.2, 0.1}, (double[]){0.8, -0.4, 0.2});
  traj_point(f, 1.0, (double[]){1.0, -0.5, 0.3}, zero3);
  accept_ok(f);
  assert_int_equal(get(f).status, DTW_JTC_ACTIVE);
  double max_err = 0.0;
  while (f->t < 1.0) {
    step(f);
    dtw_jtc_state_t s = get(f);
    for (int k = 0; k < 3; k++) max_err = fmax(max_err, fabs(s.error_pos[k]));
  }
  assert_true(max_err < 0.05);  // tracks the spline closely while moving
  run(f, 2.0);
  dtw_jtc_state_t s = get(f);
  assert_int_equal(s.status, DTW_JTC_SUCCEEDED);
  assert_int_equal(s.succeeded, 1);
  assert_near(f->q[RA], 1.0, 0.01);
  assert_near(f->q[RB], -0.5, 0.01);
  assert_near(f->q[RC], 0.3, 0.01);
  // the state arrays are in controller order and consistent
  assert_near(s.desired_pos[CB], -0.5, 1e-12);
  assert_near(s.actual_pos[CB], f->q[RB], 1e-6);  // q moved one plant step since
  assert_near(s.error_pos[CB], s.desired_pos[CB] - s.actual_pos[CB], 1e-12);
  assert_int_equal(s.accepted, 1);
  assert_string_equal(dtw_jtc_joint_name(f->jtc, CC), "c");
  assert_int_equal(dtw_jtc_robot_index(f->jtc, CB), RB);
  assert_int_equal(dtw_jtc_joint_count(f->jtc), 3);
  assert_null(dtw_jtc_joint_name(f->jtc, 3));
}

/* Replacing a trajectory mid-motion keeps desired position and velocity
 * continuous: the new one starts from the desired state at acceptance. */
static void test_replace_mid_motion_no_jump(void **state) {
  fx_t *f = *state;
  create(f);
  step(f);
  traj_begin(f, "a b c");
  traj_point(f, 2.0, (double[]){1.5, 1.0, -1.0}, zero3);
  accept_ok(f);
  run(f, 0.8);
  dtw_jtc_state_t before = get(f);  // desired at t - DT
  assert_true(fabs(before.desired_vel[CA]) > 0.5);  // really moving
  traj_begin(f, "a b c");
  traj_point(f, 1.0, (double[]){-1.0, 0.0, 0.5}, (double[]){-0.5, 0.0, 0.0});
  traj_point(f, 2.0, (double[]){-1.2, 0.0, 0.5}, zero3);
  accept_ok(f);
  step(f);
  dtw_jtc_state_t after = get(f);
  for (int k = 0; k < 3; k++) {
    // one step later: position moved by about v*dt, velocity by about a*dt
    assert_near(after.desired_pos[k], before.desired_pos[k] + before.desired_vel[k] * DT, 1e-5);
    assert_near(after.desired_vel[k], before.desired_vel[k], 0.05);
  }
  // and it then goes to the new goal
  run(f, 3.5);
  assert_int_equal(get(f).status, DTW_JTC_SUCCEEDED);
  assert_near(f->q[RA], -1.2, 0.01);
  assert_int_equal(get(f).accepted, 2);
}

/* Exact continuity: sampled at the acceptance instant, nothing changes. */
static void test_replace_same_instant_is_exact(void **state) {
  fx_t *f = *state;
  create(f);
  step(f);
  traj_begin(f, "a b c");
  traj_point(f, 1.0, (double[]){0.5, 0.5, 0.5}, (double[]){0.3, 0.3, 0.3});
  traj_point(f, 2.0, (double[]){1.0, 1.0, 1.0}, zero3);
  accept_ok(f);
  run(f, 1.3);
  double t = f->t;
  dtw_jtc_update(f->jtc, t, f->q, f->qd, f->u);
  dtw_jtc_state_t before = get(f);
  traj_begin(f, "a");
  traj_point(f, 0.7, (double[]){0.0}, (double[]){0.0});
  accept_ok(f);
  dtw_jtc_update(f->jtc, t, f->q, f->qd, f->u);
  dtw_jtc_state_t after = get(f);
  for (int k = 0; k < 3; k++) {
    assert_near(after.desired_pos[k], before.desired_pos[k], 1e-12);
    assert_near(after.desired_vel[k], before.desired_vel[k], 1e-12);
  }
}

static void test_partial_goal_holds_others(void **state) {
  fx_t *f = *state;
  create(f);
  step(f);
  traj_begin(f, "a b c");
  traj_point(f, 1.0, (double[]){0.5, 0.6, 0.7}, zero3);
  accept_ok(f);
  run(f, 2.0);
  assert_int_equal(get(f).status, DTW_JTC_SUCCEEDED);
  // move b only; a and c keep their desired positions
  traj_begin(f, "b");
  traj_point(f, 1.0, (double[]){-0.4}, (double[]){0.0});
  accept_ok(f);
  for (int i = 0; i < 1500; i++) {
    step(f);
    dtw_jtc_state_t s = get(f);
    assert_near(s.desired_pos[CA], 0.5, 1e-12);
    assert_near(s.desired_pos[CC], 0.7, 1e-12);
  }
  assert_near(f->q[RB], -0.4, 0.01);
  assert_near(f->q[RA], 0.5, 0.01);

  // refused when partial goals are off; the active state is kept
  dtw_jtc_destroy(f->jtc);
  f->jtc = NULL;
  f->cfg.allow_partial_joints_goal = false;
  create(f);
  step(f);
  traj_begin(f, "a b c");
  traj_point(f, 1.0, (double[]){0.1, 0.1, 0.1}, zero3);
  accept_ok(f);
  traj_begin(f, "b");
  traj_point(f, 1.0, (double[]){-0.4}, (double[]){0.0});
  int rc = dtw_jtc_accept(f->jtc, &f->msg, f->t, f->err, sizeof f->err);
  assert_int_equal(rc, DTW_JTC_REFUSAL_CODE(DTW_JTC_REFUSAL_PARTIAL_GOAL));
  assert_non_null(strstr(f->err, "'a'"));
  dtw_jtc_state_t s = get(f);
  assert_int_equal(s.status, DTW_JTC_ACTIVE);
  assert_int_equal(s.refused[DTW_JTC_REFUSAL_PARTIAL_GOAL], 1);
  assert_int_equal(s.accepted, 1);
  run(f, f->t + 2.0);
  assert_near(f->q[RB], 0.1, 0.01);
}

static void test_refusal_keeps_active_and_counts(void **state) {
  fx_t *f = *state;
  create(f);
  step(f);
  traj_begin(f, "a b c");
  traj_point(f, 1.0, (double[]){0.3, 0.3, 0.3}, zero3);
  accept_ok(f);
  traj_begin(f, "a nope");
  traj_point(f, 1.0, (double[]){0.0, 0.0}, NULL);
  assert_int_equal(dtw_jtc_accept(f->jtc, &f->msg, f->t, f->err, sizeof f->err),
                   DTW_JTC_REFUSAL_CODE(DTW_JTC_REFUSAL_UNKNOWN_JOINT));
  traj_begin(f, "a");
  traj_point(f, 1.0, (double[]){5.0}, NULL);
  assert_int_equal(dtw_jtc_accept(f->jtc, &f->msg, f->t, f->err, sizeof f->err),
                   DTW_JTC_REFUSAL_CODE(DTW_JTC_REFUSAL_POSITION_LIMIT));
  assert_int_equal(dtw_jtc_accept(f->jtc, NULL, f->t, f->err, sizeof f->err), DTW_EINVAL);
  dtw_jtc_state_t s = get(f);
  assert_int_equal(s.refused[DTW_JTC_REFUSAL_UNKNOWN_JOINT], 1);
  assert_int_equal(s.refused[DTW_JTC_REFUSAL_POSITION_LIMIT], 1);
  assert_int_equal(s.status, DTW_JTC_ACTIVE);
  run(f, 2.0);
  assert_near(f->q[RA], 0.3, 0.01);
}

static void test_hold(void **state) {
  fx_t *f = *state;
  create(f);
  // the first update holds where the robot is
  f->q[RA] = 0.4, f->q[RB] = -0.3;
  step(f);
  dtw_jtc_state_t s = get(f);
  assert_near(s.desired_pos[CA], 0.4, 1e-12);
  assert_near(s.desired_pos[CB], -0.3, 1e-12);
  assert_int_equal(s.status, DTW_JTC_IDLE);
  // a teleport: hold given positions
  double q[NR] = {1.0, 0.0, -1.0, 0.5};
  traj_begin(f, "a b c");
  traj_point(f, 1.0, (double[]){0.3, 0.3, 0.3}, zero3);
  accept_ok(f);
  dtw_jtc_hold(f->jtc, q);
  s = get(f);
  assert_int_equal(s.status, DTW_JTC_IDLE);
  assert_near(s.desired_pos[CA], 1.0, 1e-12);
  assert_near(s.desired_pos[CC], 0.5, 1e-12);
  run(f, 1.5);
  assert_near(f->q[RA], 1.0, 0.01);
  assert_near(f->q[RB], -1.0, 0.01);
  assert_near(f->q[RC], 0.5, 0.01);
  // hold(NULL) keeps the current desired positions
  dtw_jtc_hold(f->jtc, NULL);
  assert_near(get(f).desired_pos[CB], -1.0, 1e-12);
}

/* A moving hold (a mirror twin between two robot samples) coasts at the given
 * velocity for its horizon, clamped to the limits, and then stays; a joint
 * moving with it is not braked. */
static void test_hold_moving(void **state) {
  fx_t *f = *state;
  create(f);
  step(f);
  f->q[RA] = 0.5, f->qd[RA] = 1.0;
  f->q[RB] = 1.98, f->qd[RB] = 1.0; /* reaches its limit (2.0) after 0.02 s */
  f->q[RC] = 0.0, f->qd[RC] = -2.0;
  dtw_jtc_hold_moving(f->jtc, f->q, f->qd, f->t, 0.1);
  dtw_jtc_state_t s = get(f);
  assert_int_equal(s.status, DTW_JTC_IDLE);
  assert_near(s.desired_vel[CA], 1.0, 1e-12);
  // at its velocity, the joint follows the moving target with no effort
  double t0 = f->t;
  step(f);
  assert_near(f->u[RA], 0.0, 1e-9);
  run(f, t0 + 0.05);
  s = get(f);
  assert_near(s.desired_pos[CA], 0.5 + (s.stamp_s - t0), 1e-9);
  assert_near(s.desired_vel[CA], 1.0, 1e-12);
  assert_near(f->qd[RA], 1.0, 1e-6);
  assert_near(s.desired_pos[CB], 2.0, 1e-12);
  assert_near(s.desired_pos[CC], -2.0 * (s.stamp_s - t0), 1e-9);
  // past the horizon it stops where it got to
  run(f, t0 + 1.0);
  s = get(f);
  assert_near(s.desired_pos[CA], 0.6, 1e-9);
  assert_near(s.desired_vel[CA], 0.0, 1e-12);
  assert_near(s.desired_pos[CC], -0.2, 1e-9);
  assert_near(f->q[RA], 0.6, 0.01);
  // a plain hold has no velocity; so has a moving one with no velocities
  dtw_jtc_hold(f->jtc, f->q);
  assert_near(get(f).desired_vel[CA], 0.0, 1e-12);
  dtw_jtc_hold_moving(f->jtc, f->q, NULL, f->t, 0.1);
  run(f, f->t + 0.05);
  assert_near(get(f).desired_pos[CA], f->q[RA], 0.01);
  assert_near(get(f).desired_vel[CA], 0.0, 1e-12);
}

static void test_path_tolerance_abort(void **state) {
  fx_t *f = *state;
  f->cfg.joints[CA].trajectory_tol = 0.05;
  create(f);
  step(f);
  f->stuck[RA] = true;  // an obstacle blocks a
  traj_begin(f, "a b c");
  traj_point(f, 1.0, (double[]){1.0, 0.2, 0.2}, zero3);
  accept_ok(f);
  run(f, 1.0);
  dtw_jtc_state_t s = get(f);
  assert_int_equal(s.status, DTW_JTC_ABORTED_PATH_TOLERANCE);
  assert_int_equal(s.path_aborts, 1);
  assert_int_equal(s.failed_joint, CA);
  assert_true(s.failed_error > 0.05);
  // holding the measured position, not moving on
  assert_near(s.desired_pos[CA], f->q[RA], 1e-12);
  assert_near(s.desired_vel[CA], 0.0, 1e-12);
  double b_at_abort = s.desired_pos[CB];
  run(f, 2.0);
  assert_near(get(f).desired_pos[CB], b_at_abort, 1e-12);
  assert_true(b_at_abort < 0.2);
  assert_string_equal(dtw_jtc_status_name(s.status), "aborted_path_tolerance");
}

static void test_goal_tolerance(void **state) {
  fx_t *f = *state;
  f->cfg.goal_time = 0.3;
  create(f);
  step(f);
  f->dist[RA] = -20.0;  // steady error 20/400 = 0.05 > goal tolerance 0.01
  traj_begin(f, "a b c");
  traj_point(f, 1.0, (double[]){0.5, 0.0, 0.0}, zero3);
  accept_ok(f);
  run(f, 1.25);
  assert_int_equal(get(f).status, DTW_JTC_ACTIVE);  // still within goal_time
  run(f, 1.4);
  dtw_jtc_state_t s = get(f);
  assert_int_equal(s.status, DTW_JTC_GOAL_TOLERANCE_VIOLATED);
  assert_int_equal(s.goal_violations, 1);
  assert_int_equal(s.failed_joint, CA);
  assert_near(s.failed_error, 0.05, 0.005);
  assert_string_equal(dtw_jtc_status_name(s.status), "goal_tolerance_violated");

  // goal_time 0 waits for the goal forever; the integral term then gets there
  dtw_jtc_destroy(f->jtc);
  f->jtc = NULL;
  f->cfg.goal_time = 0.0;
  f->cfg.joints[CA].gains.i = 400.0;
  f->cfg.joints[CA].gains.i_clamp = 30.0;
  f->t = 0.0;
  memset(f->q, 0, sizeof f->q);
  memset(f->qd, 0, sizeof f->qd);
  create(f);
  step(f);
  traj_begin(f, "a b c");
  traj_point(f, 0.5, (double[]){0.5, 0.0, 0.0}, zero3);
  accept_ok(f);
  run(f, 5.0);
  s = get(f);
  assert_int_equal(s.status, DTW_JTC_SUCCEEDED);
  assert_near(f->q[RA], 0.5, 0.01);
}

static void test_interpolation_none(void **state) {
  fx_t *f = *state;
  f->cfg.interpolation = DTW_JTC_INTERP_NONE;
  create(f);
  step(f);
  traj_begin(f, "a");
  traj_point(f, 0.5, (double[]){0.2}, NULL);
  traj_point(f, 1.5, (double[]){0.8}, NULL);
  double t0 = f->t;
  accept_ok(f);
  run(f, t0 + 0.25);
  assert_near(get(f).desired_pos[CA], 0.0, 1e-12);  // before the first point: start state
  run(f, t0 + 0.75);
  assert_near(get(f).desired_pos[CA], 0.8, 1e-12);  // JTC forwards the segment's end point
  run(f, t0 + 2.5);
  assert_near(get(f).desired_pos[CA], 0.8, 1e-12);
  assert_near(f->q[RA], 0.8, 0.01);
}

static void test_first_point_at_zero_jumps(void **state) {
  fx_t *f = *state;
  create(f);
  step(f);
  traj_begin(f, "a");
  traj_point(f, 0.0, (double[]){0.7}, NULL);
  traj_point(f, 1.0, (double[]){0.9}, NULL);
  accept_ok(f);
  step(f);
  // reached at once, then linear (positions only) towards 0.9
  assert_near(get(f).desired_pos[CA], 0.7, 0.001);
  assert_near(get(f).desired_vel[CA], 0.2, 1e-9);
}

static void test_accept_before_first_update(void **state) {
  fx_t *f = *state;
  create(f);
  f->q[RA] = 0.3;
  traj_begin(f, "a");
  traj_point(f, 1.0, (double[]){0.5}, (double[]){0.0});
  accept_ok(f);
  step(f);
  // the trajectory starts from the measured position, not from zero
  assert_near(get(f).desired_pos[CA], 0.3, 1e-6);
  assert_near(get(f).desired_pos[CB], 0.0, 1e-12);
  run(f, 2.0);
  assert_near(f->q[RA], 0.5, 0.01);
}

static void test_stamped_future_start(void **state) {
  fx_t *f = *state;
  create(f);
  step(f);
  traj_begin(f, "a");
  traj_point(f, 0.5, (double[]){0.4}, (double[]){0.0});
  f->msg.stamp = dtw_time_from_s(f->t + 1.0);  // starts in one second
  double t_point = f->t + 1.5;
  accept_ok(f);
  run(f, t_point - 0.5);
  assert_true(get(f).desired_pos[CA] < 0.4 - 1e-3);  // still on the way
  run(f, t_point + DT);
  assert_near(get(f).desired_pos[CA], 0.4, 1e-9);
}

/* An unstamped ("start now") trajectory accepted by a loop 0.3 s behind its
 * schedule starts 0.3 s later on its clock, where a loop on time would have
 * started it; a stamped one keeps its stamp. */
static void test_unstamped_start_behind(void **state) {
  fx_t *f = *state;
  create(f);
  step(f);
  traj_begin(f, "a");
  traj_point(f, 0.5, (double[]){0.4}, (double[]){0.0});
  double t_point = f->t + 0.3 + 0.5;
  int rc = dtw_jtc_accept_at(f->jtc, &f->msg, f->t, f->t + 0.3, f->err, sizeof f->err);
  if (rc != 0) fail_msg("accept_at: %d %s", rc, f->err);
  run(f, t_point - 0.4);
  assert_true(get(f).desired_pos[CA] < 0.4 - 1e-3);
  run(f, t_point + DT);
  assert_near(get(f).desired_pos[CA], 0.4, 1e-9);
  // stamped: the start given for an unstamped one does not apply
  traj_begin(f, "a");
  traj_point(f, 0.5, (double[]){0.1}, (double[]){0.0});
  f->msg.stamp = dtw_time_from_s(f->t);
  t_point = f->t + 0.5;
  rc = dtw_jtc_accept_at(f->jtc, &f->msg, f->t, f->t + 2.0, f->err, sizeof f->err);
  if (rc != 0) fail_msg("accept_at: %d %s", rc, f->err);
  run(f, t_point + DT);
  assert_near(get(f).desired_pos[CA], 0.1, 1e-9);
}

static void test_effort_terms_and_clamp(void **state) {
  fx_t *f = *state;
  f->joints[RB].effort = 10.0;
  f->cfg.joints[CA].gains = (dtw_jtc_gains_t){.ff_velocity_scale = 2.0};
  f->cfg.joints[CC].gains = (dtw_jtc_gains_t){.i = 100.0, .i_clamp = 0.5};
  create(f);
  double q[NR] = {0}, qd[NR] = {0}, u[NR] = {0};
  dtw_jtc_update(f->jtc, 0.0, q, qd, u);
  traj_begin(f, "a b c");
  traj_point(f, 1.0, (double[]){1.0, 1.5, 1.0}, NULL);  // linear: constant velocity
  assert_int_equal(dtw_jtc_accept(f->jtc, &f->msg, 0.0, f->err, sizeof f->err), 0);
  dtw_jtc_update(f->jtc, 0.001, q, qd, u);
  assert_near(u[RA], 2.0 * 1.0, 1e-9);   // ff_velocity_scale * desired velocity
  assert_near(u[RB], 10.0, 1e-12);       // 400 * 0.0015 + 40 * 1.5 = 60.6, clamped to 10
  assert_near(u[RC], 100.0 * 0.001 * 0.001, 1e-9);  // i * error * dt
  for (int i = 2; i < 2000; i++) dtw_jtc_update(f->jtc, 0.001 * i, q, qd, u);
  assert_near(u[RC], 0.5, 1e-12);        // integral clamped
  assert_near(get(f).effort[CC], 0.5, 1e-12);
}

static void test_continuous_joint_short_way(void **state) {
  fx_t *f = *state;
  f->joints[RC].type = DTW_JOINT_CONTINUOUS;
  f->joints[RC].limited = false;
  create(f);
  f->q[RC] = 0.1;
  step(f);
  traj_begin(f, "c");
  traj_point(f, 1.0, (double[]){2.0 * M_PI + 0.2}, (double[]){0.0});
  accept_ok(f);
  run(f, 2.0);
  assert_near(get(f).desired_pos[CC], 0.2, 1e-9);  // shifted by a whole turn
  assert_near(f->q[RC], 0.2, 0.01);
  // errors wrap: a measured position a turn away is no error
  double q[NR] = {0, 0, 0, 0.2 + 2.0 * M_PI}, qd[NR] = {0}, u[NR] = {0};
  dtw_jtc_update(f->jtc, f->t, q, qd, u);
  assert_near(get(f).error_pos[CC], 0.0, 1e-9);
}

static void test_create_errors(void **state) {
  fx_t *f = *state;
  dtw_jtc_t *j = NULL;
  snprintf(f->cfg.joints[CB].name, DTW_NAME_MAX, "zz");
  assert_int_equal(dtw_jtc_create(&f->cfg, f->joints, NR, &j, f->err, sizeof f->err),
                   DTW_EINVAL);
  assert_string_equal(f->err, "controller joint 'zz' is not in the robot model");
  assert_null(j);
  snprintf(f->cfg.joints[CB].name, DTW_NAME_MAX, "a");
  assert_int_equal(dtw_jtc_create(&f->cfg, f->joints, NR, &j, f->err, sizeof f->err),
                   DTW_EINVAL);
  assert_non_null(strstr(f->err, "listed twice"));
  snprintf(f->cfg.joints[CB].name, DTW_NAME_MAX, "b");
  f->cfg.joints[CB].gains.p = -1.0;
  assert_int_equal(dtw_jtc_create(&f->cfg, f->joints, NR, &j, f->err, sizeof f->err),
                   DTW_EINVAL);
  assert_non_null(strstr(f->err, "'b'"));
  f->cfg.joints[CB].gains.p = 1.0;
  f->cfg.n_joints = 0;
  assert_int_equal(dtw_jtc_create(&f->cfg, f->joints, NR, &j, f->err, sizeof f->err),
                   DTW_EINVAL);
  f->cfg.n_joints = 3;
  f->cfg.max_points = 0;
  assert_int_equal(dtw_jtc_create(&f->cfg, f->joints, NR, &j, f->err, sizeof f->err),
                   DTW_EINVAL);
  f->cfg.max_points = 2;
  assert_int_equal(dtw_jtc_create(&f->cfg, f->joints, NR, &j, f->err, sizeof f->err), 0);
  // capacity is fixed at create: a longer trajectory is refused, not grown
  traj_begin(f, "a");
  for (int i = 1; i <= 3; i++) traj_point(f, i, (double[]){0.0}, NULL);
  assert_int_equal(dtw_jtc_accept(j, &f->msg, 0.0, f->err, sizeof f->err),
                   DTW_JTC_REFUSAL_CODE(DTW_JTC_REFUSAL_TOO_MANY_POINTS));
  dtw_jtc_destroy(j);
  dtw_jtc_destroy(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_tracks_reachable_goal),
      T(test_replace_mid_motion_no_jump),
      T(test_replace_same_instant_is_exact),
      T(test_partial_goal_holds_others),
      T(test_refusal_keeps_active_and_counts),
      T(test_hold),
      T(test_hold_moving),
      T(test_path_tolerance_abort),
      T(test_goal_tolerance),
      T(test_interpolation_none),
      T(test_first_point_at_zero_jumps),
      T(test_accept_before_first_update),
      T(test_stamped_future_start),
      T(test_unstamped_start_behind),
      T(test_effort_terms_and_clamp),
      T(test_continuous_joint_short_way),
      T(test_create_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
