/* Tests for src/sim: model compilation, joint tables, stepping, state, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/sim.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static int g_warnings; /* DTW_WARN lines seen by the log hook */
static int g_errors;

static void count_log(dtw_log_level_t level, const char *component, const char *line,
                      void *user) {
  (void)component;
  (void)line;
  (void)user;
  if (level == DTW_LOG_WARN) g_warnings++;
  if (level == DTW_LOG_ERROR) g_errors++;
}

static int setup(void **state) {
  (void)state;
  g_warnings = 0;
  g_errors = 0;
  dtw_log_set_hook(count_log, NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  dtw_log_set_hook(NULL, NULL);
  return 0;
}

static char *data_dir(void) {
  const char *env = getenv("DTW_TEST_DATA");
  char *dir = NULL;
  assert_true(asprintf(&dir, "%s/sim", env ? env : "tests/data") > 0);
  return dir;
}

/* A desc holding tests/data/sim/<file> as MJCF, no joint table. */
static void load_desc(const char *file, dtw_robot_desc_t *desc) {
  memset(desc, 0, sizeof *desc);
  desc->base_dir = data_dir();
  char *path = NULL;
  assert_true(asprintf(&path, "%s/%s", desc->base_dir, file) > 0);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 0, SEEK_END), 0);
  long len = ftell(f);
  assert_true(len > 0);
  rewind(f);
  desc->mjcf = calloc(1, (size_t)len + 1);
  assert_non_null(desc->mjcf);
  assert_int_equal(fread(desc->mjcf, 1, (size_t)len, f), (size_t)len);
  desc->mjcf_len = (size_t)len;
  fclose(f);
  free(path);
  snprintf(desc->name, sizeof desc->name, "%s", file);
}

static void free_desc(dtw_robot_desc_t *desc) {
  dtw_robot_desc_fini(desc);
}

static dtw_sim_t *create_ok(const char *file) {
  dtw_robot_desc_t desc;
  load_desc(file, &desc);
  dtw_sim_t *sim = NULL;
  char err[512] = "";
  int rc = dtw_sim_create(&desc, &sim, err, sizeof err);
  if (rc != 0) fail_msg("create %s: %s", file, err);
  free_desc(&desc);
  return sim;
}

static void add_joint(dtw_robot_desc_t *desc, const char *name) {
  desc->joints = realloc(desc->joints, (desc->n_joints + 1) * sizeof *desc->joints);
  assert_non_null(desc->joints);
  dtw_joint_desc_t *j = &desc->joints[desc->n_joints++];
  memset(j, 0, sizeof *j);
  snprintf(j->name, sizeof j->name, "%s", name);
  j->effort = 42;
}

