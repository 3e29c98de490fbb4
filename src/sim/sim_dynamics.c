/* Inverse dynamics of a robot description on its own MuJoCo instance (see
 * dtw/sim_dynamics.h). Kept apart from sim.c: it never steps, it only answers
 * "which torques does this motion need". */
#include "dtw/sim_dynamics.h"

#include <math.h>
#include <mujoco/mujoco.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "sim__compile.h"
#include "sim__guard.h"

struct dtw_sim_dyn {
  const dtw_robot_desc_t *desc; /* the caller's, read again by dtw_sim_dyn_bind */
  mjModel *m;
  mjData *d;
  size_t n;
  int *qadr, *vadr, *body; /* body: the body each joint moves */
  int *depth;               /* body -> bodies between it and the world */
  double *effort;           /* per joint: max |effort| (description or motor), 0 = none */
  mjtNum *jacp;             /* 3 x nv scratch for the load's Jacobian */
  mjtNum *rne;              /* 2 x nv scratch: a motion's torques without, with a point mass */
  double mass;              /* every body's, kg */
  dtw__sim_diag_t diag;
};

static void call_inverse(void *arg) {
  dtw__sim_call_t *c = arg;
  mj_inverse(c->m, c->d);
}

static void call_kinematics(void *arg) {
  dtw__sim_call_t *c = arg;
  mj_kinematics(c->m, c->d);
  mj_comPos(c->m, c->d); /* mj_jac needs the subtree centres of mass */
}

