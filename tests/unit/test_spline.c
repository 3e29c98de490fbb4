/* Spline segments: end points, continuity at knots, derivative consistency. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "common/harness.h"
#include "dtw/spline.h"

#define EPS 1e-9

static void eval(const dtw_spline_t *s, double t, double *p, double *v, double *a) {
  dtw_spline_eval(s, t, p, v, a);
}

static void test_kind_follows_knots(void **state) {
  (void)state;
  assert_int_equal(dtw_spline_kind_for(0, 0, 0, 0), DTW_SPLINE_LINEAR);
  assert_int_equal(dtw_spline_kind_for(1, 0, 0, 0), DTW_SPLINE_LINEAR);
  assert_int_equal(dtw_spline_kind_for(1, 0, 1, 0), DTW_SPLINE_CUBIC);
  assert_int_equal(dtw_spline_kind_for(1, 1, 1, 0), DTW_SPLINE_CUBIC);
  assert_int_equal(dtw_spline_kind_for(1, 1, 1, 1), DTW_SPLINE_QUINTIC);
  // accelerations without velocities cannot shape a segment
  assert_int_equal(dtw_spline_kind_for(0, 1, 0, 1), DTW_SPLINE_LINEAR);
}

static void test_linear(void **state) {
  (void)state;
  dtw_spline_t s;
  dtw_spline_init(&s, DTW_SPLINE_LINEAR, 2.0, 1.0, 99.0, 99.0, 3.0, 99.0, 99.0);
  double p, v, a;
  eval(&s, 0.0, &p, &v, &a);
  assert_near(p, 1.0, EPS);
  assert_near(v, 1.0, EPS);
  assert_near(a, 0.0, EPS);
  eval(&s, 1.0, &p, &v, &a);
  assert_near(p, 2.0, EPS);
  assert_near(v, 1.0, EPS);
  eval(&s, 2.0, &p, NULL, NULL);
  assert_true(p == 3.0);  // exactly the end knot
  // clamped outside [0, T]
  eval(&s, -1.0, &p, NULL, NULL);
  assert_near(p, 1.0, EPS);
  eval(&s, 5.0, &p, NULL, NULL);
  assert_true(p == 3.0);
}

static void test_cubic_end_points(void **state) {
  (void)state;
  dtw_spline_t s;
  double p0 = 0.3, v0 = -1.0, p1 = -1.7, v1 = 0.5, T = 1.3;
  dtw_spline_init(&s, DTW_SPLINE_CUBIC, T, p0, v0, 0.0, p1, v1, 0.0);
  double p, v;
  eval(&s, 0.0, &p, &v, NULL);
  assert_near(p, p0, EPS);
  assert_near(v, v0, EPS);
  eval(&s, T, &p, &v, NULL);
  assert_true(p == p1);
  assert_true(v == v1);
  // the polynomial itself reaches the knot (not only the exact-end shortcut)
  eval(&s, T - 1e-10, &p, &v, NULL);
  assert_near(p, p1, 1e-8);
  assert_near(v, v1, 1e-8);
}

static void test_quintic_matches_accelerations(void **state) {
  (void)state;
  dtw_spline_t s;
  double p0 = 1.0, v0 = 0.2, a0 = -3.0, p1 = 0.4, v1 = -0.6, a1 = 2.5, T = 0.8;
  dtw_spline_init(&s, DTW_SPLINE_QUINTIC, T, p0, v0, a0, p1, v1, a1);
  double p, v, a;
  eval(&s, 0.0, &p, &v, &a);
  assert_near(p, p0, EPS);
  assert_near(v, v0, EPS);
  assert_near(a, a0, EPS);
  eval(&s, T - 1e-10, &p, &v, &a);
  assert_near(p, p1, 1e-8);
  assert_near(v, v1, 1e-8);
  assert_near(a, a1, 1e-7);
}

/* Two segments sharing a knot: position and velocity (and acceleration for
 * quintic) agree on both sides. */
static void check_continuity(dtw_spline_kind_t kind) {
  double kp[3] = {0.0, 1.2, -0.5}, kv[3] = {0.0, 0.8, 0.0}, ka[3] = {0.0, -2.0, 0.0};
  double kt[3] = {0.0, 1.0, 2.5};
  dtw_spline_t s1, s2;
  dtw_spline_init(&s1, kind, kt[1] - kt[0], kp[0], kv[0], ka[0], kp[1], kv[1], ka[1]);
  dtw_spline_init(&s2, kind, kt[2] - kt[1], kp[1], kv[1], ka[1], kp[2], kv[2], ka[2]);
  double pl, vl, al, pr, vr, ar;
  double h = 1e-7;
  eval(&s1, kt[1] - kt[0] - h, &pl, &vl, &al);
  eval(&s2, h, &pr, &vr, &ar);
  assert_near(pl, pr, 1e-5);
  if (kind != DTW_SPLINE_LINEAR) assert_near(vl, vr, 1e-4);
  if (kind == DTW_SPLINE_QUINTIC) assert_near(al, ar, 1e-3);
}

static void test_continuity_at_knots(void **state) {
  (void)state;
  check_continuity(DTW_SPLINE_LINEAR);
  check_continuity(DTW_SPLINE_CUBIC);
  check_continuity(DTW_SPLINE_QUINTIC);
}

/* v and a are the derivatives of p (central differences). */
static void test_derivatives_consistent(void **state) {
  (void)state;
  dtw_spline_kind_t kinds[] = {DTW_SPLINE_LINEAR, DTW_SPLINE_CUBIC, DTW_SPLINE_QUINTIC};
  for (size_t k = 0; k < 3; k++) {
    dtw_spline_t s;
    dtw_spline_init(&s, kinds[k], 1.5, -0.2, 0.7, 1.0, 0.9, -0.3, -1.0);
    for (double t = 0.1; t < 1.4; t += 0.1) {
      double h = 1e-5, pm, pp, v, vm, vp, a;
      eval(&s, t - h, &pm, &vm, NULL);
      eval(&s, t + h, &pp, &vp, NULL);
      eval(&s, t, NULL, &v, &a);
      assert_near(v, (pp - pm) / (2 * h), 1e-6);
      assert_near(a, (vp - vm) / (2 * h), 1e-5);
    }
  }
}

static void test_zero_duration(void **state) {
  (void)state;
  dtw_spline_t s;
  dtw_spline_init(&s, DTW_SPLINE_CUBIC, 0.0, 5.0, 1.0, 0.0, 2.0, 0.5, 0.0);
  double p, v, a;
  eval(&s, 0.0, &p, &v, &a);
  assert_true(p == 2.0);
  assert_true(v == 0.5);
  assert_true(a == 0.0);
  assert_true(isfinite(s.c[2]) && isfinite(s.c[3]));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kind_follows_knots),
      cmocka_unit_test(test_linear),
      cmocka_unit_test(test_cubic_end_points),
      cmocka_unit_test(test_quintic_matches_accelerations),
      cmocka_unit_test(test_continuity_at_knots),
      cmocka_unit_test(test_derivatives_consistent),
      cmocka_unit_test(test_zero_duration),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
