/* A URDF of the compiled model for Foxglove's 3D panel (its URDF layer), and
 * the mesh assets it names, served through the protocol's fetchAsset.
 *
 * Written from the compiled model rather than the loader's input so that it
 * describes any robot the same way (URDF, xacro or MJCF), its links are the
 * bodies /tf names (dtw_vscene_tf_add), and every mesh is delivered in a
 * format Foxglove reads (binary STL from MuJoCo's compiled vertices), whatever
 * format the loader read it from. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "viewer__scene.h"

#define MESH_URI DTW_VSCENE_ASSET_ROOT "mesh_"
#define SPHERE_URI DTW_VSCENE_ASSET_ROOT "unit_sphere.stl"
#define PROBE_STEP 0.1 /* rad or m: a joint moved by this shows its axis */

#define pf dtw__vbuf_printf

/* XML attribute text (names come from the model) */
static void xstr(dtw_vbuf_t *b, const char *s) {
  for (; *s; s++) switch (*s) {
    case '&': pf(b, "&amp;"); break;
    case '<': pf(b, "&lt;"); break;
    case '>': pf(b, "&gt;"); break;
    case '"': pf(b, "&quot;"); break;
    default:
      if ((unsigned char)*s >= 0x20) dtw__vbuf_put(b, s, 1);
  }
}

static void frame_name(dtw_vbuf_t *b, const dtw_vscene_t *sc, const char *prefix, size_t body) {
  char tmp[32];
  xstr(b, prefix);
  pf(b, "/");
  xstr(b, dtw__vscene_body_name(sc, body, tmp, sizeof tmp));
}

/* URDF rpy (fixed axes x, y, z) of a quaternion w x y z */
static void rpy(const double q[4], double out[3]) {
  double w = q[0], x = q[1], y = q[2], z = q[3];
  double s = 2 * (w * y - z * x);
  out[0] = atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
  out[1] = asin(s > 1 ? 1 : s < -1 ? -1 : s);
  out[2] = atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
}

/* round-off of the probes and rotations printed as 0 */
static double cl(double x) { return fabs(x) < 1e-12 ? 0 : x; }

static void origin(dtw_vbuf_t *b, const double p[3], const double q[4]) {
  double r[3];
  rpy(q, r);
  pf(b, "<origin xyz=\"%.9g %.9g %.9g\" rpy=\"%.9g %.9g %.9g\"/>", cl(p[0]), cl(p[1]), cl(p[2]),
     cl(r[0]), cl(r[1]), cl(r[2]));
}

/* one <visual>; a capsule is a cylinder and two spheres (URDF has no capsule) */
static void visual(dtw_vbuf_t *b, const dtw_kin_geom_t *g, size_t index) {
  double pos[3] = {g->pos[0], g->pos[1], g->pos[2]};
  int parts = g->type == DTW_KIN_CAPSULE ? 3 : 1;
  for (int part = 0; part < parts; part++) {
    if (part > 0) { /* cap centres at +-half-length along the geom's z */
      double s = part == 1 ? g->size[1] : -g->size[1];
      const double *q = g->quat;
      pos[0] = g->pos[0] + s * 2 * (q[1] * q[3] + q[0] * q[2]);
      pos[1] = g->pos[1] + s * 2 * (q[2] * q[3] - q[0] * q[1]);
      pos[2] = g->pos[2] + s * (1 - 2 * (q[1] * q[1] + q[2] * q[2]));
    }
    pf(b, "<visual>");
    origin(b, pos, g->quat);
    pf(b, "<geometry>");
    switch (g->type) {
    case DTW_KIN_BOX:
      pf(b, "<box size=\"%.9g %.9g %.9g\"/>", 2 * g->size[0], 2 * g->size[1], 2 * g->size[2]);
      break;
    case DTW_KIN_SPHERE: pf(b, "<sphere radius=\"%.9g\"/>", g->size[0]); break;
    case DTW_KIN_CYLINDER:
    case DTW_KIN_CAPSULE:
      if (part == 0)
        pf(b, "<cylinder radius=\"%.9g\" length=\"%.9g\"/>", g->size[0], 2 * g->size[1]);
      else
        pf(b, "<sphere radius=\"%.9g\"/>", g->size[0]);
      break;
    case DTW_KIN_ELLIPSOID:
      pf(b, "<mesh filename=\"" SPHERE_URI "\" scale=\"%.9g %.9g %.9g\"/>", g->size[0],
         g->size[1], g->size[2]);
      break;
    default: pf(b, "<mesh filename=\"" MESH_URI "%d.stl\"/>", g->mesh); break;
    }
    pf(b, "</geometry><material name=\"g%zu\"><color rgba=\"%.3g %.3g %.3g %.3g\"/></material>",
       index, (double)g->rgba[0], (double)g->rgba[1], (double)g->rgba[2], (double)g->rgba[3]);
    pf(b, "</visual>");
  }
}

