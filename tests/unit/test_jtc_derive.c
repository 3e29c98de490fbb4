/* A controller derived from inertias (src/control/jtc_derive.c): the gains,
 * the discrete stability bound, the printed ros2_control file and its round
 * trip through the loader. No MuJoCo: inertia matrices are written here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtw/err.h"
#include "dtw/jtc_derive.h"

static dtw_joint_desc_t joint(const char *name, dtw_joint_type_t type, double lo, double hi,
                              double effort) {
  dtw_joint_desc_t j;
  memset(&j, 0, sizeof j);
  snprintf(j.name, sizeof j.name, "%s", name);
  j.type = type;
  j.limited = type != DTW_JOINT_CONTINUOUS;
  j.lower = lo;
  j.upper = hi;
  j.effort = effort;
  return j;
}

static void opts(dtw_jtc_derive_opts_t *o) {
  dtw_jtc_derive_opts_default(o);
  o->name = "arm_controller";
}

static bool near(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b); }

/* Decoupled joints: p = M w^2, d = 2 zeta M w with the requested w and zeta. */
static void test_gains_from_inertia(void **state) {
  (void)state;
  dtw_joint_desc_t j[2] = {joint("shoulder", DTW_JOINT_REVOLUTE, -2, 2, 1000),
                           joint("wrist", DTW_JOINT_CONTINUOUS, 0, 0, 0)};
  double m[4] = {1.0, 0, 0, 0.1};
  dtw_jtc_derive_opts_t o;
  opts(&o);
  dtw_jtc_config_t cfg;
  dtw_jtc_derive_info_t info;
  char err[256];
  assert_int_equal(dtw_jtc_derive(j, 2, m, 1, &o, &cfg, &info, err, sizeof err), 0);
  double w = 2 * M_PI * 10;
  assert_true(near(info.omega_rad_s, w, 1e-12));
  assert_true(near(info.omega_min_rad_s, w, 1e-12));
  assert_true(info.zeta == 1.0 && info.mu_min == 1.0);
  assert_string_equal(cfg.name, "arm_controller");
  assert_int_equal(cfg.n_joints, 2);
  assert_string_equal(cfg.joints[1].name, "wrist");
  assert_true(near(cfg.joints[0].gains.p, w * w, 1e-3));
  assert_true(near(cfg.joints[0].gains.d, 2 * w, 1e-3));
  assert_true(near(cfg.joints[1].gains.p, 0.1 * w * w, 1e-3));
  assert_true(near(cfg.joints[1].gains.d, 0.2 * w, 1e-3));
  assert_true(cfg.joints[0].gains.i == 0 && cfg.joints[0].gains.i_clamp == 0);
  assert_true(cfg.update_rate_hz == 1000 && cfg.allow_partial_joints_goal);
  /* tolerances: the demo file's, capped by a limited joint's range */
  assert_true(cfg.joints[0].trajectory_tol == 0.5 && cfg.joints[0].goal_tol == 0.08);
  assert_true(cfg.goal_time == 5.0 && cfg.stopped_velocity_tolerance == 0.1);

  /* the largest inertia over the poses counts */
  double poses[8] = {1.0, 0, 0, 0.1, 2.0, 0, 0, 0.05};
  assert_int_equal(dtw_jtc_derive(j, 2, poses, 2, &o, &cfg, &info, err, sizeof err), 0);
  assert_true(near(cfg.joints[0].gains.p, 2 * w * w, 1e-3));
  assert_true(near(cfg.joints[1].gains.p, 0.1 * w * w, 1e-3));
  assert_true(near(info.mu_min, 0.5, 1e-9)); /* wrist at 0.05 while sized for 0.1 */
}

