/* dtw/jtc_derive.h - a joint trajectory controller configuration derived from
 * the robot model, for robots that come with no controllers file, and its
 * ros2_control parameter file (to print, tune and load again).
 *
 * Pure functions on plain arrays: no MuJoCo (the caller measures the
 * inertias, see dtw_sim_joint_inertia), no allocation, thread-safe.
 *
 * Derivation (docs/controllers.md). The caller measures the joint-space
 * inertia matrix M (armature included) of the actuated joints at a few poses
 * (the rest pose first). Per joint, the effective inertia is
 * D_i = max over the poses of M_ii (what joint i moves with the others held),
 * and with a natural frequency w_i and one damping ratio zeta
 *   p = D_i w_i^2,  d = 2 zeta D_i w_i,  i = 0, i_clamp = 0, ff_velocity_scale 0
 * (the twin adds the model's gravity/Coriolis efforts, so no integral is
 * needed for a static error; add one when tuning against a real robot).
 * w_i = 2 pi bandwidth_hz, lowered to sqrt(effort_i / (D_i 0.1 rad)) for an
 * actuator too weak to deliver p x 0.1 rad (it would run saturated, with its
 * damping drowned, through every larger error and overshoot).
 * The controller runs once per physics step dt and its effort is held over
 * the step (explicit in the damping), so the loop is a discrete system: with
 * G = diag(dt^2 p_i / 4 + dt d_i / 2) it is stable when
 * lambda_min(G^-1/2 M G^-1/2) > 1 (for a single joint: a + 2b < 4 with
 * a = (w dt)^2, b = 2 zeta w dt; tests/unit/test_jtc_derive.c checks the
 * bound). Coupled joints (a knee and a hip with parallel axes, a hip's yaw and
 * roll near alignment) lower it, and then it is the damping term that the
 * timestep limits. So, over every pose given, with margin = stability_margin:
 *   the stiffness alone (zeta 0) must keep lambda >= 2 / margin, else every w_i
 *   is scaled down until it does;
 *   zeta = the largest <= damping_ratio that keeps lambda >= 1 / margin, and
 *   if that is below 0.1, zeta = 0.1 and every w_i is scaled down instead.
 * Tolerances follow the demo humanoid's file: path 0.5 rad, goal 0.08 rad
 * (each at most half / a tenth of a limited joint's range; x 0.1 for
 * prismatic joints, in m), stopped velocity 0.1; goal_time the larger of 5 s
 * (a step that saturates the efforts takes seconds) and 10 / (zeta w_min);
 * partial goals allowed. */
#ifndef DTW_JTC_DERIVE_H
#define DTW_JTC_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dtw/jtc.h"
#include "dtw/robot.h"

typedef struct dtw_jtc_derive_opts {
  const char *name;          /* controller name (topics <name>/joint_trajectory) */
  double timestep_s;         /* physics = controller period, > 0 */
  double bandwidth_hz;       /* highest closed-loop natural frequency, > 0 */
  double damping_ratio;      /* zeta, > 0 */
  double stability_margin;   /* fraction of the discrete stability limit, (0, 1] */
} dtw_jtc_derive_opts_t;

/* What the derivation chose, for logs and the printed file's header. */
typedef struct dtw_jtc_derive_info {
  double omega_rad_s;        /* largest w used */
  double omega_min_rad_s;    /* smallest (a weak actuator's) */
  double zeta;               /* damping ratio used */
  double mu_min;             /* smallest eigenvalue of D^-1/2 M D^-1/2 over the poses */
  double stability_use;      /* 1 / lambda_min(G^-1/2 M G^-1/2): 1 = at the limit */
} dtw_jtc_derive_info_t;

/* Defaults: name "joint_trajectory_controller", dt 1 ms, 10 Hz, zeta 1, margin 0.5. */
void dtw_jtc_derive_opts_default(dtw_jtc_derive_opts_t *o);

/* Derive a configuration for joints[0..n) (every joint of the table, in its
 * order) from n_blocks >= 1 row-major n x n joint-space inertia matrices
 * (block k at blocks + k*n*n, block 0 at the rest pose). Fills out (defaults
 * first) and info (may be NULL). Returns 0 or DTW_EINVAL (n 0 or above
 * DTW_MAX_JOINTS, no block, a non-positive or non-finite diagonal naming the
 * joint, a block that is not positive definite, bad options) with a message. */
int dtw_jtc_derive(const dtw_joint_desc_t *joints, size_t n, const double *blocks,
                   size_t n_blocks, const dtw_jtc_derive_opts_t *o, dtw_jtc_config_t *out,
                   dtw_jtc_derive_info_t *info, char *err, size_t errlen);

/* Smallest eigenvalue of the symmetric n x n matrix D^-1/2 A D^-1/2, D =
 * diag(d) (Jacobi rotations on a copy; n <= DTW_MAX_JOINTS). Returns NaN for
 * bad input. */
double dtw_jtc_scaled_min_eigenvalue(const double *a, const double *d, size_t n);

/* True if every joint cfg names is in joints[0..n) (the configuration can
 * drive this robot, maybe not all of it). */
bool dtw_jtc_config_fits(const dtw_jtc_config_t *cfg, const dtw_joint_desc_t *joints, size_t n);

/* Write cfg as a ros2_control parameter file (controller_manager with
 * update_rate and the controller's type, then the controller's
 * ros__parameters) that dtw_jtc_config_load reads back into the same
 * configuration (numbers printed with the fewest digits that read back
 * exactly). comment (may be NULL): lines written first, each prefixed "# ".
 * Returns 0 or DTW_EIO. */
int dtw_jtc_config_write(FILE *f, const dtw_jtc_config_t *cfg, const char *comment);

#endif /* DTW_JTC_DERIVE_H */
