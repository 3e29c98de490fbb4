/* The generic motion (src/control/motion_gen.c): every joint makes one
 * excursion 30% of the way toward its roomier limit and back, in
 * overlapping waves, sways part of the way between them so it moves in every
 * segment, stays inside its limits, and the controller accepts it. */
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
#include "dtw/motion_gen.h"

#define N 8

static void table(dtw_joint_desc_t *j, double *q0) {
  memset(j, 0, N * sizeof *j);
  static const struct {
    const char *name;
    dtw_joint_type_t type;
    double lo, hi, vel, q0;
  } spec[N] = {
      {"hip", DTW_JOINT_REVOLUTE, -3.0, 2.0, 0, 0.0},      /* more room below */
      {"knee", DTW_JOINT_REVOLUTE, 0.0, 2.5, 0, 0.0},      /* at its lower limit */
      {"ankle", DTW_JOINT_REVOLUTE, -1.0, 1.0, 0, 0.5},    /* off-centre */
      {"wrist", DTW_JOINT_CONTINUOUS, 0, 0, 0, 4.0},       /* no limits */
      {"lift", DTW_JOINT_PRISMATIC, 0, 0, 0, 0.1},         /* unlimited slider */
      {"slow", DTW_JOINT_REVOLUTE, -2.0, 2.0, 0.2, 0.0},   /* velocity-limited */
      {"outside", DTW_JOINT_REVOLUTE, -0.5, 0.5, 0, 0.9},  /* rests past its limit */
      {"neck", DTW_JOINT_REVOLUTE, -1.0, 1.0, 0, 0.0},
  };
  for (size_t k = 0; k < N; k++) {
    snprintf(j[k].name, DTW_NAME_MAX, "%s", spec[k].name);
    j[k].type = spec[k].type;
    j[k].limited = spec[k].type == DTW_JOINT_REVOLUTE;
    j[k].lower = spec[k].lo;
    j[k].upper = spec[k].hi;
    j[k].velocity = spec[k].vel;
    q0[k] = spec[k].q0;
  }
}

static void test_each_joint_one_excursion(void **state) {
  (void)state;
  dtw_joint_desc_t j[N];
  double q0[N];
  table(j, q0);
  dtw_motion_gen_opts_t o;
  dtw_motion_gen_opts_default(&o);
  o.waves = 3;
  o.sway = 0; /* the waves alone: each joint at rest outside its own */
  dtw_joint_trajectory_msg_t m;
  assert_int_equal(dtw_traj_msg_init(&m, 16), 0);
  char err[256];
  assert_int_equal(dtw_motion_generic(j, N, q0, &o, &m, err, sizeof err), 0);
  assert_int_equal(m.n_joints, N);
  assert_int_equal(m.n_points, 4);
  /* the slow joint stretches the segment: 1.875 x 0.6 rad / (0.5 x 0.2 rad/s) */
  double seg = 1.875 * 0.6 / 0.1;
  const double rest[N] = {0.0, 0.0, 0.5, 4.0, 0.1, 0.0, 0.5, 0.0};
  const double peak[N] = {-0.9, 0.75, 0.05, 4.5, 0.15, 0.6, 0.2, 0.3};
  for (size_t i = 0; i < m.n_points; i++) {
    const dtw_traj_point_t *p = &m.points[i];
    assert_true(fabs(dtw_duration_to_s(p->time_from_start) - (double)(i + 1) * seg) < 1e-6);
    assert_int_equal(p->n_positions, N);
    assert_int_equal(p->n_velocities, N);
    assert_int_equal(p->n_accelerations, N);
    for (size_t k = 0; k < N; k++) {
      double want = k % 3 == i ? peak[k] : rest[k];
      if (fabs(p->positions[k] - want) > 1e-12)
        fail_msg("point %zu joint %s: %g, want %g", i, j[k].name, p->positions[k], want);
      assert_true(p->velocities[k] == 0 && p->accelerations[k] == 0);
      if (j[k].limited) assert_true(p->positions[k] >= j[k].lower && p->positions[k] <= j[k].upper);
    }
  }
  assert_string_equal(m.joint_names[3], "wrist");
  assert_true(m.stamp.sec == 0 && m.stamp.nanosec == 0);

  /* and the controller takes it as it is */
  dtw_jtc_config_t cfg;
  dtw_jtc_config_defaults(&cfg);
  cfg.n_joints = N;
  for (size_t k = 0; k < N; k++) memcpy(cfg.joints[k].name, j[k].name, DTW_NAME_MAX);
  assert_int_equal(dtw_jtc_validate(&m, j, &cfg, 0.0, NULL, err, sizeof err), 0);
  dtw_traj_msg_fini(&m);
}

