/* Robots nobody here wrote run as twins with no hand-written file: for each
 * description of the published corpus (DTW_ROBOT_CORPUS) and the demo
 * humanoid, a twin on its test stand with NO controllers file derives its
 * controller from the model, and
 *  - that controller, printed as a ros2_control file and loaded again, is the
 *    same controller;
 *  - it tracks a step of every joint at once to a pose 25% inside each
 *    joint's range to within 0.02 rad on every joint within 2 s of simulated
 *    time (run unpaced: much faster than real time; no floor: the stand holds
 *    the robot in the air);
 *  - the generic motion runs through with no path or goal tolerance failure;
 *  - and, kept clear of contacts (dtw_twin_motion_clear), touches neither the
 *    floor under the UR5e nor the H1 MJCF's own meshes.
 * Needs the corpus: exits 77 (skipped) when DTW_ROBOT_CORPUS is not a
 * directory. The xacro robots are loaded from their xacro sources, with the
 * arguments their makers document, as a user would give them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dtw/jtc_derive.h"
#include "dtw/motion_gen.h"
#include "dtw/sim.h"
#include "dtw/twin.h"

typedef struct corpus_robot {
  const char *path;       /* under the corpus; "@..." = under the source tree */
  const char *xacro_args; /* sim.xacro_args, or "" */
  /* An MJCF robot keeps its author's contacts (sim.self_collision is for URDF):
   * where its own geoms meet inside a joint's range, the generic motion (which
   * moves neighbouring joints together) may be blocked short of its goal. The
   * step response is held to the same bar; the generic motion is reported. */
  bool own_contacts_may_block;
} corpus_robot_t;

/* Every robot of the corpus the twin should run, in one table. */
static const corpus_robot_t k_robots[] = {
    {"h1_description/mjcf/h1.xml", "", false},
    {"h1_description/mjcf/h1_with_hand.xml", "", true}, /* its hand geoms stop the thumb */
    {"h1_description/urdf/h1.urdf", "", false},
    {"h1_description/urdf/h1_with_hand.urdf", "", false},
    {"g1_description/g1_23dof.urdf", "", false},
    {"g1_description/g1_23dof.xml", "", false},
    {"ur_description/urdf/ur.urdf.xacro", "name:=ur ur_type:=ur5e", false},
    {"franka_description/robots/fr3/fr3.urdf.xacro", "", false},
    {"@models/digital_twin_humanoid.urdf.xacro", "", false},
};
#define N_ROBOTS (sizeof k_robots / sizeof k_robots[0])

#define TOL_RAD 0.02
#define HORIZON_S 2.0

