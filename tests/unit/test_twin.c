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

/* set_state naming joint j alone at q0 with velocity v (after a reset if
 * reset), then secs of steps. */
static void set_and_run(dtw_twin_t *t, bool reset, int j, double q0, double v, double secs,
                        dtw_joint_state_msg_t *js) {
  dtw_joint_state_msg_t m;
  char err[256];
  memset(&m, 0, sizeof m);
  m.n_name = m.n_position = m.n_velocity = 1;
  snprintf(m.name[0], DTW_NAME_MAX, "%s", dtw_twin_robot(t)->joints[j].name);
  m.position[0] = q0;
  m.velocity[0] = v;
  if (reset) assert_int_equal(dtw_twin_reset(t), 0);
  assert_int_equal(dtw_twin_set_state(t, &m, err, sizeof err), 0);
  int n = (int)(secs / dtw_twin_timestep(t) + 0.5);
  for (int k = 0; k < n; k++) assert_int_equal(dtw_twin_step(t), 0);
  dtw_twin_get_joint_state(t, js);
}

static double mid_range(dtw_twin_t *t, int j) {
  const dtw_joint_desc_t *d = &dtw_twin_robot(t)->joints[j];
  return 0.5 * (d->lower + d->upper);
}

/* Mirror mode: a state with velocities set on an idle twin moves on at them
 * until the next one, instead of braking to the sampled position. Compared
 * with the same state at rest, so gravity's sag cancels. */
static void test_set_state_moves_on_at_its_velocity(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin("fixed");
  int j = dtw_robot_joint_index(dtw_twin_robot(t), "left_elbow");
  double q0 = mid_range(t, j), v = 0.5;
  dtw_joint_state_msg_t moving, still;
  set_and_run(t, true, j, q0, v, 0.02, &moving);
  set_and_run(t, true, j, q0, 0.0, 0.02, &still);
  double dq = moving.position[j] - still.position[j], dv = moving.velocity[j] - still.velocity[j];
  if (!(fabs(dq - v * 0.02) < 0.3 * v * 0.02) || !(fabs(dv - v) < 0.3 * v))
    fail_msg("after 20 ms: %g rad and %g rad/s beyond the state at rest, expected %g and %g", dq,
             dv, v * 0.02, v);
  /* past the coasting time (0.1 s) it stops where it got to */
  set_and_run(t, true, j, q0, v, 1.0, &moving);
  set_and_run(t, true, j, q0, 0.0, 1.0, &still);
  dq = moving.position[j] - still.position[j];
  if (!(fabs(dq - v * 0.1) < 0.01) || !(fabs(moving.velocity[j]) < 0.01))
    fail_msg("after 1 s: %g rad beyond the state at rest (expected %g), %g rad/s", dq, v * 0.1,
             moving.velocity[j]);
  /* a joint the state does not name holds where it is, even when it moves:
   * the right elbow set moving (or at rest), then a state of the left one alone */
  int o = dtw_robot_joint_index(dtw_twin_robot(t), "right_elbow");
  dtw_joint_state_msg_t scratch;
  set_and_run(t, true, o, mid_range(t, o), v, 0.0, &scratch);
  set_and_run(t, false, j, q0, 0.0, 1.0, &moving);
  set_and_run(t, true, o, mid_range(t, o), 0.0, 0.0, &scratch);
  set_and_run(t, false, j, q0, 0.0, 1.0, &still);
  if (!(fabs(moving.position[o] - still.position[o]) < 0.01))
    fail_msg("right_elbow moved on by %g rad under a state that did not name it",
             moving.position[o] - still.position[o]);
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

/* ---- the controller: the demo's own file, or derived from the model ------- */

static dtw_twin_t *make_twin_with(const char *model, const char *controllers, const char *ff,
                                  char *err, size_t errlen) {
  dtw_twin_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_twin_param_table, &s), 0);
  if (model != NULL) {
    assert_true(strlen(model) < sizeof s.model);
    snprintf(s.model, sizeof s.model, "%.*s", (int)sizeof s.model - 1, model);
  }
  snprintf(s.package_path, sizeof s.package_path, "%.400s/model/pkgs", getenv("DTW_TEST_DATA"));
  if (controllers != NULL) snprintf(s.controllers_file, sizeof s.controllers_file, "%s", controllers);
  if (ff != NULL) snprintf(s.gravity_feedforward, sizeof s.gravity_feedforward, "%s", ff);
  dtw_twin_t *t = NULL;
  if (dtw_twin_create(&s, &t, err, errlen) < 0) return NULL;
  return t;
}

