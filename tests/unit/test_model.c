/* dtw_model_load end to end: the demo humanoid (xacro) compiled and simulated
 * with MuJoCo, MJCF pass-through and world merging (src/model/model.c). */
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

#include <mujoco/mujoco.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/model.h"
#include "dtw/sim.h"

#define N_HUMANOID 23

static char g_path[1024], g_world[1024];

static const char *humanoid_path(void) {
  const char *src = getenv("DTW_SOURCE_DIR");
  snprintf(g_path, sizeof g_path, "%s/models/digital_twin_humanoid.urdf.xacro",
           src != NULL ? src : ".");
  return g_path;
}

static const char *world_path(void) {
  const char *src = getenv("DTW_SOURCE_DIR");
  snprintf(g_world, sizeof g_world, "%s/models/digital_twin_world.xml", src != NULL ? src : ".");
  return g_world;
}

static const char *data_path(const char *name, char *buf, size_t len) {
  const char *root = getenv("DTW_TEST_DATA");
  snprintf(buf, len, "%s/model/%s", root != NULL ? root : "tests/data", name);
  return buf;
}

/* The contract: names, limits, effort and velocity limits in order. */
typedef struct expected_joint {
  const char *name;
  double lower, upper, effort, velocity;
} expected_joint_t;

static const expected_joint_t k_joints[N_HUMANOID] = {
    {"left_hip_yaw", -0.8, 0.8, 150, 8},        {"left_hip_roll", -0.6, 0.6, 150, 8},
    {"left_hip_pitch", -2.0, 0.8, 150, 8},      {"left_knee", 0.0, 2.4, 200, 8},
    {"left_ankle_pitch", -1.0, 1.0, 100, 8},    {"left_ankle_roll", -0.5, 0.5, 100, 8},
    {"right_hip_yaw", -0.8, 0.8, 150, 8},       {"right_hip_roll", -0.6, 0.6, 150, 8},
    {"right_hip_pitch", -2.0, 0.8, 150, 8},     {"right_knee", 0.0, 2.4, 200, 8},
    {"right_ankle_pitch", -1.0, 1.0, 100, 8},   {"right_ankle_roll", -0.5, 0.5, 100, 8},
    {"torso_yaw", -1.0, 1.0, 150, 8},           {"left_shoulder_pitch", -3.0, 1.5, 60, 10},
    {"left_shoulder_roll", -1.6, 1.6, 60, 10},  {"left_shoulder_yaw", -1.5, 1.5, 60, 10},
    {"left_elbow", 0.0, 2.5, 40, 10},           {"right_shoulder_pitch", -3.0, 1.5, 60, 10},
    {"right_shoulder_roll", -1.6, 1.6, 60, 10}, {"right_shoulder_yaw", -1.5, 1.5, 60, 10},
    {"right_elbow", 0.0, 2.5, 40, 10},          {"neck_yaw", -1.2, 1.2, 10, 6},
    {"neck_pitch", -0.6, 0.8, 10, 6},
};

/* ---- MuJoCo helpers: any MuJoCo warning fails the test ------------------ */

static int g_mj_warnings;
static void on_mj_warning(const char *msg) {
  g_mj_warnings++;
  fprintf(stderr, "MuJoCo warning: %s\n", msg);
}

static void load_humanoid(dtw_base_mode_t base, const char *world, dtw_robot_desc_t *d) {
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.base = base;
  o.world_file = world;
  char err[1024] = "";
  int rc = dtw_model_load(humanoid_path(), &o, d, err, sizeof err);
  if (rc != 0) fail_msg("dtw_model_load: %s (%s)", err, dtw_err_name(rc));
}

/* Compile MJCF text as src/sim does: from memory, named as if in its base
 * directory, with the description's in-memory files (converted meshes). */
