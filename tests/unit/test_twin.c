/* The twin component: the demo humanoid in MuJoCo under its trajectory
 * controller (no DDS). */
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
#include "dtw/paths.h"
#include "dtw/traj_file.h"
#include "dtw/twin.h"

static dtw_twin_t *make_twin(const char *base) {
  dtw_twin_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_twin_param_table, &s), 0);
  snprintf(s.base, sizeof s.base, "%s", base);
  char err[1024];
  dtw_twin_t *t = NULL;
  int rc = dtw_twin_create(&s, &t, err, sizeof err);
  if (rc < 0) fail_msg("twin: %s", err);
  return t;
}

/* A pose inside every joint's limits, well away from them. */
static double pose_for(const dtw_joint_desc_t *j) {
  double mid = 0.5 * (j->lower + j->upper);
  return mid + 0.3 * (j->upper - mid);
}

static void test_tracks_reachable_goal_within_0_01_rad(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin("fixed");
  const dtw_robot_desc_t *r = dtw_twin_robot(t);
  assert_int_equal(dtw_twin_joint_count(t), 23);
  dtw_joint_trajectory_msg_t m;
  assert_int_equal(dtw_traj_msg_init(&m, 4), 0);
  m.n_joints = r->n_joints;
  dtw_traj_point_t *p = dtw_traj_msg_add_point(&m);
  p->n_positions = p->n_velocities = m.n_joints;
  p->time_from_start = dtw_duration_from_s(2.0);
  for (size_t i = 0; i < m.n_joints; i++) {
    snprintf(m.joint_names[i], DTW_NAME_MAX, "%s", r->joints[i].name);
    p->positions[i] = pose_for(&r->joints[i]);
    p->velocities[i] = 0;
  }
  char err[512];
  assert_int_equal(dtw_twin_accept_trajectory(t, &m, err, sizeof err), 0);
  for (int k = 0; k < 4000; k++) assert_int_equal(dtw_twin_step(t), 0);
  dtw_joint_state_msg_t js;
  dtw_twin_get_joint_state(t, &js);
  double worst = 0;
  for (size_t i = 0; i < js.n_name; i++) {
    double e = fabs(js.position[i] - p->positions[i]);
    if (e > worst) worst = e;
    if (e >= 0.01) print_error("%s: error %.4f rad\n", js.name[i], e);
  }
  print_message("worst final error %.5f rad\n", worst);
  assert_true(worst < 0.01);
  dtw_twin_status_t st;
  dtw_twin_get_status(t, &st);
  assert_string_equal(st.controller_state, "succeeded");
  dtw_traj_msg_fini(&m);
  dtw_twin_destroy(t);
}

/* The demo motion, once through: no physics failure, bounded tracking error. */
static void test_demo_motion_runs_clean(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin("fixed");
  char path[4096], err[512];
  assert_int_equal(dtw_path_resolve("config/motions/demo.yaml", path, sizeof path, err, sizeof err), 0);
  dtw_joint_trajectory_msg_t m;
  assert_int_equal(dtw_traj_msg_init(&m, 256), 0);
  assert_int_equal(dtw_traj_file_load(path, &m, err, sizeof err), 0);
  assert_int_equal(dtw_twin_accept_trajectory(t, &m, err, sizeof err), 0);
  double worst = 0;
  const char *worst_joint = "";
  for (int k = 0; k < 12000; k++) {
    assert_int_equal(dtw_twin_step(t), 0);
    if (k % 10 == 0) {
      dtw_twin_status_t st;
      dtw_twin_get_status(t, &st);
      if (st.max_abs_error_rad > worst) {
        worst = st.max_abs_error_rad;
        worst_joint = st.worst_joint;
      }
    }
  }
  dtw_twin_status_t st;
  dtw_twin_get_status(t, &st);
  print_message("demo: worst tracking error %.4f rad (%s), final state %s\n", worst, worst_joint,
                st.controller_state);
  assert_int_equal(st.sim_errors, 0);
  assert_string_equal(st.controller_state, "succeeded");
  assert_true(worst < 0.1);
  dtw_traj_msg_fini(&m);
  dtw_twin_destroy(t);
}

