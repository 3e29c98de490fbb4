/* sim__compile.h - compile a robot description into a MuJoCo model. Internal to src/sim:
 * the simulator and the viewers' kinematics compile the same description the same way,
 * and the simulator and the dynamics read and edit their models with the same helpers. */
#ifndef DTW_SIM__COMPILE_H
#define DTW_SIM__COMPILE_H

#include <mujoco/mujoco.h>
#include <stddef.h>

#include "dtw/robot.h"

/* Body pairs that dtw__sim_compile excluded from contact. */
typedef struct dtw__sim_excluded {
  size_t n_pairs;   /* excluded */
  size_t n_unnamed; /* touching too, but a body has no name to exclude it by: kept */
  char names[512];  /* "body1/body2, ..." (cut short if long) */
} dtw__sim_excluded_t;

/* Compile desc (MJCF text + in-memory assets) into *out, under the compile lock.
 * Body pairs of one robot (same root body; the world's geoms never) that touch in
 * the initial state (keyframe 0, else qpos0) are excluded from contact (a second
 * compile with <exclude> elements): overlapping meshes of neighbouring links.
 * excl (may be NULL) says which.
 * Returns 0, DTW_EMODEL (with MuJoCo's message), DTW_EINVAL, DTW_EFULL,
 * DTW_ESIM (engine error in the initial state) or DTW_ENOMEM, with a message.
 * The caller frees *out with mj_deleteModel. */
int dtw__sim_compile(const dtw_robot_desc_t *desc, mjModel **out, dtw__sim_excluded_t *excl,
                     char *err, size_t errlen);

/* Largest |force| (N m or N at the joint: gain x ctrl within forcerange, x gear)
 * of motor actuator a, or of joint jnt's motor (0: none, or unlimited). */
double dtw__sim_actuator_effort(const mjModel *m, int a);
double dtw__sim_joint_effort(const mjModel *m, int jnt);

/* Adds kg (negative: takes it off) as a point mass at the centre of mass of
 * the body named body: body_mass and the subtree masses that hold it (a point
 * at the centre of mass leaves the inertia about it). Returns 0, or DTW_EINVAL
 * (no such body, the world, or its mass would not stay positive: nothing
 * changed). The caller's model: a payload on the simulator (dtw_sim_add_payload)
 * or on the dynamics (dtw_sim_dyn_add_mass). */
int dtw__sim_add_point_mass(mjModel *m, const char *body, double kg);

/* "euler", "implicit" or "rk4" for MuJoCo's integrator code; "unknown" otherwise
 * (sim_integrator.c, beside dtw_sim_integrator_code). */
const char *dtw__sim_integrator_name(int code);

#endif /* DTW_SIM__COMPILE_H */
