/* Tests for src/sim/sim_dynamics.c: a payload's torques per kilogram against
 * the simulator's own bias forces with the payload added (dtw_sim_add_payload),
 * on the demo humanoid; compile then bind against create; a mass added to a
 * body. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/sim.h"
#include "dtw/sim_dynamics.h"
#include "dtw/twin.h"

static dtw_twin_t *make_twin(void) {
  dtw_twin_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_twin_param_table, &s), 0);
  snprintf(s.base, sizeof s.base, "fixed");
  char err[1024];
  dtw_twin_t *t = NULL;
  if (dtw_twin_create(&s, &t, err, sizeof err) < 0) fail_msg("twin: %s", err);
  return t;
}

/* Inverse dynamics of t's model, for its joints in the twin's order. */
static dtw_sim_dyn_t *make_dyn(dtw_twin_t *t) {
  size_t n = dtw_twin_joint_count(t);
  const dtw_joint_desc_t *joints = dtw_sim_joints(dtw_twin_sim(t));
  const char *names[DTW_MAX_JOINTS];
  for (size_t i = 0; i < n; i++) names[i] = joints[i].name;
  dtw_sim_dyn_t *y = NULL;
  char err[512];
  if (dtw_sim_dyn_create(dtw_twin_robot(t), names, n, &y, err, sizeof err) < 0)
    fail_msg("dyn: %s", err);
  return y;
}

/* For the chain of joints named in chain: per_kg from the dynamics equals the
 * change of the simulator's holding torques when 1 kg is added at the body
 * the chain's last (outermost) joint moves. */
static void check_chain(dtw_twin_t *t, dtw_sim_dyn_t *y, const char *const *chain, size_t nc) {
  dtw_sim_t *sim = dtw_twin_sim(t);
  const dtw_joint_desc_t *joints = dtw_sim_joints(sim);
  size_t n = dtw_twin_joint_count(t);
  double q[DTW_MAX_JOINTS], zero[DTW_MAX_JOINTS] = {0}, b0[DTW_MAX_JOINTS], b1[DTW_MAX_JOINTS];
  double per_kg[DTW_MAX_JOINTS];
  int idx[DTW_MAX_JOINTS];
  size_t ci[8];
  for (size_t i = 0; i < n; i++) {
    idx[i] = (int)i;
    /* a pose off the joints' zero, inside their limits */
    q[i] = joints[i].limited ? joints[i].lower + 0.4 * (joints[i].upper - joints[i].lower) : 0.3;
  }
  for (size_t k = 0; k < nc; k++) {
    int j = dtw_robot_joint_index_in(joints, n, chain[k]);
    assert_true(j >= 0);
    ci[k] = (size_t)j;
  }
  assert_int_equal(dtw_sim_dyn_load_per_kg(y, q, NULL, NULL, ci, nc, per_kg), 0);

  char links[DTW_MAX_JOINTS][DTW_NAME_MAX];
  int parent[DTW_MAX_JOINTS];
  dtw_sim_joint_parents(sim, parent, links);
  assert_int_equal(dtw_sim_set_joint_state(sim, idx, q, zero, n), 0);
  dtw_sim_get_bias(sim, b0);
  assert_int_equal(dtw_sim_add_payload(sim, links[ci[nc - 1]], 1.0), 0);
  assert_int_equal(dtw_sim_set_joint_state(sim, idx, q, zero, n), 0);
  dtw_sim_get_bias(sim, b1);
  assert_int_equal(dtw_sim_add_payload(sim, links[ci[nc - 1]], -1.0), 0);
  double largest = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(fabs(per_kg[i] - (b1[i] - b0[i])) < 1e-6))
      fail_msg("%s: %g N m per kg at %s, the simulator needs %g more", joints[i].name, per_kg[i],
               links[ci[nc - 1]], b1[i] - b0[i]);
    largest = fmax(largest, fabs(per_kg[i]));
  }
  assert_true(largest > 0.1); /* the pose loads the chain */
}