/* An actuator too weak for p x 0.1 rad gets a lower w: p = effort / 0.1 rad. */
static void test_weak_actuator_gets_a_lower_bandwidth(void **state) {
  (void)state;
  dtw_joint_desc_t j[2] = {joint("shoulder", DTW_JOINT_REVOLUTE, -2, 2, 50),
                           joint("gripper", DTW_JOINT_PRISMATIC, 0, 0.04, 2)};
  double m[4] = {1.0, 0, 0, 0.5};
  dtw_jtc_derive_opts_t o;
  opts(&o);
  dtw_jtc_config_t cfg;
  dtw_jtc_derive_info_t info;
  char err[256];
  assert_int_equal(dtw_jtc_derive(j, 2, m, 1, &o, &cfg, &info, err, sizeof err), 0);
  double w = sqrt(50 / 0.1);
  assert_true(near(cfg.joints[0].gains.p, 500, 1e-3));
  assert_true(near(cfg.joints[0].gains.d, 2 * w, 1e-3));
  /* prismatic: 0.01 m, 2 N -> p 200 N/m */
  assert_true(near(cfg.joints[1].gains.p, 200, 1e-3));
  assert_true(near(info.omega_rad_s, w, 1e-9));
  assert_true(near(info.omega_min_rad_s, sqrt(200 / 0.5), 1e-9));
}

static void test_small_ranges_and_prismatic_tolerances(void **state) {
  (void)state;
  dtw_joint_desc_t j[2] = {joint("ankle_roll", DTW_JOINT_REVOLUTE, -0.2, 0.2, 10),
                           joint("gripper", DTW_JOINT_PRISMATIC, 0, 0.04, 20)};
  double m[4] = {0.02, 0, 0, 0.5};
  dtw_jtc_derive_opts_t o;
  opts(&o);
  dtw_jtc_config_t cfg;
  char err[256];
  assert_int_equal(dtw_jtc_derive(j, 2, m, 1, &o, &cfg, NULL, err, sizeof err), 0);
  assert_true(near(cfg.joints[0].trajectory_tol, 0.2, 1e-12));
  assert_true(near(cfg.joints[0].goal_tol, 0.04, 1e-12));
  assert_true(near(cfg.joints[1].trajectory_tol, 0.02, 1e-12));
  assert_true(near(cfg.joints[1].goal_tol, 0.004, 1e-12));
}

/* One step of the discrete closed loop the twin runs: efforts from the state
 * at the step's start, then semi-implicit Euler (MuJoCo's). */
static double simulate_norm(const double *m, const dtw_jtc_config_t *cfg, double dt, int steps) {
  double q[2] = {0.1, -0.05}, v[2] = {0, 0};
  double det = m[0] * m[3] - m[1] * m[2];
  for (int k = 0; k < steps; k++) {
    double f[2];
    for (int i = 0; i < 2; i++) f[i] = -cfg->joints[i].gains.p * q[i] - cfg->joints[i].gains.d * v[i];
    double a0 = (m[3] * f[0] - m[1] * f[1]) / det, a1 = (-m[2] * f[0] + m[0] * f[1]) / det;
    v[0] += dt * a0, v[1] += dt * a1;
    q[0] += dt * v[0], q[1] += dt * v[1];
  }
  return sqrt(q[0] * q[0] + q[1] * q[1] + dt * dt * (v[0] * v[0] + v[1] * v[1]));
}

/* Strongly coupled joints (parallel axes): the damping ratio is lowered so
 * the loop stays stable at the timestep - and it is: the same loop with the
 * damping the defaults asked for blows up. */
