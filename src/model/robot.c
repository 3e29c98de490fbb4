/* Robot description helpers shared by every loader. */
#include "dtw/robot.h"

#include <stdlib.h>
#include <string.h>

void dtw_robot_desc_fini(dtw_robot_desc_t *desc) {
  free(desc->mjcf);
  free(desc->base_dir);
  free(desc->joints);
  for (size_t i = 0; i < desc->n_assets; i++) {
    free(desc->assets[i].name);
    free(desc->assets[i].data);
    free(desc->assets[i].source);
  }
  free(desc->assets);
  for (size_t i = 0; i < desc->n_visuals; i++) {
    free(desc->visuals[i].link);
    free(desc->visuals[i].mesh_uri);
    free(desc->visuals[i].mesh_path);
    free(desc->visuals[i].geom);
  }
  free(desc->visuals);
  memset(desc, 0, sizeof *desc);
}

int dtw_robot_joint_index_in(const dtw_joint_desc_t *joints, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(joints[i].name, name) == 0) return (int)i;
  return -1;
}

int dtw_robot_joint_index(const dtw_robot_desc_t *desc, const char *name) {
  return dtw_robot_joint_index_in(desc->joints, desc->n_joints, name);
}