static void test_load_per_kg_matches_the_simulator(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin();
  size_t n = dtw_twin_joint_count(t);
  const dtw_joint_desc_t *joints = dtw_sim_joints(dtw_twin_sim(t));
  dtw_sim_dyn_t *y = make_dyn(t);
  /* in any order: the outermost body of the chain carries the weight */
  const char *arm[] = {"left_elbow", "left_shoulder_pitch", "left_shoulder_roll",
                       "left_shoulder_yaw"};
  const char *arm_outer_last[] = {"left_shoulder_pitch", "left_shoulder_roll",
                                  "left_shoulder_yaw", "left_elbow"};
  const char *leg[] = {"right_hip_yaw", "right_hip_roll", "right_hip_pitch", "right_knee",
                       "right_ankle_pitch", "right_ankle_roll"};
  double a[DTW_MAX_JOINTS], b[DTW_MAX_JOINTS], q[DTW_MAX_JOINTS] = {0};
  size_t ia[4], ib[4];
  for (size_t k = 0; k < 4; k++) {
    ia[k] = (size_t)dtw_robot_joint_index_in(joints, n, arm[k]);
    ib[k] = (size_t)dtw_robot_joint_index_in(joints, n, arm_outer_last[k]);
  }
  assert_int_equal(dtw_sim_dyn_load_per_kg(y, q, NULL, NULL, ia, 4, a), 0);
  assert_int_equal(dtw_sim_dyn_load_per_kg(y, q, NULL, NULL, ib, 4, b), 0);
  assert_memory_equal(a, b, n * sizeof *a);
  check_chain(t, y, arm_outer_last, 4);
  check_chain(t, y, leg, 6);
  assert_true(dtw_sim_dyn_mass(y) > 1.0);
  /* each joint's effort limit is the description's (the neck's drives are 10 N m) */
  for (size_t i = 0; i < n; i++)
    assert_true(dtw_sim_dyn_effort_limit(y, i) == joints[i].effort);
  size_t neck = (size_t)dtw_robot_joint_index_in(joints, n, "neck_yaw");
  assert_true(dtw_sim_dyn_effort_limit(y, neck) == 10.0);
  assert_true(dtw_sim_dyn_effort_limit(y, n) == 0.0);
  /* refusals */
  q[0] = NAN;
  assert_int_equal(dtw_sim_dyn_load_per_kg(y, q, NULL, NULL, ia, 4, a), DTW_EINVAL);
  q[0] = 0;
  size_t bad = n;
  assert_int_equal(dtw_sim_dyn_load_per_kg(y, q, NULL, NULL, &bad, 1, a), DTW_EINVAL);
  assert_int_equal(dtw_sim_dyn_load_per_kg(y, q, NULL, NULL, ia, 0, a), DTW_EINVAL);
  dtw_sim_dyn_destroy(y);
  dtw_twin_destroy(t);
}

/* Compile, then bind (twice, the second in another order): the same torques
 * and limits as one create; a name the model lacks is refused by name and
 * leaves nothing bound. */
static void test_compile_then_bind(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin();
  size_t n = dtw_twin_joint_count(t);
  const dtw_joint_desc_t *joints = dtw_sim_joints(dtw_twin_sim(t));
  const char *names[DTW_MAX_JOINTS], *rev[DTW_MAX_JOINTS];
  double q[DTW_MAX_JOINTS], qr[DTW_MAX_JOINTS], a[DTW_MAX_JOINTS], b[DTW_MAX_JOINTS];
  for (size_t i = 0; i < n; i++) {
    names[i] = rev[n - 1 - i] = joints[i].name;
    q[i] = qr[n - 1 - i] = 0.1 * (double)(i % 5) - 0.2;
  }
  char err[512];
  dtw_sim_dyn_t *ref = NULL, *y = NULL;
  if (dtw_sim_dyn_create(dtw_twin_robot(t), names, n, &ref, err, sizeof err) < 0)
    fail_msg("create: %s", err);
  if (dtw_sim_dyn_compile(dtw_twin_robot(t), &y, err, sizeof err) < 0) fail_msg("compile: %s", err);
  assert_int_equal(dtw_sim_dyn_joint_count(y), 0);
  const char *wrong[] = {names[0], "no_such_joint"};
  assert_int_equal(dtw_sim_dyn_bind(y, wrong, 2, err, sizeof err), DTW_EMODEL);
  assert_non_null(strstr(err, "'no_such_joint'"));
  assert_int_equal(dtw_sim_dyn_joint_count(y), 0);
  assert_int_equal(dtw_sim_dyn_bind(y, rev, n, err, sizeof err), 0);
  assert_int_equal(dtw_sim_dyn_bind(y, names, n, err, sizeof err), 0);
  assert_int_equal(dtw_sim_dyn_joint_count(y), n);
  assert_int_equal(dtw_sim_dyn_inverse(ref, q, NULL, NULL, a, NULL, NULL), 0);
  assert_int_equal(dtw_sim_dyn_inverse(y, q, NULL, NULL, b, NULL, NULL), 0);
  assert_memory_equal(a, b, n * sizeof *a);
  for (size_t i = 0; i < n; i++)
    assert_true(dtw_sim_dyn_effort_limit(y, i) == dtw_sim_dyn_effort_limit(ref, i));
  /* bound in reverse order: each joint's torque moves with its name */
  assert_int_equal(dtw_sim_dyn_bind(y, rev, n, err, sizeof err), 0);
  assert_int_equal(dtw_sim_dyn_inverse(y, qr, NULL, NULL, b, NULL, NULL), 0);
  for (size_t i = 0; i < n; i++) assert_true(fabs(b[n - 1 - i] - a[i]) < 1e-9);
  assert_true(dtw_sim_dyn_mass(y) == dtw_sim_dyn_mass(ref));
  dtw_sim_dyn_destroy(y);
  dtw_sim_dyn_destroy(ref);
  dtw_twin_destroy(t);
}

