/* sim__compile.h - compile a robot description into a MuJoCo model. Internal to src/sim:
 * the simulator and the viewers' kinematics compile the same description the same way. */
#ifndef DTW_SIM__COMPILE_H
#define DTW_SIM__COMPILE_H

#include <mujoco/mujoco.h>
#include <stddef.h>

#include "dtw/robot.h"

/* Compile desc (MJCF text + in-memory assets) into *out, under the compile lock.
 * Returns 0, DTW_EMODEL (with MuJoCo's message), DTW_EINVAL, DTW_EFULL or
 * DTW_ENOMEM, with a message. The caller frees *out with mj_deleteModel. */
int dtw__sim_compile(const dtw_robot_desc_t *desc, mjModel **out, char *err, size_t errlen);

/* "euler", "implicit" or "rk4" for MuJoCo's integrator code; "unknown" otherwise
 * (sim_integrator.c, beside dtw_sim_integrator_code). */
const char *dtw__sim_integrator_name(int code);

#endif /* DTW_SIM__COMPILE_H */
