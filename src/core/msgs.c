/* Plain message helpers: time conversion and trajectory storage. */
#include "dtw/msgs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"

dtw_time_t dtw_time_from_ns(int64_t ns) {
  int64_t sec = ns / 1000000000;
  int64_t rem = ns % 1000000000;
  if (rem < 0) {
    rem += 1000000000;
    sec -= 1;
  }
  return (dtw_time_t){(int32_t)sec, (uint32_t)rem};
}

int64_t dtw_time_to_ns(dtw_time_t t) { return (int64_t)t.sec * 1000000000 + t.nanosec; }

dtw_time_t dtw_time_from_s(double s) { return dtw_time_from_ns((int64_t)llround(s * 1e9)); }

dtw_duration_t dtw_duration_from_s(double s) {
  dtw_time_t t = dtw_time_from_s(s);
  return (dtw_duration_t){t.sec, t.nanosec};
}

int dtw_traj_msg_init(dtw_joint_trajectory_msg_t *msg, size_t cap_points) {
  memset(msg, 0, sizeof *msg);
  if (cap_points == 0) return DTW_EINVAL;
  msg->points = calloc(cap_points, sizeof *msg->points);
  msg->storage = calloc(cap_points * 4 * DTW_MAX_JOINTS, sizeof *msg->storage);
  if (msg->points == NULL || msg->storage == NULL) {
    dtw_traj_msg_fini(msg);
    return DTW_ENOMEM;
  }
  msg->cap_points = cap_points;
  return 0;
}

void dtw_traj_msg_fini(dtw_joint_trajectory_msg_t *msg) {
  free(msg->points);
  free(msg->storage);
  memset(msg, 0, sizeof *msg);
}

void dtw_traj_msg_clear(dtw_joint_trajectory_msg_t *msg) {
  msg->stamp = (dtw_time_t){0, 0};
  msg->frame_id[0] = '\0';
  msg->n_joints = 0;
  msg->n_points = 0;
}

dtw_traj_point_t *dtw_traj_msg_add_point(dtw_joint_trajectory_msg_t *msg) {
  if (msg->n_points >= msg->cap_points) return NULL;
  size_t k = msg->n_points++;
  dtw_traj_point_t *p = &msg->points[k];
  double *base = msg->storage + k * 4 * DTW_MAX_JOINTS;
  *p = (dtw_traj_point_t){0};
  p->positions = base;
  p->velocities = base + DTW_MAX_JOINTS;
  p->accelerations = base + 2 * DTW_MAX_JOINTS;
  p->effort = base + 3 * DTW_MAX_JOINTS;
  return p;
}

int dtw_traj_msg_copy(dtw_joint_trajectory_msg_t *dst, const dtw_joint_trajectory_msg_t *src) {
  if (src->n_points > dst->cap_points) return DTW_EFULL;
  dtw_traj_msg_clear(dst);
  dst->stamp = src->stamp;
  memcpy(dst->frame_id, src->frame_id, sizeof dst->frame_id);
  dst->n_joints = src->n_joints;
  memcpy(dst->joint_names, src->joint_names, sizeof dst->joint_names);
  for (size_t k = 0; k < src->n_points; k++) {
    const dtw_traj_point_t *s = &src->points[k];
    dtw_traj_point_t *d = dtw_traj_msg_add_point(dst);
    d->n_positions = s->n_positions;
    d->n_velocities = s->n_velocities;
    d->n_accelerations = s->n_accelerations;
    d->n_effort = s->n_effort;
    d->time_from_start = s->time_from_start;
    memcpy(d->positions, s->positions, s->n_positions * sizeof(double));
    memcpy(d->velocities, s->velocities, s->n_velocities * sizeof(double));
    memcpy(d->accelerations, s->accelerations, s->n_accelerations * sizeof(double));
    memcpy(d->effort, s->effort, s->n_effort * sizeof(double));
  }
  return 0;
}
