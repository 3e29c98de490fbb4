/* dtw/sim.h - the physics of the twin: one MuJoCo model and its state.
 *
 * This is the only interface to MuJoCo in dtwin (only src/sim includes
 * mujoco.h). A dtw_sim_t owns a compiled model, its data and the twin's joint
 * table: the actuated joints, in the order every other module uses
 * (efforts in, positions/velocities/efforts out).
 *
 * Errors: MuJoCo's fatal errors (mju_error) never end the process. The call
 * that raised one returns DTW_ESIM, the state is then "poisoned" and every
 * later step returns DTW_ESIM until dtw_sim_reset. MuJoCo warnings are logged
 * once per kind per instance (component "sim") and counted. A step in which
 * the state blew up (NaN/Inf or huge qpos, qvel or qacc; MuJoCo resets the
 * state to qpos0 itself) returns DTW_ESIM too, without poisoning.
 *
 * Threads: different instances may be used from different threads at the
 * same time; one instance must not be used by two threads at once.
 * dtw_sim_create serialises model compilation internally. */
#ifndef DTW_SIM_H
#define DTW_SIM_H

#include <stddef.h>

#include "dtw/robot.h"

typedef struct dtw_sim dtw_sim_t;

/* What the twin knows and a robot usually does not measure. */
typedef struct dtw_sim_extras {
  double base_pos[3];          /* world position of the root body (body 1), m */
  double base_quat[4];         /* its orientation, w x y z */
  double com[3];               /* centre of mass of the root body's subtree, m */
  double mass_kg;              /* mass of that subtree (current, after scaling) */
  int n_contacts;              /* active contacts this step */
  double contact_normal_force; /* sum of contact normal forces, N */
} dtw_sim_extras_t;

/* Compile desc->mjcf and build the state and joint table.
 * Relative asset paths in the MJCF resolve against desc->base_dir (the
 * current directory if NULL); the text is handed to MuJoCo from memory, and
 * so are desc->assets (MuJoCo looks a file up in memory by its name without
 * directory, then on disk); they are copied, desc keeps them.
 * With desc->base_auto_height, body 1 is moved vertically (body_pos, and for
 * a free joint qpos0 and every keyframe's qpos) so the lowest point of the
 * collision geometry (contype or conaffinity set; planes excluded) of its
 * subtree is desc->base_clearance_m above z = 0 in the initial state; a
 * subtree without collision geometry is left where it is.
 * Joint table: if desc->n_joints > 0 it is copied, and every joint must exist
 * in the compiled model as a hinge or slide joint driven by a motor actuator
 * (one named like the joint is preferred, else the first motor on it);
 * otherwise it is derived from the model: every hinge/slide joint driven by a
 * motor actuator (direct torque/force: fixed gain, no bias, no dynamics),
 * in actuator order, with range, effort (from forcerange, else gear x
 * ctrlrange; 0 = unlimited), damping and frictionloss; velocity 0 (unknown).
 * The initial state (for dtw_sim_reset) is keyframe 0 if the model has one,
 * else qpos0, at time 0; it is computed (mj_forward) before returning.
 * Bodies of one robot that touch each other in that state (overlapping meshes
 * of neighbouring links, an authoring artefact that would press from the first
 * step) never collide with each other: the model is compiled again with those
 * pairs excluded (dtw_sim_start_contacts_excluded says which).
 * Returns 0 and *out, or DTW_EINVAL (NULL/empty input, an asset with no name
 * or no bytes, two assets of one name), DTW_EFULL (more assets than MuJoCo's
 * VFS holds), DTW_ENOMEM,
 * DTW_EMODEL (MuJoCo rejected the model: its text is in err; or a joint-table
 * mismatch naming the joint) or DTW_ESIM (engine error while initialising).
 * Allocates; call at start-up. Free with dtw_sim_destroy. */
int dtw_sim_create(const dtw_robot_desc_t *desc, dtw_sim_t **out, char *err, size_t errlen);

/* Free everything; NULL is fine. */
void dtw_sim_destroy(dtw_sim_t *sim);

/* The integrator names dtw_sim_set_integrator takes, '|'-separated, for a
 * settings table: MuJoCo's three plus "model" (keep the document's). */
#define DTW_SIM_INTEGRATORS "euler|implicit|rk4|model"