typedef struct jinfo {
  double pos[3], q[4]; /* child relative to parent at joint position 0 */
  double axis[3];
  int kind;            /* 0 fixed, 1 revolute/continuous, 2 prismatic */
} jinfo_t;

/* Joint origins at position 0 and axes, probed by moving each joint alone. */
static void probe_joints(dtw_vscene_t *sc, const char *in, jinfo_t *ji) {
  dtw_kin_t *k = sc->kin;
  dtw_kin_reset(k);
  for (size_t b = 1; b < sc->n_body; b++) {
    int adr = in[b] ? dtw_kin_joint_qpos(k, dtw_kin_body_joint(k, b)) : -1;
    if (adr >= 0) dtw_kin_set_qpos(k, adr, 0);
  }
  dtw_kin_forward(k);
  for (size_t b = 1; b < sc->n_body; b++)
    if (in[b]) dtw__vscene_rel_pose(sc, b, ji[b].pos, ji[b].q);
  for (size_t b = 1; b < sc->n_body; b++) {
    int adr = in[b] ? dtw_kin_joint_qpos(k, dtw_kin_body_joint(k, b)) : -1;
    if (adr < 0) continue;
    double p1[3], q1[4];
    dtw_kin_set_qpos(k, adr, PROBE_STEP);
    dtw_kin_forward(k);
    dtw__vscene_rel_pose(sc, b, p1, q1);
    dtw_kin_set_qpos(k, adr, 0);
    const double *q0 = ji[b].q;
    /* rotation in the child frame: conj(q0) * q1 */
    double dq[4] = {q0[0] * q1[0] + q0[1] * q1[1] + q0[2] * q1[2] + q0[3] * q1[3],
                    q0[0] * q1[1] - q0[1] * q1[0] - q0[2] * q1[3] + q0[3] * q1[2],
                    q0[0] * q1[2] + q0[1] * q1[3] - q0[2] * q1[0] - q0[3] * q1[1],
                    q0[0] * q1[3] - q0[1] * q1[2] + q0[2] * q1[1] - q0[3] * q1[0]};
    double s = sqrt(dq[1] * dq[1] + dq[2] * dq[2] + dq[3] * dq[3]);
    if (s > 1e-6) {
      for (int c = 0; c < 3; c++) ji[b].axis[c] = (dq[0] < 0 ? -dq[c + 1] : dq[c + 1]) / s;
      ji[b].kind = 1;
      continue;
    }
    /* a slide: the offset, expressed in the child frame at 0 */
    double d[3] = {p1[0] - ji[b].pos[0], p1[1] - ji[b].pos[1], p1[2] - ji[b].pos[2]};
    double n = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    if (n < 1e-9) continue;
    double w = q0[0], x = q0[1], y = q0[2], z = q0[3]; /* R(q0)^T d */
    double r[3][3] = {{1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)},
                      {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)},
                      {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}};
    for (int c = 0; c < 3; c++)
      ji[b].axis[c] = (r[0][c] * d[0] + r[1][c] * d[1] + r[2][c] * d[2]) / n;
    ji[b].kind = 2;
  }
  dtw_kin_reset(k);
}