static int steps(dtw_sim_t *sim, const double *effort, size_t n, int count) {
  for (int i = 0; i < count; i++) {
    int rc = dtw_sim_step(sim, effort, n);
    if (rc != 0) return rc;
  }
  return 0;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_table_derived_from_mjcf(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  assert_int_equal(dtw_sim_joint_count(sim), 2);
  const dtw_joint_desc_t *j = dtw_sim_joints(sim);
  assert_string_equal(j[0].name, "shoulder");
  assert_int_equal(j[0].type, DTW_JOINT_REVOLUTE);
  assert_true(j[0].limited);
  assert_float_equal(j[0].lower, -2, 1e-12);
  assert_float_equal(j[0].upper, 2, 1e-12);
  assert_float_equal(j[0].effort, 5, 1e-12);
  assert_float_equal(j[0].damping, 0.1, 1e-12);
  assert_float_equal(j[0].friction, 0.01, 1e-12);
  assert_float_equal(j[0].velocity, 0, 0);
  assert_string_equal(j[1].name, "elbow");
  assert_int_equal(j[1].type, DTW_JOINT_CONTINUOUS);
  assert_false(j[1].limited);
  assert_float_equal(j[1].effort, 3, 1e-12);
  assert_float_equal(dtw_sim_timestep(sim), 0.001, 1e-15);
  assert_float_equal(dtw_sim_time(sim), 0, 0);
  assert_int_equal(dtw_sim_poisoned(sim), 0);
  assert_int_equal(g_warnings + g_errors, 0);
  dtw_sim_destroy(sim);
}

static void test_floating_table_and_keyframe(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("floating.xml");
  /* the passive hinge and the free joint are not in the table */
  assert_int_equal(dtw_sim_joint_count(sim), 2);
  const dtw_joint_desc_t *j = dtw_sim_joints(sim);
  assert_string_equal(j[0].name, "arm");
  assert_float_equal(j[0].effort, 20 * 0.5, 1e-12); /* gear x min(forcerange, ctrlrange) */
  assert_string_equal(j[1].name, "lift");
  assert_int_equal(j[1].type, DTW_JOINT_PRISMATIC);
  assert_float_equal(j[1].effort, 0, 0); /* unlimited motor */
  double pos[2], vel[2];
  dtw_sim_get_joint_state(sim, pos, vel, NULL);
  assert_float_equal(pos[0], 0.2, 1e-12);
  assert_float_equal(pos[1], 0.05, 1e-12);
  dtw_sim_extras_t ex;
  dtw_sim_get_extras(sim, &ex);
  assert_float_equal(ex.base_pos[2], 0.3, 1e-12);
  assert_float_equal(ex.base_quat[0], 1, 1e-12);
  assert_float_equal(ex.mass_kg, 2.65, 1e-9);
  dtw_sim_destroy(sim);
}

static void test_table_from_desc(void **state) {
  (void)state;
  dtw_robot_desc_t desc;
  load_desc("pendulum.xml", &desc);
  add_joint(&desc, "elbow"); /* motor named elbow_motor: found through its transmission */
  add_joint(&desc, "shoulder");
  dtw_sim_t *sim = NULL;
  char err[512] = "";
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), 0);
  assert_int_equal(dtw_sim_joint_count(sim), 2);
  assert_string_equal(dtw_sim_joints(sim)[0].name, "elbow");
  assert_float_equal(dtw_sim_joints(sim)[0].effort, 42, 0); /* the desc's table is kept */
  /* effort goes to the elbow only */
  const double effort[2] = {1.0, 0.0};
  assert_int_equal(steps(sim, effort, 2, 20), 0);
  double vel[2], eff[2];
  dtw_sim_get_joint_state(sim, NULL, vel, eff);
  assert_true(vel[0] > 0);
  assert_float_equal(eff[0], 1.0, 1e-12);
  assert_float_equal(eff[1], 0.0, 1e-12);
  dtw_sim_destroy(sim);

  add_joint(&desc, "wrist");
  sim = NULL;
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), DTW_EMODEL);
  assert_null(sim);
  assert_non_null(strstr(err, "'wrist'"));
  free_desc(&desc);

  load_desc("floating.xml", &desc);
  add_joint(&desc, "passive");
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), DTW_EMODEL);
  assert_non_null(strstr(err, "'passive'"));
  assert_non_null(strstr(err, "motor"));
  free_desc(&desc);
}

static void test_step_time_and_direction(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  const double plus[2] = {2.0, 0.0};
  assert_int_equal(steps(sim, plus, 2, 100), 0);
  assert_float_equal(dtw_sim_time(sim), 0.1, 1e-9);
  double pos[2], vel[2];
  dtw_sim_get_joint_state(sim, pos, vel, NULL);
  assert_true(pos[0] > 0.01);
  assert_true(vel[0] > 0);
  dtw_sim_destroy(sim);

  sim = create_ok("pendulum.xml");
  const double minus[2] = {-2.0, 0.0};
  assert_int_equal(steps(sim, minus, 2, 100), 0);
  dtw_sim_get_joint_state(sim, pos, vel, NULL);
  assert_true(pos[0] < -0.01);
  assert_true(vel[0] < 0);
  /* fewer efforts than joints is fine, more is refused, as is NaN */
  assert_int_equal(dtw_sim_step(sim, minus, 1), 0);
  assert_int_equal(dtw_sim_step(sim, NULL, 0), 0);
  const double three[3] = {0, 0, 0};
  assert_int_equal(dtw_sim_step(sim, three, 3), DTW_EINVAL);
  const double bad[2] = {NAN, 0};
  double t = dtw_sim_time(sim);
  assert_int_equal(dtw_sim_step(sim, bad, 2), DTW_EINVAL);
  assert_float_equal(dtw_sim_time(sim), t, 0);
  dtw_sim_destroy(sim);
}

/* sim.integrator: names map to MuJoCo's integrators, an unknown one changes
 * nothing, and each integrates the same motion (to the step's accuracy). */