/* Choose the integrator (start-up, before the first step): "euler" (MuJoCo's
 * semi-implicit Euler, joint damping implicit), "implicit" (also the velocity
 * derivatives of actuators and bias forces: costs a dense factorisation per
 * step), "rk4", or "model"/NULL/"" to keep the one the MJCF names. Returns 0
 * or DTW_EINVAL for another name (nothing changed). */
int dtw_sim_set_integrator(dtw_sim_t *sim, const char *name);
/* The integrator in use: "euler", "implicit" or "rk4". */
const char *dtw_sim_integrator(const dtw_sim_t *sim);
/* MuJoCo's code for an integrator name (as above; "model" and unknown names:
 * -1): for a baseline that compiles the same MJCF without dtw_sim. */
int dtw_sim_integrator_code(const char *name);

/* Set the actuator controls of the first n table joints from efforts
 * (N m or N; divided by the actuator gear, clamped to its ctrlrange), leave
 * the others as they were, and advance one timestep. No allocation. (An
 * unclamped control above 1e10 is zeroed by MuJoCo with a warning.)
 * Returns 0; DTW_EINVAL if n exceeds the joint count or an effort is NaN/Inf
 * (nothing changed); DTW_ESIM if the state is poisoned, MuJoCo raised an
 * error (now poisoned) or the state blew up during this step. */
int dtw_sim_step(dtw_sim_t *sim, const double *effort, size_t n);

/* Simulated time since creation or the last reset, s. */
double dtw_sim_time(const dtw_sim_t *sim);
/* Model timestep, s. */
double dtw_sim_timestep(const dtw_sim_t *sim);
/* Number of joints in the table, and the table itself (owned by sim, valid
 * until dtw_sim_destroy). */
size_t dtw_sim_joint_count(const dtw_sim_t *sim);
const dtw_joint_desc_t *dtw_sim_joints(const dtw_sim_t *sim);

/* Copy joint positions, velocities and applied actuator efforts (gear x
 * actuator force) in table order into arrays of dtw_sim_joint_count entries.
 * Any pointer may be NULL. No allocation. */
void dtw_sim_get_joint_state(const dtw_sim_t *sim, double *pos, double *vel, double *effort);

/* Teleport n table joints: joint_idx[i] gets pos[i] and vel[i] (pos or vel
 * may be NULL to keep that part); nothing else changes, then the derived
 * quantities are recomputed (mj_forward). No allocation.
 * Returns 0; DTW_EINVAL for an index out of range or a NaN/Inf value (no
 * change); DTW_ESIM if poisoned or MuJoCo raised an error (now poisoned). */
int dtw_sim_set_joint_state(dtw_sim_t *sim, const int *joint_idx, const double *pos,
                            const double *vel, size_t n);

/* Back to the initial state at time 0, controls as in the keyframe (or 0);
 * clears the poison. Model scaling is kept. Returns 0 or DTW_ESIM. */
int dtw_sim_reset(dtw_sim_t *sim);

/* Number of body pairs excluded from contact because they touched in the
 * initial state (see dtw_sim_create); *names (may be NULL) gets them as
 * "body1/body2, ..." (owned by sim; cut short if long), *unnamed (may be NULL)
 * the touching pairs kept because a body has no name to exclude it by. */
size_t dtw_sim_start_contacts_excluded(const dtw_sim_t *sim, const char **names,
                                       size_t *unnamed);

/* 1 if a MuJoCo error poisoned the state (see above), else 0. */
int dtw_sim_poisoned(const dtw_sim_t *sim);
/* The last MuJoCo error text of this instance ("" if none); owned by sim. */
const char *dtw_sim_last_error(const dtw_sim_t *sim);
/* Number of MuJoCo warnings raised by this instance so far. */
unsigned long dtw_sim_warning_count(const dtw_sim_t *sim);

/* Fill out (see dtw_sim_extras_t) from the current state. No allocation. */
void dtw_sim_get_extras(const dtw_sim_t *sim, dtw_sim_extras_t *out);

/* Make the simulated robot differ from its description: body masses and
 * inertias times mass_scale; geom friction, dof frictionloss and damping times
 * friction_scale. Always relative to the compiled values, so calling twice
 * with 2.0 gives 2x, and 1.0 restores. The current state is kept. The joint
 * table is not changed (it is what the controller believes).
 * Returns 0; DTW_EINVAL if a scale is not finite and > 0; DTW_ESIM on an
 * engine error (now poisoned). */
