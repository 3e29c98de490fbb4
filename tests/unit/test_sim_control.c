/* Tests for what src/sim offers a controller derived from the model: joint
 * inertias, the kinematic tree, the split step with bias forces, and holding
 * a free-floating root on the test stand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/sim.h"

/* tests/data/sim/<file> compiled, joint table from the model. */
static dtw_sim_t *create_ok(const char *file) {
  const char *env = getenv("DTW_TEST_DATA");
  dtw_robot_desc_t desc;
  memset(&desc, 0, sizeof desc);
  assert_true(asprintf(&desc.base_dir, "%s/sim", env ? env : "tests/data") > 0);
  char *path = NULL;
  assert_true(asprintf(&path, "%s/%s", desc.base_dir, file) > 0);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long len = ftell(f);
  rewind(f);
  desc.mjcf = calloc(1, (size_t)len + 1);
  assert_int_equal(fread(desc.mjcf, 1, (size_t)len, f), (size_t)len);
  desc.mjcf_len = (size_t)len;
  fclose(f);
  free(path);
  snprintf(desc.name, sizeof desc.name, "%s", file);
  dtw_sim_t *sim = NULL;
  char err[512];
  if (dtw_sim_create(&desc, &sim, err, sizeof err) != 0) fail_msg("%s: %s", file, err);
  free(desc.mjcf);
  free(desc.base_dir);
  return sim;
}

/* The inertia block is M: one step of a torque from rest (where gravity
 * exerts none) changes the velocities by dt M^-1 tau. */
static void test_inertia_is_the_mass_matrix(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  double diag[2], m[4];
  assert_int_equal(dtw_sim_joint_inertia(sim, NULL, diag, m), 0);
  assert_true(diag[0] == m[0] && diag[1] == m[3]);
  assert_true(m[1] == m[2] && m[1] > 0);
  assert_true(diag[0] > diag[1] && diag[1] > 0);
  /* bending the elbow makes the shoulder lighter; the state itself is untouched */
  double bent[2] = {0.0, M_PI / 2}, diag_bent[2], q[2];
  assert_int_equal(dtw_sim_joint_inertia(sim, bent, diag_bent, NULL), 0);
  assert_true(diag_bent[0] < diag[0]);
  assert_true(fabs(diag_bent[1] - diag[1]) < 1e-12);
  dtw_sim_get_joint_state(sim, q, NULL, NULL);
  assert_true(q[0] == 0 && q[1] == 0);

  double tau[2] = {3.0, -1.0}, v[2];
  assert_int_equal(dtw_sim_step(sim, tau, 2), 0);
  dtw_sim_get_joint_state(sim, NULL, v, NULL);
  double det = m[0] * m[3] - m[1] * m[2], dt = dtw_sim_timestep(sim);
  double want0 = dt * (m[3] * tau[0] - m[1] * tau[1]) / det;
  double want1 = dt * (-m[2] * tau[0] + m[0] * tau[1]) / det;
  print_message("dv %.6g %.6g, dt M^-1 tau %.6g %.6g\n", v[0], v[1], want0, want1);
  /* within 2%: friction loss (0.01 N m) and implicit damping nibble at it */
  assert_true(fabs(v[0] - want0) < 0.02 * fabs(want0));
  assert_true(fabs(v[1] - want1) < 0.02 * fabs(want1));
  double bad[2] = {NAN, 0};
  assert_int_equal(dtw_sim_joint_inertia(sim, bad, diag, NULL), DTW_EINVAL);
  dtw_sim_destroy(sim);
}

static void test_parents_follow_the_body_tree(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  int parent[2];
  char links[2][DTW_NAME_MAX];
  dtw_sim_joint_parents(sim, parent, links);
  assert_int_equal(parent[0], -1);
  assert_int_equal(parent[1], 0);
  assert_string_equal(links[0], "upper");
  assert_string_equal(links[1], "lower");
  dtw_sim_destroy(sim);
  /* two actuated joints on sibling bodies of a free root: both start a chain */
  sim = create_ok("floating.xml");
  assert_int_equal(dtw_sim_joint_count(sim), 2);
  dtw_sim_joint_parents(sim, parent, NULL);
  assert_int_equal(parent[0], -1);
  assert_int_equal(parent[1], -1);
  dtw_sim_destroy(sim);
}

/* begin + end is one dtw_sim_step, to the last bit. */
static void test_split_step_is_a_step(void **state) {
  (void)state;
  dtw_sim_t *a = create_ok("pendulum.xml"), *b = create_ok("pendulum.xml");
  double tau[2] = {1.5, -0.7}, qa[2], qb[2], va[2], vb[2];
  for (int k = 0; k < 500; k++) {
    assert_int_equal(dtw_sim_step(a, tau, 2), 0);
    assert_int_equal(dtw_sim_step_begin(b), 0);
    assert_int_equal(dtw_sim_step_end(b, tau, 2), 0);
  }
  dtw_sim_get_joint_state(a, qa, va, NULL);
  dtw_sim_get_joint_state(b, qb, vb, NULL);
  assert_memory_equal(qa, qb, sizeof qa);
  assert_memory_equal(va, vb, sizeof va);
  assert_true(dtw_sim_time(a) == dtw_sim_time(b));
  double nan_tau[2] = {NAN, 0};
  assert_int_equal(dtw_sim_step_begin(b), 0);
  assert_int_equal(dtw_sim_step_end(b, nan_tau, 2), DTW_EINVAL);
  dtw_sim_destroy(a);
  dtw_sim_destroy(b);
}

