/* ros_cdr.c - JointState / JointTrajectory from and to CDR (dtw/ros_cdr.h). */
#include <stdbool.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/ros_cdr.h"

typedef struct rd {
  const uint8_t *base; /* after the encapsulation header: alignment origin */
  size_t len, pos;
  bool be, bad;
  const char *why;
} rd_t;

static void align(rd_t *r, size_t n) { r->pos = (r->pos + n - 1) & ~(n - 1); }

static bool need(rd_t *r, size_t n, const char *what) {
  if (r->bad) return false;
  if (r->pos > r->len || r->len - r->pos < n) {
    r->bad = true;
    r->why = what;
    return false;
  }
  return true;
}

static uint32_t rd_u32(rd_t *r, const char *what) {
  align(r, 4);
  if (!need(r, 4, what)) return 0;
  const uint8_t *p = r->base + r->pos;
  r->pos += 4;
  return r->be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static double rd_f64(rd_t *r, const char *what) {
  align(r, 8);
  if (!need(r, 8, what)) return 0;
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = r->base[r->pos + (size_t)(r->be ? 7 - i : i)];
  r->pos += 8;
  double v;
  memcpy(&v, b, sizeof v);
  return v;
}

/* A CDR string (u32 length with the NUL, bytes) into out[cap]. */
static void rd_str(rd_t *r, char *out, size_t cap, const char *what) {
  uint32_t n = rd_u32(r, what);
  if (r->bad) return;
  if (n == 0 || !need(r, n, what)) {
    if (!r->bad) { r->bad = true; r->why = what; }
    return;
  }
  if (n > cap) { r->bad = true; r->why = "a name longer than the message holds"; return; }
  memcpy(out, r->base + r->pos, n);
  out[n - 1] = 0;
  r->pos += n;
}

static size_t rd_count(rd_t *r, size_t max, const char *what) {
  uint32_t n = rd_u32(r, what);
  if (!r->bad && n > max) { r->bad = true; r->why = "more joints than the message holds"; }
  return r->bad ? 0 : n;
}

static void rd_doubles(rd_t *r, double *out, size_t *n_out, size_t max, const char *what) {
  size_t n = rd_count(r, max, what);
  for (size_t i = 0; i < n && !r->bad; i++) out[i] = rd_f64(r, what);
  *n_out = r->bad ? 0 : n;
}

static int start(rd_t *r, const uint8_t *data, size_t len, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  if (len < 4 || data[0] != 0 || data[1] > 1)
    return dtw_errf(err, errlen, DTW_EPARSE, "not plain CDR (encapsulation header)");
  r->be = data[1] == 0;
  r->base = data + 4;
  r->len = len - 4;
  return 0;
}

static int finish(const rd_t *r, char *err, size_t errlen, const char *type) {
  if (!r->bad) return 0;
  return dtw_errf(err, errlen, strstr(r->why, "holds") ? DTW_EFULL : DTW_EPARSE,
                  "%s: %s at byte %zu", type, r->why, r->pos + 4);
}

int dtw_cdr_decode_joint_state(const uint8_t *data, size_t len, dtw_joint_state_msg_t *m,
                               char *err, size_t errlen) {
  rd_t r;
  if (start(&r, data, len, err, errlen)) return DTW_EPARSE;
  m->stamp.sec = (int32_t)rd_u32(&r, "header.stamp");
  m->stamp.nanosec = rd_u32(&r, "header.stamp");
  rd_str(&r, m->frame_id, sizeof m->frame_id, "header.frame_id");
  m->n_name = rd_count(&r, DTW_MAX_JOINTS, "name");
  for (size_t i = 0; i < m->n_name && !r.bad; i++) rd_str(&r, m->name[i], DTW_NAME_MAX, "name");
  rd_doubles(&r, m->position, &m->n_position, DTW_MAX_JOINTS, "position");
  rd_doubles(&r, m->velocity, &m->n_velocity, DTW_MAX_JOINTS, "velocity");
  rd_doubles(&r, m->effort, &m->n_effort, DTW_MAX_JOINTS, "effort");
  return finish(&r, err, errlen, "JointState");
}

int dtw_cdr_decode_joint_trajectory(const uint8_t *data, size_t len,
                                    dtw_joint_trajectory_msg_t *m, char *err, size_t errlen) {
  rd_t r;
  if (start(&r, data, len, err, errlen)) return DTW_EPARSE;
  dtw_traj_msg_clear(m);
  m->stamp.sec = (int32_t)rd_u32(&r, "header.stamp");
  m->stamp.nanosec = rd_u32(&r, "header.stamp");
  rd_str(&r, m->frame_id, sizeof m->frame_id, "header.frame_id");
  m->n_joints = rd_count(&r, DTW_MAX_JOINTS, "joint_names");
  for (size_t i = 0; i < m->n_joints && !r.bad; i++)
    rd_str(&r, m->joint_names[i], DTW_NAME_MAX, "joint_names");
  uint32_t n_points = rd_u32(&r, "points");
  for (uint32_t k = 0; k < n_points && !r.bad; k++) {
    dtw_traj_point_t *p = dtw_traj_msg_add_point(m);
    if (!p) { r.bad = true; r.why = "more points than the message holds"; break; }
    rd_doubles(&r, p->positions, &p->n_positions, DTW_MAX_JOINTS, "positions");
    rd_doubles(&r, p->velocities, &p->n_velocities, DTW_MAX_JOINTS, "velocities");
    rd_doubles(&r, p->accelerations, &p->n_accelerations, DTW_MAX_JOINTS, "accelerations");
    rd_doubles(&r, p->effort, &p->n_effort, DTW_MAX_JOINTS, "effort");
    p->time_from_start.sec = (int32_t)rd_u32(&r, "time_from_start");
    p->time_from_start.nanosec = rd_u32(&r, "time_from_start");
  }
  return finish(&r, err, errlen, "JointTrajectory");
}

typedef struct wb {
  uint8_t *p;
  size_t cap, pos;
  bool full;
} wb_t;

static void w_align(wb_t *w, size_t n) {
  while ((w->pos - 4) % n) {
    if (w->pos < w->cap) w->p[w->pos] = 0;
    else w->full = true;
    w->pos++;
  }
}
static void w_bytes(wb_t *w, const void *d, size_t n) {
  if (w->pos + n > w->cap) { w->full = true; w->pos += n; return; }
  memcpy(w->p + w->pos, d, n);
  w->pos += n;
}
static void w_u32(wb_t *w, uint32_t v) {
  w_align(w, 4);
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  w_bytes(w, b, 4);
}
static void w_str(wb_t *w, const char *s) {
  size_t n = strlen(s) + 1;
  w_u32(w, (uint32_t)n);
  w_bytes(w, s, n);
}
static void w_doubles(wb_t *w, const double *v, size_t n) {
  w_u32(w, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    w_align(w, 8);
    uint64_t u;
    memcpy(&u, &v[i], sizeof u);
    uint8_t b[8];
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)(u >> (8 * k));
    w_bytes(w, b, 8);
  }
}

int dtw_cdr_encode_joint_state(const dtw_joint_state_msg_t *m, uint8_t *buf, size_t cap) {
  wb_t w = {buf, cap, 0, false};
  static const uint8_t hdr[4] = {0, 1, 0, 0};
  w_bytes(&w, hdr, 4);
  w_u32(&w, (uint32_t)m->stamp.sec);
  w_u32(&w, m->stamp.nanosec);
  w_str(&w, m->frame_id);
  w_u32(&w, (uint32_t)m->n_name);
  for (size_t i = 0; i < m->n_name; i++) w_str(&w, m->name[i]);
  w_doubles(&w, m->position, m->n_position);
  w_doubles(&w, m->velocity, m->n_velocity);
  w_doubles(&w, m->effort, m->n_effort);
  return w.full ? DTW_EFULL : (int)w.pos;
}
