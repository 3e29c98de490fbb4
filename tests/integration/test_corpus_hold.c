/* Every robot of the published corpus ($DTW_ROBOT_CORPUS) loads, compiles and
 * holds its initial pose for 10 s of simulated time under a plain PD on every
 * actuated joint, without a physics failure: on the test stand (fixed base),
 * and for the legged robots also standing on the floor of the demo world
 * (floating base, automatic standing height). Run as fast as the CPU goes.
 *
 * Gains follow each joint's effective inertia I at the initial pose:
 * kp = I w^2, kd = 2 sqrt(kp I), torques clamped to the joint's effort limit.
 * I is the mass matrix diagonal M_ii (armature included), except for a joint
 * that carries the robot on the floor (its child subtree holds the lowest
 * collision geometry, floating base): then what it moves is the rest of the
 * robot, so I is the inertia of everything on its parent side about its axis.
 * Because the torques are explicit (computed before each step), both gains are
 * also kept where an explicit step stays stable for the smallest inertia the
 * joint can see, 1/(M^-1)_ii: kp <= 0.1 (M^-1)_ii^-1 / dt^2, kd <= 0.5 (M^-1)_ii^-1 / dt.
 * The mass matrix comes from a plain MuJoCo compile of the same MJCF and
 * assets, placed as dtw_sim places it; the physics under test is dtw_sim's
 * (its error and warning reporting is what "no failure" means).
 * HOLD_HZ, HOLD_KP_CAP and HOLD_KD_CAP override w/2pi (5) and the two caps.
 * Exit 77 when the corpus is absent. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mujoco/mujoco.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/model.h"
#include "dtw/sim.h"

#define HOLD_S 10.0
static double OMEGA = 2 * M_PI * 5.0; /* closed-loop bandwidth, rad/s */
static double KP_CAP = 0.1, KD_CAP = 0.5;
#define MAX_POSE_ERR 0.1       /* rad (m), worst joint over the run */
#define MAX_TILT_RAD 0.2       /* floating: base tilt at the end */

typedef struct robot_case {
  const char *file; /* under the corpus */
  bool legged;      /* also on the floor with a floating base */
  /* an MJCF model keeps its author's contacts: where its own geoms press on a joint
   * at the start pose (the H1 hand's thumb), the pose is not held against them; the
   * run must still be free of physics failures and warnings */
  bool own_contacts_move_pose;
} robot_case_t;

static const robot_case_t k_cases[] = {
    {"h1_description/urdf/h1.urdf", true, false},
    {"h1_description/urdf/h1_with_hand.urdf", true, false},
    {"g1_description/g1_23dof.urdf", true, false},
    {"h1_description/mjcf/h1.xml", true, false},
    {"g1_description/g1_23dof.xml", true, false},
    {"h1_description/mjcf/h1_with_hand.xml", true, true},
    /* ros/xacro's expansion: this table takes no xacro args (the twin test uses the source) */
    {"expected/ur5e.urdf", false, false},
    {"franka_description/robots/fr3/fr3.urdf.xacro", false, false},
};