static void test_set_state_refusals_change_nothing(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin("fixed");
  dtw_joint_state_msg_t m, before, after;
  char err[256];
  memset(&before, 0, sizeof before);
  memset(&after, 0, sizeof after);
  dtw_twin_get_joint_state(t, &before);
  memset(&m, 0, sizeof m);
  m.n_name = m.n_position = 1;
  snprintf(m.name[0], DTW_NAME_MAX, "elbow_of_nobody");
  assert_true(dtw_twin_set_state(t, &m, err, sizeof err) < 0);
  assert_non_null(strstr(err, "unknown joint 'elbow_of_nobody'"));
  snprintf(m.name[0], DTW_NAME_MAX, "left_elbow");
  m.position[0] = INFINITY;
  assert_true(dtw_twin_set_state(t, &m, err, sizeof err) < 0);
  assert_non_null(strstr(err, "not finite"));
  m.position[0] = 0.5;
  m.n_velocity = 2;
  assert_true(dtw_twin_set_state(t, &m, err, sizeof err) < 0);
  assert_non_null(strstr(err, "2 velocities for 1 names"));
  /* finite but absurd: refused before the physics sees it (it used to fail MuJoCo) */
  m.n_velocity = 0;
  m.position[0] = 1e300;
  assert_int_equal(dtw_twin_set_state(t, &m, err, sizeof err), DTW_ERANGE);
  assert_non_null(strstr(err, "joint 'left_elbow': position 1e+300 is outside its limits"));
  m.position[0] = 0.5;
  m.n_velocity = 1;
  m.velocity[0] = 1e6;
  assert_int_equal(dtw_twin_set_state(t, &m, err, sizeof err), DTW_ERANGE);
  assert_non_null(strstr(err, "velocity 1e+06 is beyond"));
  m.n_velocity = 0;
  dtw_twin_get_joint_state(t, &after);
  assert_memory_equal(before.position, after.position, sizeof before.position);
  /* a valid one teleports and is held */
  m.n_velocity = 0;
  assert_int_equal(dtw_twin_set_state(t, &m, err, sizeof err), 0);
  for (int k = 0; k < 500; k++) assert_int_equal(dtw_twin_step(t), 0);
  dtw_twin_get_joint_state(t, &after);
  int j = dtw_robot_joint_index(dtw_twin_robot(t), "left_elbow");
  assert_true(fabs(after.position[j] - 0.5) < 0.01);
  /* just past a limit: clamped to it */
  const dtw_joint_desc_t *lim = &dtw_twin_robot(t)->joints[j];
  m.position[0] = lim->upper + 0.01;
  assert_int_equal(dtw_twin_set_state(t, &m, err, sizeof err), 0);
  dtw_twin_get_joint_state(t, &after);
  assert_true(fabs(after.position[j] - lim->upper) < 1e-9);
  assert_int_equal(dtw_twin_step(t), 0);
  /* reset brings it back */
  assert_int_equal(dtw_twin_reset(t), 0);
  dtw_twin_get_joint_state(t, &after);
  assert_true(fabs(after.position[j]) < 1e-9);
  assert_true(dtw_twin_sim_time(t) == 0.0);
  dtw_twin_destroy(t);
}

static void test_floating_base_stands(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin("floating");
  for (int k = 0; k < 2000; k++) assert_int_equal(dtw_twin_step(t), 0);
  dtw_twin_status_t st;
  dtw_twin_get_status(t, &st);
  print_message("floating base after 2 s: max joint error %.4f rad\n", st.max_abs_error_rad);
  assert_int_equal(st.sim_errors, 0);
  dtw_twin_destroy(t);
}

static void test_bad_model_is_refused_with_location(void **state) {
  (void)state;
  dtw_twin_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_twin_param_table, &s), 0);
  char err[1024];
  dtw_twin_t *t = NULL;
  snprintf(s.model, sizeof s.model, "%s/cli/bad_joint_type.urdf", getenv("DTW_TEST_DATA"));
  assert_true(dtw_twin_create(&s, &t, err, sizeof err) < 0);
  assert_null(t);
  assert_non_null(strstr(err, "bad_joint_type.urdf:5"));
  snprintf(s.model, sizeof s.model, "models/digital_twin_humanoid.urdf.xacro");
  snprintf(s.controller, sizeof s.controller, "no_such_controller");
  assert_true(dtw_twin_create(&s, &t, err, sizeof err) < 0);
  assert_non_null(strstr(err, "no_such_controller"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tracks_reachable_goal_within_0_01_rad),
      cmocka_unit_test(test_demo_motion_runs_clean),
      cmocka_unit_test(test_set_state_refusals_change_nothing),
      cmocka_unit_test(test_floating_base_stands),
      cmocka_unit_test(test_bad_model_is_refused_with_location),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
