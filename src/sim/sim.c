/* The twin's physics: a MuJoCo model, its data and the joint table (see dtw/sim.h). */
#include "dtw/sim.h"

#include <math.h>
#include <mujoco/mujoco.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "sim__compile.h"
#include "sim__guard.h"

/* Where a table joint lives in the model. */
typedef struct sim_jmap {
  int jnt, qadr, vadr, act;
  double inv_gear, gear; /* 1/(gear x gain); gear */
  bool clamp;
  double ctrl_lo, ctrl_hi;
} sim_jmap_t;

/* Compiled values that dtw_sim_scale_model scales from. */
typedef struct sim_orig {
  mjtNum *body_mass, *body_inertia, *geom_friction, *dof_frictionloss, *dof_damping;
  mjtNum *state; /* scratch: qpos, qvel, act kept across mj_setConst */
} sim_orig_t;

struct dtw_sim {
  mjModel *m;
  mjData *d;
  dtw_joint_desc_t *joints;
  sim_jmap_t *map;
  size_t n_joints;
  sim_orig_t orig;
  bool poisoned;
  unsigned long n_warnings;
  unsigned warned_kinds; /* bit k: warning kind k already logged; bit mjNWARNING: others */
  dtw__sim_diag_t diag;
  char last_error[256];
  mjtNum *lock_save; /* per table joint: limited, range[2], solref[2] before a lock; lazily */
  dtw__sim_excluded_t excluded; /* body pairs touching at the start, excluded */
};

/* ---- guarded MuJoCo calls -------------------------------------------------------------- */

static void call_step(void *arg) {
  dtw__sim_call_t *c = arg;
  mj_step(c->m, c->d);
}

static void call_forward(void *arg) {
  dtw__sim_call_t *c = arg;
  mj_forward(c->m, c->d);
}

/* Reset to keyframe 0 (or qpos0), time 0, and compute derived quantities. */
static void call_reset(void *arg) {
  dtw__sim_call_t *c = arg;
  mj_resetData(c->m, c->d);
  if (c->m->nkey > 0) mj_resetDataKeyframe(c->m, c->d, 0);
  c->d->time = 0;
  mj_forward(c->m, c->d);
}

typedef struct sim_set_const {
  mjModel *m;
  mjData *d;
  mjtNum *scratch; /* nq + nv + na */
} sim_set_const_t;

/* mj_setConst uses d as scratch at qpos0: keep the state around it. */
static void call_set_const(void *arg) {
  sim_set_const_t *c = arg;
  mjModel *m = c->m;
  mjData *d = c->d;
  mjtNum time = d->time;
  mjtNum *qpos = c->scratch, *qvel = qpos + m->nq, *act = qvel + m->nv;
  mju_copy(qpos, d->qpos, m->nq);
  mju_copy(qvel, d->qvel, m->nv);
  if (m->na > 0) mju_copy(act, d->act, m->na);
  mj_setConst(m, d);
  mju_copy(d->qpos, qpos, m->nq);
  mju_copy(d->qvel, qvel, m->nv);
  if (m->na > 0) mju_copy(d->act, act, m->na);
  d->time = time;
  mj_forward(m, d);
}

/* Run fn on sim's data; on mju_error poison the state and keep the message. */
static int sim_guard(dtw_sim_t *sim, void (*fn)(void *), void *arg) {
  int rc = dtw__sim_guard(fn, arg, &sim->diag);
  if (rc != 0) {
    sim->poisoned = true;
    snprintf(sim->last_error, sizeof sim->last_error, "%s", sim->diag.error);
    DTW_ERROR("sim", "MuJoCo error at t=%.4f s (state poisoned until reset): %s", sim->d->time,
              sim->diag.error);
  }
  return rc;
}

/* Count MuJoCo's warning counters (zeroed before the call) and log each kind once.
 * Returns true if the state blew up (bad qpos/qvel/qacc: MuJoCo reset it). */