static void test_integrator(void **state) {
  (void)state;
  const double push[2] = {2.0, 0.0};
  const char *const names[] = {"euler", "implicit", "rk4"};
  double pos[3][2], vel[2];
  for (int k = 0; k < 3; k++) {
    dtw_sim_t *sim = create_ok("pendulum.xml");
    const char *before = dtw_sim_integrator(sim);
    assert_int_equal(dtw_sim_set_integrator(sim, "verlet"), DTW_EINVAL);
    assert_string_equal(dtw_sim_integrator(sim), before);
    assert_int_equal(dtw_sim_set_integrator(sim, "model"), 0);
    assert_string_equal(dtw_sim_integrator(sim), before);
    assert_int_equal(dtw_sim_set_integrator(sim, names[k]), 0);
    assert_string_equal(dtw_sim_integrator(sim), names[k]);
    assert_int_equal(steps(sim, push, 2, 200), 0);
    dtw_sim_get_joint_state(sim, pos[k], vel, NULL);
    assert_true(pos[k][0] > 0.01);
    dtw_sim_destroy(sim);
  }
  assert_float_equal(pos[1][0], pos[0][0], 0.01 * fabs(pos[0][0]));
  assert_float_equal(pos[2][0], pos[0][0], 0.01 * fabs(pos[0][0]));
  assert_true(dtw_sim_integrator_code("model") < 0);
}

static void test_clamp_to_ctrlrange(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  const double big[2] = {100.0, -100.0};
  assert_int_equal(dtw_sim_step(sim, big, 2), 0);
  double eff[2];
  dtw_sim_get_joint_state(sim, NULL, NULL, eff);
  assert_float_equal(eff[0], 5.0, 1e-12);
  assert_float_equal(eff[1], -3.0, 1e-12);
  dtw_sim_destroy(sim);

  /* geared motor: 100 N m asked, force limited to 0.5 x gear 20 */
  sim = create_ok("floating.xml");
  const double arm[1] = {100.0};
  assert_int_equal(dtw_sim_step(sim, arm, 1), 0);
  dtw_sim_get_joint_state(sim, NULL, NULL, eff);
  assert_float_equal(eff[0], 10.0, 1e-9);
  const double small[1] = {4.0};
  assert_int_equal(dtw_sim_step(sim, small, 1), 0);
  dtw_sim_get_joint_state(sim, NULL, NULL, eff);
  assert_float_equal(eff[0], 4.0, 1e-9);
  dtw_sim_destroy(sim);
}

static void test_set_joint_state(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  const int idx[1] = {0};
  const double p[1] = {1.0}, v[1] = {0.5};
  assert_int_equal(dtw_sim_set_joint_state(sim, idx, p, v, 1), 0);
  double pos[2], vel[2];
  dtw_sim_get_joint_state(sim, pos, vel, NULL);
  assert_float_equal(pos[0], 1.0, 0);
  assert_float_equal(vel[0], 0.5, 0);
  assert_float_equal(pos[1], 0.0, 0);
  /* mj_forward ran: the tip body moved with the shoulder */
  dtw_sim_extras_t ex;
  dtw_sim_get_extras(sim, &ex);
  assert_true(fabs(ex.com[0]) > 0.1);

  /* velocity only */
  const int idx1[1] = {1};
  const double v1[1] = {-2.0};
  assert_int_equal(dtw_sim_set_joint_state(sim, idx1, NULL, v1, 1), 0);
  dtw_sim_get_joint_state(sim, pos, vel, NULL);
  assert_float_equal(pos[1], 0.0, 0);
  assert_float_equal(vel[1], -2.0, 0);

  /* refusals change nothing */
  const int both[2] = {1, 0};
  const double nanp[2] = {0.3, NAN}, infv[2] = {INFINITY, 0};
  assert_int_equal(dtw_sim_set_joint_state(sim, both, nanp, NULL, 2), DTW_EINVAL);
  assert_int_equal(dtw_sim_set_joint_state(sim, both, NULL, infv, 2), DTW_EINVAL);
  const int out_of_range[1] = {2}, negative[1] = {-1};
  assert_int_equal(dtw_sim_set_joint_state(sim, out_of_range, p, NULL, 1), DTW_EINVAL);
  assert_int_equal(dtw_sim_set_joint_state(sim, negative, p, NULL, 1), DTW_EINVAL);
  dtw_sim_get_joint_state(sim, pos, vel, NULL);
  assert_float_equal(pos[0], 1.0, 0);
  assert_float_equal(pos[1], 0.0, 0);
  assert_float_equal(vel[1], -2.0, 0);
  dtw_sim_destroy(sim);
}