static mjModel *compile(const dtw_robot_desc_t *d) {
  static mjVFS vfs; /* ~2 MB */
  char path[2048];
  snprintf(path, sizeof path, "%s/__test_model__.xml", d->base_dir != NULL ? d->base_dir : ".");
  mj_defaultVFS(&vfs);
  assert_int_equal(mj_makeEmptyFileVFS(&vfs, "__test_model__.xml", (int)d->mjcf_len), 0);
  memcpy(vfs.filedata[vfs.nfile - 1], d->mjcf, d->mjcf_len);
  for (size_t i = 0; i < d->n_assets; i++) {
    assert_int_equal(mj_makeEmptyFileVFS(&vfs, d->assets[i].name, (int)d->assets[i].size), 0);
    memcpy(vfs.filedata[vfs.nfile - 1], d->assets[i].data, d->assets[i].size);
  }
  char err[1024] = "";
  mjModel *m = mj_loadXML(path, &vfs, err, sizeof err);
  mj_deleteVFS(&vfs);
  if (m == NULL) fail_msg("mj_loadXML: %s\n%s", err, d->mjcf);
  return m;
}

static bool finite_state(const mjModel *m, const mjData *dd) {
  for (int i = 0; i < m->nq; i++)
    if (!isfinite(dd->qpos[i])) return false;
  for (int i = 0; i < m->nv; i++)
    if (!isfinite(dd->qvel[i])) return false;
  return true;
}

static int setup(void **state) {
  (void)state;
  mju_user_warning = on_mj_warning;
  g_mj_warnings = 0;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  assert_int_equal(g_mj_warnings, 0);
  return 0;
}

/* ---- the joint table ---------------------------------------------------- */

static void test_humanoid_joint_table(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  load_humanoid(DTW_BASE_FIXED, NULL, &d);
  assert_string_equal(d.name, "digital_twin_humanoid");
  assert_false(d.floating_base);
  assert_non_null(d.base_dir);
  assert_int_equal(d.n_joints, N_HUMANOID);
  for (size_t i = 0; i < N_HUMANOID; i++) {
    const dtw_joint_desc_t *j = &d.joints[i];
    const expected_joint_t *e = &k_joints[i];
    assert_string_equal(j->name, e->name);
    assert_int_equal(j->type, DTW_JOINT_REVOLUTE);
    assert_true(j->limited);
    assert_true(fabs(j->lower - e->lower) < 1e-12 && fabs(j->upper - e->upper) < 1e-12);
    assert_true(j->effort == e->effort);
    assert_true(j->velocity == e->velocity);
    assert_true(j->damping >= 0.5 && j->damping <= 2.0);
    assert_true(j->friction >= 0.1 && j->friction <= 0.5);
    assert_int_equal(dtw_robot_joint_index(&d, e->name), (int)i);
  }
  dtw_robot_desc_fini(&d);
}

/* ---- compiled with MuJoCo ----------------------------------------------- */

static void test_humanoid_fixed_compiles(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  load_humanoid(DTW_BASE_FIXED, NULL, &d);
  mjModel *m = compile(&d);
  assert_int_equal(m->nu, N_HUMANOID);
  assert_int_equal(m->njnt, N_HUMANOID);
  assert_int_equal(m->nq, N_HUMANOID);
  assert_int_equal(m->nv, N_HUMANOID);
  /* MuJoCo's joint order and the actuator order both follow the joint table */
  for (int i = 0; i < N_HUMANOID; i++) {
    assert_string_equal(mj_id2name(m, mjOBJ_JOINT, i), k_joints[i].name);
    assert_string_equal(mj_id2name(m, mjOBJ_ACTUATOR, i), k_joints[i].name);
    assert_int_equal(m->actuator_trnid[2 * i], i);
    assert_true(m->jnt_limited[i]);
    assert_true(fabs(m->jnt_range[2 * i] - k_joints[i].lower) < 1e-9);
    assert_true(fabs(m->actuator_ctrlrange[2 * i + 1] - k_joints[i].effort) < 1e-9);
    assert_true(fabs(m->dof_armature[i] - 0.01) < 1e-12);
  }
  double mass = mj_getTotalmass(m);
  assert_true(mass > 45 && mass < 55);
  /* pelvis mass as designed; the root body sits at the default base height */
  int pelvis = mj_name2id(m, mjOBJ_BODY, "pelvis");
  assert_true(pelvis > 0);
  assert_true(fabs(m->body_mass[pelvis] - 8.0) < 1e-9);
  assert_true(fabs(m->body_pos[3 * pelvis + 2] - 1.0) < 1e-12);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);
}