static bool sim_collect_warnings(dtw_sim_t *sim) {
  bool exploded = false;
  unsigned counted = 0;
  for (int k = 0; k < mjNWARNING; k++) {
    int n = sim->d->warning[k].number;
    if (n <= 0) continue;
    counted += (unsigned)n;
    if (k == mjWARN_BADQPOS || k == mjWARN_BADQVEL || k == mjWARN_BADQACC) exploded = true;
    if (!(sim->warned_kinds & (1u << k))) {
      sim->warned_kinds |= 1u << k;
      DTW_WARN("sim", "MuJoCo: %s (logged once per kind)",
               mju_warningText(k, sim->d->warning[k].lastinfo));
    }
  }
  /* warnings MuJoCo raised without a counter (e.g. from the allocator) */
  if (sim->diag.n_warnings > counted) {
    counted = sim->diag.n_warnings;
    if (!(sim->warned_kinds & (1u << mjNWARNING))) {
      sim->warned_kinds |= 1u << mjNWARNING;
      DTW_WARN("sim", "MuJoCo: %s (further ones not logged)", sim->diag.warning);
    }
  }
  sim->n_warnings += counted;
  return exploded;
}

/* ---- creation ---------------------------------------------------------------------------- */

static bool act_is_motor(const mjModel *m, int a) {
  return m->actuator_dyntype[a] == mjDYN_NONE && m->actuator_gaintype[a] == mjGAIN_FIXED &&
         m->actuator_biastype[a] == mjBIAS_NONE && m->actuator_trntype[a] == mjTRN_JOINT;
}

/* The motor driving joint jnt: one named like the joint first, else the first one. */
static int find_motor(const mjModel *m, int jnt) {
  const char *jname = mj_id2name(m, mjOBJ_JOINT, jnt);
  int first = -1;
  for (int a = 0; a < m->nu; a++) {
    if (!act_is_motor(m, a) || m->actuator_trnid[2 * a] != jnt) continue;
    const char *aname = mj_id2name(m, mjOBJ_ACTUATOR, a);
    if (jname != NULL && aname != NULL && strcmp(jname, aname) == 0) return a;
    if (first < 0) first = a;
  }
  return first;
}

double dtw__sim_actuator_effort(const mjModel *m, int a) {
  /* the actuator force (gain x ctrl, then forcerange) is scaled by the gear at the joint */
  double force = 0;
  if (m->actuator_forcelimited[a])
    force = fmax(fabs(m->actuator_forcerange[2 * a]), fabs(m->actuator_forcerange[2 * a + 1]));
  if (m->actuator_ctrllimited[a]) {
    double gain = fabs(m->actuator_gainprm[mjNGAIN * a]);
    double f = gain * fmax(fabs(m->actuator_ctrlrange[2 * a]),
                           fabs(m->actuator_ctrlrange[2 * a + 1]));
    force = force > 0 ? fmin(force, f) : f;
  }
  return fabs(m->actuator_gear[6 * a]) * force;
}

double dtw__sim_joint_effort(const mjModel *m, int jnt) {
  int a = find_motor(m, jnt);
  return a >= 0 ? dtw__sim_actuator_effort(m, a) : 0.0;
}

static void fill_map(const mjModel *m, int jnt, int act, sim_jmap_t *map) {
  map->jnt = jnt;
  map->qadr = m->jnt_qposadr[jnt];
  map->vadr = m->jnt_dofadr[jnt];
  map->act = act;
  map->gear = m->actuator_gear[6 * act]; /* nu x 6 */
  /* joint effort = gear x gain x ctrl for a motor */
  double scale = map->gear * m->actuator_gainprm[mjNGAIN * act];
  map->inv_gear = scale != 0 ? 1.0 / scale : 0;
  map->clamp = m->actuator_ctrllimited[act] != 0;
  map->ctrl_lo = m->actuator_ctrlrange[2 * act];
  map->ctrl_hi = m->actuator_ctrlrange[2 * act + 1];
}

/* A joint description read from the compiled model. */
static void derive_joint(const mjModel *m, const sim_jmap_t *map, dtw_joint_desc_t *j) {
  int jnt = map->jnt, a = map->act;
  memset(j, 0, sizeof *j);
  snprintf(j->name, sizeof j->name, "%s", mj_id2name(m, mjOBJ_JOINT, jnt));
  j->limited = m->jnt_limited[jnt] != 0;
  if (m->jnt_type[jnt] == mjJNT_SLIDE)
    j->type = DTW_JOINT_PRISMATIC;
  else
    j->type = j->limited ? DTW_JOINT_REVOLUTE : DTW_JOINT_CONTINUOUS;
  if (j->limited) {
    j->lower = m->jnt_range[2 * jnt];
    j->upper = m->jnt_range[2 * jnt + 1];
  }
  j->effort = dtw__sim_actuator_effort(m, a);
  j->velocity = 0;
  j->damping = m->dof_damping[map->vadr];
  j->friction = m->dof_frictionloss[map->vadr];
}

