/* Shared fixtures of the tests/unit/test_sync_*.c tests: the demo humanoid's
 * joints, settings and message builders. Header-only (static functions). */
#ifndef TEST_SYNC_UTIL_H
#define TEST_SYNC_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dtw/config.h"
#include "dtw/err.h"
#include "dtw/sync.h"

#include "common/harness.h"

static const char *const HUMANOID[] = {
    "left_hip_yaw",        "left_hip_roll",      "left_hip_pitch",    "left_knee",
    "left_ankle_pitch",    "left_ankle_roll",    "right_hip_yaw",     "right_hip_roll",
    "right_hip_pitch",     "right_knee",         "right_ankle_pitch", "right_ankle_roll",
    "torso_yaw",           "left_shoulder_pitch", "left_shoulder_roll", "left_shoulder_yaw",
    "left_elbow",          "right_shoulder_pitch", "right_shoulder_roll", "right_shoulder_yaw",
    "right_elbow",         "neck_yaw",           "neck_pitch"};
#define NJ (sizeof HUMANOID / sizeof HUMANOID[0])
#define J_LEFT_KNEE 3
#define J_LEFT_ANKLE_PITCH 4
#define J_TORSO 12

/* Table defaults, with robot stamps taken as twin time (fixed, offset 0). */
static inline dtw_sync_settings_t sync_settings(void) {
  dtw_sync_settings_t st;
  assert_int_equal(dtw_param_defaults(&dtw_sync_param_table, &st), 0);
  snprintf(st.time_alignment, sizeof st.time_alignment, "fixed");
  st.time_offset_s = 0;
  return st;
}

static inline dtw_sync_t *sync_new(const dtw_sync_settings_t *st) {
  dtw_sync_t *s = NULL;
  char err[256] = "";
  int rc = dtw_sync_create(st, HUMANOID, NJ, &s, err, sizeof err);
  if (rc != 0) fail_msg("dtw_sync_create: %d %s", rc, err);
  return s;
}

/* A message naming the joints idx[0..n) with positions pos (and velocities
 * vel if not NULL). */
static inline void sync_msg(dtw_joint_state_msg_t *m, double stamp, const size_t *idx, size_t n,
                            const double *pos, const double *vel) {
  memset(m, 0, sizeof *m);
  m->stamp = dtw_time_from_s(stamp);
  m->n_name = m->n_position = n;
  m->n_velocity = vel != NULL ? n : 0;
  for (size_t k = 0; k < n; k++) {
    snprintf(m->name[k], DTW_NAME_MAX, "%s", HUMANOID[idx[k]]);
    m->position[k] = pos[k];
    if (vel != NULL) m->velocity[k] = vel[k];
  }
}

/* A full message: every joint at position pos[j] (velocity vel[j] if given). */
static inline void sync_msg_all(dtw_joint_state_msg_t *m, double stamp, const double *pos,
                                const double *vel) {
  size_t idx[NJ];
  for (size_t j = 0; j < NJ; j++) idx[j] = j;
  sync_msg(m, stamp, idx, NJ, pos, vel);
}

/* Every joint at the same position p (velocity v). */
static inline void sync_msg_uniform(dtw_joint_state_msg_t *m, double stamp, double p, double v) {
  double pos[NJ], vel[NJ];
  for (size_t j = 0; j < NJ; j++) {
    pos[j] = p;
    vel[j] = v;
  }
  sync_msg_all(m, stamp, pos, vel);
}

static inline void twin_uniform(dtw_sync_t *s, double stamp, double recv, double p, double v) {
  dtw_joint_state_msg_t m;
  sync_msg_uniform(&m, stamp, p, v);
  assert_int_equal(dtw_sync_on_twin_sample(s, &m, recv), 0);
}

static inline dtw_sync_outcome_t robot_uniform(dtw_sync_t *s, double stamp, double recv, double p,
                                               double v) {
  dtw_joint_state_msg_t m;
  dtw_sync_outcome_t o = DTW_SYNC_OUTCOME_COUNT;
  sync_msg_uniform(&m, stamp, p, v);
  assert_int_equal(dtw_sync_on_robot_sample(s, &m, recv, &o), 0);
  return o;
}

static inline dtw_sync_report_t *sync_report_at(dtw_sync_t *s, double now, dtw_sync_report_t *r) {
  assert_true(dtw_sync_tick(s, now) >= 0);
  dtw_sync_report(s, r);
  return r;
}

/* The value of key among n status key/values, or NULL. */
static inline const char *kv_get(const dtw_sync_kv_t *kv, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(kv[i].key, key) == 0) return kv[i].value;
  return NULL;
}

#endif /* TEST_SYNC_UTIL_H */