/* Lowest point of a box geom that is level in the world. */
static double box_bottom(const mjModel *m, const mjData *dd, const char *geom) {
  int g = mj_name2id(m, mjOBJ_GEOM, geom);
  assert_true(g >= 0);
  assert_int_equal(m->geom_type[g], mjGEOM_BOX);
  return dd->geom_xpos[3 * g + 2] - m->geom_size[3 * g + 2];
}

static void test_humanoid_floating_falls_without_nan(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  load_humanoid(DTW_BASE_FLOATING, world_path(), &d);
  assert_true(d.floating_base);
  mjModel *m = compile(&d);
  assert_int_equal(m->nu, N_HUMANOID);
  assert_int_equal(m->njnt, N_HUMANOID + 1);
  assert_int_equal(m->nq, 30);
  assert_int_equal(m->nv, 29);
  assert_int_equal(m->jnt_type[0], mjJNT_FREE);
  assert_string_equal(mj_id2name(m, mjOBJ_JOINT, 0), "floating_base");
  mjData *dd = mj_makeData(m);
  mj_forward(m, dd);
  /* the default base height puts the soles on the floor */
  assert_true(fabs(box_bottom(m, dd, "left_foot_collision")) < 1e-9);
  assert_true(fabs(box_bottom(m, dd, "right_foot_collision")) < 1e-9);
  /* zero control: it crumples, but the state stays finite */
  int steps = (int)(0.5 / m->opt.timestep);
  for (int i = 0; i < steps; i++) {
    mj_step(m, dd);
    if (!finite_state(m, dd)) fail_msg("non-finite state at step %d", i);
  }
  assert_int_equal(dd->warning[mjWARN_BADQACC].number, 0);
  /* it fell onto the floor, not through it */
  assert_true(dd->qpos[2] > 0.05 && dd->qpos[2] < 1.05);
  mj_deleteData(dd);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);
}

/* PD control towards the zero pose for duration_s; returns the largest joint
 * error seen over the last second. */
static double run_pd(const mjModel *m, mjData *dd, const dtw_robot_desc_t *d, double duration_s) {
  int steps = (int)(duration_s / m->opt.timestep);
  double max_err = 0;
  for (int s = 0; s < steps; s++) {
    for (int i = 0; i < N_HUMANOID; i++) {
      double kp = 2.0 * d->joints[i].effort, kd = kp / 20;
      dd->ctrl[i] = -kp * dd->qpos[i] - kd * dd->qvel[i];
    }
    mj_step(m, dd);
    if (!finite_state(m, dd)) fail_msg("non-finite state at step %d", s);
    if ((steps - s) * m->opt.timestep <= 1.0)
      for (int i = 0; i < N_HUMANOID; i++)
        if (fabs(dd->qpos[i]) > max_err) max_err = fabs(dd->qpos[i]);
  }
  return max_err;
}

/* On the test stand a PD controller holds the zero pose against gravity. */
static void test_humanoid_fixed_pd_holds_pose(void **state) {
  (void)state;
  /* default height: soles just touching the floor */
  dtw_robot_desc_t d = {0};
  load_humanoid(DTW_BASE_FIXED, world_path(), &d);
  mjModel *m = compile(&d);
  mjData *dd = mj_makeData(m);
  double err = run_pd(m, dd, &d, 2.0);
  if (err > 0.01) fail_msg("pose error %g rad at the default height", err);
  for (int i = 0; i < m->nv; i++) assert_true(fabs(dd->qvel[i]) < 0.05);
  mj_deleteData(dd);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);

  /* raised so the feet swing free: back to zero from a perturbed pose */
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.world_file = world_path();
  o.base_height_m = 1.2;
  char msg[512] = "";
  assert_int_equal(dtw_model_load(humanoid_path(), &o, &d, msg, sizeof msg), 0);
  m = compile(&d);
  dd = mj_makeData(m);
  for (int i = 0; i < N_HUMANOID; i++) dd->qpos[i] = k_joints[i].lower < 0 ? -0.2 : 0.2;
  err = run_pd(m, dd, &d, 2.0);
  if (err > 0.01) fail_msg("pose error %g rad after PD control from a perturbed pose", err);
  for (int i = 0; i < m->nv; i++) assert_true(fabs(dd->qvel[i]) < 0.05);
  mj_deleteData(dd);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);
}