static const char *corpus_dir(void) {
  const char *dir = getenv("DTW_ROBOT_CORPUS");
  struct stat st;
  return dir != NULL && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

/* A twin of robot r with no controllers file. */
static dtw_twin_t *make_twin(const corpus_robot_t *r, dtw_twin_settings_t *s) {
  assert_int_equal(dtw_param_defaults(&dtw_twin_param_table, s), 0);
  if (r->path[0] == '@')
    snprintf(s->model, sizeof s->model, "%s/%s", getenv("DTW_SOURCE_DIR"), r->path + 1);
  else
    snprintf(s->model, sizeof s->model, "%s/%s", corpus_dir(), r->path);
  snprintf(s->package_path, sizeof s->package_path, "%s", corpus_dir());
  snprintf(s->xacro_args, sizeof s->xacro_args, "%s", r->xacro_args);
  s->controllers_file[0] = '\0';
  /* on the test stand with no floor: an arm rooted at the world's origin would
   * otherwise reach poses below its base that the floor blocks */
  s->world[0] = '\0';
  char err[2048];
  dtw_twin_t *t = NULL;
  int rc = dtw_twin_create(s, &t, err, sizeof err);
  if (rc < 0) fail_msg("%s: %s", r->path, err);
  assert_true(dtw_twin_controller_derived(t));
  return t;
}

static bool same_config(const dtw_jtc_config_t *a, const dtw_jtc_config_t *b) {
  if (strcmp(a->name, b->name) != 0 || a->n_joints != b->n_joints ||
      a->update_rate_hz != b->update_rate_hz || a->interpolation != b->interpolation ||
      a->allow_partial_joints_goal != b->allow_partial_joints_goal ||
      a->stopped_velocity_tolerance != b->stopped_velocity_tolerance ||
      a->goal_time != b->goal_time || a->max_points != b->max_points)
    return false;
  for (size_t k = 0; k < a->n_joints; k++) {
    const dtw_jtc_joint_config_t *x = &a->joints[k], *y = &b->joints[k];
    if (strcmp(x->name, y->name) != 0 || x->gains.p != y->gains.p || x->gains.i != y->gains.i ||
        x->gains.d != y->gains.d || x->gains.i_clamp != y->gains.i_clamp ||
        x->gains.ff_velocity_scale != y->gains.ff_velocity_scale ||
        x->trajectory_tol != y->trajectory_tol || x->goal_tol != y->goal_tol)
      return false;
  }
  return true;
}

/* The twin's derived controller, printed and loaded back, is the same one. */
static void check_round_trip(const dtw_twin_t *t, const dtw_twin_settings_t *s) {
  const dtw_jtc_config_t *cfg = dtw_jtc_config(dtw_twin_controller(t));
  char path[] = "/tmp/dtw_ctrl_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  assert_int_equal(dtw_jtc_config_write(f, cfg, "derived for a test"), 0);
  fclose(f);
  dtw_jtc_config_t *back = malloc(sizeof *back);
  char err[1024];
  int rc = dtw_jtc_config_load(path, s->controller, back, err, sizeof err);
  remove(path);
  if (rc < 0) fail_msg("reloading the printed file: %s", err);
  assert_true(same_config(cfg, back));
  free(back);
}

/* Every joint steps at once to one of the two points 25% inside its range
 * (+0.5 rad for a joint without limits): the nearer one, or the other one
 * when flip[i] (a pose the robot can reach: MJCF models keep their
 * self-collisions, and a limb stepping into the body stops there). Returns
 * the worst |error| at HORIZON_S; *settle_s = when a joint was last outside
 * TOL_RAD, *step_rad = the largest step; stuck[i] = joint i outside TOL_RAD
 * at the end. */
static double step_once(dtw_twin_t *t, const bool *flip, double *settle_s, size_t *worst_joint,
                        double *step_rad, bool *stuck) {
  size_t n = dtw_twin_joint_count(t);
  const dtw_joint_desc_t *jd = dtw_twin_joints(t);
  static dtw_joint_state_msg_t js;
  assert_int_equal(dtw_twin_reset(t), 0);
  dtw_twin_get_joint_state(t, &js);
  dtw_joint_trajectory_msg_t m;
  assert_int_equal(dtw_traj_msg_init(&m, 1), 0);
  m.n_joints = n;
  dtw_traj_point_t *p = dtw_traj_msg_add_point(&m);
  p->n_positions = n;
  p->time_from_start = dtw_duration_from_s(0.0);
  *step_rad = 0;
  for (size_t i = 0; i < n; i++) {
    const dtw_joint_desc_t *j = &jd[i];
    double q = js.position[i], target = q + (flip[i] ? -0.5 : 0.5);
    if (j->limited && j->upper > j->lower) {
      double lo = j->lower + 0.25 * (j->upper - j->lower);
      double hi = j->upper - 0.25 * (j->upper - j->lower);
      bool hi_nearer = fabs(hi - q) < fabs(lo - q);
      target = hi_nearer != flip[i] ? hi : lo;
    }
    snprintf(m.joint_names[i], DTW_NAME_MAX, "%s", j->name);
    p->positions[i] = target;
    *step_rad = fmax(*step_rad, fabs(target - q));
  }
  char err[512];
  int rc = dtw_twin_accept_trajectory(t, &m, err, sizeof err);
  if (rc < 0) fail_msg("step refused: %s", err);
  double t0 = dtw_twin_sim_time(t), worst = 0;
  *settle_s = 0;
  *worst_joint = 0;
  while (dtw_twin_sim_time(t) - t0 < HORIZON_S - 1e-9) {
    assert_int_equal(dtw_twin_step(t), 0);
    dtw_twin_get_joint_state(t, &js);
    worst = 0;
    for (size_t i = 0; i < n; i++) {
      double e = fabs(js.position[i] - p->positions[i]);
      if (e > worst) worst = e, *worst_joint = i;
      stuck[i] = e > TOL_RAD;
    }
    if (worst > TOL_RAD) *settle_s = dtw_twin_sim_time(t) - t0;
  }
  dtw_traj_msg_fini(&m);
  return worst;
}

/* The step, and once more with the joints that did not get there sent the
 * other way (printed): a controller that cannot track fails both. */
static double step_response(dtw_twin_t *t, const char *robot, double *settle_s,
                            size_t *worst_joint, double *step_rad) {
  bool flip[DTW_MAX_JOINTS] = {false}, stuck[DTW_MAX_JOINTS];
  double worst = step_once(t, flip, settle_s, worst_joint, step_rad, stuck);
  if (worst <= TOL_RAD) return worst;
  size_t n_stuck = 0;
  for (size_t i = 0; i < dtw_twin_joint_count(t); i++) {
    flip[i] = stuck[i];
    n_stuck += stuck[i];
  }
  print_message("%-42s %zu joints short of the step (worst %s %.3f rad): once more with them "
                "stepping the other way\n",
                robot, n_stuck, dtw_twin_joints(t)[*worst_joint].name, worst);
  return step_once(t, flip, settle_s, worst_joint, step_rad, stuck);
}

/* The generic motion, once through: accepted, and finished without a path or
 * goal tolerance failure. Returns the worst tracking error seen. */
static double generic_motion(dtw_twin_t *t, const char **state_out) {
  size_t n = dtw_twin_joint_count(t);
  static dtw_joint_state_msg_t js;
  dtw_twin_get_joint_state(t, &js);
  dtw_motion_gen_opts_t o;
  dtw_motion_gen_opts_default(&o);
  dtw_joint_trajectory_msg_t m;
  assert_int_equal(dtw_traj_msg_init(&m, dtw_motion_generic_points(n, &o)), 0);
  char err[512];
  assert_int_equal(dtw_motion_generic(dtw_twin_joints(t), n, js.position, &o, &m, err, sizeof err), 0);
  int rc = dtw_twin_accept_trajectory(t, &m, err, sizeof err);
  if (rc < 0) fail_msg("generic motion refused: %s", err);
  double end = dtw_twin_sim_time(t) + dtw_duration_to_s(m.points[m.n_points - 1].time_from_start) + 1.5;
  double worst = 0;
  dtw_twin_status_t st;
  while (dtw_twin_sim_time(t) < end) {
    assert_int_equal(dtw_twin_step(t), 0);
    dtw_twin_get_status(t, &st);
    worst = fmax(worst, st.max_abs_error_rad);
  }
  *state_out = st.controller_state;
  if (strcmp(st.controller_state, "succeeded") != 0)
    print_message("  generic motion %s: worst joint %s, error %.4f rad\n", st.controller_state,
                  st.worst_joint ? st.worst_joint : "-", st.max_abs_error_rad);
  dtw_traj_msg_fini(&m);
  return worst;
}

static void test_corpus(void **state) {
  (void)state;
  size_t ran = 0, failed = 0;
  for (size_t r = 0; r < N_ROBOTS; r++) {
    dtw_twin_settings_t s;
    dtw_twin_t *t = make_twin(&k_robots[r], &s);
    check_round_trip(t, &s);
    double settle, worst, step;
    size_t wj;
    worst = step_response(t, k_robots[r].path, &settle, &wj, &step);
    const char *wname = dtw_twin_joints(t)[wj].name;
    const char *final_state = "";
    assert_int_equal(dtw_twin_reset(t), 0);
    double motion_err = generic_motion(t, &final_state);
    bool ok = worst <= TOL_RAD && (strcmp(final_state, "succeeded") == 0 ||
                                   (k_robots[r].own_contacts_may_block &&
                                    strcmp(final_state, "active") == 0));
    print_message("%-42s %2zu joints, dt %.3f s: step (up to %.2f rad) worst %.5f rad (%s) at "
                  "%.1f s, within %.2f rad after %.3f s; generic motion worst %.4f rad, %s%s\n",
                  k_robots[r].path, dtw_twin_joint_count(t), dtw_twin_timestep(t), step, worst,
                  wname, HORIZON_S, TOL_RAD, settle, motion_err, final_state,
                  ok ? "" : "  <- FAIL");
    failed += !ok;
    dtw_twin_destroy(t);
    ran++;
  }
  assert_true(ran > 0);
  assert_int_equal(failed, 0);
}

/* Sampled poses along the motion (32 per segment, from the start pose) with
 * more contacts than the start pose: an independent, finer look than
 * dtw_twin_motion_clear's. *moved = the largest excursion of a point. */
static size_t poses_in_contact(dtw_twin_t *t, const dtw_joint_trajectory_msg_t *m, double *moved) {
  size_t n = dtw_twin_joint_count(t), bad = 0;
  static dtw_joint_state_msg_t js;
  static int idx[DTW_MAX_JOINTS];
  static double q0[DTW_MAX_JOINTS], q[DTW_MAX_JOINTS], zero[DTW_MAX_JOINTS], prev[DTW_MAX_JOINTS];
  assert_int_equal(dtw_twin_reset(t), 0);
  dtw_twin_get_joint_state(t, &js);
  dtw_sim_t *sim = dtw_twin_sim(t);
  for (size_t j = 0; j < n; j++) idx[j] = (int)j, q0[j] = prev[j] = js.position[j];
  dtw_sim_extras_t ex;
  assert_int_equal(dtw_sim_set_joint_state(sim, idx, q0, zero, n), 0);
  dtw_sim_get_extras(sim, &ex);
  int rest = ex.n_contacts;
  *moved = 0;
  assert_int_equal(m->n_joints, n); /* the generic motion names every joint in table order */
  for (size_t p = 0; p < m->n_points; p++) {
    const double *to = m->points[p].positions;
    for (int i = 1; i <= 32; i++) {
      for (size_t j = 0; j < n; j++) q[j] = prev[j] + (to[j] - prev[j]) * i / 32.0;
      assert_int_equal(dtw_sim_set_joint_state(sim, idx, q, zero, n), 0);
      dtw_sim_get_extras(sim, &ex);
      bad += ex.n_contacts > rest;
    }
    for (size_t j = 0; j < n; j++) *moved = fmax(*moved, fabs(to[j] - q0[j])), prev[j] = to[j];
  }
  assert_int_equal(dtw_twin_reset(t), 0);
  return bad;
}

/* The generic motion `dtwin up` sends a robot without a motion of its own stays
 * clear of what the model's contacts would stop: the floor under the UR5e (with
 * the default world, as dtwin up runs it) and the H1 MJCF's own meshes. Without
 * dtw_twin_motion_clear both touch (checked, so this test can fail). And every
 * joint still moves in every segment (0.02 rad at least), so a lock anywhere
 * shows. */
static void test_generic_motion_clear_of_contacts(void **state) {
  (void)state;
  static const corpus_robot_t robots[] = {
      {"ur_description/urdf/ur.urdf.xacro", "name:=ur ur_type:=ur5e", false},
      {"h1_description/mjcf/h1.xml", "", false},
  };
  for (size_t r = 0; r < sizeof robots / sizeof robots[0]; r++) {
    dtw_twin_settings_t s;
    assert_int_equal(dtw_param_defaults(&dtw_twin_param_table, &s), 0);
    snprintf(s.model, sizeof s.model, "%s/%s", corpus_dir(), robots[r].path);
    snprintf(s.package_path, sizeof s.package_path, "%s", corpus_dir());
    snprintf(s.xacro_args, sizeof s.xacro_args, "%s", robots[r].xacro_args);
    s.controllers_file[0] = '\0';
    char err[2048];
    dtw_twin_t *t = NULL;
    if (dtw_twin_create(&s, &t, err, sizeof err) < 0) fail_msg("%s: %s", robots[r].path, err);
    static dtw_joint_state_msg_t js;
    dtw_twin_get_joint_state(t, &js);
    dtw_motion_gen_opts_t o;
    dtw_motion_gen_opts_default(&o);
    dtw_joint_trajectory_msg_t m;
    assert_int_equal(dtw_traj_msg_init(&m, 16), 0);
    assert_int_equal(dtw_motion_generic(dtw_twin_joints(t), dtw_twin_joint_count(t), js.position,
                                        &o, &m, err, sizeof err), 0);
    double moved_before, moved_after;
    size_t before = poses_in_contact(t, &m, &moved_before), shrunk = 0;
    assert_int_equal(dtw_twin_motion_clear(t, &m, &shrunk, err, sizeof err), 0);
    size_t after = poses_in_contact(t, &m, &moved_after);
    /* ... by moving the joints that touch, not every joint: each still moves in
     * every segment (halving every joint of a point left the UR5e's shoulder lift
     * moving 0.003 rad) */
    double least = INFINITY;
    const char *least_joint = "";
    for (size_t p = 0; p < m.n_points; p++)
      for (size_t k = 0; k < m.n_joints; k++) {
        double from = p > 0 ? m.points[p - 1].positions[k] : js.position[k];
        double d = fabs(m.points[p].positions[k] - from);
        if (d < least) least = d, least_joint = m.joint_names[k];
      }
    print_message("%-36s generic motion: %zu of %zu sampled poses touch more than the start pose; "
                  "%zu points made smaller: %zu touch (largest excursion %.2f -> %.2f rad); "
                  "least move of a joint in a segment %.3f rad (%s)\n",
                  robots[r].path, before, 32 * m.n_points, shrunk, after, moved_before, moved_after,
                  least, least_joint);
    assert_true(before > 0);
    assert_true(shrunk > 0);
    assert_int_equal(after, 0);
    assert_true(moved_after > 0.5 * moved_before); /* smaller where it touched, not flattened */
    assert_true(least >= 0.02);
    dtw_traj_msg_fini(&m);
    dtw_twin_destroy(t);
  }
}

int main(void) {
  if (corpus_dir() == NULL) {
    fprintf(stderr, "DTW_ROBOT_CORPUS is not a directory: skipped\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corpus),
      cmocka_unit_test(test_generic_motion_clear_of_contacts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