int dtw_vscene_urdf(dtw_vscene_t *sc, const dtw_robot_desc_t *desc, const char *prefix,
                    dtw_vbuf_t *b) {
  b->len = 0;
  b->failed = 0;
  size_t nb = sc->n_body;
  if (nb < 2) return DTW_EMODEL;
  char *in = calloc(nb, 1), *has_visual = calloc(nb, 1);
  jinfo_t *ji = calloc(nb, sizeof *ji);
  if (in == NULL || has_visual == NULL || ji == NULL) {
    free(in);
    free(has_visual);
    free(ji);
    return DTW_ENOMEM;
  }
  /* the robot: body 1 (its root) and its subtree; bodies come after their parent */
  in[1] = 1;
  for (size_t i = 2; i < nb; i++) {
    int p = dtw_kin_body_parent(sc->kin, i);
    in[i] = p > 0 && in[p];
  }
  probe_joints(sc, in, ji);
  size_t ng = dtw_kin_geom_count(sc->kin);
  for (size_t i = 0; i < ng; i++) {
    dtw_kin_geom_t g;
    dtw_kin_geom(sc->kin, i, &g);
    if (!g.collides && g.type != DTW_KIN_OTHER && g.type != DTW_KIN_PLANE) has_visual[g.body] = 1;
  }
  pf(b, "<?xml version=\"1.0\"?>\n<robot name=\"");
  xstr(b, desc->name);
  pf(b, "\">\n");
  for (size_t body = 1; body < nb; body++) {
    if (!in[body]) continue;
    pf(b, "<link name=\"");
    frame_name(b, sc, prefix, body);
    pf(b, "\">");
    for (size_t i = 0; i < ng; i++) {
      dtw_kin_geom_t g;
      dtw_kin_geom(sc->kin, i, &g);
      if ((size_t)g.body != body || g.type == DTW_KIN_OTHER || g.type == DTW_KIN_PLANE) continue;
      if (has_visual[body] && g.collides) continue;
      if (g.type == DTW_KIN_MESH && g.mesh < 0) continue;
      visual(b, &g, i);
    }
    pf(b, "</link>\n");
  }
  for (size_t body = 2; body < nb; body++) {
    if (!in[body]) continue;
    const char *jname = dtw_kin_body_joint(sc->kin, body);
    const jinfo_t *j = &ji[body];
    int idx = j->kind ? dtw_robot_joint_index(desc, jname) : -1;
    const dtw_joint_desc_t *jd = idx >= 0 ? &desc->joints[idx] : NULL;
    const char *type = j->kind == 0                   ? "fixed"
                       : j->kind == 2                 ? "prismatic"
                       : jd && jd->limited            ? "revolute"
                                                      : "continuous";
    char tmp[32];
    pf(b, "<joint name=\"");
    if (j->kind) xstr(b, jname);
    else {
      pf(b, "fixed_");
      xstr(b, dtw__vscene_body_name(sc, body, tmp, sizeof tmp));
    }
    pf(b, "\" type=\"%s\"><parent link=\"", type);
    frame_name(b, sc, prefix, (size_t)dtw_kin_body_parent(sc->kin, body));
    pf(b, "\"/><child link=\"");
    frame_name(b, sc, prefix, body);
    pf(b, "\"/>");
    origin(b, j->pos, j->q);
    if (j->kind) pf(b, "<axis xyz=\"%.9g %.9g %.9g\"/>", cl(j->axis[0]), cl(j->axis[1]), cl(j->axis[2]));
    /* limits for display only; a slide of an MJCF robot has none in its table */
    if (strcmp(type, "revolute") == 0 || strcmp(type, "prismatic") == 0)
      pf(b, "<limit lower=\"%.9g\" upper=\"%.9g\" effort=\"%.9g\" velocity=\"%.9g\"/>",
         jd && jd->limited ? jd->lower : -1, jd && jd->limited ? jd->upper : 1,
         jd ? jd->effort : 0, jd ? jd->velocity : 0);
    pf(b, "</joint>\n");
  }
  pf(b, "</robot>\n");
  free(in);
  free(has_visual);
  free(ji);
  dtw__vbuf_put(b, "", 1);
  if (b->failed) return DTW_ENOMEM;
  b->len--;
  return 0;
}