/* The bias at the current state, applied as effort, holds the pendulum where it is. */
static void test_bias_holds_against_gravity(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  int idx[2] = {0, 1};
  double q0[2] = {0.6, -0.4}, zero[2] = {0, 0}, bias[2], q[2];
  assert_int_equal(dtw_sim_set_joint_state(sim, idx, q0, zero, 2), 0);
  dtw_sim_get_bias(sim, bias);
  assert_true(fabs(bias[0]) > 1.0); /* an arm held out: gravity pulls */
  for (int k = 0; k < 1000; k++) {
    assert_int_equal(dtw_sim_step_begin(sim), 0);
    dtw_sim_get_bias(sim, bias);
    assert_int_equal(dtw_sim_step_end(sim, bias, 2), 0);
  }
  dtw_sim_get_joint_state(sim, q, NULL, NULL);
  print_message("held: %.6f %.6f (from %.1f %.1f)\n", q[0], q[1], q0[0], q0[1]);
  assert_true(fabs(q[0] - q0[0]) < 1e-3 && fabs(q[1] - q0[1]) < 1e-3);
  /* and without it, it falls */
  assert_int_equal(dtw_sim_set_joint_state(sim, idx, q0, zero, 2), 0);
  for (int k = 0; k < 300; k++) assert_int_equal(dtw_sim_step(sim, zero, 2), 0);
  dtw_sim_get_joint_state(sim, q, NULL, NULL);
  assert_true(fabs(q[0] - q0[0]) > 0.05);
  dtw_sim_destroy(sim);
}

/* A free root stays where it is (test stand), through scaling and reset. */
static void test_hold_base(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  assert_int_equal(dtw_sim_hold_base(sim), 0); /* no free root */
  dtw_sim_destroy(sim);

  sim = create_ok("floating.xml");
  dtw_sim_extras_t before, after;
  dtw_sim_get_extras(sim, &before);
  assert_int_equal(dtw_sim_hold_base(sim), 1);
  double tau[2] = {8.0, 0.5};
  for (int k = 0; k < 1000; k++) assert_int_equal(dtw_sim_step(sim, tau, 2), 0);
  assert_int_equal(dtw_sim_scale_model(sim, 2.0, 2.0), 0);
  for (int k = 0; k < 1000; k++) assert_int_equal(dtw_sim_step(sim, tau, 2), 0);
  dtw_sim_get_extras(sim, &after);
  double moved = 0;
  for (int k = 0; k < 3; k++) moved = fmax(moved, fabs(after.base_pos[k] - before.base_pos[k]));
  print_message("base moved %.3g m in 4 s of arm swinging\n", moved);
  assert_true(moved < 1e-5);
  double q[2];
  dtw_sim_get_joint_state(sim, q, NULL, NULL);
  assert_true(fabs(q[1] - 0.05) > 0.1); /* the slider did move */
  assert_int_equal(dtw_sim_reset(sim), 0);
  for (int k = 0; k < 500; k++) assert_int_equal(dtw_sim_step(sim, tau, 2), 0);
  dtw_sim_get_extras(sim, &after);
  assert_true(fabs(after.base_pos[2] - before.base_pos[2]) < 1e-5);
  dtw_sim_destroy(sim);

  /* without the hold it drops onto the floor */
  sim = create_ok("floating.xml");
  for (int k = 0; k < 500; k++) assert_int_equal(dtw_sim_step(sim, tau, 2), 0);
  dtw_sim_get_extras(sim, &after);
  assert_true(before.base_pos[2] - after.base_pos[2] > 0.05);
  dtw_sim_destroy(sim);
}

/* MJCF joints without rotor inertia get some; joints with more keep theirs. */
static void test_min_armature(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  double before[2], after[2];
  assert_int_equal(dtw_sim_joint_inertia(sim, NULL, before, NULL), 0);
  assert_int_equal(dtw_sim_min_armature(sim, 0.02), 2);
  assert_int_equal(dtw_sim_joint_inertia(sim, NULL, after, NULL), 0);
  assert_true(fabs(after[0] - before[0] - 0.02) < 1e-12 && fabs(after[1] - before[1] - 0.02) < 1e-12);
  assert_int_equal(dtw_sim_min_armature(sim, 0.01), 0);
  assert_int_equal(dtw_sim_min_armature(sim, -1), DTW_EINVAL);
  double tau[2] = {1, 1};
  for (int k = 0; k < 100; k++) assert_int_equal(dtw_sim_step(sim, tau, 2), 0);
  dtw_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_inertia_is_the_mass_matrix),
      cmocka_unit_test(test_parents_follow_the_body_tree),
      cmocka_unit_test(test_split_step_is_a_step),
      cmocka_unit_test(test_bias_holds_against_gravity),
      cmocka_unit_test(test_hold_base),
      cmocka_unit_test(test_min_armature),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