/* Build sim->joints/map from desc's table or from the model. */
static int build_joint_table(dtw_sim_t *sim, const dtw_robot_desc_t *desc, char *err,
                             size_t errlen) {
  const mjModel *m = sim->m;
  size_t n = 0;
  if (desc->n_joints > 0) {
    n = desc->n_joints;
  } else {
    for (int jnt = 0; jnt < m->njnt; jnt++) {
      int t = m->jnt_type[jnt];
      if ((t == mjJNT_HINGE || t == mjJNT_SLIDE) && find_motor(m, jnt) >= 0) n++;
    }
  }
  if (n == 0) return 0;
  sim->joints = calloc(n, sizeof *sim->joints);
  sim->map = calloc(n, sizeof *sim->map);
  if (sim->joints == NULL || sim->map == NULL)
    return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory for %zu joints", n);

  if (desc->n_joints > 0) {
    for (size_t i = 0; i < n; i++) {
      const char *name = desc->joints[i].name;
      int jnt = mj_name2id(m, mjOBJ_JOINT, name);
      if (jnt < 0)
        return dtw_errf(err, errlen, DTW_EMODEL, "joint '%s' is not in the compiled model", name);
      int t = m->jnt_type[jnt];
      if (t != mjJNT_HINGE && t != mjJNT_SLIDE)
        return dtw_errf(err, errlen, DTW_EMODEL, "joint '%s' is not a hinge or slide joint",
                        name);
      int act = find_motor(m, jnt);
      if (act < 0)
        return dtw_errf(err, errlen, DTW_EMODEL, "joint '%s' has no motor actuator", name);
      for (size_t k = 0; k < i; k++)
        if (sim->map[k].jnt == jnt)
          return dtw_errf(err, errlen, DTW_EMODEL, "joint '%s' is listed twice", name);
      fill_map(m, jnt, act, &sim->map[i]);
      sim->joints[i] = desc->joints[i];
    }
  } else {
    /* actuator order: the order a MuJoCo user wrote the motors in */
    size_t i = 0;
    for (int a = 0; a < m->nu && i < n; a++) {
      if (!act_is_motor(m, a)) continue;
      int jnt = m->actuator_trnid[2 * a];
      int t = m->jnt_type[jnt];
      if ((t != mjJNT_HINGE && t != mjJNT_SLIDE) || find_motor(m, jnt) != a) continue;
      fill_map(m, jnt, a, &sim->map[i]);
      derive_joint(m, &sim->map[i], &sim->joints[i]);
      i++;
    }
    n = i;
  }
  sim->n_joints = n;
  return 0;
}

static mjtNum *dup_array(const mjtNum *src, int count) {
  mjtNum *p = malloc(sizeof *p * (size_t)(count > 0 ? count : 1));
  if (p != NULL && count > 0) memcpy(p, src, sizeof *p * (size_t)count);
  return p;
}

static int keep_originals(dtw_sim_t *sim) {
  const mjModel *m = sim->m;
  sim->orig.body_mass = dup_array(m->body_mass, m->nbody);
  sim->orig.body_inertia = dup_array(m->body_inertia, 3 * m->nbody);
  sim->orig.geom_friction = dup_array(m->geom_friction, 3 * m->ngeom);
  sim->orig.dof_frictionloss = dup_array(m->dof_frictionloss, m->nv);
  sim->orig.dof_damping = dup_array(m->dof_damping, m->nv);
  sim->orig.state = calloc((size_t)(m->nq + m->nv + m->na) + 1, sizeof(mjtNum));
  if (!sim->orig.state || !sim->orig.body_mass || !sim->orig.body_inertia ||
      !sim->orig.geom_friction || !sim->orig.dof_frictionloss || !sim->orig.dof_damping)
    return DTW_ENOMEM;
  return 0;
}


