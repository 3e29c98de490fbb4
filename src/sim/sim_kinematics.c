/* Forward kinematics and geometry of a robot model for viewers (dtw/sim_kin.h):
 * its own compiled model and data, positions in, body poses out. */
#include "dtw/sim_kin.h"

#include <math.h>
#include <mujoco/mujoco.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "sim__compile.h"
#include "sim__guard.h"

struct dtw_kin {
  mjModel *m;
  mjData *d;
  char **body_joint; /* per body: name of its first hinge/slide joint, "" if none */
  dtw__sim_diag_t diag;
};

static void call_reset(void *arg) {
  dtw_kin_t *k = arg;
  if (k->m->nkey > 0) mj_resetDataKeyframe(k->m, k->d, 0);
  else mj_resetData(k->m, k->d);
  mj_kinematics(k->m, k->d);
}

static void call_kinematics(void *arg) {
  dtw_kin_t *k = arg;
  mj_kinematics(k->m, k->d);
}

int dtw_kin_create(const dtw_robot_desc_t *desc, dtw_kin_t **out, char *err, size_t errlen) {
  if (desc == NULL || desc->mjcf == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "no model to compile");
  dtw__sim_hooks_install();
  dtw_kin_t *k = calloc(1, sizeof *k);
  if (k == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  int rc = dtw__sim_compile(desc, &k->m, NULL, err, errlen);
  if (rc < 0) goto fail;
  if (dtw__sim_make_data(k->m, &k->d, &k->diag) != 0) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "MuJoCo cannot allocate the kinematics data: %s",
                  k->diag.error);
    goto fail;
  }
  k->body_joint = calloc((size_t)k->m->nbody, sizeof *k->body_joint);
  if (k->body_joint == NULL) {
    rc = dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
    goto fail;
  }
  static char none[] = "";
  for (int b = 0; b < k->m->nbody; b++) {
    k->body_joint[b] = none;
    for (int j = k->m->body_jntadr[b]; j >= 0 && j < k->m->body_jntadr[b] + k->m->body_jntnum[b];
         j++)
      if (k->m->jnt_type[j] == mjJNT_HINGE || k->m->jnt_type[j] == mjJNT_SLIDE) {
        k->body_joint[b] = k->m->names + k->m->name_jntadr[j];
        break;
      }
  }
  if (dtw__sim_guard(call_reset, k, &k->diag) != 0) {
    rc = dtw_errf(err, errlen, DTW_ESIM, "MuJoCo: %s", k->diag.error);
    goto fail;
  }
  *out = k;
  return 0;
fail:
  dtw_kin_destroy(k);
  return rc;
}

void dtw_kin_destroy(dtw_kin_t *k) {
  if (k == NULL) return;
  free(k->body_joint);
  if (k->d) mj_deleteData(k->d);
  if (k->m) mj_deleteModel(k->m);
  free(k);
}

size_t dtw_kin_body_count(const dtw_kin_t *k) { return (size_t)k->m->nbody; }

const char *dtw_kin_body_name(const dtw_kin_t *k, size_t b) {
  if (b >= (size_t)k->m->nbody) return "";
  return k->m->names + k->m->name_bodyadr[b];
}

int dtw_kin_body_parent(const dtw_kin_t *k, size_t b) {
  if (b == 0 || b >= (size_t)k->m->nbody) return -1;
  return k->m->body_parentid[b];
}

const char *dtw_kin_body_joint(const dtw_kin_t *k, size_t b) {
  return b < (size_t)k->m->nbody ? k->body_joint[b] : "";
}

int dtw_kin_joint_qpos(const dtw_kin_t *k, const char *name) {
  int j = mj_name2id(k->m, mjOBJ_JOINT, name);
  if (j < 0 || (k->m->jnt_type[j] != mjJNT_HINGE && k->m->jnt_type[j] != mjJNT_SLIDE)) return -1;
  return k->m->jnt_qposadr[j];
}

void dtw_kin_reset(dtw_kin_t *k) { dtw__sim_guard(call_reset, k, &k->diag); }

int dtw_kin_set_qpos(dtw_kin_t *k, int adr, double value) {
  if (adr < 0 || adr >= k->m->nq || !isfinite(value)) return DTW_EINVAL;
  k->d->qpos[adr] = value;
  return 0;
}

int dtw_kin_forward(dtw_kin_t *k) {
  return dtw__sim_guard(call_kinematics, k, &k->diag) == 0 ? 0 : DTW_ESIM;
}

void dtw_kin_body_pose(const dtw_kin_t *k, size_t b, double pos[3], double quat[4]) {
  if (b >= (size_t)k->m->nbody) b = 0;
  memcpy(pos, k->d->xpos + 3 * b, 3 * sizeof *pos);
  memcpy(quat, k->d->xquat + 4 * b, 4 * sizeof *quat);
}

size_t dtw_kin_geom_count(const dtw_kin_t *k) { return (size_t)k->m->ngeom; }

void dtw_kin_geom(const dtw_kin_t *k, size_t i, dtw_kin_geom_t *g) {
  const mjModel *m = k->m;
  memset(g, 0, sizeof *g);
  g->mesh = -1;
  if (i >= (size_t)m->ngeom) {
    g->type = DTW_KIN_OTHER;
    return;
  }
  g->body = m->geom_bodyid[i];
  switch (m->geom_type[i]) {
  case mjGEOM_PLANE: g->type = DTW_KIN_PLANE; break;
  case mjGEOM_SPHERE: g->type = DTW_KIN_SPHERE; break;
  case mjGEOM_CAPSULE: g->type = DTW_KIN_CAPSULE; break;
  case mjGEOM_ELLIPSOID: g->type = DTW_KIN_ELLIPSOID; break;
  case mjGEOM_CYLINDER: g->type = DTW_KIN_CYLINDER; break;
  case mjGEOM_BOX: g->type = DTW_KIN_BOX; break;
  case mjGEOM_MESH:
    g->type = DTW_KIN_MESH;
    g->mesh = m->geom_dataid[i];
    break;
  default: g->type = DTW_KIN_OTHER; break;
  }
  for (int c = 0; c < 3; c++) {
    g->size[c] = m->geom_size[3 * i + c];
    g->pos[c] = m->geom_pos[3 * i + c];
  }
  for (int c = 0; c < 4; c++) {
    g->quat[c] = m->geom_quat[4 * i + c];
    g->rgba[c] = m->geom_rgba[4 * i + c];
  }
  /* a material's colour wins over the geom default, as MuJoCo draws it */
  if (m->geom_matid[i] >= 0)
    for (int c = 0; c < 4; c++) g->rgba[c] = m->mat_rgba[4 * m->geom_matid[i] + c];
  g->group = m->geom_group[i];
  g->collides = m->geom_contype[i] != 0 || m->geom_conaffinity[i] != 0;
}

size_t dtw_kin_mesh_count(const dtw_kin_t *k) { return (size_t)k->m->nmesh; }

int dtw_kin_mesh(const dtw_kin_t *k, size_t i, const float **vert, size_t *n_vert,
                 const int **face, size_t *n_face) {
  const mjModel *m = k->m;
  if (i >= (size_t)m->nmesh) return DTW_EINVAL;
  *vert = m->mesh_vert + 3 * m->mesh_vertadr[i];
  *n_vert = (size_t)m->mesh_vertnum[i];
  *face = m->mesh_face + 3 * m->mesh_faceadr[i];
  *n_face = (size_t)m->mesh_facenum[i];
  return 0;
}
