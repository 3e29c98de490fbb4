/* model__mjcf.h - MJCF text from a validated URDF tree (internal to src/model). */
#ifndef DTW_MODEL__MJCF_H
#define DTW_MODEL__MJCF_H

#include <stddef.h>

#include <libxml/tree.h>

#include "dtw/model.h"
#include "dtw/robot.h"
#include "model__mesh.h"
#include "model__urdf.h"

/* Name of the free joint added in floating mode and of the IMU site on the root body. */
#define DTW__MJCF_FREEJOINT "floating_base"
#define DTW__MJCF_IMU_SITE "imu"

/* A parsed world MJCF to merge (root <mujoco>). */
typedef struct dtw__mjcf_world {
  xmlDocPtr doc;
  const char *file; /* for messages */
  const char *dir;  /* relative asset files (textures) resolve against it */
} dtw__mjcf_world_t;

/* Merge w into the MJCF document doc (mjcf_world.c): the world's <asset> and
 * <worldbody> children, named <default> classes, <visual>, <statistic> and
 * <size> (when doc has none), and <option> attributes and children except
 * the timestep (with robot_options_win, only those doc does not set). An
 * element doc already has (same tag and name, or a second skybox) is not
 * copied, with one warning. Relative files of the world are made absolute.
 * Returns 0, DTW_EMODEL (world root is not <mujoco>) or DTW_ENOMEM. */
int dtw__mjcf_merge_world(xmlDocPtr doc, const dtw__mjcf_world_t *w, bool robot_options_win,
                          char *err, size_t errlen);

/* The first child <name> of an MJCF root, created (appended) if asked; NULL if
 * absent and not created, or without memory. */
xmlNodePtr dtw__mjcf_section(xmlNodePtr root, const char *name, bool create);

/* Generate a complete <mujoco> document for u into *out (malloc'ed,
 * NUL-terminated, *len without the NUL). meshes: the converted meshes geoms
 * refer to (their in-memory file names are used); NULL to name the mesh files
 * on disk. world may be NULL; it is merged after the robot, so the robot's
 * root is body 1. Actuators are emitted in URDF joint document order
 * (actuator i = joint table entry i). Visual geoms marked dropped are left
 * out. A joint whose range excludes 0 starts at the middle of its range, as
 * ROS's joint_state_publisher starts it: keyframe 0, named "initial", then
 * holds the whole start pose (MuJoCo's reset uses it). Returns 0, DTW_ENOMEM, or DTW_EMODEL for a world file that cannot be
 * merged. */
int dtw__mjcf_generate(const dtw__urdf_t *u, const dtw_model_opts_t *opts,
                       const dtw__mesh_table_t *meshes, const dtw__mjcf_world_t *world,
                       char **out, size_t *len, char *err, size_t errlen);

/* MJCF geom name of visual/collision i of n of a link: "<link>_visual",
 * "<link>_collision_<i>" when the link has several. */
void dtw__mjcf_geom_name(const char *link, bool visual, size_t i, size_t n, char *buf,
                         size_t len);

/* The visuals of u for a viewer (see dtw_visual_desc_t): *out malloc'ed,
 * NULL with *n == 0 when there are none. Returns 0 or DTW_ENOMEM. */
int dtw__urdf_visuals(const dtw__urdf_t *u, dtw_visual_desc_t **out, size_t *n);

/* The actuated (non-fixed) joints of u in document order as a joint table
 * (*out malloc'ed; NULL with *n == 0 when there are none). */
int dtw__urdf_joint_table(const dtw__urdf_t *u, dtw_joint_desc_t **out, size_t *n);

#endif /* DTW_MODEL__MJCF_H */