/* Floating on the floor, the same PD controller keeps it standing: the feet
 * carry it and the default base height needs no settling drop. */
static void test_humanoid_floating_stands_with_pd(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  load_humanoid(DTW_BASE_FLOATING, world_path(), &d);
  mjModel *m = compile(&d);
  mjData *dd = mj_makeData(m);
  int steps = (int)(3.0 / m->opt.timestep);
  for (int s = 0; s < steps; s++) {
    for (int i = 0; i < N_HUMANOID; i++) {
      double kp = 2.0 * d.joints[i].effort, kd = kp / 20;
      dd->ctrl[i] = -kp * dd->qpos[7 + i] - kd * dd->qvel[6 + i];
    }
    mj_step(m, dd);
    if (!finite_state(m, dd)) fail_msg("non-finite state at step %d", s);
  }
  /* pelvis still about 1 m up and upright (quaternion w close to 1), feet on the floor */
  if (!(fabs(dd->qpos[2] - 1.0) < 0.02 && fabs(dd->qpos[3]) > 0.99))
    fail_msg("fell: pelvis z %g, quat w %g", dd->qpos[2], dd->qpos[3]);
  assert_true(fabs(box_bottom(m, dd, "left_foot_collision")) < 0.01);
  mj_deleteData(dd);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);
}

/* The sign conventions README.md documents. */
static void test_humanoid_sign_conventions(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  load_humanoid(DTW_BASE_FIXED, NULL, &d);
  mjModel *m = compile(&d);
  mjData *dd = mj_makeData(m);
  struct {
    const char *joint, *body;
    double angle;
    int axis;   /* 0..2: world x (forward), y (left), z of the body's centre of mass;
                   3: world z of the body's x axis (where its toes point) */
    double dir; /* expected sign of the change */
  } k_cases[] = {
      {"left_hip_pitch", "left_foot", -0.5, 0, +1},   /* negative: leg forward */
      {"left_knee", "left_foot", 0.5, 0, -1},         /* positive: foot backward */
      {"left_ankle_pitch", "left_foot", 0.5, 3, -1},  /* positive: toes down */
      {"left_hip_roll", "left_foot", 0.3, 1, +1},     /* positive: foot to +y */
      {"right_hip_roll", "right_foot", 0.3, 1, +1},   /* same axis both sides */
      {"left_shoulder_pitch", "left_forearm", -0.5, 0, +1}, /* negative: arm forward */
      {"left_shoulder_roll", "left_forearm", 0.5, 1, +1},   /* positive: arm to +y */
      {"left_elbow", "left_forearm", 0.5, 0, +1},     /* positive: hand forward */
      {"right_elbow", "right_forearm", 0.5, 0, +1},
      {"neck_pitch", "head", 0.3, 0, +1},             /* positive: head forward/down */
      {"torso_yaw", "left_forearm", 0.3, 0, -1},      /* positive: turn left (CCW) */
  };
  for (size_t c = 0; c < sizeof k_cases / sizeof k_cases[0]; c++) {
    int j = mj_name2id(m, mjOBJ_JOINT, k_cases[c].joint);
    int b = mj_name2id(m, mjOBJ_BODY, k_cases[c].body);
    assert_true(j >= 0 && b >= 0);
    mj_resetData(m, dd);
    mj_kinematics(m, dd);
    int ax = k_cases[c].axis;
    double before = ax < 3 ? dd->xipos[3 * b + ax] : dd->xmat[9 * b + 6];
    dd->qpos[m->jnt_qposadr[j]] = k_cases[c].angle;
    mj_kinematics(m, dd);
    double change = (ax < 3 ? dd->xipos[3 * b + ax] : dd->xmat[9 * b + 6]) - before;
    if (!(change * k_cases[c].dir > 1e-3))
      fail_msg("%s = %g: %s moved %g along axis %d", k_cases[c].joint, k_cases[c].angle,
               k_cases[c].body, change, k_cases[c].axis);
  }
  mj_deleteData(dd);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);
}

/* ---- world merge and MJCF pass-through ---------------------------------- */

