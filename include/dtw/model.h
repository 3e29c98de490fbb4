/* dtw/model.h - load a robot description (URDF, xacro, MJCF) for the twin.
 *
 * URDF and xacro inputs are parsed with libxml2 and turned into a complete
 * MJCF document we control: every non-fixed joint gets a torque actuator
 * limited to the URDF effort limit, damping and friction carried over, limits
 * checked, optional free joint (floating base) or a test stand (root welded
 * to the world), merged with a world file (floor, lights). Collision geometry
 * is kept; visual geometry is kept too, in a group the physics ignores
 * (contype/conaffinity 0, group 1) so a viewer can show it later.
 * MJCF inputs pass through as they are; their joint table is then derived
 * from the compiled model by src/sim (desc->n_joints == 0).
 * This module never includes mujoco.h. */
#ifndef DTW_MODEL_H
#define DTW_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "dtw/robot.h"

typedef enum {
  DTW_BASE_FIXED = 0,   /* test stand: the root link hangs welded to the world */
  DTW_BASE_FLOATING = 1 /* free joint: the robot stands on the floor */
} dtw_base_mode_t;

typedef struct dtw_model_opts {
  const char *package_path;        /* for $(find pkg) and package://pkg/...; NULL = env */
  const char *world_file;          /* MJCF world merged with a URDF robot; NULL = none */
  dtw_base_mode_t base;
  double base_height_m;            /* root link height above the floor at start (the demo
                                      humanoid's soles touch the floor at 1.0) */
  double timestep_s;               /* MJCF <option timestep>; 0 = 0.001 */
  double armature;                 /* rotor inertia added per joint (kg m^2); helps stiff PD */
  bool self_collision;             /* robot geoms collide with each other (default false:
                                      they touch the world only, as on most twins) */
  const char *const *xacro_args;   /* "name=value" */
  size_t n_xacro_args;
} dtw_model_opts_t;

/* Defaults: fixed base, 1.0 m, 1 ms, armature 0.01, no world. */
void dtw_model_opts_default(dtw_model_opts_t *opts);

/* Load path (.urdf, .xacro, .urdf.xacro or MJCF .xml, detected by content:
 * root <robot> or <mujoco>; a <robot> is expanded as xacro when the name ends
 * in .xacro or the root declares the xacro namespace) into out. Every failure
 * names file, line and element: missing file, malformed XML, unknown joint
 * type, missing parent or child link, a kinematic cycle or a link with two
 * parents, lower limit above upper, a missing mesh file, unsupported mesh format.
 * Returns 0 or DTW_ENOENT (file or mesh missing) / DTW_EIO / DTW_EPARSE (XML,
 * numbers) / DTW_EMODEL / DTW_EUNSUP (floating or planar joint, .dae mesh) /
 * DTW_ENOMEM; out is untouched on failure. Allocates; call at start-up.
 *
 * Names in the MJCF generated for a URDF: bodies = link names; joints and
 * their <motor> actuators = URDF joint names, actuators in joint-table order
 * (actuator i drives out->joints[i]); free joint "floating_base" (floating
 * mode); geoms "<link>_collision" / "<link>_visual" (suffix _<i> when a link
 * has several); on the root body a site "imu" with sensors "imu_quat"
 * (framequat), "imu_gyro", "imu_accel". A root link named "world" is the
 * world itself (its children are welded to it; base mode ignored). */
int dtw_model_load(const char *path, const dtw_model_opts_t *opts, dtw_robot_desc_t *out,
                   char *err, size_t errlen);

#endif /* DTW_MODEL_H */
