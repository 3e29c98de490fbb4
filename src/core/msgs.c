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