/* The demo's twin and its model, with the left leg's six joints (hip to
 * ankle: indices in ci) and the foot's body, posed as in a step. */
typedef struct leg {
  dtw_twin_t *t;
  dtw_sim_dyn_t *y;
  size_t n, ci[6];
  const dtw_joint_desc_t *joints;
  char links[DTW_MAX_JOINTS][DTW_NAME_MAX];
  const char *foot;
} leg_t;

static void leg_setup(leg_t *g, double q[DTW_MAX_JOINTS]) {
  static const char *const names[] = {"left_hip_yaw",  "left_hip_roll",    "left_hip_pitch",
                                      "left_knee",     "left_ankle_pitch", "left_ankle_roll"};
  g->t = make_twin();
  g->y = make_dyn(g->t);
  g->n = dtw_twin_joint_count(g->t);
  g->joints = dtw_sim_joints(dtw_twin_sim(g->t));
  for (size_t k = 0; k < 6; k++)
    g->ci[k] = (size_t)dtw_robot_joint_index_in(g->joints, g->n, names[k]);
  int parent[DTW_MAX_JOINTS];
  dtw_sim_joint_parents(dtw_twin_sim(g->t), parent, g->links);
  g->foot = g->links[g->ci[5]];
  q[g->ci[1]] = -0.1, q[g->ci[2]] = -0.4, q[g->ci[3]] = 0.6;
}

static void leg_teardown(leg_t *g) {
  dtw_sim_dyn_destroy(g->y);
  dtw_twin_destroy(g->t);
}

/* A mass added to a body: at rest the motion needs kg x the load's torques
 * per kg more, twice as much for twice the mass; accelerating, its inertia
 * changes that; taken off, the torques are the model's again. */
static void test_added_mass(void **state) {
  (void)state;
  double q[DTW_MAX_JOINTS] = {0}, qdd[DTW_MAX_JOINTS] = {0}, per_kg[DTW_MAX_JOINTS];
  leg_t g;
  leg_setup(&g, q);
  double t0[DTW_MAX_JOINTS], t2[DTW_MAX_JOINTS], t3[DTW_MAX_JOINTS], a0[DTW_MAX_JOINTS],
      a3[DTW_MAX_JOINTS];
  qdd[g.ci[1]] = 2.0, qdd[g.ci[2]] = -3.0;
  double m0 = dtw_sim_dyn_mass(g.y);
  assert_int_equal(dtw_sim_dyn_load_per_kg(g.y, q, NULL, NULL, g.ci, 6, per_kg), 0);
  assert_int_equal(dtw_sim_dyn_inverse(g.y, q, NULL, NULL, t0, NULL, NULL), 0);
  assert_int_equal(dtw_sim_dyn_inverse(g.y, q, NULL, qdd, a0, NULL, NULL), 0);
  assert_int_equal(dtw_sim_dyn_add_mass(g.y, g.foot, 2.0), 0);
  assert_int_equal(dtw_sim_dyn_inverse(g.y, q, NULL, NULL, t2, NULL, NULL), 0);
  assert_int_equal(dtw_sim_dyn_add_mass(g.y, g.foot, 1.0), 0);
  assert_int_equal(dtw_sim_dyn_inverse(g.y, q, NULL, NULL, t3, NULL, NULL), 0);
  assert_int_equal(dtw_sim_dyn_inverse(g.y, q, NULL, qdd, a3, NULL, NULL), 0);
  assert_true(fabs(dtw_sim_dyn_mass(g.y) - (m0 + 3.0)) < 1e-9);
  double inertia = 0;
  for (size_t i = 0; i < g.n; i++) {
    if (!(fabs(t2[i] - t0[i] - 2.0 * per_kg[i]) < 1e-6 &&
          fabs(t3[i] - t0[i] - 3.0 * per_kg[i]) < 1e-6))
      fail_msg("%s: +2 kg %g, +3 kg %g N m, the load's torque %g per kg", g.joints[i].name,
               t2[i] - t0[i], t3[i] - t0[i], per_kg[i]);
    inertia = fmax(inertia, fabs((a3[i] - a0[i]) - (t3[i] - t0[i])));
  }
  if (!(inertia > 0.1)) fail_msg("the mass's inertia changes no torque (%g N m)", inertia);
  assert_int_equal(dtw_sim_dyn_add_mass(g.y, g.foot, -3.0), 0);
  assert_int_equal(dtw_sim_dyn_inverse(g.y, q, NULL, NULL, t2, NULL, NULL), 0);
  for (size_t i = 0; i < g.n; i++) assert_true(fabs(t2[i] - t0[i]) < 1e-9);
  /* refusals change nothing */
  assert_int_equal(dtw_sim_dyn_add_mass(g.y, "no_such_body", 1.0), DTW_EINVAL);
  assert_int_equal(dtw_sim_dyn_add_mass(g.y, g.foot, -1e6), DTW_EINVAL);
  assert_int_equal(dtw_sim_dyn_add_mass(g.y, g.foot, NAN), DTW_EINVAL);
  assert_int_equal(dtw_sim_dyn_add_mass(g.y, "world", 1.0), DTW_EINVAL);
  assert_true(fabs(dtw_sim_dyn_mass(g.y) - m0) < 1e-9);
  leg_teardown(&g);
}

