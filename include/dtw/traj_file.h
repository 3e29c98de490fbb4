/* dtw/traj_file.h - joint trajectories written by hand as YAML motion files.
 *
 *   # wave: raise the right arm and wave
 *   joint_names: [right_shoulder_pitch, right_shoulder_roll, right_elbow]
 *   points:
 *     - {positions: [0.0, 0.0, 0.0], time_from_start: 0.0}
 *     - {positions: [-2.5, -0.3, 1.0], velocities: [0, 0, 0], time_from_start: 1.5}
 *
 * Top-level keys: joint_names (required), points (required), frame_id.
 * Point keys: positions (required), velocities, accelerations,
 * time_from_start (seconds, or {sec: , nanosec: }; required). Each array has
 * one number per joint name. The loader checks the file's shape; whether the
 * motion suits a controller (limits, times...) is dtw_jtc_validate's job. */
#ifndef DTW_TRAJ_FILE_H
#define DTW_TRAJ_FILE_H

#include <stddef.h>

#include "dtw/msgs.h"

/* Load the motion at path into out (stamp zero = "start on receipt").
 * If out->cap_points is 0 (a zeroed message), out is initialised with
 * exactly as many points as the file has (allocates; free it with
 * dtw_traj_msg_fini); otherwise out's storage is reused and a file with more
 * than cap_points points is refused (DTW_EFULL).
 * Returns 0; DTW_ENOENT/DTW_EIO (file), DTW_EPARSE/DTW_ERANGE/DTW_EFULL with
 * "file:line: key: message"; DTW_ENOMEM. On failure out holds no points (a
 * message the loader initialised is freed again). Thread-safe. */
int dtw_traj_file_load(const char *path, dtw_joint_trajectory_msg_t *out, char *err,
                       size_t errlen);

#endif /* DTW_TRAJ_FILE_H */