/* With sway (the default), every joint moves in every segment by at least
 * sway x its excursion, makes its full excursion once, at its wave's knot,
 * and the motion ends with every joint at rest on an even knot. */
static void test_every_joint_moves_in_every_segment(void **state) {
  (void)state;
  dtw_joint_desc_t j[N];
  double q0[N];
  table(j, q0);
  const double rest[N] = {0.0, 0.0, 0.5, 4.0, 0.1, 0.0, 0.5, 0.0};
  const double peak[N] = {-0.9, 0.75, 0.05, 4.5, 0.15, 0.6, 0.2, 0.3};
  dtw_motion_gen_opts_t o;
  dtw_motion_gen_opts_default(&o);
  assert_true(o.sway == 0.4);
  dtw_joint_trajectory_msg_t m;
  assert_int_equal(dtw_traj_msg_init(&m, 16), 0);
  char err[256];
  /* 3 waves: knots 1..4; 4 waves: 5 knots would end on a swayed one, so 6 */
  const size_t waves[] = {3, 4, 6};
  const size_t want_points[] = {4, 6, 8};
  for (size_t w = 0; w < sizeof waves / sizeof waves[0]; w++) {
    o.waves = waves[w];
    assert_int_equal(dtw_motion_generic_points(N, &o), want_points[w]);
    assert_int_equal(dtw_motion_generic(j, N, q0, &o, &m, err, sizeof err), 0);
    assert_int_equal(m.n_points, want_points[w]);
    for (size_t k = 0; k < N; k++) {
      double prev = rest[k], span = fabs(peak[k] - rest[k]);
      size_t at_peak = 0;
      for (size_t i = 0; i < m.n_points; i++) {
        double q = m.points[i].positions[k];
        if (fabs(q - prev) < o.sway * span - 1e-12)
          fail_msg("%zu waves, joint %s: moves %g in segment %zu, want >= %g", waves[w],
                   j[k].name, fabs(q - prev), i, o.sway * span);
        at_peak += fabs(q - peak[k]) < 1e-12;
        if (i == k % waves[w]) assert_true(fabs(q - peak[k]) < 1e-12);
        if (j[k].limited) assert_true(q >= j[k].lower && q <= j[k].upper);
        prev = q;
      }
      assert_int_equal(at_peak, 1);
      assert_true(fabs(m.points[m.n_points - 1].positions[k] - rest[k]) < 1e-12);
    }
  }
  /* sway out of [0, 1) is refused */
  o.sway = 1.0;
  assert_int_equal(dtw_motion_generic(j, N, q0, &o, &m, err, sizeof err), DTW_EINVAL);
  o.sway = -0.1;
  assert_int_equal(dtw_motion_generic(j, N, q0, &o, &m, err, sizeof err), DTW_EINVAL);
  dtw_traj_msg_fini(&m);
}

static void test_defaults_and_refusals(void **state) {
  (void)state;
  dtw_joint_desc_t j[N];
  double q0[N];
  table(j, q0);
  dtw_motion_gen_opts_t o;
  dtw_motion_gen_opts_default(&o);
  assert_true(o.fraction == 0.3 && o.unlimited_rad == 0.5 && o.waves == 6 && o.segment_s == 1.0);
  dtw_joint_trajectory_msg_t m;
  assert_int_equal(dtw_traj_msg_init(&m, 6), 0);
  char err[256];
  /* 6 waves need 8 points (7 knots, one more to end at rest after a swayed one) */
  assert_int_equal(dtw_motion_generic(j, N, q0, &o, &m, err, sizeof err), DTW_EFULL);
  /* fewer joints than waves: one wave per joint */
  assert_int_equal(dtw_motion_generic(j, 3, q0, &o, &m, err, sizeof err), 0);
  assert_int_equal(m.n_points, 4);
  assert_int_equal(dtw_motion_generic_points(0, &o), 0);
  o.fraction = 1.0;
  assert_int_equal(dtw_motion_generic(j, 3, q0, &o, &m, err, sizeof err), DTW_EINVAL);
  dtw_motion_gen_opts_default(&o);
  q0[1] = NAN;
  assert_int_equal(dtw_motion_generic(j, 3, q0, &o, &m, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "knee"));
  assert_int_equal(dtw_motion_generic(j, 0, q0, &o, &m, err, sizeof err), DTW_EINVAL);
  dtw_traj_msg_fini(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_joint_one_excursion),
      cmocka_unit_test(test_every_joint_moves_in_every_segment),
      cmocka_unit_test(test_defaults_and_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
