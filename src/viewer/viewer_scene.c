/* Link poses and geometry for viewers: JointState CDR in, TFMessage CDR and a
 * scene JSON out (dtw/viewer_scene.h). CDR here is XCDR1 (plain CDR) with its
 * 4-byte encapsulation header; alignment counts from after the header. */
#include "dtw/viewer_scene.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/sim_kin.h"
#include "viewer__scene.h"

/* ---- buffer ------------------------------------------------------------------ */

void dtw_vbuf_fini(dtw_vbuf_t *b) {
  free(b->data);
  *b = (dtw_vbuf_t){0};
}

static int reserve(dtw_vbuf_t *b, size_t extra) {
  if (b->failed) return DTW_ENOMEM;
  if (b->len + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 1024;
  while (cap < b->len + extra) cap *= 2;
  uint8_t *p = realloc(b->data, cap);
  if (p == NULL) {
    b->failed = 1;
    return DTW_ENOMEM;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

void dtw__vbuf_put(dtw_vbuf_t *b, const void *p, size_t n) {
  if (reserve(b, n) < 0) return;
  memcpy(b->data + b->len, p, n);
  b->len += n;
}
#define put dtw__vbuf_put

/* ---- CDR writing (little endian) ------------------------------------------- */

static void align(dtw_vbuf_t *b, size_t a) {
  static const uint8_t zero[8] = {0};
  size_t off = (b->len - 4) % a;
  if (off) put(b, zero, a - off);
}
static void w_u32(dtw_vbuf_t *b, uint32_t v) {
  uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  align(b, 4);
  put(b, p, 4);
}
static void w_f64(dtw_vbuf_t *b, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  uint8_t p[8];
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> (8 * i));
  align(b, 8);
  put(b, p, 8);
}
static void w_str(dtw_vbuf_t *b, const char *s) {
  size_t n = strlen(s) + 1;
  w_u32(b, (uint32_t)n);
  put(b, s, n);
}
static void w_header(dtw_vbuf_t *b) {
  static const uint8_t hdr[4] = {0x00, 0x01, 0x00, 0x00};
  b->len = 0;
  b->failed = 0;
  put(b, hdr, 4);
}

int dtw_vcdr_string(dtw_vbuf_t *b, const char *text) {
  w_header(b);
  w_str(b, text);
  return b->failed ? DTW_ENOMEM : 0;
}

/* ---- CDR reading ------------------------------------------------------------ */

typedef struct rd {
  const uint8_t *p;
  size_t len, pos; /* pos counts from the start of the buffer (header included) */
  int le;
} rd_t;

static int r_align(rd_t *r, size_t a) {
  size_t off = (r->pos - 4) % a;
  if (off) r->pos += a - off;
  return r->pos <= r->len ? 0 : DTW_EPARSE;
}
static int r_u32(rd_t *r, uint32_t *v) {
  if (r_align(r, 4) < 0 || r->len - r->pos < 4) return DTW_EPARSE;
  const uint8_t *p = r->p + r->pos;
  *v = r->le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
             : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
  r->pos += 4;
  return 0;
}
static int r_f64(rd_t *r, double *v) {
  if (r_align(r, 8) < 0 || r->len - r->pos < 8) return DTW_EPARSE;
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u |= (uint64_t)r->p[r->pos + (r->le ? i : 7 - i)] << (8 * i);
  memcpy(v, &u, 8);
  r->pos += 8;
  return 0;
}
static int r_str(rd_t *r, const char **s) {
  uint32_t n;
  if (r_u32(r, &n) < 0 || n == 0 || n > r->len - r->pos) return DTW_EPARSE;
  const char *p = (const char *)r->p + r->pos;
  if (p[n - 1] != '\0' || memchr(p, '\0', n) != p + n - 1) return DTW_EPARSE;
  *s = p;
  r->pos += n;
  return 0;
}

int dtw_vjoints_decode(const uint8_t *cdr, size_t len, dtw_vjoints_t *out) {
  if (cdr == NULL || len < 4 || cdr[0] != 0x00 || (cdr[1] != 0x00 && cdr[1] != 0x01))
    return DTW_EPARSE;
  rd_t r = {.p = cdr, .len = len, .pos = 4, .le = cdr[1] == 0x01};
  uint32_t sec, nsec, n;
  const char *frame;
  if (r_u32(&r, &sec) < 0 || r_u32(&r, &nsec) < 0 || r_str(&r, &frame) < 0 || r_u32(&r, &n) < 0)
    return DTW_EPARSE;
  if (n > DTW_MAX_JOINTS) return DTW_EFULL;
  out->sec = (int32_t)sec;
  out->nanosec = nsec;
  out->n = n;
  for (uint32_t i = 0; i < n; i++)
    if (r_str(&r, &out->name[i]) < 0) return DTW_EPARSE;
  if (r_u32(&r, &n) < 0) return DTW_EPARSE;
  if (n > DTW_MAX_JOINTS) return DTW_EFULL;
  out->n_position = n;
  for (uint32_t i = 0; i < n; i++)
    if (r_f64(&r, &out->position[i]) < 0) return DTW_EPARSE;
  return 0; /* velocity and effort are not needed for poses */
}

/* ---- scene ------------------------------------------------------------------ */

int dtw_vscene_create(const dtw_robot_desc_t *desc, dtw_vscene_t **out, char *err,
                      size_t errlen) {
  dtw_vscene_t *sc = calloc(1, sizeof *sc);
  if (sc == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  int rc = dtw_kin_create(desc, &sc->kin, err, errlen);
  if (rc < 0) {
    free(sc);
    return rc;
  }
  sc->n_body = dtw_kin_body_count(sc->kin);
  *out = sc;
  return 0;
}

void dtw_vscene_destroy(dtw_vscene_t *sc) {
  if (sc == NULL) return;
  dtw_kin_destroy(sc->kin);
  free(sc);
}

void dtw_vtf_begin(dtw_vbuf_t *b) {
  w_header(b);
  w_u32(b, 0); /* count, patched by dtw_vtf_end */
}

/* The transform count is the number of "child" strings written; keep it in
 * the first 4 bytes' place by counting while appending. */
static uint32_t tf_count(const dtw_vbuf_t *b) {
  const uint8_t *p = b->data + 4;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void tf_set_count(dtw_vbuf_t *b, uint32_t n) {
  uint8_t *p = b->data + 4;
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(n >> (8 * i));
}

const char *dtw__vscene_body_name(const dtw_vscene_t *sc, size_t body, char *buf, size_t cap) {
  const char *name = dtw_kin_body_name(sc->kin, body);
  if (name[0] != '\0') return name;
  snprintf(buf, cap, "body_%zu", body);
  return buf;
}

/* q^-1 * (p, r): quaternions w x y z */
static void qmul(const double a[4], const double b[4], double out[4]) {
  out[0] = a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
  out[1] = a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2];
  out[2] = a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1];
  out[3] = a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0];
}

void dtw__vscene_rel_pose(const dtw_vscene_t *sc, size_t body, double pos[3], double q[4]) {
  dtw_kin_body_pose(sc->kin, body, pos, q);
  int parent = dtw_kin_body_parent(sc->kin, body);
  if (parent <= 0) return;
  double pp[3], pq[4], inv[4], d[4] = {0, pos[0], pos[1], pos[2]}, t[4], r[4], qr[4];
  dtw_kin_body_pose(sc->kin, (size_t)parent, pp, pq);
  inv[0] = pq[0];
  inv[1] = -pq[1];
  inv[2] = -pq[2];
  inv[3] = -pq[3];
  for (int c = 0; c < 3; c++) d[c + 1] -= pp[c];
  qmul(inv, d, t); /* rotate the offset into the parent frame */
  qmul(t, pq, r);
  for (int c = 0; c < 3; c++) pos[c] = r[c + 1];
  qmul(inv, q, qr);
  memcpy(q, qr, sizeof qr);
}

int dtw_vscene_tf_add(dtw_vscene_t *sc, const dtw_vjoints_t *js, const char *prefix,
                      dtw_vbuf_t *b) {
  if (b->failed || b->len < 8) return DTW_ENOMEM;
  dtw_kin_reset(sc->kin);
  size_t n = js->n < js->n_position ? js->n : js->n_position;
  for (size_t i = 0; i < n; i++) {
    int adr = dtw_kin_joint_qpos(sc->kin, js->name[i]);
    if (adr >= 0) dtw_kin_set_qpos(sc->kin, adr, js->position[i]);
  }
  int rc = dtw_kin_forward(sc->kin);
  if (rc < 0) return rc;
  char parent[2 * DTW_NAME_MAX + 8], child[2 * DTW_NAME_MAX + 8], tmp[32];
  uint32_t count = tf_count(b);
  /* a tree as robot_state_publisher sends it: each body under its parent body,
   * top-level bodies under "world" (Foxglove's URDF layer adds the same edges) */
  for (size_t body = 1; body < sc->n_body; body++) {
    double pos[3], q[4];
    dtw__vscene_rel_pose(sc, body, pos, q);
    int p = dtw_kin_body_parent(sc->kin, body);
    if (p <= 0)
      snprintf(parent, sizeof parent, "world");
    else
      snprintf(parent, sizeof parent, "%s/%.*s", prefix, DTW_NAME_MAX,
               dtw__vscene_body_name(sc, (size_t)p, tmp, sizeof tmp));
    snprintf(child, sizeof child, "%s/%.*s", prefix, DTW_NAME_MAX,
             dtw__vscene_body_name(sc, body, tmp, sizeof tmp));
    w_u32(b, (uint32_t)js->sec);
    w_u32(b, js->nanosec);
    w_str(b, parent);
    w_str(b, child);
    for (int c = 0; c < 3; c++) w_f64(b, pos[c]);
    w_f64(b, q[1]); /* ROS order x y z w */
    w_f64(b, q[2]);
    w_f64(b, q[3]);
    w_f64(b, q[0]);
    count++;
  }
  if (b->failed) return DTW_ENOMEM;
  tf_set_count(b, count);
  return 0;
}

void dtw_vtf_end(dtw_vbuf_t *b) { (void)b; }

/* ---- scene JSON ------------------------------------------------------------ */

void dtw__vbuf_printf(dtw_vbuf_t *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
#define jf dtw__vbuf_printf

/* Names come from the model: keep them JSON-safe (no quotes, backslashes or controls). */
static void jstr(dtw_vbuf_t *b, const char *s) {
  put(b, "\"", 1);
  for (; *s; s++) {
    char c = *s;
    if (c == '"' || c == '\\' || (unsigned char)c < 0x20) c = '_';
    put(b, &c, 1);
  }
  put(b, "\"", 1);
}

static const char *const k_types[] = {"plane", "sphere", "capsule", "ellipsoid",
                                      "cylinder", "box", "mesh", "other"};

int dtw_vscene_json(const dtw_vscene_t *sc, dtw_vbuf_t *b) {
  b->len = 0;
  b->failed = 0;
  const dtw_kin_t *k = sc->kin;
  size_t ng = dtw_kin_geom_count(k);
  /* bodies with visual (non-colliding) geoms show those, the rest their collision geoms */
  char *has_visual = calloc(sc->n_body ? sc->n_body : 1, 1);
  if (has_visual == NULL) return DTW_ENOMEM;
  for (size_t i = 0; i < ng; i++) {
    dtw_kin_geom_t g;
    dtw_kin_geom(k, i, &g);
    if (!g.collides && g.type != DTW_KIN_OTHER) has_visual[g.body] = 1;
  }
  jf(b, "{\"bodies\":[");
  char tmp[32];
  for (size_t i = 0; i < sc->n_body; i++) {
    jf(b, "%s{\"name\":", i ? "," : "");
    jstr(b, dtw__vscene_body_name(sc, i, tmp, sizeof tmp));
    jf(b, ",\"parent\":%d,\"joint\":", dtw_kin_body_parent(k, i));
    jstr(b, dtw_kin_body_joint(k, i));
    jf(b, "}");
  }
  jf(b, "],\"geoms\":[");
  int first = 1;
  for (size_t i = 0; i < ng; i++) {
    dtw_kin_geom_t g;
    dtw_kin_geom(k, i, &g);
    if (g.body == 0 || g.type == DTW_KIN_OTHER || g.type == DTW_KIN_PLANE) continue;
    if (has_visual[g.body] && g.collides) continue;
    jf(b, "%s{\"body\":%d,\"type\":\"%s\",\"mesh\":%d,", first ? "" : ",", g.body,
       k_types[g.type], g.mesh);
    jf(b, "\"size\":[%.6g,%.6g,%.6g],\"pos\":[%.6g,%.6g,%.6g],", g.size[0], g.size[1], g.size[2],
       g.pos[0], g.pos[1], g.pos[2]);
    jf(b, "\"quat\":[%.6g,%.6g,%.6g,%.6g],\"rgba\":[%.3g,%.3g,%.3g,%.3g]}", g.quat[0], g.quat[1],
       g.quat[2], g.quat[3], (double)g.rgba[0], (double)g.rgba[1], (double)g.rgba[2],
       (double)g.rgba[3]);
    first = 0;
  }
  free(has_visual);
  jf(b, "],\"meshes\":[");
  size_t nm = dtw_kin_mesh_count(k);
  for (size_t m = 0; m < nm; m++) {
    const float *vert;
    const int *face;
    size_t nv, nf;
    if (dtw_kin_mesh(k, m, &vert, &nv, &face, &nf) < 0) continue;
    jf(b, "%s{\"vert\":[", m ? "," : "");
    for (size_t i = 0; i < 3 * nv; i++) jf(b, "%s%.5g", i ? "," : "", (double)vert[i]);
    jf(b, "],\"face\":[");
    for (size_t i = 0; i < 3 * nf; i++) jf(b, "%s%d", i ? "," : "", face[i]);
    jf(b, "]}");
  }
  jf(b, "]}");
  put(b, "", 1);
  if (b->failed) return DTW_ENOMEM;
  b->len--; /* NUL kept after the text, not counted */
  return 0;
}