/* Lowest point of geom g along world z (d holds its pose). */
static double geom_bottom(const mjModel *m, const mjData *d, int g) {
  const mjtNum *p = d->geom_xpos + 3 * g, *R = d->geom_xmat + 9 * g, *s = m->geom_size + 3 * g;
  double z = p[2], rz = R[8]; /* R row 2: world z of the local axes */
  switch (m->geom_type[g]) {
  case mjGEOM_SPHERE: return z - s[0];
  case mjGEOM_CAPSULE: return z - fabs(rz) * s[1] - s[0];
  case mjGEOM_CYLINDER: return z - fabs(rz) * s[1] - s[0] * sqrt(fmax(0, 1 - rz * rz));
  case mjGEOM_ELLIPSOID:
    return z - sqrt(R[6] * R[6] * s[0] * s[0] + R[7] * R[7] * s[1] * s[1] + rz * rz * s[2] * s[2]);
  case mjGEOM_BOX: return z - fabs(R[6]) * s[0] - fabs(R[7]) * s[1] - fabs(rz) * s[2];
  case mjGEOM_MESH: {
    int id = m->geom_dataid[g];
    const float *v = m->mesh_vert + 3 * m->mesh_vertadr[id];
    double lo = INFINITY;
    for (int i = 0; i < m->mesh_vertnum[id]; i++)
      lo = fmin(lo, z + R[6] * v[3 * i] + R[7] * v[3 * i + 1] + rz * v[3 * i + 2]);
    return lo;
  }
  default: return INFINITY; /* planes and height fields are ground, not robot */
  }
}

typedef struct sim_place {
  mjModel *m;
  mjData *d;
  double clearance, dz;
  int n_geoms;
} sim_place_t;

/* Move body 1 vertically so its subtree's collision geometry is `clearance`
 * above z = 0 in the initial state (keyframe 0 if any, else qpos0). */
static void call_place_root(void *arg) {
  sim_place_t *c = arg;
  mjModel *m = c->m;
  mjData *d = c->d;
  mj_resetData(m, d);
  if (m->nkey > 0) mj_resetDataKeyframe(m, d, 0);
  mj_kinematics(m, d);
  double lo = INFINITY;
  for (int g = 0; g < m->ngeom; g++) {
    int b = m->geom_bodyid[g];
    if (b == 0 || m->body_rootid[b] != 1 || (!m->geom_contype[g] && !m->geom_conaffinity[g]))
      continue;
    double z = geom_bottom(m, d, g);
    if (isfinite(z)) {
      lo = fmin(lo, z);
      c->n_geoms++;
    }
  }
  if (c->n_geoms == 0) return;
  c->dz = c->clearance - lo;
  m->body_pos[3 + 2] += c->dz;
  if (m->body_jntnum[1] > 0 && m->jnt_type[m->body_jntadr[1]] == mjJNT_FREE) {
    int adr = m->jnt_qposadr[m->body_jntadr[1]];
    m->qpos0[adr + 2] += c->dz;
    m->qpos_spring[adr + 2] += c->dz;
    for (int k = 0; k < m->nkey; k++) m->key_qpos[k * m->nq + adr + 2] += c->dz;
  }
}