static void test_coupled_joints_stay_stable(void **state) {
  (void)state;
  dtw_joint_desc_t j[2] = {joint("hip", DTW_JOINT_REVOLUTE, -2, 2, 0),
                           joint("knee", DTW_JOINT_REVOLUTE, 0, 2.5, 0)};
  /* rho = 0.99: mu = 0.01 */
  double m[4] = {2.0, 0.99 * sqrt(2.0 * 0.4), 0.99 * sqrt(2.0 * 0.4), 0.4};
  dtw_jtc_derive_opts_t o;
  opts(&o);
  dtw_jtc_config_t cfg;
  dtw_jtc_derive_info_t info;
  char err[256];
  assert_int_equal(dtw_jtc_derive(j, 2, m, 1, &o, &cfg, &info, err, sizeof err), 0);
  print_message("mu %.4f: w %.1f rad/s, zeta %.3f, %.0f%% of the limit\n", info.mu_min,
                info.omega_rad_s, info.zeta, 100 * info.stability_use);
  assert_true(near(info.mu_min, 0.01, 1e-6));
  assert_true(info.zeta < 1.0 && info.zeta >= 0.1);
  assert_true(info.stability_use <= 0.5 + 1e-9);
  double dt = o.timestep_s;
  assert_true(simulate_norm(m, &cfg, dt, 20000) < 1e-3);
  /* the bound is tight: past the limit (twice what the margin leaves) it blows up */
  dtw_jtc_config_t twice = cfg;
  for (int i = 0; i < 2; i++) twice.joints[i].gains.d *= 2.0 / o.stability_margin;
  assert_false(simulate_norm(m, &twice, dt, 20000) < 1e3);
  /* the same loop at zeta 1 is past the limit */
  dtw_jtc_config_t hot = cfg;
  for (int i = 0; i < 2; i++) hot.joints[i].gains.d *= 1.0 / info.zeta;
  assert_false(simulate_norm(m, &hot, dt, 20000) < 1e3); /* grows, or overflows to NaN */

  /* with a much coarser timestep the bandwidth itself comes down, zeta at its floor */
  o.timestep_s = 0.01;
  assert_int_equal(dtw_jtc_derive(j, 2, m, 1, &o, &cfg, &info, err, sizeof err), 0);
  assert_true(info.omega_rad_s < 2 * M_PI * 10 && near(info.zeta, 0.1, 1e-12));
  assert_true(simulate_norm(m, &cfg, 0.01, 20000) < 1e-2);

  /* joints with different bandwidths (a weak knee): still inside the bound */
  j[1].effort = 5;
  o.timestep_s = 0.001;
  assert_int_equal(dtw_jtc_derive(j, 2, m, 1, &o, &cfg, &info, err, sizeof err), 0);
  assert_true(info.omega_min_rad_s < info.omega_rad_s);
  assert_true(info.stability_use <= 0.5 + 1e-6);
  assert_true(simulate_norm(m, &cfg, 0.001, 20000) < 1e-3);
  twice = cfg;
  for (int i = 0; i < 2; i++) twice.joints[i].gains.d *= 2.0 / o.stability_margin;
  assert_false(simulate_norm(m, &twice, 0.001, 20000) < 1e3);
}

/* The bound behind the derivation: with diagonal gains K, C, the loop the twin
 * runs (effort held over a step, semi-implicit Euler) is stable when
 * lambda_min(G^-1/2 M G^-1/2) > 1, G = dt^2 K / 4 + dt C / 2. Checked on random
 * coupled 4-joint systems (fixed seed), by running them. */
static void test_stability_bound_on_random_systems(void **state) {
  (void)state;
  enum { N4 = 4 };
  unsigned seed = 12345;
  int checked = 0, unstable_below = 0, below = 0;
  for (int trial = 0; trial < 400; trial++) {
    double a[N4 * N4], m[N4 * N4], mi[N4 * N4], k[N4], c[N4], g[N4], dt = 0.001;
    for (int i = 0; i < N4 * N4; i++) a[i] = 2.0 * rand_r(&seed) / RAND_MAX - 1.0;
    for (int i = 0; i < N4; i++)
      for (int j = 0; j < N4; j++) {
        double v = 0;
        for (int l = 0; l < N4; l++) v += a[i * N4 + l] * a[j * N4 + l];
        m[i * N4 + j] = v + (i == j ? 0.01 + 0.5 * rand_r(&seed) / RAND_MAX : 0);
      }
    for (int i = 0; i < N4; i++) {
      k[i] = pow(10, 6.0 * rand_r(&seed) / RAND_MAX);
      c[i] = pow(10, 4.0 * rand_r(&seed) / RAND_MAX);
      g[i] = dt * dt * k[i] / 4 + dt * c[i] / 2;
    }
    /* M^-1 by Gauss-Jordan (SPD, no pivoting needed) */
    double t[N4][2 * N4];
    for (int i = 0; i < N4; i++)
      for (int j = 0; j < 2 * N4; j++) t[i][j] = j < N4 ? m[i * N4 + j] : (j - N4 == i);
    for (int col = 0; col < N4; col++) {
      double p = t[col][col];
      for (int j = 0; j < 2 * N4; j++) t[col][j] /= p;
      for (int r = 0; r < N4; r++)
        if (r != col) {
          double f = t[r][col];
          for (int j = 0; j < 2 * N4; j++) t[r][j] -= f * t[col][j];
        }
    }
    for (int i = 0; i < N4; i++)
      for (int j = 0; j < N4; j++) mi[i * N4 + j] = t[i][N4 + j];
    double lam = dtw_jtc_scaled_min_eigenvalue(m, g, N4);
    double q[N4] = {0.3, -0.2, 0.1, 0.25}, v[N4] = {0};
    for (int step = 0; step < 10000; step++) {
      double f[N4];
      for (int i = 0; i < N4; i++) f[i] = -k[i] * q[i] - c[i] * v[i];
      for (int i = 0; i < N4; i++) {
        double acc = 0;
        for (int j = 0; j < N4; j++) acc += mi[i * N4 + j] * f[j];
        v[i] += dt * acc;
      }
      for (int i = 0; i < N4; i++) q[i] += dt * v[i];
    }
    double norm = 0;
    for (int i = 0; i < N4; i++) norm += q[i] * q[i];
    bool grew = !(norm < 1e3);
    if (lam > 1.0) {
      checked++;
      if (grew) fail_msg("trial %d: lambda %.4f > 1 but the loop grew", trial, lam);
    } else if (lam < 0.9) {
      below++;
      unstable_below += grew;
    }
  }
  print_message("%d systems inside the bound all stable; %d of %d well outside it unstable\n",
                checked, unstable_below, below);
  assert_true(checked > 50 && unstable_below > below / 2);
}

