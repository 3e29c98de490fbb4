/* dtw/sim_dynamics.h - the twin's model as a function: inverse dynamics of the
 * robot description for a state the caller gives (the robot's measured one),
 * for model-based residuals (src/sync compares what the robot reports as
 * effort with what the model needs for the robot's measured motion).
 *
 * A dtw_sim_dyn_t owns its own compiled MuJoCo model and data, separate from
 * any dtw_sim_t: evaluating it never disturbs a running simulation. Joints
 * not given keep their reference pose (qpos0) with zero velocity and
 * acceleration; a floating base is taken as at rest (exact on a test stand,
 * an approximation for a walking robot). Joint limits are left out: what a
 * hard stop holds is not in the effort a robot reports.
 *
 * Lifecycle: dtw_sim_dyn_create (compiles, maps the joints; allocates), or
 * dtw_sim_dyn_compile then dtw_sim_dyn_bind once the joints are known (the
 * compile, tens of ms, can then run before a caller's loop starts) ->
 * dtw_sim_dyn_inverse and dtw_sim_dyn_load_per_kg many times (no allocation)
 * -> dtw_sim_dyn_destroy. One thread at a time per instance. */
#ifndef DTW_SIM_DYNAMICS_H
#define DTW_SIM_DYNAMICS_H

#include <stddef.h>

#include "dtw/robot.h"

typedef struct dtw_sim_dyn dtw_sim_dyn_t;

/* Compile desc->mjcf and map the n joint names (hinge or slide joints of the
 * model; order = the order of every array below). Returns 0 and *out, or
 * DTW_EINVAL (NULL/empty, n 0), DTW_ENOMEM, DTW_EMODEL (MuJoCo rejected the
 * model, or a name is no hinge/slide joint: named in err), DTW_ESIM. */
int dtw_sim_dyn_create(const dtw_robot_desc_t *desc, const char *const *joints, size_t n,
                       dtw_sim_dyn_t **out, char *err, size_t errlen);
/* The first half of dtw_sim_dyn_create: compile desc->mjcf, no joints mapped
 * yet (dtw_sim_dyn_joint_count 0). desc stays the caller's and must outlive
 * the instance (dtw_sim_dyn_bind reads its joint table). Returns 0 and *out,
 * or DTW_EINVAL, DTW_ENOMEM, DTW_EMODEL, DTW_ESIM as dtw_sim_dyn_create. */
int dtw_sim_dyn_compile(const dtw_robot_desc_t *desc, dtw_sim_dyn_t **out, char *err,
                        size_t errlen);
/* The second half: map the n joint names (replacing any earlier mapping).
 * Allocates. Returns 0, DTW_EINVAL (NULL, n 0: nothing changed), DTW_ENOMEM
 * or DTW_EMODEL (a name is no hinge/slide joint of the model: named in err;
 * after these two no joint stays mapped). */
int dtw_sim_dyn_bind(dtw_sim_dyn_t *dyn, const char *const *joints, size_t n, char *err,
                     size_t errlen);
/* NULL is fine. */
void dtw_sim_dyn_destroy(dtw_sim_dyn_t *dyn);

/* For positions q, velocities qd and accelerations qdd (n each; qd/qdd NULL =
 * zero): tau = the generalized force the joints' actuators must deliver
 * (inertia, Coriolis, gravity, minus passive damping/springs, with joint
 * friction and limits), gravity = the static part at q (qd = qdd = 0), m_diag
 * = the diagonal of the joint-space inertia (armature included). Any output
 * may be NULL. No allocation. Returns 0, DTW_EINVAL (NaN/Inf input) or
 * DTW_ESIM (engine error; outputs unchanged). */
int dtw_sim_dyn_inverse(dtw_sim_dyn_t *dyn, const double *q, const double *qd, const double *qdd,
                        double *tau, double *gravity, double *m_diag);

/* A payload's signature: the torques (n, this instance's joint order) that
 * 1 kg at the centre of mass of the outermost body the joints chain[0..n_chain)
 * move (the deepest in the kinematic tree, where a payload sits) needs on top
 * of the model's. qd and qdd NULL: held at q, at rest (J(point)^T x -gravity,
 * its weight alone); else for the motion (q, qd, qdd): its weight and its
 * inertia, J^T (a_point - gravity) (what dtw_sim_dyn_inverse gives more with
 * dtw_sim_dyn_add_mass(.., 1)). A mass of m kg needs m times these. Joints
 * that do not move the point get 0. No allocation. Returns 0, DTW_EINVAL
 * (NaN/Inf input, an index out of range, n_chain 0) or DTW_ESIM. */
int dtw_sim_dyn_load_per_kg(dtw_sim_dyn_t *dyn, const double *q, const double *qd,
                            const double *qdd, const size_t *chain, size_t n_chain,
                            double *per_kg);

/* Adds kg (negative: takes it off again) as a point mass at the centre of
 * mass of the body named body, for what a motion needs with a payload held
 * there (dtw_sim_dyn_inverse with and without it: its weight and its
 * inertia). dtw_sim_dyn_mass grows with it. No allocation. Returns 0 or
 * DTW_EINVAL (NULL, kg not finite, no such body, or its mass would not stay
 * positive: nothing changed). */
int dtw_sim_dyn_add_mass(dtw_sim_dyn_t *dyn, const char *body, double kg);

/* The model's mass (kg, every body): no payload a fit names weighs more. */
double dtw_sim_dyn_mass(const dtw_sim_dyn_t *dyn);

/* Joint i's largest |effort| (N m or N): the description's, or for an MJCF
 * without a joint table its motor's range; 0 = none given, or i out of range. */
double dtw_sim_dyn_effort_limit(const dtw_sim_dyn_t *dyn, size_t i);

/* Number of joints mapped. */
size_t dtw_sim_dyn_joint_count(const dtw_sim_dyn_t *dyn);

#endif /* DTW_SIM_DYNAMICS_H */