int dtw_sim_create(const dtw_robot_desc_t *desc, dtw_sim_t **out, char *err, size_t errlen) {
  int rc;
  if (desc == NULL || out == NULL || desc->mjcf == NULL || desc->mjcf[0] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_sim_create: no MJCF text");
  dtw__sim_hooks_install();

  dtw_sim_t *sim = calloc(1, sizeof *sim);
  if (sim == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory for the simulation");

  rc = dtw__sim_compile(desc, &sim->m, &sim->excluded, err, errlen);
  if (rc != 0) goto err_sim;

  if (dtw__sim_make_data(sim->m, &sim->d, &sim->diag) != 0) {
    rc = dtw_errf(err, errlen, DTW_ESIM, "model '%s': cannot allocate MuJoCo data: %s",
                  desc->name, sim->diag.error);
    goto err_sim;
  }

  if (desc->base_auto_height && sim->m->nbody > 1) {
    sim_place_t pl = {.m = sim->m, .d = sim->d, .clearance = desc->base_clearance_m};
    if (sim_guard(sim, call_place_root, &pl) != 0) {
      rc = dtw_errf(err, errlen, DTW_ESIM, "model '%s': MuJoCo error placing the base: %s",
                    desc->name, sim->last_error);
      goto err_sim;
    }
    DTW_DEBUG("sim", "model '%s': root placed %+.4f m (%d collision geoms, clearance %.3f m)",
              desc->name, pl.dz, pl.n_geoms, desc->base_clearance_m);
  }

  rc = build_joint_table(sim, desc, err, errlen);
  if (rc != 0) goto err_sim;
  if (keep_originals(sim) != 0) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory for the model copy");
    goto err_sim;
  }

  dtw__sim_call_t c = {.m = sim->m, .d = sim->d};
  if (sim_guard(sim, call_reset, &c) != 0) {
    rc = dtw_errf(err, errlen, DTW_ESIM, "model '%s': MuJoCo error in the initial state: %s",
                  desc->name, sim->last_error);
    goto err_sim;
  }
  sim_collect_warnings(sim);
  DTW_DEBUG("sim", "model '%s': nq=%d nv=%d nu=%d, %zu joints, timestep %g s", desc->name,
            sim->m->nq, sim->m->nv, sim->m->nu, sim->n_joints, sim->m->opt.timestep);
  *out = sim;
  return 0;

err_sim:
  dtw_sim_destroy(sim);
  return rc;
}

void dtw_sim_destroy(dtw_sim_t *sim) {
  if (sim == NULL) return;
  if (sim->d != NULL) mj_deleteData(sim->d);
  if (sim->m != NULL) mj_deleteModel(sim->m);
  free(sim->orig.body_mass);
  free(sim->orig.body_inertia);
  free(sim->orig.geom_friction);
  free(sim->orig.dof_frictionloss);
  free(sim->orig.dof_damping);
  free(sim->orig.state);
  free(sim->lock_save);
  free(sim->joints);
  free(sim->map);
  free(sim);
}

/* ---- stepping and state ------------------------------------------------------------------ */

/* Set the controls from efforts and run fn (a whole step or its second half);
 * clear_warnings unless the first half already ran and may have raised some. */
static int step_with(dtw_sim_t *sim, const double *effort, size_t n, void (*fn)(void *),
                     bool clear_warnings) {
  if (sim->poisoned) return DTW_ESIM;
  if (n > sim->n_joints || (n > 0 && effort == NULL)) return DTW_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(effort[i])) return DTW_EINVAL;

  mjData *d = sim->d;
  for (size_t i = 0; i < n; i++) {
    const sim_jmap_t *j = &sim->map[i];
    double u = effort[i] * j->inv_gear;
    if (j->clamp) u = u < j->ctrl_lo ? j->ctrl_lo : (u > j->ctrl_hi ? j->ctrl_hi : u);
    d->ctrl[j->act] = u;
  }
  /* zeroed so a blow-up shows even after an earlier one (MuJoCo's reset keeps it at 1) */
  if (clear_warnings) memset(d->warning, 0, sizeof d->warning);
  dtw__sim_call_t c = {.m = sim->m, .d = d};
  int rc = sim_guard(sim, fn, &c);
  if (rc != 0) return rc;
  if (sim_collect_warnings(sim)) {
    snprintf(sim->last_error, sizeof sim->last_error,
             "simulation unstable: MuJoCo reset the state to qpos0");
    return DTW_ESIM;
  }
  return 0;
}

int dtw_sim_step(dtw_sim_t *sim, const double *effort, size_t n) {
  return step_with(sim, effort, n, call_step, true);
}

double dtw_sim_time(const dtw_sim_t *sim) { return sim->d->time; }
int dtw_sim_set_integrator(dtw_sim_t *sim, const char *name) {
  if (name == NULL || name[0] == '\0' || strcmp(name, "model") == 0) return 0;
  int code = dtw_sim_integrator_code(name);
  if (code < 0) return DTW_EINVAL;
  sim->m->opt.integrator = code;
  return 0;
}
const char *dtw_sim_integrator(const dtw_sim_t *sim) {
  return dtw__sim_integrator_name(sim->m->opt.integrator);
}
double dtw_sim_timestep(const dtw_sim_t *sim) { return sim->m->opt.timestep; }
size_t dtw_sim_joint_count(const dtw_sim_t *sim) { return sim->n_joints; }
const dtw_joint_desc_t *dtw_sim_joints(const dtw_sim_t *sim) { return sim->joints; }
size_t dtw_sim_start_contacts_excluded(const dtw_sim_t *sim, const char **names,
                                       size_t *unnamed) {
  if (names != NULL) *names = sim->excluded.names;
  if (unnamed != NULL) *unnamed = sim->excluded.n_unnamed;
  return sim->excluded.n_pairs;
}
int dtw_sim_poisoned(const dtw_sim_t *sim) { return sim->poisoned ? 1 : 0; }
const char *dtw_sim_last_error(const dtw_sim_t *sim) { return sim->last_error; }
unsigned long dtw_sim_warning_count(const dtw_sim_t *sim) { return sim->n_warnings; }