/* The demo humanoid keeps its file, its gains and no feed-forward: it moves
 * exactly as with gravity_feedforward off. */
static void test_demo_keeps_its_controllers_file(void **state) {
  (void)state;
  char err[1024], path[4096];
  dtw_twin_t *t = make_twin_with(NULL, NULL, NULL, err, sizeof err);
  dtw_twin_t *off = make_twin_with(NULL, NULL, "off", err, sizeof err);
  assert_non_null(t);
  assert_non_null(off);
  assert_false(dtw_twin_controller_derived(t));
  dtw_jtc_config_t *file = malloc(sizeof *file);
  assert_int_equal(dtw_path_resolve(DTW_TWIN_DEFAULT_CONTROLLERS_FILE, path, sizeof path, err,
                                    sizeof err), 0);
  assert_int_equal(dtw_jtc_config_load(path, NULL, file, err, sizeof err), 0);
  const dtw_jtc_config_t *used = dtw_jtc_config(dtw_twin_controller(t));
  assert_int_equal(used->n_joints, file->n_joints);
  for (size_t k = 0; k < used->n_joints; k++)
    assert_memory_equal(&used->joints[k], &file->joints[k], sizeof file->joints[k]);
  free(file);
  char mpath[4096];
  assert_int_equal(dtw_path_resolve("config/motions/wave.yaml", mpath, sizeof mpath, err, sizeof err), 0);
  dtw_joint_trajectory_msg_t m = {0};
  assert_int_equal(dtw_traj_file_load(mpath, &m, err, sizeof err), 0);
  assert_int_equal(dtw_twin_accept_trajectory(t, &m, err, sizeof err), 0);
  assert_int_equal(dtw_twin_accept_trajectory(off, &m, err, sizeof err), 0);
  for (int k = 0; k < 1500; k++) {
    assert_int_equal(dtw_twin_step(t), 0);
    assert_int_equal(dtw_twin_step(off), 0);
  }
  static dtw_joint_state_msg_t a, b;
  dtw_twin_get_joint_state(t, &a);
  dtw_twin_get_joint_state(off, &b);
  assert_memory_equal(a.position, b.position, a.n_position * sizeof a.position[0]);
  dtw_traj_msg_fini(&m);
  dtw_twin_destroy(t);
  dtw_twin_destroy(off);
}

/* No file, or the default file on another robot: derived. A file given
 * explicitly that does not fit stays an error. */
static void test_controller_derived_when_no_file_fits(void **state) {
  (void)state;
  char err[1024], model[4096], ctl[4096];
  dtw_twin_t *t = make_twin_with(NULL, "", NULL, err, sizeof err);
  if (t == NULL) fail_msg("%s", err);
  assert_true(dtw_twin_controller_derived(t));
  assert_int_equal(dtw_jtc_joint_count(dtw_twin_controller(t)), 23);
  dtw_twin_destroy(t);

  snprintf(model, sizeof model, "%s/model/simple.urdf", getenv("DTW_TEST_DATA"));
  t = make_twin_with(model, NULL, NULL, err, sizeof err);
  if (t == NULL) fail_msg("%s", err);
  assert_true(dtw_twin_controller_derived(t));
  const dtw_jtc_config_t *cfg = dtw_jtc_config(dtw_twin_controller(t));
  assert_string_equal(cfg->name, "humanoid_joint_trajectory_controller"); /* topics unchanged */
  assert_int_equal(cfg->n_joints, dtw_twin_joint_count(t));
  for (size_t k = 0; k < cfg->n_joints; k++) assert_true(cfg->joints[k].gains.p > 0);
  dtw_twin_destroy(t);

  assert_int_equal(dtw_path_resolve(DTW_TWIN_DEFAULT_CONTROLLERS_FILE, ctl, sizeof ctl, err,
                                    sizeof err), 0);
  assert_null(make_twin_with(model, ctl, NULL, err, sizeof err));
  assert_non_null(strstr(err, "is not in the robot model"));
}

/* An MJCF robot written with a free joint goes on the test stand (held), and
 * its derived controller tracks a pose. */