/* In motion the load's torques per kg are what the motion needs more with one
 * kg at the foot (its weight and its inertia); at rest they are its weight
 * alone; the model is the same after (the point mass is only borrowed). */
static void test_load_per_kg_in_motion(void **state) {
  (void)state;
  double q[DTW_MAX_JOINTS] = {0}, qd[DTW_MAX_JOINTS] = {0}, qdd[DTW_MAX_JOINTS] = {0};
  leg_t g;
  leg_setup(&g, q);
  double zero[DTW_MAX_JOINTS] = {0}, dyn[DTW_MAX_JOINTS], stat[DTW_MAX_JOINTS];
  double before[DTW_MAX_JOINTS], with[DTW_MAX_JOINTS], after[DTW_MAX_JOINTS];
  qd[g.ci[2]] = 1.5, qd[g.ci[3]] = -2.0;
  qdd[g.ci[1]] = 2.0, qdd[g.ci[2]] = -3.0, qdd[g.ci[3]] = 4.0;
  double m0 = dtw_sim_dyn_mass(g.y);
  assert_int_equal(dtw_sim_dyn_inverse(g.y, q, qd, qdd, before, NULL, NULL), 0);
  assert_int_equal(dtw_sim_dyn_load_per_kg(g.y, q, qd, qdd, g.ci, 6, dyn), 0);
  assert_int_equal(dtw_sim_dyn_inverse(g.y, q, qd, qdd, after, NULL, NULL), 0);
  assert_memory_equal(before, after, g.n * sizeof *before);
  assert_true(dtw_sim_dyn_mass(g.y) == m0);
  assert_int_equal(dtw_sim_dyn_add_mass(g.y, g.foot, 1.0), 0);
  assert_int_equal(dtw_sim_dyn_inverse(g.y, q, qd, qdd, with, NULL, NULL), 0);
  assert_int_equal(dtw_sim_dyn_add_mass(g.y, g.foot, -1.0), 0);
  assert_int_equal(dtw_sim_dyn_load_per_kg(g.y, q, NULL, NULL, g.ci, 6, stat), 0);
  double inertia = 0;
  for (size_t i = 0; i < g.n; i++) {
    if (!(fabs(with[i] - before[i] - dyn[i]) < 1e-6))
      fail_msg("%s: +1 kg needs %g N m more, the load's torque per kg says %g", g.joints[i].name,
               with[i] - before[i], dyn[i]);
    inertia = fmax(inertia, fabs(dyn[i] - stat[i]));
  }
  if (!(inertia > 0.05)) fail_msg("the motion changes no torque per kg (%g N m)", inertia);
  /* at rest: the weight alone */
  assert_int_equal(dtw_sim_dyn_load_per_kg(g.y, q, zero, zero, g.ci, 6, dyn), 0);
  for (size_t i = 0; i < g.n; i++) assert_true(fabs(dyn[i] - stat[i]) < 1e-9);
  qdd[g.ci[2]] = NAN;
  assert_int_equal(dtw_sim_dyn_load_per_kg(g.y, q, qd, qdd, g.ci, 6, dyn), DTW_EINVAL);
  leg_teardown(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_per_kg_matches_the_simulator),
      cmocka_unit_test(test_compile_then_bind),
      cmocka_unit_test(test_added_mass),
      cmocka_unit_test(test_load_per_kg_in_motion),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