int dtw_sim_scale_model(dtw_sim_t *sim, double mass_scale, double friction_scale);

/* ---- what a controller derived from the model needs ----------------------------------- */

/* Effective inertia of the table joints with the joint positions q (table
 * order; NULL = the current state; other coordinates as now): diag[i] =
 * M_ii of MuJoCo's joint-space inertia matrix (armature included), i.e. the
 * inertia joint i moves with the other joints held. full (may be NULL) gets
 * the n x n block of M over the table joints, row-major. The state of sim is
 * not changed (a scratch copy is used). Allocates (call at start-up).
 * Returns 0, DTW_EINVAL (a non-finite q), DTW_ENOMEM or DTW_ESIM (engine
 * error at that pose). */
int dtw_sim_joint_inertia(const dtw_sim_t *sim, const double *q, double *diag, double *full);

/* Index in the table of each table joint's nearest actuated ancestor (a
 * joint of a parent body, or an earlier joint of its own body), -1 for a
 * joint with none (a chain starting at the root). link_out (may be NULL)
 * gets the name of the body each joint moves (DTW_NAME_MAX each). */
void dtw_sim_joint_parents(const dtw_sim_t *sim, int *parent, char (*link_out)[DTW_NAME_MAX]);

/* A step split in two (MuJoCo's mj_step1/mj_step2) so that a controller can
 * use quantities of the current state: dtw_sim_step_begin computes positions
 * and velocities (bias forces at the current state), the caller reads them
 * (dtw_sim_get_bias) and computes efforts, dtw_sim_step_end applies them and
 * integrates. Together they are one dtw_sim_step, with the same errors. With
 * the RK4 integrator (no split step in MuJoCo) begin computes nothing and end
 * runs a whole step: the bias is then that of the previous step's start. No
 * allocation. */
int dtw_sim_step_begin(dtw_sim_t *sim);
int dtw_sim_step_end(dtw_sim_t *sim, const double *effort, size_t n);

/* Bias forces (gravity, Coriolis, centrifugal, passive springs: MuJoCo's
 * qfrc_bias) at the table joints, from the last dtw_sim_step_begin, reset,
 * set_joint_state or step. The effort that holds the robot still against
 * gravity is +bias. No allocation. */
void dtw_sim_get_bias(const dtw_sim_t *sim, double *bias);

/* Hold a free-floating root body where it is (a test stand for MJCF models
 * written with a free joint): its six degrees of freedom get an armature and
 * damping so large that the robot's own forces cannot move it measurably
 * (1e8 x the robot's mass; drift below 1 mm per hour under gravity), which
 * leaves the joints the dynamics of a welded base. Kept by
 * dtw_sim_scale_model and dtw_sim_reset. Returns 1 if a free root was held,
 * 0 if there is none, DTW_ESIM on an engine error. Call at start-up. */
int dtw_sim_hold_base(dtw_sim_t *sim);

/* Give every table joint at least this armature (rotor inertia, kg m^2 or
 * kg; MJCF models often leave it 0, which couples light joints strongly to
 * their neighbours). Joints with more keep theirs. Returns the number of
 * joints raised, DTW_EINVAL for a negative or non-finite value, DTW_ESIM on
 * an engine error. Call at start-up. */
int dtw_sim_min_armature(dtw_sim_t *sim, double armature);
/* Add a point mass of mass_kg (negative removes it) at the centre of mass of
 * body `body` (robot emulator: a payload in a hand, a tool on a foot). The
 * dynamics see it from the next step, dtw_sim_get_extras's mass_kg at once;
 * dtw_sim_scale_model starts again from the compiled masses. Returns 0, or DTW_EINVAL (unknown or world body,
 * non-finite mass, total mass not > 0). No allocation. */
int dtw_sim_add_payload(dtw_sim_t *sim, const char *body, double mass_kg);

/* Seize table joint `joint` where it is now (lock != 0), or free it again:
 * both its limits are set to the current position with a stiff constraint,
 * so the constraint torque acts on that joint only, as a seized gearbox or
 * an engaged brake does; its actuator still pushes. Returns 0, DTW_EINVAL or
 * DTW_ENOMEM (first lock: the saved limits). */
int dtw_sim_lock_joint(dtw_sim_t *sim, size_t joint, int lock);

#endif /* DTW_SIM_H */