static void test_world_merge(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  load_humanoid(DTW_BASE_FLOATING, world_path(), &d);
  mjModel *m = compile(&d);
  int floor = mj_name2id(m, mjOBJ_GEOM, "floor");
  assert_true(floor >= 0);
  assert_int_equal(m->geom_type[floor], mjGEOM_PLANE);
  assert_int_equal(m->geom_bodyid[floor], 0);
  assert_int_equal(m->nlight, 2);
  assert_true(mj_name2id(m, mjOBJ_MATERIAL, "floor_material") >= 0);
  assert_true(fabs(m->opt.timestep - 0.001) < 1e-15);
  assert_true(fabs(m->opt.gravity[2] + 9.81) < 1e-12);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);

  /* without a world there is no floor */
  load_humanoid(DTW_BASE_FIXED, NULL, &d);
  m = compile(&d);
  assert_int_equal(mj_name2id(m, mjOBJ_GEOM, "floor"), -1);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);
}

/* Relative texture files of a world resolve against the world's directory;
 * its option settings are kept but the timestep is ours. */
static void test_world_relative_files_and_options(void **state) {
  (void)state;
  char urdf[1024], world[1024], expect[1100];
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.world_file = data_path("world_relative.xml", world, sizeof world);
  o.timestep_s = 0.002;
  dtw_robot_desc_t d = {0};
  char err[512] = "";
  int rc = dtw_model_load(data_path("pkgs/testpkg/urdf/inpkg.urdf", urdf, sizeof urdf), &o, &d,
                          err, sizeof err);
  assert_int_equal(rc, 0);
  char *real = realpath(data_path("", expect, sizeof expect), NULL);
  assert_non_null(real);
  snprintf(expect, sizeof expect, "file=\"%s/pkgs/testpkg/checker.png\"", real);
  free(real);
  assert_non_null(strstr(d.mjcf, expect));
  assert_non_null(strstr(d.mjcf, "<option timestep=\"0.002\" gravity=\"0 0 -5\"/>"));
  assert_non_null(strstr(d.mjcf, "<geom name=\"ground\""));
  assert_null(strstr(d.mjcf, "tendon"));
  dtw_robot_desc_fini(&d);

  /* a world file that is not MJCF */
  o.world_file = urdf;
  rc = dtw_model_load(urdf, &o, &d, err, sizeof err);
  assert_int_equal(rc, DTW_EMODEL);
  assert_non_null(strstr(err, "inpkg.urdf:3: world file root is <robot>, expected <mujoco>"));
}

static void test_mjcf_passthrough(void **state) {
  (void)state;
  char path[1024];
  data_path("mjcf_robot.xml", path, sizeof path);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char text[4096];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';

  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.world_file = world_path(); /* not merged into an MJCF input */
  dtw_robot_desc_t d = {0};
  char err[512] = "";
  assert_int_equal(dtw_model_load(path, &o, &d, err, sizeof err), 0);
  assert_string_equal(d.mjcf, text);
  assert_int_equal(d.mjcf_len, n);
  assert_string_equal(d.name, "mjcf_pendulum");
  assert_int_equal(d.n_joints, 0);
  assert_null(d.joints);
  assert_true(d.floating_base);
  assert_non_null(strstr(d.base_dir, "/model"));
  assert_true(d.base_dir[0] == '/');
  mjModel *m = compile(&d);
  assert_int_equal(m->nq, 7);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);
}

/* A URDF with a mesh and rotated frames compiles; body frames follow the URDF. */
static void test_simple_urdf_compiles(void **state) {
  (void)state;
  char path[1024], pkgs[1024];
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.package_path = data_path("pkgs", pkgs, sizeof pkgs);
  dtw_robot_desc_t d = {0};
  char err[512] = "";
  assert_int_equal(dtw_model_load(data_path("simple.urdf", path, sizeof path), &o, &d, err,
                                  sizeof err),
                   0);
  mjModel *m = compile(&d);
  assert_int_equal(m->nmesh, 2);
  assert_int_equal(m->nu, 3);
  int upper = mj_name2id(m, mjOBJ_BODY, "upper");
  const double q[4] = {0.983347443256, 0.034270798550, 0.106020511062, 0.143572175027};
  for (int i = 0; i < 4; i++) assert_true(fabs(m->body_quat[4 * upper + i] - q[i]) < 1e-9);
  /* the fixed joint welded "tool" to "lower": same weld body, no dof */
  int tool = mj_name2id(m, mjOBJ_BODY, "tool"), lower = mj_name2id(m, mjOBJ_BODY, "lower");
  assert_int_equal(m->body_jntnum[tool], 0);
  assert_int_equal(m->body_weldid[tool], lower);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);
}