void dtw_sim_get_joint_state(const dtw_sim_t *sim, double *pos, double *vel, double *effort) {
  const mjData *d = sim->d;
  for (size_t i = 0; i < sim->n_joints; i++) {
    const sim_jmap_t *j = &sim->map[i];
    if (pos != NULL) pos[i] = d->qpos[j->qadr];
    if (vel != NULL) vel[i] = d->qvel[j->vadr];
    if (effort != NULL) effort[i] = j->gear * d->actuator_force[j->act];
  }
}

int dtw_sim_set_joint_state(dtw_sim_t *sim, const int *joint_idx, const double *pos,
                            const double *vel, size_t n) {
  if (n > 0 && joint_idx == NULL) return DTW_EINVAL;
  /* validate everything first: a refused call changes nothing */
  for (size_t i = 0; i < n; i++) {
    if (joint_idx[i] < 0 || (size_t)joint_idx[i] >= sim->n_joints) return DTW_EINVAL;
    if (pos != NULL && !isfinite(pos[i])) return DTW_EINVAL;
    if (vel != NULL && !isfinite(vel[i])) return DTW_EINVAL;
  }
  if (sim->poisoned) return DTW_ESIM;
  for (size_t i = 0; i < n; i++) {
    const sim_jmap_t *j = &sim->map[joint_idx[i]];
    if (pos != NULL) sim->d->qpos[j->qadr] = pos[i];
    if (vel != NULL) sim->d->qvel[j->vadr] = vel[i];
  }
  dtw__sim_call_t c = {.m = sim->m, .d = sim->d};
  return sim_guard(sim, call_forward, &c);
}

int dtw_sim_reset(dtw_sim_t *sim) {
  dtw__sim_call_t c = {.m = sim->m, .d = sim->d};
  sim->poisoned = false;
  sim->last_error[0] = '\0';
  int rc = sim_guard(sim, call_reset, &c); /* mj_resetData also rewinds MuJoCo's stack */
  if (rc == 0) sim_collect_warnings(sim);
  return rc;
}

void dtw_sim_get_extras(const dtw_sim_t *sim, dtw_sim_extras_t *out) {
  const mjModel *m = sim->m;
  const mjData *d = sim->d;
  memset(out, 0, sizeof *out);
  out->base_quat[0] = 1;
  if (m->nbody > 1) {
    mju_copy3(out->base_pos, d->xpos + 3);
    mju_copy4(out->base_quat, d->xquat + 4);
    mju_copy3(out->com, d->subtree_com + 3);
    out->mass_kg = m->body_subtreemass[1];
  }
  out->n_contacts = d->ncon;
  for (int i = 0; i < d->ncon; i++) {
    mjtNum f[6];
    mj_contactForce(m, d, i, f);
    out->contact_normal_force += f[0];
  }
}

int dtw_sim_scale_model(dtw_sim_t *sim, double mass_scale, double friction_scale) {
  if (!isfinite(mass_scale) || mass_scale <= 0 || !isfinite(friction_scale) ||
      friction_scale <= 0)
    return DTW_EINVAL;
  if (sim->poisoned) return DTW_ESIM;
  mjModel *m = sim->m;
  for (int b = 0; b < m->nbody; b++) {
    m->body_mass[b] = sim->orig.body_mass[b] * mass_scale;
    for (int k = 0; k < 3; k++)
      m->body_inertia[3 * b + k] = sim->orig.body_inertia[3 * b + k] * mass_scale;
  }
  for (int g = 0; g < 3 * m->ngeom; g++)
    m->geom_friction[g] = sim->orig.geom_friction[g] * friction_scale;
  for (int v = 0; v < m->nv; v++) {
    m->dof_frictionloss[v] = sim->orig.dof_frictionloss[v] * friction_scale;
    m->dof_damping[v] = sim->orig.dof_damping[v] * friction_scale;
  }
  /* subtree masses, children after parents in MuJoCo's body order */
  for (int b = 0; b < m->nbody; b++) m->body_subtreemass[b] = m->body_mass[b];
  for (int b = m->nbody - 1; b > 0; b--)
    m->body_subtreemass[m->body_parentid[b]] += m->body_subtreemass[b];
  /* derived constants (invweight, actuator_acc0, meaninertia) follow the new inertias */
  sim_set_const_t c = {.m = m, .d = sim->d, .scratch = sim->orig.state};
  return sim_guard(sim, call_set_const, &c);
}

/* ---- what a controller derived from the model needs -------------------------------------- */

typedef struct sim_inertia_call {
  const mjModel *m;
  mjData *d;
  mjtNum *dense; /* nv x nv */
} sim_inertia_call_t;