static unsigned g_model_warnings;
static void count_warnings(dtw_log_level_t level, const char *component, const char *line,
                           void *user) {
  (void)user;
  if (level >= DTW_LOG_WARN && strcmp(component, "sim") == 0) {
    g_model_warnings++;
    fprintf(stderr, "  %s\n", line);
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Lowest point of a collision geom along z, or +inf for ground-like types. */
static double geom_bottom(const mjModel *m, const mjData *d, int g) {
  const mjtNum *p = d->geom_xpos + 3 * g, *R = d->geom_xmat + 9 * g, *s = m->geom_size + 3 * g;
  switch (m->geom_type[g]) {
  case mjGEOM_SPHERE: return p[2] - s[0];
  case mjGEOM_CAPSULE: return p[2] - fabs(R[8]) * s[1] - s[0];
  case mjGEOM_CYLINDER: return p[2] - fabs(R[8]) * s[1] - s[0] * sqrt(fmax(0, 1 - R[8] * R[8]));
  case mjGEOM_BOX: return p[2] - fabs(R[6]) * s[0] - fabs(R[7]) * s[1] - fabs(R[8]) * s[2];
  case mjGEOM_MESH: {
    int id = m->geom_dataid[g];
    const float *v = m->mesh_vert + 3 * m->mesh_vertadr[id];
    double lo = INFINITY;
    for (int i = 0; i < m->mesh_vertnum[id]; i++)
      lo = fmin(lo, p[2] + R[6] * v[3 * i] + R[7] * v[3 * i + 1] + R[8] * v[3 * i + 2]);
    return lo;
  }
  default: return INFINITY;
  }
}

static bool in_subtree(const mjModel *m, int body, int root) {
  for (int b = body; b > 0; b = m->body_parentid[b])
    if (b == root) return true;
  return false;
}

/* Inertia of the bodies outside the subtree of `child` about joint j's axis. */
static double parent_side_inertia(const mjModel *m, const mjData *d, int j, int child) {
  const mjtNum *p = d->xanchor + 3 * j, *a = d->xaxis + 3 * j;
  double I = 0;
  for (int b = 1; b < m->nbody; b++) {
    if (in_subtree(m, b, child)) continue;
    double r[3] = {d->xipos[3 * b] - p[0], d->xipos[3 * b + 1] - p[1], d->xipos[3 * b + 2] - p[2]};
    double c[3] = {a[1] * r[2] - a[2] * r[1], a[2] * r[0] - a[0] * r[2], a[0] * r[1] - a[1] * r[0]};
    const mjtNum *R = d->ximat + 9 * b;
    double l[3]; /* axis in the body's principal frame */
    for (int k = 0; k < 3; k++) l[k] = R[k] * a[0] + R[3 + k] * a[1] + R[6 + k] * a[2];
    I += m->body_mass[b] * (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
    for (int k = 0; k < 3; k++) I += m->body_inertia[3 * b + k] * l[k] * l[k];
  }
  return I;
}

/* kp, kd of each table joint at the initial state (see the file comment). */
static int gains(const dtw_robot_desc_t *desc, const dtw_joint_desc_t *joints, size_t n,
                 bool floating, double *kp, double *kd) {
  static mjVFS vfs;
  char path[4096], err[1000] = "";
  mj_defaultVFS(&vfs);
  mj_makeEmptyFileVFS(&vfs, "__hold__.xml", (int)desc->mjcf_len);
  memcpy(vfs.filedata[vfs.nfile - 1], desc->mjcf, desc->mjcf_len);
  for (size_t i = 0; i < desc->n_assets; i++) {
    mj_makeEmptyFileVFS(&vfs, desc->assets[i].name, (int)desc->assets[i].size);
    memcpy(vfs.filedata[vfs.nfile - 1], desc->assets[i].data, desc->assets[i].size);
  }
  snprintf(path, sizeof path, "%s/__hold__.xml", desc->base_dir);
  mjModel *m = mj_loadXML(path, &vfs, err, sizeof err);
  mj_deleteVFS(&vfs);
  if (m == NULL) {
    fprintf(stderr, "  plain compile: %s\n", err);
    return -1;
  }
  mjData *d = mj_makeData(m);
  mjtNum *minv = calloc((size_t)m->nv * (size_t)m->nv, sizeof *minv);
  mjtNum *eye = calloc((size_t)m->nv * (size_t)m->nv, sizeof *eye);
  if (m->nkey > 0) mj_resetDataKeyframe(m, d, 0);
  mj_forward(m, d);
  /* the robot's lowest collision geometry: what stands on the floor */
  double lo = INFINITY;
  for (int g = 0; g < m->ngeom; g++)
    if (m->geom_bodyid[g] > 0 && (m->geom_contype[g] || m->geom_conaffinity[g]))
      lo = fmin(lo, geom_bottom(m, d, g));
  for (int i = 0; i < m->nv; i++) eye[i * m->nv + i] = 1;
  mj_solveM(m, d, minv, eye, m->nv);
  double dt = m->opt.timestep, w2 = OMEGA * OMEGA;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    int j = mj_name2id(m, mjOBJ_JOINT, joints[i].name);
    if (j < 0) {
      rc = -1;
      break;
    }
    int dof = m->jnt_dofadr[j], child = m->jnt_bodyid[j];
    double inertia = d->qM[m->dof_Madr[dof]];
    bool carries = false;
    for (int g = 0; floating && g < m->ngeom && !carries; g++)
      carries = (m->geom_contype[g] || m->geom_conaffinity[g]) &&
                in_subtree(m, m->geom_bodyid[g], child) && geom_bottom(m, d, g) < lo + 0.005;
    if (carries) inertia = m->dof_armature[dof] + parent_side_inertia(m, d, j, child);
    double smallest = 1.0 / minv[dof * m->nv + dof];
    kp[i] = fmin(inertia * w2, KP_CAP * smallest / (dt * dt));
    kd[i] = fmin(2 * sqrt(kp[i] * inertia), KD_CAP * smallest / dt);
  }
  free(minv);
  free(eye);
  mj_deleteData(d);
  mj_deleteModel(m);
  return rc;
}

/* One robot in one base mode; returns true if it held. */
static bool hold(const char *corpus, const char *world, const robot_case_t *c,
                 dtw_base_mode_t base) {
  char path[2048], err[2048] = "";
  snprintf(path, sizeof path, "%s/%s", corpus, c->file);
  const char *mode = base == DTW_BASE_FIXED ? "fixed" : "floating";
  dtw_model_opts_t o;
  dtw_model_opts_default(&o);
  o.base = base;
  o.base_height_m = 0; /* automatic: standing height (+ stand clearance) */
  o.world_file = world;
  o.package_path = corpus;
  dtw_robot_desc_t desc = {0};
  dtw_sim_t *sim = NULL;
  double *kp = NULL, *kd = NULL, *q0 = NULL, *q = NULL, *qd = NULL, *tau = NULL;
  bool ok = false;

  double t0 = now_s();
  int rc = dtw_model_load(path, &o, &desc, err, sizeof err);
  if (rc == 0) rc = dtw_sim_create(&desc, &sim, err, sizeof err);
  double load_s = now_s() - t0;
  if (rc != 0) {
    printf("%-40s %-8s LOAD FAILED: %s\n", c->file, mode, err);
    goto done;
  }
  size_t n = dtw_sim_joint_count(sim);
  const dtw_joint_desc_t *joints = dtw_sim_joints(sim);
  kp = calloc(n + 1, sizeof *kp);
  kd = calloc(n + 1, sizeof *kd);
  q0 = calloc(n + 1, sizeof *q0);
  q = calloc(n + 1, sizeof *q);
  qd = calloc(n + 1, sizeof *qd);
  tau = calloc(n + 1, sizeof *tau);
  if (!kp || !kd || !q0 || !q || !qd || !tau ||
      gains(&desc, joints, n, base == DTW_BASE_FLOATING, kp, kd) != 0) {
    printf("%-40s %-8s no mass matrix\n", c->file, mode);
    goto done;
  }
  dtw_sim_get_joint_state(sim, q0, NULL, NULL);
  dtw_sim_extras_t ex0, ex;
  dtw_sim_get_extras(sim, &ex0);
  unsigned long warn0 = dtw_sim_warning_count(sim);
  long steps = lround(HOLD_S / dtw_sim_timestep(sim));
  double worst = 0, t1 = now_s();
  size_t worst_j = 0;
  int step_rc = 0;
  long s = 0;
  for (; s < steps && step_rc == 0; s++) {
    dtw_sim_get_joint_state(sim, q, qd, NULL);
    for (size_t i = 0; i < n; i++) {
      double e = q0[i] - q[i];
      if (fabs(e) > worst) worst = fabs(e), worst_j = i;
      double u = kp[i] * e - kd[i] * qd[i];
      double lim = joints[i].effort;
      tau[i] = lim > 0 ? fmax(-lim, fmin(lim, u)) : u;
    }
    step_rc = dtw_sim_step(sim, tau, n);
  }
  double run_s = now_s() - t1;
  dtw_sim_get_extras(sim, &ex);
  unsigned long warns = dtw_sim_warning_count(sim) - warn0;
  /* tilt: angle of the base's z axis from the world's (quaternion w x y z) */
  const double *qb = ex.base_quat;
  double zz = 1 - 2 * (qb[1] * qb[1] + qb[2] * qb[2]);
  double tilt = acos(fmax(-1, fmin(1, zz)));
  ok = step_rc == 0 && !dtw_sim_poisoned(sim) && warns == 0 &&
       (worst < MAX_POSE_ERR || c->own_contacts_move_pose) &&
       (base == DTW_BASE_FIXED || tilt < MAX_TILT_RAD);
  printf("%-40s %-8s %3zu joints %3zu meshes  load %6.3f s  run %5.2f s (x%.0f)  "
         "pose err %.4f (%s)  base z %.3f->%.3f tilt %.3f  warnings %lu  %s%s%s\n",
         c->file, mode, n, desc.n_assets, load_s, run_s, HOLD_S / run_s, worst,
         n > 0 ? joints[worst_j].name : "-", ex0.base_pos[2],
         ex.base_pos[2], tilt, warns, ok ? "ok" : "FAILED",
         step_rc != 0 ? ": " : "", step_rc != 0 ? dtw_sim_last_error(sim) : "");
done:
  free(kp);
  free(kd);
  free(q0);
  free(q);
  free(qd);
  free(tau);
  dtw_sim_destroy(sim);
  dtw_robot_desc_fini(&desc);
  return ok;
}

int main(void) {
  const char *corpus = getenv("DTW_ROBOT_CORPUS");
  const char *src = getenv("DTW_SOURCE_DIR");
  char world[2048];
  FILE *probe = NULL;
  if (corpus == NULL || (probe = fopen(corpus, "r")) == NULL) {
    printf("robot corpus not found (DTW_ROBOT_CORPUS=%s): skipped\n", corpus ? corpus : "");
    return 77;
  }
  fclose(probe);
  snprintf(world, sizeof world, "%s/models/digital_twin_world.xml", src != NULL ? src : ".");
  if (getenv("HOLD_HZ") != NULL) OMEGA = 2 * M_PI * atof(getenv("HOLD_HZ"));
  if (getenv("HOLD_KP_CAP") != NULL) KP_CAP = atof(getenv("HOLD_KP_CAP"));
  if (getenv("HOLD_KD_CAP") != NULL) KD_CAP = atof(getenv("HOLD_KD_CAP"));
  dtw_log_set_hook(count_warnings, NULL);
  int failed = 0;
  for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
    if (!hold(corpus, world, &k_cases[i], DTW_BASE_FIXED)) failed++;
    if (k_cases[i].legged && !hold(corpus, world, &k_cases[i], DTW_BASE_FLOATING)) failed++;
  }
  dtw_log_set_hook(NULL, NULL);
  printf("%d failed\n", failed);
  return failed == 0 ? 0 : 1;
}
