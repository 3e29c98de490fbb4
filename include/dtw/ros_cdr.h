/* dtw/ros_cdr.h - ROS 2 messages from serialized CDR (XCDR1, as rmw_cyclonedds
 * and rosbag2 store them: a 4-byte encapsulation header, little or big
 * endian, alignment counted from after the header) into the plain structs of
 * dtw/msgs.h, without DDS: for MCAP files (analyze, replay). Every length is
 * checked against the bytes left; a name longer than DTW_NAME_MAX - 1 or more
 * than DTW_MAX_JOINTS joints is refused, never truncated.
 * No allocation, thread-safe. Returns 0 or DTW_EPARSE / DTW_EFULL with the
 * reason in err. */
#ifndef DTW_ROS_CDR_H
#define DTW_ROS_CDR_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/msgs.h"

/* sensor_msgs/msg/JointState. */
int dtw_cdr_decode_joint_state(const uint8_t *data, size_t len, dtw_joint_state_msg_t *out,
                               char *err, size_t errlen);
/* trajectory_msgs/msg/JointTrajectory into a message set up with
 * dtw_traj_msg_init (DTW_EFULL beyond its cap_points). */
int dtw_cdr_decode_joint_trajectory(const uint8_t *data, size_t len,
                                    dtw_joint_trajectory_msg_t *out, char *err, size_t errlen);
/* Serialize a JointState (little endian) into buf; returns the length, or
 * DTW_EFULL when cap is too small. */
int dtw_cdr_encode_joint_state(const dtw_joint_state_msg_t *msg, uint8_t *buf, size_t cap);

#endif /* DTW_ROS_CDR_H */