static void call_inertia(void *arg) {
  sim_inertia_call_t *c = arg;
  mj_forward(c->m, c->d);
  mj_fullM(c->m, c->dense, c->d->qM);
}

int dtw_sim_joint_inertia(const dtw_sim_t *sim, const double *q, double *diag, double *full) {
  const mjModel *m = sim->m;
  size_t n = sim->n_joints;
  for (size_t i = 0; q != NULL && i < n; i++)
    if (!isfinite(q[i])) return DTW_EINVAL;
  dtw__sim_diag_t diag_info = {0};
  mjtNum *dense = malloc(sizeof *dense * (size_t)m->nv * (size_t)m->nv + 1);
  mjData *d = NULL;
  if (dense == NULL || dtw__sim_make_data(m, &d, &diag_info) != 0) {
    free(dense);
    return DTW_ENOMEM;
  }
  mju_copy(d->qpos, sim->d->qpos, m->nq);
  for (size_t i = 0; q != NULL && i < n; i++) d->qpos[sim->map[i].qadr] = q[i];
  sim_inertia_call_t c = {.m = m, .d = d, .dense = dense};
  int rc = dtw__sim_guard(call_inertia, &c, &diag_info) != 0 ? DTW_ESIM : 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    int vi = sim->map[i].vadr;
    if (diag != NULL) diag[i] = dense[(size_t)vi * (size_t)m->nv + (size_t)vi];
    for (size_t k = 0; full != NULL && k < n; k++)
      full[i * n + k] = dense[(size_t)vi * (size_t)m->nv + (size_t)sim->map[k].vadr];
  }
  mj_deleteData(d);
  free(dense);
  return rc;
}

/* Table index of joint id jnt, or -1. */
static int table_index_of(const dtw_sim_t *sim, int jnt) {
  for (size_t i = 0; i < sim->n_joints; i++)
    if (sim->map[i].jnt == jnt) return (int)i;
  return -1;
}

void dtw_sim_joint_parents(const dtw_sim_t *sim, int *parent, char (*link_out)[DTW_NAME_MAX]) {
  const mjModel *m = sim->m;
  for (size_t i = 0; i < sim->n_joints; i++) {
    int jnt = sim->map[i].jnt, body = m->jnt_bodyid[jnt];
    int found = -1;
    /* an earlier joint of the same body first (MJCF bodies may carry several), then up */
    for (int k = jnt - 1; k >= m->body_jntadr[body] && found < 0; k--) found = table_index_of(sim, k);
    for (int b = m->body_parentid[body]; b > 0 && found < 0; b = m->body_parentid[b])
      for (int k = m->body_jntadr[b] + m->body_jntnum[b] - 1; k >= m->body_jntadr[b] && found < 0;
           k--)
        found = table_index_of(sim, k);
    parent[i] = found;
    if (link_out != NULL) {
      const char *name = mj_id2name(m, mjOBJ_BODY, body);
      snprintf(link_out[i], DTW_NAME_MAX, "%s", name != NULL ? name : "");
    }
  }
}

static void call_step1(void *arg) {
  dtw__sim_call_t *c = arg;
  mj_step1(c->m, c->d);
}

static void call_step2(void *arg) {
  dtw__sim_call_t *c = arg;
  mj_step2(c->m, c->d);
}

int dtw_sim_step_begin(dtw_sim_t *sim) {
  if (sim->poisoned) return DTW_ESIM;
  if (sim->m->opt.integrator == mjINT_RK4) return 0;
  memset(sim->d->warning, 0, sizeof sim->d->warning);
  dtw__sim_call_t c = {.m = sim->m, .d = sim->d};
  return sim_guard(sim, call_step1, &c);
}

int dtw_sim_step_end(dtw_sim_t *sim, const double *effort, size_t n) {
  bool rk4 = sim->m->opt.integrator == mjINT_RK4;
  return step_with(sim, effort, n, rk4 ? call_step : call_step2, rk4);
}

void dtw_sim_get_bias(const dtw_sim_t *sim, double *bias) {
  for (size_t i = 0; i < sim->n_joints; i++) bias[i] = sim->d->qfrc_bias[sim->map[i].vadr];
}