/* xacro is detected by its namespace in a .urdf file; arguments reach it. */
static void test_xacro_detected_by_namespace(void **state) {
  (void)state;
  char path[1024];
  const char *args[] = {"upper=1.25"};
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.xacro_args = args;
  o.n_xacro_args = 1;
  dtw_robot_desc_t d = {0};
  char err[512] = "";
  int rc = dtw_model_load(data_path("ns_xacro.urdf", path, sizeof path), &o, &d, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(d.n_joints, 1);
  assert_true(d.joints[0].upper == 1.25);
  assert_non_null(strstr(d.mjcf, "size=\"0.25 0.5 0.05\""));
  assert_null(strstr(d.mjcf, "xmlns"));
  assert_null(strstr(d.mjcf, "${"));
  mjModel *m = compile(&d);
  assert_int_equal(m->nu, 1);
  mj_deleteModel(m);
  dtw_robot_desc_fini(&d);
}


/* ---- MJCF robots with a base mode --------------------------------------- */

static void load_mjcf(const char *file, dtw_base_mode_t base, double height, bool world,
                      dtw_robot_desc_t *d, dtw_sim_t **sim) {
  char path[1024], err[1024] = "";
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.base = base;
  o.base_height_m = height;
  o.world_file = world ? world_path() : NULL;
  int rc = dtw_model_load(data_path(file, path, sizeof path), &o, d, err, sizeof err);
  if (rc != 0) fail_msg("%s: %s", file, err);
  rc = dtw_sim_create(d, sim, err, sizeof err);
  if (rc != 0) fail_msg("%s: %s\n%s", file, err, d->mjcf);
}

/* The test stand and the floor apply to MJCF robots as to URDF ones: the free
 * joint goes or comes, the root is placed on its standing height by src/sim,
 * the world is merged, the twin's timestep set. */
static void test_mjcf_base_modes(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  dtw_sim_t *sim = NULL;
  dtw_sim_extras_t ex;
  /* a free pendulum bob (sphere r 0.1) on the test stand: 0.3 m clearance */
  load_mjcf("mjcf_robot.xml", DTW_BASE_FIXED, 0, true, &d, &sim);
  assert_false(d.floating_base);
  assert_null(strstr(d.mjcf, "freejoint"));
  assert_non_null(strstr(d.mjcf, "name=\"floor\""));
  assert_true(d.base_auto_height && fabs(d.base_clearance_m - DTW_MODEL_STAND_CLEARANCE_M) < 1e-12);
  dtw_sim_get_extras(sim, &ex);
  assert_true(fabs(ex.base_pos[2] - 0.4) < 1e-9);
  assert_true(fabs(dtw_sim_timestep(sim) - 0.001) < 1e-12);
  dtw_sim_destroy(sim);
  dtw_robot_desc_fini(&d);

  /* floating: on the floor */
  load_mjcf("mjcf_robot.xml", DTW_BASE_FLOATING, 0, true, &d, &sim);
  assert_true(d.floating_base);
  dtw_sim_get_extras(sim, &ex);
  assert_true(fabs(ex.base_pos[2] - 0.1) < 1e-9);
  dtw_sim_destroy(sim);
  dtw_robot_desc_fini(&d);

  /* a fixed-base arm made floating: free joint added, its keyframe follows;
   * an explicit height is the root's */
  load_mjcf("mjcf_arm.xml", DTW_BASE_FLOATING, 0.75, false, &d, &sim);
  assert_true(d.floating_base);
  assert_false(d.base_auto_height);
  assert_non_null(strstr(d.mjcf, "<key name=\"home\" qpos=\"0.2 0 0.75 1 0 0 0 0.5\"/>"));
  dtw_sim_get_extras(sim, &ex);
  assert_true(fabs(ex.base_pos[2] - 0.75) < 1e-9 && fabs(ex.base_pos[0] - 0.2) < 1e-9);
  double q = 0;
  dtw_sim_get_joint_state(sim, &q, NULL, NULL);
  assert_true(fabs(q - 0.5) < 1e-12); /* keyframe 0 still applies */
  dtw_sim_destroy(sim);
  dtw_robot_desc_fini(&d);
}

/* Includes are expanded (and translated); a robot with a floor of its own
 * keeps it and the world is not merged. */
static void test_mjcf_include_and_own_floor(void **state) {
  (void)state;
  dtw_robot_desc_t d = {0};
  dtw_sim_t *sim = NULL;
  load_mjcf("mjcf_with_floor.xml", DTW_BASE_FLOATING, 0, true, &d, &sim);
  assert_null(strstr(d.mjcf, "<include"));
  assert_null(strstr(d.mjcf, "actuatorfrc"));
  assert_non_null(strstr(d.mjcf, "forcerange=\"-20 20\""));
  assert_null(strstr(d.mjcf, "name=\"floor\"")); /* the world's */
  assert_int_equal(dtw_sim_joint_count(sim), 1);
  assert_true(dtw_sim_joints(sim)[0].effort == 20);
  /* the leg's box is what touches the floor */
  dtw_sim_extras_t ex;
  dtw_sim_get_extras(sim, &ex);
  assert_true(fabs(ex.base_pos[2] - 0.8) < 1e-9);
  dtw_sim_destroy(sim);
  dtw_robot_desc_fini(&d);

  /* as modelled: the text MuJoCo reads is the expanded file, free joint kept */
  char path[1024], err[512] = "";
  assert_int_equal(dtw_model_load(data_path("mjcf_with_floor.xml", path, sizeof path), NULL, &d,
                                  err, sizeof err),
                   0);
  assert_true(d.floating_base);
  assert_false(d.base_auto_height);
  dtw_robot_desc_fini(&d);
}

/* A URDF whose visual meshes are converted in memory; the standing height
 * is found from the compiled geometry. */
static void test_urdf_auto_height(void **state) {
  (void)state;
  char pkgs[1024];
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.base = DTW_BASE_FLOATING;
  o.base_height_m = 0;
  o.world_file = world_path();
  o.package_path = data_path("pkgs", pkgs, sizeof pkgs);
  dtw_robot_desc_t d = {0};
  dtw_sim_t *sim = NULL;
  char err[512] = "";
  assert_int_equal(dtw_model_load(humanoid_path(), &o, &d, err, sizeof err), 0);
  assert_int_equal(dtw_sim_create(&d, &sim, err, sizeof err), 0);
  /* the demo humanoid's soles touch the floor with the pelvis at 1.0 m */
  dtw_sim_extras_t ex;
  dtw_sim_get_extras(sim, &ex);
  assert_true(fabs(ex.base_pos[2] - 1.0) < 1e-9);
  dtw_sim_destroy(sim);
  dtw_robot_desc_fini(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_humanoid_joint_table, setup, teardown),
      cmocka_unit_test_setup_teardown(test_humanoid_fixed_compiles, setup, teardown),
      cmocka_unit_test_setup_teardown(test_humanoid_floating_falls_without_nan, setup, teardown),
      cmocka_unit_test_setup_teardown(test_humanoid_fixed_pd_holds_pose, setup, teardown),
      cmocka_unit_test_setup_teardown(test_humanoid_floating_stands_with_pd, setup, teardown),
      cmocka_unit_test_setup_teardown(test_humanoid_sign_conventions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_world_merge, setup, teardown),
      cmocka_unit_test_setup_teardown(test_world_relative_files_and_options, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mjcf_passthrough, setup, teardown),
      cmocka_unit_test_setup_teardown(test_simple_urdf_compiles, setup, teardown),
      cmocka_unit_test_setup_teardown(test_xacro_detected_by_namespace, setup, teardown),
      cmocka_unit_test(test_mjcf_base_modes),
      cmocka_unit_test(test_mjcf_include_and_own_floor),
      cmocka_unit_test(test_urdf_auto_height),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