static void test_reset(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("floating.xml");
  const double effort[2] = {5.0, 1.0};
  assert_int_equal(steps(sim, effort, 2, 200), 0);
  double pos[2];
  dtw_sim_get_joint_state(sim, pos, NULL, NULL);
  assert_true(fabs(pos[0] - 0.2) > 1e-3);
  assert_int_equal(dtw_sim_reset(sim), 0);
  assert_float_equal(dtw_sim_time(sim), 0, 0);
  double vel[2];
  dtw_sim_get_joint_state(sim, pos, vel, NULL);
  assert_float_equal(pos[0], 0.2, 1e-12); /* keyframe 0, not qpos0 */
  assert_float_equal(pos[1], 0.05, 1e-12);
  assert_float_equal(vel[0], 0, 0);
  dtw_sim_extras_t ex;
  dtw_sim_get_extras(sim, &ex);
  assert_float_equal(ex.base_pos[2], 0.3, 1e-12);
  dtw_sim_destroy(sim);
}

static void test_extras(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  dtw_sim_extras_t ex;
  dtw_sim_get_extras(sim, &ex);
  assert_float_equal(ex.mass_kg, 1.5, 1e-9);
  assert_float_equal(ex.base_pos[2], 2.0, 1e-12);
  /* hanging straight down: link centres at z 1.75 (1 kg) and 1.25 (0.5 kg) */
  assert_float_equal(ex.com[0], 0, 1e-9);
  assert_float_equal(ex.com[2], (1.75 + 0.5 * 1.25) / 1.5, 1e-9);
  assert_int_equal(ex.n_contacts, 0);
  dtw_sim_destroy(sim);

  /* the floating box comes to rest on the floor: contacts carry its weight */
  sim = create_ok("floating.xml");
  const double zero[2] = {0, 0};
  assert_int_equal(steps(sim, zero, 2, 1000), 0);
  dtw_sim_get_extras(sim, &ex);
  assert_true(ex.n_contacts > 0);
  assert_float_equal(ex.contact_normal_force, 2.65 * 9.81, 0.5);
  assert_float_equal(ex.base_pos[2], 0.1, 0.02);
  dtw_sim_destroy(sim);
}

/* Shoulder velocity after one step with a torque from rest. */
static double kick(dtw_sim_t *sim) {
  assert_int_equal(dtw_sim_reset(sim), 0);
  const double effort[2] = {2.0, 0};
  assert_int_equal(dtw_sim_step(sim, effort, 2), 0);
  double vel[2];
  dtw_sim_get_joint_state(sim, NULL, vel, NULL);
  return vel[0];
}

static void test_scale_model(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  double v1 = kick(sim);
  dtw_sim_extras_t ex;
  assert_int_equal(dtw_sim_scale_model(sim, 2.0, 1.0), 0);
  dtw_sim_get_extras(sim, &ex);
  assert_float_equal(ex.mass_kg, 3.0, 1e-9);
  assert_int_equal(dtw_sim_scale_model(sim, 2.0, 1.0), 0); /* relative to the original */
  dtw_sim_get_extras(sim, &ex);
  assert_float_equal(ex.mass_kg, 3.0, 1e-9);
  double v2 = kick(sim);
  assert_float_equal(v2 / v1, 0.5, 0.02); /* twice the inertia, half the acceleration */
  assert_int_equal(dtw_sim_scale_model(sim, 1.0, 3.0), 0);
  dtw_sim_get_extras(sim, &ex);
  assert_float_equal(ex.mass_kg, 1.5, 1e-9);
  assert_float_equal(kick(sim), v1, fabs(v1) * 0.05);
  assert_int_equal(dtw_sim_scale_model(sim, 0.0, 1.0), DTW_EINVAL);
  assert_int_equal(dtw_sim_scale_model(sim, 1.0, NAN), DTW_EINVAL);
  assert_int_equal(dtw_sim_scale_model(sim, -1.0, 1.0), DTW_EINVAL);
  dtw_sim_destroy(sim);
}

