/* The motion `dtwin up` sends: a YAML file, or one generated from the model
 * when none fits the robot (dtw/motion_gen.h), kept clear of contacts
 * (dtw_twin_motion_clear). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/motion_gen.h"
#include "dtw/paths.h"
#include "dtw/traj_file.h"
#include "dtw/twin.h"
#include "up.h"

/* The first joint msg names that the twin does not have, or NULL. */
static const char *unknown_joint(const dtw_joint_trajectory_msg_t *msg, const dtw_twin_t *twin) {
  for (size_t k = 0; k < msg->n_joints; k++)
    if (dtw_robot_joint_index_in(dtw_twin_joints(twin), dtw_twin_joint_count(twin),
                                 msg->joint_names[k]) < 0)
      return msg->joint_names[k];
  return NULL;
}

static int generic(dtw_twin_t *twin, dtw_joint_trajectory_msg_t *msg, char *err,
                   size_t errlen) {
  dtw_motion_gen_opts_t o;
  dtw_motion_gen_opts_default(&o);
  dtw_joint_state_msg_t *js = malloc(sizeof *js);
  if (js == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  dtw_twin_get_joint_state(twin, js);
  int rc = dtw_motion_generic(dtw_twin_joints(twin), dtw_twin_joint_count(twin), js->position, &o,
                              msg, err, errlen);
  free(js);
  /* the limits say nothing of the floor under an arm or the robot's own meshes */
  size_t shrunk = 0;
  if (rc == 0) rc = dtw_twin_motion_clear(twin, msg, &shrunk, err, errlen);
  if (rc == 0)
    DTW_INFO("up", "generic motion for robot '%s': %zu joints in %zu waves, %.1f s%s",
             dtw_twin_robot(twin)->name, msg->n_joints,
             dtw_motion_generic_waves(msg->n_joints, &o),
             dtw_duration_to_s(msg->points[msg->n_points - 1].time_from_start),
             shrunk ? " (smaller where the model's contacts would stop it)" : "");
  return rc;
}

int dtwin_up_load_motion(const char *setting, struct dtw_twin *twin,
                         struct dtw_joint_trajectory_msg *msg, char *err, size_t errlen) {
  if (strcmp(setting, "generic") == 0) return generic(twin, msg, err, errlen);
  char path[4096];
  int rc;
  if ((rc = dtw_path_resolve(setting, path, sizeof path, err, errlen)) < 0 ||
      (rc = dtw_traj_file_load(path, msg, err, errlen)) < 0)
    return rc;
  const char *missing = unknown_joint(msg, twin);
  if (missing == NULL) return 0;
  if (strcmp(setting, DTWIN_UP_DEFAULT_MOTION) == 0) {
    DTW_INFO("up", "%s names joint '%s' that robot '%s' does not have: sending the generic motion",
             setting, missing, dtw_twin_robot(twin)->name);
    return generic(twin, msg, err, errlen);
  }
  return dtw_errf(err, errlen, DTW_EINVAL, "up.motion: %s names joint '%s' that robot '%s' does not have",
                  setting, missing, dtw_twin_robot(twin)->name);
}