/* ---- assets: binary STL -------------------------------------------------------- */

static void stl_tri(dtw_vbuf_t *b, const float *a, const float *c1, const float *c2) {
  float u[3], v[3], n[3], rec[12];
  for (int i = 0; i < 3; i++) {
    u[i] = c1[i] - a[i];
    v[i] = c2[i] - a[i];
  }
  n[0] = u[1] * v[2] - u[2] * v[1];
  n[1] = u[2] * v[0] - u[0] * v[2];
  n[2] = u[0] * v[1] - u[1] * v[0];
  float len = sqrtf(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  for (int i = 0; i < 3; i++) {
    rec[i] = len > 0 ? n[i] / len : 0;
    rec[3 + i] = a[i];
    rec[6 + i] = c1[i];
    rec[9 + i] = c2[i];
  }
  dtw__vbuf_put(b, rec, sizeof rec); /* STL is little endian, as every host we build for */
  dtw__vbuf_put(b, "\0\0", 2);
}

static void stl_begin(dtw_vbuf_t *b, uint32_t n) {
  static const char head[80] = "dtwin viewer mesh (binary STL)";
  b->len = 0;
  b->failed = 0;
  dtw__vbuf_put(b, head, sizeof head);
  uint8_t c[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
  dtw__vbuf_put(b, c, 4);
}

static void unit_sphere(dtw_vbuf_t *b) {
  enum { LAT = 12, LON = 24 };
  stl_begin(b, 2 * LAT * LON);
  for (int i = 0; i < LAT; i++)
    for (int j = 0; j < LON; j++) {
      float p[4][3];
      for (int k = 0; k < 4; k++) {
        double th = M_PI * (i + (k >> 1)) / LAT, ph = 2 * M_PI * (j + (k & 1)) / LON;
        p[k][0] = (float)(sin(th) * cos(ph));
        p[k][1] = (float)(sin(th) * sin(ph));
        p[k][2] = (float)cos(th);
      }
      stl_tri(b, p[0], p[2], p[3]);
      stl_tri(b, p[0], p[3], p[1]);
    }
}

int dtw_vscene_asset(const dtw_vscene_t *sc, const char *uri, dtw_vbuf_t *b) {
  if (strcmp(uri, SPHERE_URI) == 0) {
    unit_sphere(b);
    return b->failed ? DTW_ENOMEM : 0;
  }
  size_t plen = strlen(MESH_URI);
  if (strncmp(uri, MESH_URI, plen) != 0) return DTW_ENOENT;
  char *end;
  unsigned long m = strtoul(uri + plen, &end, 10);
  if (end == uri + plen || strcmp(end, ".stl") != 0 || m >= dtw_kin_mesh_count(sc->kin))
    return DTW_ENOENT;
  const float *vert;
  const int *face;
  size_t nv, nf;
  if (dtw_kin_mesh(sc->kin, m, &vert, &nv, &face, &nf) < 0) return DTW_ENOENT;
  stl_begin(b, (uint32_t)nf);
  for (size_t f = 0; f < nf; f++) {
    const int *t = face + 3 * f;
    if (t[0] < 0 || t[1] < 0 || t[2] < 0 || (size_t)t[0] >= nv || (size_t)t[1] >= nv ||
        (size_t)t[2] >= nv)
      return DTW_EMODEL;
    stl_tri(b, vert + 3 * t[0], vert + 3 * t[1], vert + 3 * t[2]);
  }
  return b->failed ? DTW_ENOMEM : 0;
}