int dtw_sim_hold_base(dtw_sim_t *sim) {
  mjModel *m = sim->m;
  int free_jnt = -1;
  for (int j = 0; j < m->njnt && free_jnt < 0; j++)
    if (m->jnt_type[j] == mjJNT_FREE && m->body_parentid[m->jnt_bodyid[j]] == 0) free_jnt = j;
  if (free_jnt < 0) return 0;
  /* heavy and viscous beyond anything the robot can push: a welded base for its joints
   * (Euler integrates damping implicitly, so this stays stable at any timestep) */
  double mass = m->body_subtreemass[m->jnt_bodyid[free_jnt]];
  double big = 1e8 * (mass > 1.0 ? mass : 1.0);
  int v0 = m->jnt_dofadr[free_jnt];
  for (int v = v0; v < v0 + 6; v++) {
    m->dof_armature[v] = big;
    m->dof_damping[v] = big;
    sim->orig.dof_damping[v] = big;
    sim->d->qvel[v] = 0;
  }
  sim_set_const_t c = {.m = m, .d = sim->d, .scratch = sim->orig.state};
  int rc = sim_guard(sim, call_set_const, &c);
  return rc < 0 ? rc : 1;
}

int dtw_sim_min_armature(dtw_sim_t *sim, double armature) {
  if (!isfinite(armature) || armature < 0) return DTW_EINVAL;
  int raised = 0;
  for (size_t i = 0; i < sim->n_joints; i++) {
    int v = sim->map[i].vadr;
    if (sim->m->dof_armature[v] >= armature) continue;
    sim->m->dof_armature[v] = armature;
    raised++;
  }
  if (raised == 0) return 0;
  /* derived constants (invweight, acc0) follow the new inertia */
  sim_set_const_t c = {.m = sim->m, .d = sim->d, .scratch = sim->orig.state};
  int rc = sim_guard(sim, call_set_const, &c);
  return rc < 0 ? rc : raised;
}

/* ---- payload (robot emulator faults) ------------------------------------------------- */

int dtw__sim_add_point_mass(mjModel *m, const char *body, double kg) {
  int b = mj_name2id(m, mjOBJ_BODY, body);
  if (b <= 0 || !(m->body_mass[b] + kg > 0)) return DTW_EINVAL;
  m->body_mass[b] += kg;
  /* the subtree masses that hold it follow (dtw_sim_get_extras reports the robot's) */
  for (int a = b;; a = m->body_parentid[a]) {
    m->body_subtreemass[a] += kg;
    if (a == 0) break;
  }
  return 0;
}

int dtw_sim_add_payload(dtw_sim_t *sim, const char *body, double mass_kg) {
  if (sim == NULL || body == NULL || !isfinite(mass_kg)) return DTW_EINVAL;
  return dtw__sim_add_point_mass(sim->m, body, mass_kg);
}

/* ---- seized joint (robot emulator faults) --------------------------------------------- */

int dtw_sim_lock_joint(dtw_sim_t *sim, size_t joint, int lock) {
  if (sim == NULL || joint >= sim->n_joints) return DTW_EINVAL;
  mjModel *m = sim->m;
  int j = sim->map[joint].jnt;
  if (sim->lock_save == NULL) {
    sim->lock_save = calloc(sim->n_joints * 6, sizeof *sim->lock_save);
    if (sim->lock_save == NULL) return DTW_ENOMEM;
  }
  mjtNum *save = sim->lock_save + 6 * joint; /* [0] = 1 while locked */
  if (lock && save[0] == 0) {
    save[0] = 1;
    save[1] = m->jnt_limited[j];
    save[2] = m->jnt_range[2 * j];
    save[3] = m->jnt_range[2 * j + 1];
    save[4] = m->jnt_solref[mjNREF * j];
    save[5] = m->jnt_solref[mjNREF * j + 1];
    /* both limits where the joint is now: a bilateral constraint on this dof only, as
     * a seized gearbox or an engaged brake acts; stiff (time constant 2 steps) */
    mjtNum q = sim->d->qpos[sim->map[joint].qadr];
    m->jnt_limited[j] = 1;
    m->jnt_range[2 * j] = m->jnt_range[2 * j + 1] = q;
    m->jnt_solref[mjNREF * j] = 2 * m->opt.timestep;
    m->jnt_solref[mjNREF * j + 1] = 1;
  } else if (!lock && save[0] != 0) {
    save[0] = 0;
    m->jnt_limited[j] = (mjtByte)save[1];
    m->jnt_range[2 * j] = save[2];
    m->jnt_range[2 * j + 1] = save[3];
    m->jnt_solref[mjNREF * j] = save[4];
    m->jnt_solref[mjNREF * j + 1] = save[5];
  }
  return 0;
}