static void test_explosion_returns_esim(void **state) {
  (void)state;
  dtw_sim_t *sim = create_ok("floating.xml");
  /* an absurd force on the unlimited 0.1 kg slider: qacc > 1e10 (MuJoCo zeroes a ctrl
   * above 1e10 itself, so stay below that) */
  const double huge[2] = {0, 5e9};
  int rc = 0;
  for (int i = 0; i < 100 && rc == 0; i++) rc = dtw_sim_step(sim, huge, 2);
  assert_int_equal(rc, DTW_ESIM);
  assert_int_equal(dtw_sim_poisoned(sim), 0); /* MuJoCo reset the state itself */
  assert_true(dtw_sim_warning_count(sim) >= 1);
  assert_int_equal(g_warnings, 1);
  /* again: detected again, logged once only */
  rc = 0;
  for (int i = 0; i < 100 && rc == 0; i++) rc = dtw_sim_step(sim, huge, 2);
  assert_int_equal(rc, DTW_ESIM);
  assert_true(dtw_sim_warning_count(sim) >= 2);
  assert_int_equal(g_warnings, 1);

  /* a teleport to an absurd velocity blows up on the next step too */
  assert_int_equal(dtw_sim_reset(sim), 0);
  const int idx[1] = {0};
  const double v[1] = {1e12};
  assert_int_equal(dtw_sim_set_joint_state(sim, idx, NULL, v, 1), 0);
  const double zero[2] = {0, 0};
  assert_int_equal(dtw_sim_step(sim, zero, 2), DTW_ESIM);
  assert_int_equal(dtw_sim_reset(sim), 0);
  assert_int_equal(steps(sim, zero, 2, 10), 0);
  dtw_sim_destroy(sim);
}

static void test_malformed_mjcf(void **state) {
  (void)state;
  dtw_robot_desc_t desc;
  load_desc("malformed.xml", &desc);
  dtw_sim_t *sim = NULL;
  char err[512] = "";
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), DTW_EMODEL);
  assert_null(sim);
  assert_non_null(strstr(err, "screwy")); /* MuJoCo's own text */
  assert_null(strchr(err, '\n'));
  free_desc(&desc);

  memset(&desc, 0, sizeof desc);
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), DTW_EINVAL);
  desc.mjcf = (char *)"<mujoco><worldbody>";
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), DTW_EMODEL);
  assert_true(strlen(err) > 0);
}

static void test_mju_error_does_not_exit(void **state) {
  (void)state;
  /* enough stack at rest, not once the boxes land: mju_error("Stack overflow") */
  dtw_sim_t *sim = create_ok("stack_overflow.xml");
  int rc = 0, i;
  for (i = 0; i < 1000 && rc == 0; i++) rc = dtw_sim_step(sim, NULL, 0);
  assert_int_equal(rc, DTW_ESIM);
  assert_true(i > 10);
  assert_int_equal(dtw_sim_poisoned(sim), 1);
  assert_non_null(strstr(dtw_sim_last_error(sim), "Stack overflow"));
  assert_int_equal(g_errors, 1);
  /* poisoned until reset */
  assert_int_equal(dtw_sim_step(sim, NULL, 0), DTW_ESIM);
  assert_int_equal(dtw_sim_reset(sim), 0);
  assert_int_equal(dtw_sim_poisoned(sim), 0);
  assert_string_equal(dtw_sim_last_error(sim), "");
  assert_float_equal(dtw_sim_time(sim), 0, 0);
  assert_int_equal(steps(sim, NULL, 0, 10), 0);
  dtw_sim_destroy(sim);
}

static void *thread_run(void *arg) {
  double *result = arg;
  dtw_sim_t *sim = create_ok("pendulum.xml");
  const double effort[2] = {1.0, -1.0};
  if (steps(sim, effort, 2, 500) == 0) dtw_sim_get_joint_state(sim, result, NULL, NULL);
  dtw_sim_destroy(sim);
  return NULL;
}

static void test_instances_in_threads(void **state) {
  (void)state;
  double res[4][2];
  memset(res, 0, sizeof res);
  pthread_t th[4];
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, thread_run, res[i]), 0);
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  /* deterministic physics: all threads agree */
  assert_true(res[0][0] > 0);
  for (int i = 1; i < 4; i++) {
    assert_float_equal(res[i][0], res[0][0], 0);
    assert_float_equal(res[i][1], res[0][1], 0);
  }
}