static void test_refusals(void **state) {
  (void)state;
  dtw_joint_desc_t j[2] = {joint("a", DTW_JOINT_REVOLUTE, -1, 1, 1),
                           joint("b", DTW_JOINT_REVOLUTE, -1, 1, 1)};
  double good[4] = {1, 0, 0, 1}, zero[4] = {1, 0, 0, 0}, indefinite[4] = {1, 2, 2, 1};
  dtw_jtc_derive_opts_t o;
  opts(&o);
  dtw_jtc_config_t cfg;
  char err[256];
  assert_int_equal(dtw_jtc_derive(j, 0, good, 1, &o, &cfg, NULL, err, sizeof err), DTW_EINVAL);
  assert_int_equal(dtw_jtc_derive(j, 2, good, 0, &o, &cfg, NULL, err, sizeof err), DTW_EINVAL);
  assert_int_equal(dtw_jtc_derive(j, 2, zero, 1, &o, &cfg, NULL, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "joint 'b'"));
  assert_int_equal(dtw_jtc_derive(j, 2, indefinite, 1, &o, &cfg, NULL, err, sizeof err),
                   DTW_EINVAL);
  assert_non_null(strstr(err, "positive definite"));
  o.stability_margin = 1.5;
  assert_int_equal(dtw_jtc_derive(j, 2, good, 1, &o, &cfg, NULL, err, sizeof err), DTW_EINVAL);
}

static void test_min_eigenvalue(void **state) {
  (void)state;
  double a[4] = {2, 1, 1, 2}, d[2] = {2, 2};
  assert_true(fabs(dtw_jtc_scaled_min_eigenvalue(a, d, 2) - 0.5) < 1e-12);
  /* 3x3 with known spectrum: tridiagonal 2,-1 has 2 - sqrt(2) smallest */
  double t[9] = {2, -1, 0, -1, 2, -1, 0, -1, 2}, one[3] = {1, 1, 1};
  assert_true(fabs(dtw_jtc_scaled_min_eigenvalue(t, one, 3) - (2 - sqrt(2))) < 1e-12);
  double bad[2] = {0, 1};
  assert_true(isnan(dtw_jtc_scaled_min_eigenvalue(a, bad, 2)));
}

static void test_fits(void **state) {
  (void)state;
  dtw_joint_desc_t robot[3] = {joint("a", DTW_JOINT_REVOLUTE, -1, 1, 1),
                               joint("b", DTW_JOINT_REVOLUTE, -1, 1, 1),
                               joint("c", DTW_JOINT_REVOLUTE, -1, 1, 1)};
  dtw_jtc_config_t cfg;
  dtw_jtc_config_defaults(&cfg);
  assert_false(dtw_jtc_config_fits(&cfg, robot, 3)); /* no joints */
  cfg.n_joints = 2;
  snprintf(cfg.joints[0].name, DTW_NAME_MAX, "c");
  snprintf(cfg.joints[1].name, DTW_NAME_MAX, "a");
  assert_true(dtw_jtc_config_fits(&cfg, robot, 3));
  snprintf(cfg.joints[1].name, DTW_NAME_MAX, "left_knee");
  assert_false(dtw_jtc_config_fits(&cfg, robot, 3));
}