int dtw_sim_dyn_compile(const dtw_robot_desc_t *desc, dtw_sim_dyn_t **out, char *err,
                        size_t errlen) {
  if (desc == NULL || desc->mjcf == NULL || desc->mjcf[0] == '\0' || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_sim_dyn_compile: no model");
  dtw__sim_hooks_install();
  dtw_sim_dyn_t *y = calloc(1, sizeof *y);
  if (y == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  y->desc = desc;
  /* the twin's own compile: its in-memory meshes and the MuJoCo 3 translation */
  int rc = dtw__sim_compile(desc, &y->m, NULL, err, errlen);
  if (rc < 0) goto fail;
  if (dtw__sim_make_data(y->m, &y->d, &y->diag) != 0) {
    rc = dtw_errf(err, errlen, DTW_ESIM, "model '%s': cannot allocate MuJoCo data: %s",
                  desc->name, y->diag.error);
    goto fail;
  }
  /* joint limits as soft constraints make the inverse force at a limit depend on the
   * acceleration noise; a robot reports its actuators' effort, not the stops' */
  y->m->opt.disableflags |= mjDSBL_LIMIT;
  /* contacts (the demo world's floor, a gripped object) are what the residual is to
   * reveal, and mj_inverse would turn any penetration into huge forces */
  y->m->opt.disableflags |= mjDSBL_CONTACT;
  y->depth = calloc((size_t)y->m->nbody, sizeof *y->depth);
  y->jacp = calloc(3 * (size_t)y->m->nv + 1, sizeof *y->jacp);
  y->rne = calloc(2 * (size_t)y->m->nv + 1, sizeof *y->rne);
  if (y->depth == NULL || y->jacp == NULL || y->rne == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto fail;
  }
  for (int b = 1; b < y->m->nbody; b++) {
    y->depth[b] = y->depth[y->m->body_parentid[b]] + 1;
    y->mass += y->m->body_mass[b];
  }
  *out = y;
  return 0;
fail:
  dtw_sim_dyn_destroy(y);
  return rc;
}

static void unbind(dtw_sim_dyn_t *y) {
  free(y->qadr);
  free(y->vadr);
  free(y->body);
  free(y->effort);
  y->qadr = y->vadr = y->body = NULL;
  y->effort = NULL;
  y->n = 0;
}

int dtw_sim_dyn_bind(dtw_sim_dyn_t *y, const char *const *joints, size_t n, char *err,
                     size_t errlen) {
  if (y == NULL || joints == NULL || n == 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_sim_dyn_bind: no model or no joints");
  unbind(y);
  const dtw_robot_desc_t *desc = y->desc;
  y->qadr = calloc(n, sizeof *y->qadr);
  y->vadr = calloc(n, sizeof *y->vadr);
  y->body = calloc(n, sizeof *y->body);
  y->effort = calloc(n, sizeof *y->effort);
  if (y->qadr == NULL || y->vadr == NULL || y->body == NULL || y->effort == NULL) {
    unbind(y);
    return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    int j = joints[i] != NULL ? mj_name2id(y->m, mjOBJ_JOINT, joints[i]) : -1;
    if (j < 0 || (y->m->jnt_type[j] != mjJNT_HINGE && y->m->jnt_type[j] != mjJNT_SLIDE)) {
      int rc = dtw_errf(err, errlen, DTW_EMODEL, "model '%s': joint '%s' is no hinge or slide joint",
                        desc->name, joints[i] != NULL ? joints[i] : "(null)");
      unbind(y);
      return rc;
    }
    y->qadr[i] = y->m->jnt_qposadr[j];
    y->vadr[i] = y->m->jnt_dofadr[j];
    y->body[i] = y->m->jnt_bodyid[j];
    /* the description's limit, else (an MJCF without a joint table) its motor's */
    y->effort[i] = dtw__sim_joint_effort(y->m, j);
    for (size_t k = 0; k < desc->n_joints; k++)
      if (strcmp(desc->joints[k].name, joints[i]) == 0) y->effort[i] = desc->joints[k].effort;
  }
  y->n = n;
  return 0;
}

int dtw_sim_dyn_create(const dtw_robot_desc_t *desc, const char *const *joints, size_t n,
                       dtw_sim_dyn_t **out, char *err, size_t errlen) {
  if (desc == NULL || joints == NULL || n == 0 || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_sim_dyn_create: no model or no joints");
  dtw_sim_dyn_t *y = NULL;
  int rc = dtw_sim_dyn_compile(desc, &y, err, errlen);
  if (rc == 0 && (rc = dtw_sim_dyn_bind(y, joints, n, err, errlen)) < 0) {
    dtw_sim_dyn_destroy(y);
    y = NULL;
  }
  if (rc == 0) *out = y;
  return rc;
}

void dtw_sim_dyn_destroy(dtw_sim_dyn_t *y) {
  if (y == NULL) return;
  if (y->d != NULL) mj_deleteData(y->d);
  if (y->m != NULL) mj_deleteModel(y->m);
  unbind(y);
  free(y->depth);
  free(y->jacp);
  free(y->rne);
  free(y);
}

size_t dtw_sim_dyn_joint_count(const dtw_sim_dyn_t *y) { return y != NULL ? y->n : 0; }

double dtw_sim_dyn_mass(const dtw_sim_dyn_t *y) { return y != NULL ? y->mass : 0.0; }

double dtw_sim_dyn_effort_limit(const dtw_sim_dyn_t *y, size_t i) {
  return y != NULL && i < y->n ? y->effort[i] : 0.0;
}

int dtw_sim_dyn_add_mass(dtw_sim_dyn_t *y, const char *body, double kg) {
  if (y == NULL || body == NULL || !isfinite(kg)) return DTW_EINVAL;
  int rc = dtw__sim_add_point_mass(y->m, body, kg);
  if (rc == 0) y->mass += kg;
  return rc;
}

/* The state (q, qd, qdd); the rest at rest in qpos0. */
static void set_state(dtw_sim_dyn_t *y, const double *q, const double *qd, const double *qdd) {
  const mjModel *m = y->m;
  mjData *d = y->d;
  memcpy(d->qpos, m->qpos0, (size_t)m->nq * sizeof(mjtNum));
  memset(d->qvel, 0, (size_t)m->nv * sizeof(mjtNum));
  memset(d->qacc, 0, (size_t)m->nv * sizeof(mjtNum));
  for (size_t i = 0; i < y->n; i++) {
    d->qpos[y->qadr[i]] = q[i];
    if (qd != NULL) d->qvel[y->vadr[i]] = qd[i];
    if (qdd != NULL) d->qacc[y->vadr[i]] = qdd[i];
  }
}

/* One mj_inverse at (q, qd, qdd). */
static int inverse_at(dtw_sim_dyn_t *y, const double *q, const double *qd, const double *qdd) {
  set_state(y, q, qd, qdd);
  dtw__sim_call_t c = {.m = y->m, .d = y->d};
  return dtw__sim_guard(call_inverse, &c, &y->diag);
}

int dtw_sim_dyn_inverse(dtw_sim_dyn_t *y, const double *q, const double *qd, const double *qdd,
                        double *tau, double *gravity, double *m_diag) {
  if (y == NULL || q == NULL) return DTW_EINVAL;
  for (size_t i = 0; i < y->n; i++)
    if (!isfinite(q[i]) || (qd != NULL && !isfinite(qd[i])) || (qdd != NULL && !isfinite(qdd[i])))
      return DTW_EINVAL;
  if (tau != NULL || m_diag != NULL) {
    if (inverse_at(y, q, qd, qdd) != 0) return DTW_ESIM;
    for (size_t i = 0; i < y->n; i++) {
      if (tau != NULL) tau[i] = y->d->qfrc_inverse[y->vadr[i]];
      /* qM is stored sparse; its diagonal sits at dof_Madr */
      if (m_diag != NULL) m_diag[i] = y->d->qM[y->m->dof_Madr[y->vadr[i]]];
    }
  }
  if (gravity != NULL) {
    if (inverse_at(y, q, NULL, NULL) != 0) return DTW_ESIM;
    for (size_t i = 0; i < y->n; i++) gravity[i] = y->d->qfrc_inverse[y->vadr[i]];
  }
  return 0;
}

/* A motion's torques (recursive Newton-Euler: inertia, Coriolis, gravity) with
 * and without one more kg at the centre of mass of body; the body's mass is
 * the caller's to restore (an engine error leaves this call half done). */
typedef struct point_mass_call {
  mjModel *m;
  mjData *d;
  int body;
  mjtNum *base, *more;
} point_mass_call_t;

static void call_point_mass(void *arg) {
  point_mass_call_t *c = arg;
  mj_kinematics(c->m, c->d);
  mj_comPos(c->m, c->d);
  mj_comVel(c->m, c->d);
  mj_rne(c->m, c->d, 1, c->base);
  c->m->body_mass[c->body] += 1;
  /* the body's inertia in the com frame, and the frame itself, move with its mass */
  mj_comPos(c->m, c->d);
  mj_comVel(c->m, c->d);
  mj_rne(c->m, c->d, 1, c->more);
}

int dtw_sim_dyn_load_per_kg(dtw_sim_dyn_t *y, const double *q, const double *qd,
                            const double *qdd, const size_t *chain, size_t n_chain,
                            double *per_kg) {
  if (y == NULL || q == NULL || chain == NULL || n_chain == 0 || per_kg == NULL)
    return DTW_EINVAL;
  int body = -1;
  for (size_t k = 0; k < n_chain; k++) {
    if (chain[k] >= y->n) return DTW_EINVAL;
    int b = y->body[chain[k]];
    if (body < 0 || y->depth[b] > y->depth[body]) body = b;
  }
  for (size_t i = 0; i < y->n; i++)
    if (!isfinite(q[i]) || (qd != NULL && !isfinite(qd[i])) || (qdd != NULL && !isfinite(qdd[i])))
      return DTW_EINVAL;
  set_state(y, q, qd, qdd);
  mjModel *m = y->m;
  if (qd != NULL || qdd != NULL) {
    /* its weight and its inertia: what the motion needs more with it */
    point_mass_call_t c = {
        .m = m, .d = y->d, .body = body, .base = y->rne, .more = y->rne + m->nv};
    mjtNum saved = m->body_mass[body];
    int rc = dtw__sim_guard(call_point_mass, &c, &y->diag);
    m->body_mass[body] = saved;
    if (rc != 0) return DTW_ESIM;
    for (size_t i = 0; i < y->n; i++) per_kg[i] = c.more[y->vadr[i]] - c.base[y->vadr[i]];
    return 0;
  }
  dtw__sim_call_t c = {.m = m, .d = y->d};
  if (dtw__sim_guard(call_kinematics, &c, &y->diag) != 0) return DTW_ESIM;
  mj_jac(m, y->d, y->jacp, NULL, y->d->xipos + 3 * body, body);
  for (size_t i = 0; i < y->n; i++) {
    int v = y->vadr[i];
    /* the actuators hold the weight: -J^T (1 kg x gravity) */
    per_kg[i] = -(y->jacp[v] * m->opt.gravity[0] + y->jacp[m->nv + v] * m->opt.gravity[1] +
                  y->jacp[2 * m->nv + v] * m->opt.gravity[2]);
  }
  return 0;
}