/* In-memory files: a .msh tetrahedron (4 vertices, 4 faces) named by the MJCF. */
static void add_tetra(dtw_robot_desc_t *desc, const char *name, double size) {
  static const int32_t header[4] = {4, 0, 0, 4};
  static const int32_t faces[12] = {0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3};
  float v[12] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  for (int i = 0; i < 12; i++) v[i] *= (float)size;
  desc->assets = realloc(desc->assets, (desc->n_assets + 1) * sizeof *desc->assets);
  assert_non_null(desc->assets);
  dtw_asset_t *a = &desc->assets[desc->n_assets++];
  a->size = sizeof header + sizeof v + sizeof faces;
  a->data = malloc(a->size);
  assert_non_null(a->data);
  memcpy(a->data, header, sizeof header);
  memcpy(a->data + sizeof header, v, sizeof v);
  memcpy(a->data + sizeof header + sizeof v, faces, sizeof faces);
  a->name = strdup(name);
  a->source = NULL;
}

static void mesh_desc(dtw_robot_desc_t *desc, const char *mjcf) {
  memset(desc, 0, sizeof *desc);
  desc->mjcf = strdup(mjcf);
  desc->mjcf_len = strlen(mjcf);
  desc->base_dir = strdup("/nonexistent-dtw-dir");
  snprintf(desc->name, sizeof desc->name, "meshes");
}

static const char k_tetra_mjcf[] =
    "<mujoco><asset><mesh name='t' file='dtw_0_tetra.msh'/></asset><worldbody>"
    "<body pos='0 0 2'><freejoint/><geom type='mesh' mesh='t' mass='1'/>"
    "<geom type='sphere' size='0.05' pos='0 0 -0.5' contype='0' conaffinity='0'/></body>"
    "</worldbody></mujoco>";

/* Assets reach MuJoCo from memory; the root can be placed on the floor. */
static void test_assets_and_placement(void **state) {
  (void)state;
  dtw_robot_desc_t desc;
  mesh_desc(&desc, k_tetra_mjcf);
  add_tetra(&desc, "dtw_0_tetra.msh", 0.2);
  dtw_sim_t *sim = NULL;
  char err[512] = "";
  int rc = dtw_sim_create(&desc, &sim, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  dtw_sim_extras_t ex;
  dtw_sim_get_extras(sim, &ex);
  assert_true(fabs(ex.base_pos[2] - 2) < 1e-12); /* not asked to move */
  dtw_sim_destroy(sim);

  /* auto height: the mesh's lowest vertex (not the visual sphere) at the clearance */
  desc.base_auto_height = true;
  desc.base_clearance_m = 0.25;
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), 0);
  dtw_sim_get_extras(sim, &ex);
  double dz = ex.base_pos[2] - 2;
  /* the body frame is the mesh file's frame: its lowest vertex was at z = 2 */
  assert_true(fabs(dz - (0.25 - 2)) < 1e-6);
  assert_int_equal(dtw_sim_reset(sim), 0); /* placement survives a reset */
  dtw_sim_get_extras(sim, &ex);
  assert_true(fabs(ex.base_pos[2] - 0.25) < 1e-6);
  dtw_sim_destroy(sim);
  free_desc(&desc);

  /* two assets of one name, and an empty one, are refused before MuJoCo sees them */
  mesh_desc(&desc, k_tetra_mjcf);
  add_tetra(&desc, "dtw_0_tetra.msh", 0.2);
  add_tetra(&desc, "DTW_0_TETRA.msh", 0.2); /* MuJoCo's VFS ignores case */
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "name used twice"));
  desc.assets[1].size = 0;
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "bad name or size"));
  desc.n_assets = 0; /* none: the file is not on disk either */
  assert_int_equal(dtw_sim_create(&desc, &sim, err, sizeof err), DTW_EMODEL);
  assert_non_null(strstr(err, "dtw_0_tetra.msh"));
  desc.n_assets = 2;
  free_desc(&desc);
}

