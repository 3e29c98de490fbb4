/* dtw/msgs.h - plain C forms of the ROS 2 messages components exchange.
 *
 * Components (twin, controller, sync...) speak these; only src/bus converts
 * them to and from DDS samples. Fixed capacities keep them allocation-free:
 * a message that does not fit is refused by the bus, never truncated. */
#ifndef DTW_MSGS_H
#define DTW_MSGS_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/limits.h"

/* builtin_interfaces/Time and Duration */
typedef struct { int32_t sec; uint32_t nanosec; } dtw_time_t;
typedef struct { int32_t sec; uint32_t nanosec; } dtw_duration_t;

static inline double dtw_time_to_s(dtw_time_t t) { return (double)t.sec + 1e-9 * (double)t.nanosec; }
static inline double dtw_duration_to_s(dtw_duration_t d) { return (double)d.sec + 1e-9 * (double)d.nanosec; }
/* Split seconds (>= 0 or negative) into sec/nanosec with 0 <= nanosec < 1e9. */
dtw_time_t dtw_time_from_s(double s);
dtw_duration_t dtw_duration_from_s(double s);
dtw_time_t dtw_time_from_ns(int64_t ns);
int64_t dtw_time_to_ns(dtw_time_t t);

/* sensor_msgs/JointState. The array counts are independent, as in ROS 2:
 * position/velocity/effort are either empty or as long as name. */
typedef struct dtw_joint_state_msg {
  dtw_time_t stamp;
  char frame_id[DTW_NAME_MAX];
  size_t n_name, n_position, n_velocity, n_effort;
  char name[DTW_MAX_JOINTS][DTW_NAME_MAX];
  double position[DTW_MAX_JOINTS];
  double velocity[DTW_MAX_JOINTS];
  double effort[DTW_MAX_JOINTS];
} dtw_joint_state_msg_t;

/* trajectory_msgs/JointTrajectoryPoint; arrays point into the owning
 * trajectory's storage and hold n_* values each (0 = absent). */
typedef struct dtw_traj_point {
  size_t n_positions, n_velocities, n_accelerations, n_effort;
  double *positions, *velocities, *accelerations, *effort;
  dtw_duration_t time_from_start;
} dtw_traj_point_t;

/* trajectory_msgs/JointTrajectory with storage for up to cap_points points. */
typedef struct dtw_joint_trajectory_msg {
  dtw_time_t stamp;            /* header.stamp; zero = start now */
  char frame_id[DTW_NAME_MAX];
  size_t n_joints;
  char joint_names[DTW_MAX_JOINTS][DTW_NAME_MAX];
  size_t n_points, cap_points;
  dtw_traj_point_t *points;    /* cap_points entries */
  double *storage;             /* cap_points * 4 * DTW_MAX_JOINTS doubles */
} dtw_joint_trajectory_msg_t;

/* Allocate storage for cap_points points (allocates; call outside hot loops).
 * Returns 0, DTW_EINVAL (cap 0) or DTW_ENOMEM. */
int dtw_traj_msg_init(dtw_joint_trajectory_msg_t *msg, size_t cap_points);
/* Free storage; safe on a zeroed msg. */
void dtw_traj_msg_fini(dtw_joint_trajectory_msg_t *msg);
/* Forget all points and names, keep storage. */
void dtw_traj_msg_clear(dtw_joint_trajectory_msg_t *msg);
/* Append a point with its arrays wired to storage (counts zero). Returns the
 * point or NULL when cap_points is reached. */
dtw_traj_point_t *dtw_traj_msg_add_point(dtw_joint_trajectory_msg_t *msg);

/* One trajectory point with inline storage (control_msgs state fields). */
typedef struct dtw_jtc_point_msg {
  size_t n_positions, n_velocities, n_accelerations, n_effort;
  double positions[DTW_MAX_JOINTS];
  double velocities[DTW_MAX_JOINTS];
  double accelerations[DTW_MAX_JOINTS];
  double effort[DTW_MAX_JOINTS];
  dtw_duration_t time_from_start;
} dtw_jtc_point_msg_t;

/* control_msgs/JointTrajectoryControllerState (Humble). The deprecated
 * desired/actual fields are published as copies of reference/feedback, the
 * multi_dof_* fields empty. */
typedef struct dtw_jtc_state_msg {
  dtw_time_t stamp;
  char frame_id[DTW_NAME_MAX];
  size_t n_joints;
  char joint_names[DTW_MAX_JOINTS][DTW_NAME_MAX];
  dtw_jtc_point_msg_t reference, feedback, error, output;
} dtw_jtc_state_msg_t;

#endif /* DTW_MSGS_H */
