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
#include "sim__guard.h"

/* Name of the in-memory MJCF; unusual so no asset include collides with it. */
#define SIM_VFS_NAME "__dtw_sim_model__.xml"

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
};

/* ---- guarded MuJoCo calls -------------------------------------------------------------- */

typedef struct sim_call {
  const mjModel *m;
  mjData *d;
} sim_call_t;

static void call_step(void *arg) {
  sim_call_t *c = arg;
  mj_step(c->m, c->d);
}

static void call_forward(void *arg) {
  sim_call_t *c = arg;
  mj_forward(c->m, c->d);
}

/* Reset to keyframe 0 (or qpos0), time 0, and compute derived quantities. */
static void call_reset(void *arg) {
  sim_call_t *c = arg;
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
  /* the actuator force (gain x ctrl, then forcerange) is scaled by the gear at the joint */
  double force = 0;
  if (m->actuator_forcelimited[a])
    force = fmax(fabs(m->actuator_forcerange[2 * a]), fabs(m->actuator_forcerange[2 * a + 1]));
  if (m->actuator_ctrllimited[a]) {
    double gain = fabs(m->actuator_gainprm[mjNGAIN * a]);
    double f = gain * fmax(fabs(map->ctrl_lo), fabs(map->ctrl_hi));
    force = force > 0 ? fmin(force, f) : f;
  }
  j->effort = fabs(map->gear) * force;
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

/* Compile the MJCF text from memory, named as if it lived in base_dir so relative asset
 * paths resolve there (VFS lookups strip the directory; misses fall back to disk). */
static int compile_model(const dtw_robot_desc_t *desc, mjModel **out, char *err, size_t errlen) {
  int rc = 0;
  char path[4096];
  char mjerr[1000] = "";
  const char *dir = desc->base_dir != NULL && desc->base_dir[0] ? desc->base_dir : ".";
  size_t len = desc->mjcf_len > 0 ? desc->mjcf_len : strlen(desc->mjcf);
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, SIM_VFS_NAME) >= sizeof path)
    return dtw_errf(err, errlen, DTW_EINVAL, "base_dir too long: %s", dir);
  if (len > INT32_MAX) return dtw_errf(err, errlen, DTW_EINVAL, "MJCF too large");

  mjVFS *vfs = malloc(sizeof *vfs); /* ~2 MB: not for the stack */
  if (vfs == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory for the MuJoCo VFS");
  mj_defaultVFS(vfs);
  if (mj_makeEmptyFileVFS(vfs, SIM_VFS_NAME, (int)len) != 0) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "cannot add the MJCF to the MuJoCo VFS");
    goto out_vfs;
  }
  memcpy(vfs->filedata[vfs->nfile - 1], desc->mjcf, len);

  dtw__sim_compile_lock();
  *out = mj_loadXML(path, vfs, mjerr, (int)sizeof mjerr);
  dtw__sim_compile_unlock();
  /* MuJoCo's messages end in newlines; keep one line per message for our logs */
  for (char *p = mjerr; *p; p++)
    if (*p == '\n') *p = p[1] ? ' ' : '\0';
  if (*out == NULL) {
    rc = dtw_errf(err, errlen, DTW_EMODEL, "MuJoCo rejected model '%s': %s", desc->name,
                  mjerr[0] ? mjerr : "unknown error");
    goto out_vfs;
  }
  if (mjerr[0]) DTW_WARN("sim", "model '%s': MuJoCo: %s", desc->name, mjerr);

out_vfs:
  mj_deleteVFS(vfs);
  free(vfs);
  return rc;
}

static void call_make_data(void *arg) {
  sim_call_t *c = arg;
  c->d = mj_makeData(c->m);
}

int dtw_sim_create(const dtw_robot_desc_t *desc, dtw_sim_t **out, char *err, size_t errlen) {
  int rc;
  if (desc == NULL || out == NULL || desc->mjcf == NULL || desc->mjcf[0] == '\0')
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_sim_create: no MJCF text");
  dtw__sim_hooks_install();

  dtw_sim_t *sim = calloc(1, sizeof *sim);
  if (sim == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory for the simulation");

  rc = compile_model(desc, &sim->m, err, errlen);
  if (rc != 0) goto err_sim;

  sim_call_t mk = {.m = sim->m, .d = NULL};
  if (dtw__sim_guard(call_make_data, &mk, &sim->diag) != 0 || mk.d == NULL) {
    rc = dtw_errf(err, errlen, DTW_ESIM, "model '%s': cannot allocate MuJoCo data: %s",
                  desc->name, sim->diag.error);
    goto err_sim;
  }
  sim->d = mk.d;

  rc = build_joint_table(sim, desc, err, errlen);
  if (rc != 0) goto err_sim;
  if (keep_originals(sim) != 0) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory for the model copy");
    goto err_sim;
  }

  sim_call_t c = {.m = sim->m, .d = sim->d};
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

int dtw_sim_step(dtw_sim_t *sim, const double *effort, size_t n) {
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
  memset(d->warning, 0, sizeof d->warning);
  sim_call_t c = {.m = sim->m, .d = d};
  int rc = sim_guard(sim, call_step, &c);
  if (rc != 0) return rc;
  if (sim_collect_warnings(sim)) {
    snprintf(sim->last_error, sizeof sim->last_error,
             "simulation unstable: MuJoCo reset the state to qpos0");
    return DTW_ESIM;
  }
  return 0;
}

double dtw_sim_time(const dtw_sim_t *sim) { return sim->d->time; }
double dtw_sim_timestep(const dtw_sim_t *sim) { return sim->m->opt.timestep; }
size_t dtw_sim_joint_count(const dtw_sim_t *sim) { return sim->n_joints; }
const dtw_joint_desc_t *dtw_sim_joints(const dtw_sim_t *sim) { return sim->joints; }
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
  sim_call_t c = {.m = sim->m, .d = sim->d};
  return sim_guard(sim, call_forward, &c);
}

int dtw_sim_reset(dtw_sim_t *sim) {
  sim_call_t c = {.m = sim->m, .d = sim->d};
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

/* ---- payload (robot emulator faults) ------------------------------------------------- */

int dtw_sim_add_payload(dtw_sim_t *sim, const char *body, double mass_kg) {
  if (sim == NULL || body == NULL || !isfinite(mass_kg)) return DTW_EINVAL;
  int b = mj_name2id(sim->m, mjOBJ_BODY, body);
  /* a point mass at the body's centre of mass: the inertia about it is unchanged */
  if (b <= 0 || sim->m->body_mass[b] + mass_kg <= 0) return DTW_EINVAL;
  sim->m->body_mass[b] += mass_kg;
  return 0;
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
