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
 * D_i = max over the poses of M_ii (what joint i moves with the others held).
 * With one natural frequency w and damping ratio zeta for every joint,
 *   p = D_i w^2,  d = 2 zeta D_i w,  i = 0, i_clamp = 0, ff_velocity_scale 0
 * (the twin adds the model's gravity/Coriolis efforts, so no integral is
 * needed for a static error; add one when tuning against a real robot).
 * The controller runs once per physics step dt and its effort is held over
 * the step (explicit in the damping), so the loop is a discrete system. With
 * gains proportional to D its modes are those of S = D^-1/2 M D^-1/2: a mode
 * with eigenvalue mu is stable when a + 2b < 4, a = (w dt)^2/mu,
 * b = 2 zeta w dt/mu. Coupled joints (a knee and a hip with parallel axes, a
 * hip yaw and roll near alignment) make mu_min small, and then it is the
 * damping term b that the timestep limits. So, with mu_min the smallest
 * eigenvalue of S over the poses and budget = 4 x stability_margin x mu_min:
 *   w = 2 pi bandwidth_hz, lowered until a takes at most half the budget;
 *   zeta = min(damping_ratio, (budget - (w dt)^2) / (4 w dt)), and if that is
 *   below 0.1, zeta = 0.1 and w lowered to fit the budget.
 * Tolerances follow the demo humanoid's file: path 0.5 rad, goal 0.08 rad
 * (each at most half / a tenth of a limited joint's range; x 0.1 for
 * prismatic joints, in m), stopped velocity 0.1, goal_time the larger of 1 s
 * and 10 / (zeta w) (time for the slowest well-damped mode to settle);
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
  double omega_rad_s;        /* w used */
  double zeta;               /* damping ratio used */
  double mu_min;             /* smallest eigenvalue of D^-1/2 M D^-1/2 over the poses */
  double stability_use;      /* (a + 2b) / 4 of the weakest mode: 1 = at the limit */
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