static void test_mjcf_free_root_on_the_stand(void **state) {
  (void)state;
  char err[1024], model[400];
  snprintf(model, sizeof model, "%.300s/sim/floating.xml", getenv("DTW_TEST_DATA"));
  dtw_twin_t *t = make_twin_with(model, "", NULL, err, sizeof err);
  if (t == NULL) fail_msg("%s", err);
  assert_false(dtw_twin_robot(t)->floating_base);
  dtw_joint_trajectory_msg_t m;
  assert_int_equal(dtw_traj_msg_init(&m, 1), 0);
  m.n_joints = 2;
  snprintf(m.joint_names[0], DTW_NAME_MAX, "arm");
  snprintf(m.joint_names[1], DTW_NAME_MAX, "lift");
  dtw_traj_point_t *p = dtw_traj_msg_add_point(&m);
  p->n_positions = 2;
  p->positions[0] = 0.6;
  p->positions[1] = 0.2;
  p->time_from_start = dtw_duration_from_s(0.5);
  assert_int_equal(dtw_twin_accept_trajectory(t, &m, err, sizeof err), 0);
  for (int k = 0; k < 1000; k++) assert_int_equal(dtw_twin_step(t), 0);
  static dtw_joint_state_msg_t js;
  dtw_twin_get_joint_state(t, &js);
  print_message("arm %.4f lift %.4f\n", js.position[0], js.position[1]);
  assert_true(fabs(js.position[0] - 0.6) < 0.02 && fabs(js.position[1] - 0.2) < 0.02);
  dtw_traj_msg_fini(&m);
  dtw_twin_destroy(t);
  /* floating on request */
  dtw_twin_settings_t s;
  assert_int_equal(dtw_param_defaults(&dtw_twin_param_table, &s), 0);
  snprintf(s.model, sizeof s.model, "%s", model);
  snprintf(s.base, sizeof s.base, "floating");
  s.controllers_file[0] = '\0';
  assert_int_equal(dtw_twin_create(&s, &t, err, sizeof err), 0);
  assert_true(dtw_twin_robot(t)->floating_base);
  dtw_twin_destroy(t);
}

/* The plant hooks: an effort gain of 0 leaves a joint's actuator idle,
 * arguments out of range are refused; the physics is the twin's own. */
static void test_plant_hooks(void **state) {
  (void)state;
  dtw_twin_t *t = make_twin("fixed");
  size_t n = dtw_twin_joint_count(t);
  assert_non_null(dtw_twin_sim(t));
  assert_int_equal(dtw_sim_joint_count(dtw_twin_sim(t)), n);
  assert_int_equal(dtw_twin_set_effort_gain(t, n, 0.0), DTW_EINVAL);
  assert_int_equal(dtw_twin_set_effort_gain(t, 0, -1.0), DTW_EINVAL);
  assert_int_equal(dtw_twin_set_effort_gain(t, 0, NAN), DTW_EINVAL);
  assert_int_equal(dtw_twin_set_feedforward_scale(t, 0.0), DTW_EINVAL);
  assert_int_equal(dtw_twin_set_feedforward_scale(t, INFINITY), DTW_EINVAL);
  assert_int_equal(dtw_twin_set_feedforward_scale(t, 1.0 / 1.05), 0);
  for (size_t i = 0; i < n; i++) assert_int_equal(dtw_twin_set_effort_gain(t, i, 0.0), 0);
  for (int k = 0; k < 200; k++) assert_int_equal(dtw_twin_step(t), 0);
  dtw_joint_state_msg_t js;
  dtw_twin_get_joint_state(t, &js);
  for (size_t i = 0; i < n; i++) assert_true(fabs(js.effort[i]) == 0);
  assert_int_equal(dtw_twin_set_effort_gain(t, 0, 1.0), 0);
  for (int k = 0; k < 200; k++) assert_int_equal(dtw_twin_step(t), 0);
  dtw_twin_destroy(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tracks_reachable_goal_within_0_01_rad),
      cmocka_unit_test(test_plant_hooks),
      cmocka_unit_test(test_demo_motion_runs_clean),
      cmocka_unit_test(test_set_state_refusals_change_nothing),
      cmocka_unit_test(test_set_state_moves_on_at_its_velocity),
      cmocka_unit_test(test_floating_base_stands),
      cmocka_unit_test(test_bad_model_is_refused_with_location),
      cmocka_unit_test(test_demo_keeps_its_controllers_file),
      cmocka_unit_test(test_controller_derived_when_no_file_fits),
      cmocka_unit_test(test_mjcf_free_root_on_the_stand),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