static bool same_config(const dtw_jtc_config_t *a, const dtw_jtc_config_t *b) {
  if (strcmp(a->name, b->name) != 0 || a->n_joints != b->n_joints ||
      a->update_rate_hz != b->update_rate_hz || a->interpolation != b->interpolation ||
      a->allow_partial_joints_goal != b->allow_partial_joints_goal ||
      a->open_loop_control != b->open_loop_control ||
      a->allow_nonzero_velocity_at_trajectory_end != b->allow_nonzero_velocity_at_trajectory_end ||
      a->stopped_velocity_tolerance != b->stopped_velocity_tolerance ||
      a->goal_time != b->goal_time || a->state_publish_rate_hz != b->state_publish_rate_hz ||
      a->max_points != b->max_points)
    return false;
  for (size_t k = 0; k < a->n_joints; k++)
    if (memcmp(&a->joints[k], &b->joints[k], sizeof a->joints[k]) != 0) return false;
  return true;
}

/* derive -> print -> load is the same controller, odd joint names included. */
static void test_print_and_load_round_trip(void **state) {
  (void)state;
  dtw_joint_desc_t j[4] = {joint("arm/joint.1", DTW_JOINT_REVOLUTE, -2.9, 2.9, 87),
                           joint("on", DTW_JOINT_CONTINUOUS, 0, 0, 0),
                           joint("2nd joint: \"x\"", DTW_JOINT_REVOLUTE, -0.3, 0.3, 12),
                           joint("finger", DTW_JOINT_PRISMATIC, 0, 0.04, 20)};
  double m[16] = {0.71, 0.2, 0.05, 0, 0.2, 0.33, 0.01, 0, 0.05, 0.01, 0.0123, 0, 0, 0, 0, 0.6};
  dtw_jtc_derive_opts_t o;
  opts(&o);
  o.timestep_s = 1.0 / 600;
  o.bandwidth_hz = 7.3;
  dtw_jtc_config_t cfg, *back = malloc(sizeof *back);
  char err[512];
  assert_int_equal(dtw_jtc_derive(j, 4, m, 1, &o, &cfg, NULL, err, sizeof err), 0);
  cfg.interpolation = DTW_JTC_INTERP_NONE;  /* every field survives, not just the derived ones */
  cfg.joints[0].gains.i = 12.5;
  cfg.joints[0].gains.i_clamp = 3.25;
  cfg.joints[1].gains.ff_velocity_scale = 0.1;
  char path[] = "/tmp/dtw_jtc_derive_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_int_equal(dtw_jtc_config_write(f, &cfg, "a test\nof two lines"), 0);
  fclose(f);
  int rc = dtw_jtc_config_load(path, "arm_controller", back, err, sizeof err);
  if (rc < 0) fail_msg("load: %s", err);
  assert_true(same_config(&cfg, back));
  /* the file is for people: short numbers, the comment on top */
  f = fopen(path, "r");
  char text[8192];
  size_t len = fread(text, 1, sizeof text - 1, f);
  text[len] = '\0';
  fclose(f);
  remove(path);
  assert_true(strncmp(text, "# a test\n# of two lines\ncontroller_manager:", 43) == 0);
  assert_non_null(strstr(text, "update_rate: 600"));
  assert_non_null(strstr(text, "command_interfaces: [effort]"));
  assert_non_null(strstr(text, "\"on\": {p: "));
  assert_non_null(strstr(text, "i: 12.5, d: "));
  assert_null(strstr(text, "00000"));
  free(back);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gains_from_inertia),
      cmocka_unit_test(test_weak_actuator_gets_a_lower_bandwidth),
      cmocka_unit_test(test_small_ranges_and_prismatic_tolerances),
      cmocka_unit_test(test_coupled_joints_stay_stable),
      cmocka_unit_test(test_stability_bound_on_random_systems),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_min_eigenvalue),
      cmocka_unit_test(test_fits),
      cmocka_unit_test(test_print_and_load_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
