/* dtw/model.h - load a robot description (URDF, xacro, MJCF) for the twin.
 *
 * URDF and xacro inputs are parsed with libxml2 and turned into a complete
 * MJCF document we control: every revolute, continuous and prismatic joint
 * gets a torque actuator limited to the URDF effort limit, damping and
 * friction carried over, limits checked, optional free joint (floating base)
 * or a test stand (root welded to the world), merged with a world file
 * (floor, lights). What is accepted follows urdfdom (src/model/model__urdf.h
 * lists it): what ROS tools load, dtwin loads, with one warning line per kind
 * of thing it ignores. Meshes (STL, OBJ, DAE and whatever else libassimp
 * reads) are converted into MuJoCo meshes held in memory (desc->assets);
 * Collada units are honoured and its up axis ignored, as rviz does.
 * Collision geometry is kept; visual geometry is kept too, in a group the
 * physics ignores (contype/conaffinity 0, group 1); every URDF visual is also
 * listed in desc->visuals for a viewer, including those left out of the MJCF.
 * MJCF inputs written for MuJoCo 3 are translated to MuJoCo 2.2.2 (the
 * version Debian ships; docs/robot-import.md lists what is translated and
 * what is refused); otherwise they pass through as they are unless a base
 * mode asks for a change. Their joint table is derived from the compiled
 * model by src/sim (desc->n_joints == 0).
 * This module never includes mujoco.h. */
#ifndef DTW_MODEL_H
#define DTW_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "dtw/robot.h"

typedef enum {
  DTW_BASE_FIXED = 0,     /* test stand: the root link hangs welded to the world */
  DTW_BASE_FLOATING = 1,  /* free joint: the robot stands on the floor */
  DTW_BASE_AS_MODELED = 2 /* URDF: as FIXED; MJCF: as the file has it (text unchanged
                             unless it needs translating, no world merged) */
} dtw_base_mode_t;

/* Clearance under the lowest collision geometry on the test stand (automatic
 * base height, fixed base): the feet swing free. */
#define DTW_MODEL_STAND_CLEARANCE_M 0.3

typedef struct dtw_model_opts {
  const char *package_path;        /* for $(find pkg) and package://pkg/...; NULL = env */
  const char *world_file;          /* MJCF world merged with the robot (an MJCF robot: with a
                                      base mode, unless it has a floor); NULL = none */
  dtw_base_mode_t base;            /* FIXED and FLOATING apply to MJCF robots too: the root
                                      body's free joint is removed or added, the world merged
                                      (unless the MJCF has a floor of its own), base height and
                                      timestep set as for a URDF robot */
  double base_height_m;            /* root body height above the floor at start (the demo
                                      humanoid's soles touch the floor at 1.0); 0 = automatic:
                                      the standing height, where the lowest collision geometry
                                      touches z = 0, plus DTW_MODEL_STAND_CLEARANCE_M on the
                                      test stand (src/sim places it, see dtw_robot_desc_t) */
  double timestep_s;               /* MJCF <option timestep>; 0 = 0.001 for a URDF, the file's
                                      own for an MJCF (which gets it only with a base mode) */
  double armature;                 /* rotor inertia added per joint (kg m^2); helps stiff PD */
  bool self_collision;             /* robot geoms collide with each other (default false:
                                      they touch the world only, as on most twins) */
  bool check_implicit;             /* check MuJoCo 2.2.2's stack limit as if the integrator
                                      were implicit (as the twin's default world has it) even
                                      when the document says otherwise: `model check` without
                                      a world (default false) */
  const char *const *xacro_args;   /* "name=value" */
  size_t n_xacro_args;
} dtw_model_opts_t;

/* Defaults: base as modelled (URDF: fixed), 1.0 m, 1 ms, armature 0.01, no world. */
void dtw_model_opts_default(dtw_model_opts_t *opts);

/* Load path (.urdf, .xacro, .urdf.xacro or MJCF .xml, detected by content:
 * root <robot> or <mujoco>; a <robot> is expanded as xacro when the name ends
 * in .xacro or the root declares the xacro namespace) into out. Every failure
 * names file, line and element: missing file, malformed XML, unknown joint
 * type, missing parent or child link, a kinematic cycle or a link with two
 * parents, lower limit above upper, a collision mesh that is missing (a
 * package:// path names the package and where it was searched), unreadable,
 * empty or flat, a MuJoCo 3 construct with no MuJoCo 2.2.2 equivalent, a
 * value beyond the physical bounds docs/robot-import.md gives (1e4 m, 1e6 kg,
 * 1e14 kg m^2; NaN or infinity anywhere), a model beyond MuJoCo 2.2.2's own
 * limits (elements nested deeper than 99 levels, more than 65535 bodies, more
 * stack than MuJoCo gives it: DTW_EUNSUP).
 * Returns 0 or DTW_ENOENT (file or collision mesh missing) / DTW_EIO /
 * DTW_EPARSE (XML, numbers) / DTW_EMODEL / DTW_EUNSUP (a format or MJCF
 * construct that cannot be used) / DTW_ENOMEM; out is untouched on failure.
 * Allocates; call at start-up. Thread-safe (mesh import is serialised).
 *
 * Names in the MJCF generated for a URDF: bodies = link names; joints and
 * their <motor> actuators = URDF joint names, actuators in joint-table order
 * (actuator i drives out->joints[i]); free joint "floating_base" (floating
 * mode); geoms "<link>_collision" / "<link>_visual" (suffix _<i> when a link
 * has several; numbered among all of the link's visuals or collisions);
 * mesh assets "mesh_<k>" whose files are desc->assets; passive joints for a
 * URDF floating joint "<name>_x/_y/_z/_rot" (a free joint "<name>" at the top
 * level) and planar joint "<name>_u/_v/_rot"; on the root body a site "imu"
 * (a frame only: no sensors, since nothing reads them and MuJoCo computes every
 * sensor each step). A root link named "world" is the
 * world itself (its children are welded to it; base mode ignored). */
int dtw_model_load(const char *path, const dtw_model_opts_t *opts, dtw_robot_desc_t *out,
                   char *err, size_t errlen);

#endif /* DTW_MODEL_H */