/* A robot whose link2 overlaps its grandparent in the initial pose (an exclude),
 * an unnamed body doing the same (kept: nothing to name; it has a joint, else
 * MuJoCo welds it to its parent, whose own parent filter covers it), and a floor
 * and a second robot touching it (other trees: kept). LINK2_Z: link2's offset. */
#define TOUCH_MJCF(LINK2_Z)                                                                   \
  "<mujoco><worldbody><geom type='plane' size='2 2 0.1'/>"                                    \
  "<body name='base' pos='0 0 0.09'><freejoint/><geom type='box' size='0.1 0.1 0.1'/>"        \
  "<body name='link1' pos='0 0 0.5'><joint name='j1' axis='0 1 0'/>"                          \
  "<geom type='sphere' size='0.05'/>"                                                         \
  "<body name='l&amp;2' pos='0 0 " LINK2_Z "'><joint name='j2' axis='0 1 0'/>"                \
  "<geom type='sphere' size='0.05'/></body></body>"                                           \
  "<body name='link3' pos='0.5 0 0.3'><joint name='j3' axis='0 1 0'/>"                        \
  "<geom type='sphere' size='0.05'/>"                                                         \
  "<body pos='-0.41 0 -0.2'><joint axis='0 1 0'/><geom type='sphere' size='0.05'/></body>"   \
  "</body></body>"                                                                            \
  "<body name='ball' pos='0 0.12 0.1'><freejoint/><geom type='sphere' size='0.05'/></body>"   \
  "</worldbody><actuator><motor joint='j1'/><motor joint='j2'/><motor joint='j3'/>"           \
  "</actuator></mujoco>"

static dtw_sim_t *create_text(const char *mjcf) {
  dtw_robot_desc_t desc;
  mesh_desc(&desc, mjcf);
  dtw_sim_t *sim = NULL;
  char err[512] = "";
  if (dtw_sim_create(&desc, &sim, err, sizeof err) != 0) fail_msg("create: %s", err);
  free_desc(&desc);
  return sim;
}

/* Bodies of one robot touching in the initial pose never collide; the world's
 * and another robot's contacts stay. */
static void test_start_contacts_excluded(void **state) {
  (void)state;
  dtw_sim_t *sim = create_text(TOUCH_MJCF("-0.45"));
  const char *names = NULL;
  size_t unnamed = 9;
  assert_int_equal(dtw_sim_start_contacts_excluded(sim, &names, &unnamed), 1);
  assert_string_equal(names, "base/l&2");
  assert_int_equal(unnamed, 1);
  dtw_sim_extras_t touching, apart;
  dtw_sim_get_extras(sim, &touching);
  assert_int_equal(dtw_sim_joint_count(sim), 3);

  /* the same robot with link2 clear of the base: the same contacts (floor, ball,
   * the unnamed body) */
  dtw_sim_t *ref = create_text(TOUCH_MJCF("-0.2"));
  assert_int_equal(dtw_sim_start_contacts_excluded(ref, NULL, &unnamed), 0);
  assert_int_equal(unnamed, 1);
  dtw_sim_get_extras(ref, &apart);
  assert_true(apart.n_contacts >= 3);
  assert_int_equal(touching.n_contacts, apart.n_contacts);
  dtw_sim_destroy(ref);

  dtw_sim_destroy(sim);

  /* a model without such pairs is compiled once, as written */
  sim = create_ok("pendulum.xml");
  names = NULL;
  assert_int_equal(dtw_sim_start_contacts_excluded(sim, &names, NULL), 0);
  assert_string_equal(names, "");
  dtw_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_table_derived_from_mjcf, setup, teardown),
      cmocka_unit_test_setup_teardown(test_floating_table_and_keyframe, setup, teardown),
      cmocka_unit_test_setup_teardown(test_table_from_desc, setup, teardown),
      cmocka_unit_test_setup_teardown(test_step_time_and_direction, setup, teardown),
      cmocka_unit_test_setup_teardown(test_integrator, setup, teardown),
      cmocka_unit_test_setup_teardown(test_clamp_to_ctrlrange, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_joint_state, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
      cmocka_unit_test_setup_teardown(test_extras, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scale_model, setup, teardown),
      cmocka_unit_test_setup_teardown(test_explosion_returns_esim, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_mjcf, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mju_error_does_not_exit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_instances_in_threads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_assets_and_placement, setup, teardown),
      cmocka_unit_test_setup_teardown(test_start_contacts_excluded, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
