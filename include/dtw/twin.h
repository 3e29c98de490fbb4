/* dtw/twin.h - the physics twin component: a robot model in MuJoCo driven by
 * the joint trajectory controller. No DDS here: node adapters feed it plain
 * messages (dtw/msgs.h) and publish what it reports.
 *
 * Lifecycle: dtw_twin_create (loads model, compiles it, loads the controller
 * config; allocates everything) -> dtw_twin_step() many times (no allocation)
 * -> dtw_twin_destroy. One twin is driven by one thread at a time; different
 * twins may run on different threads. */
#ifndef DTW_TWIN_H
#define DTW_TWIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/config.h"
#include "dtw/jtc.h"
#include "dtw/jtc_derive.h"
#include "dtw/msgs.h"
#include "dtw/robot.h"
#include "dtw/sim.h"

/* The controllers file the settings name by default: the demo humanoid's. A
 * robot whose joints it does not name gets a derived controller instead. */
#define DTW_TWIN_DEFAULT_CONTROLLERS_FILE "config/digital_twin_controllers.yaml"

/* Settings of a twin (node "sim"; the robot emulator reuses this list). */
#define DTW_TWIN_PARAMS(X)                                                                   \
  X(STRING, model, "models/digital_twin_humanoid.urdf.xacro", 0, 0, NULL,                   \
    "Robot description: URDF, xacro (.urdf.xacro/.xacro) or MJCF (.xml)")                    \
  X(STRING, world, "models/digital_twin_world.xml", 0, 0, NULL,                              \
    "MJCF world merged with the robot (floor, lights; not into an MJCF robot with a floor "  \
    "of its own); empty for none")                                                          \
  X(STRING, package_path, "", 0, 0, NULL,                                                    \
    "Colon-separated directories searched for $(find pkg) and package:// (also "            \
    "ROS_PACKAGE_PATH)")                                                                     \
  X(STRING, xacro_args, "", 0, 0, NULL, "xacro arguments, space-separated name:=value")     \
  X(ENUM, base, "fixed", 0, 0, "fixed|floating",                                             \
    "fixed: the robot hangs on a test stand (root welded to the world; an MJCF root with "  \
    "a free joint is held where it is); floating: free joint, it stands on the floor")      \
  X(DOUBLE, base_height, "0", 0.0, 10.0, NULL,                                               \
    "Root link height above the floor (m); 0 = the model's standing height, plus 0.3 m "    \
    "on the test stand so the feet swing free")                                              \
  X(BOOL, self_collision, "false", 0, 0, NULL,                                               \
    "Let a URDF robot's own links collide with each other (they always collide with the "   \
    "world); an MJCF robot keeps the contacts its author set")                              \
  X(DOUBLE, physics_rate_hz, "1000", 100, 20000, NULL, "Physics steps per simulated second") \
  X(ENUM, integrator, "euler", 0, 0, DTW_SIM_INTEGRATORS,                                   \
    "Physics integrator for every model, MJCF ones included: euler (semi-implicit, joint "  \
    "damping implicit; the PD torque is explicit either way), implicit (about 3x the cost "  \
    "per step on the demo humanoid), rk4, or model (the MJCF's or world's own)")                                                                            \
  X(DOUBLE, rtf, "1.0", 0.0, 100.0, NULL,                                                    \
    "Real-time factor the loop is paced to; 0 runs as fast as possible")                    \
  X(DOUBLE, armature, "0.01", 0.0, 10.0, NULL,                                                \
    "Rotor inertia of every actuated joint (kg m^2): added to URDF joints, given to MJCF "  \
    "joints that have less; steadies stiff PD at 1 kHz")                                    \
  X(STRING, controllers_file, DTW_TWIN_DEFAULT_CONTROLLERS_FILE, 0, 0, NULL,                \
    "ros2_control-style controller configuration; empty = derive the controller from the "  \
    "model (so does the default file when it names a joint this robot does not have)")      \
  X(STRING, controller, "humanoid_joint_trajectory_controller", 1, 128, NULL,               \
    "Name of the joint trajectory controller in controllers_file (and of a derived one)")   \
  X(DOUBLE, derive__bandwidth_hz, "10", 0.1, 1000, NULL,                                      \
    "Derived controller: closed-loop natural frequency w / 2 pi (Hz), p = M w^2 per joint; " \
    "lowered only when the stiffness alone would use half the stability budget")           \
  X(DOUBLE, derive__damping_ratio, "1.0", 0.1, 10, NULL,                                      \
    "Derived controller: damping ratio zeta, d = 2 zeta M w; lowered (not below 0.1) to "   \
    "what the physics timestep carries stably")                                             \
  X(DOUBLE, derive__stability_margin, "0.5", 0.01, 1, NULL,                                   \
    "Derived controller: fraction of the discrete-time stability limit of the weakest "     \
    "coupled mode that the gains may use")                                                  \
  X(ENUM, gravity_feedforward, "auto", 0, 0, "auto|on|off",                                   \
    "Add the model's gravity and Coriolis efforts at the measured state to the "            \
    "controller's; auto = only with a derived controller")                                  \
  X(INT, max_trajectory_points, "1024", 2, 100000, NULL,                                     \
    "Largest trajectory accepted (points); sized at start-up")

DTW_PARAM_STRUCT(dtw_twin_settings_t, DTW_TWIN_PARAMS);
extern const dtw_param_table_t dtw_twin_param_table;

typedef struct dtw_twin dtw_twin_t;

/* Controller status as reported by the twin. */
typedef struct dtw_twin_status {
  double sim_time_s;
  uint64_t steps;
  double max_abs_error_rad;     /* tracking error (desired - actual), worst joint */
  const char *worst_joint;      /* name of that joint */
  const char *controller_state; /* "idle", "active", "succeeded", ... */
  uint64_t trajectories_accepted, trajectories_refused;
  uint64_t sim_errors;          /* physics steps that failed (state then reset) */
  bool paused;
} dtw_twin_status_t;

/* Create a twin from settings; relative paths are resolved with dtw_path_resolve.
 * Returns 0, or DTW_ENOENT/DTW_EPARSE/DTW_EMODEL/DTW_ESIM/DTW_EINVAL with a
 * message naming the file, line and element at fault. */
int dtw_twin_create(const dtw_twin_settings_t *settings, dtw_twin_t **out, char *err,
                    size_t errlen);
void dtw_twin_destroy(dtw_twin_t *twin);

/* Advance one physics step: controller update, then mj_step. Does not
 * allocate. While paused it does nothing. A physics failure resets the state
 * to the initial pose and returns DTW_ESIM (counted in status.sim_errors). */
int dtw_twin_step(dtw_twin_t *twin);

/* Hand a trajectory to the controller (validated first). On refusal the
 * active trajectory is kept, the refusal counted, and a negative code returned
 * with the reason in err. */
int dtw_twin_accept_trajectory(dtw_twin_t *twin, const dtw_joint_trajectory_msg_t *msg,
                               char *err, size_t errlen);
/* As dtw_twin_accept_trajectory, for a loop behind_s simulated seconds behind
 * its wall-clock schedule: an unstamped trajectory starts behind_s after the
 * twin's current time (dtw_jtc_accept_at). */
int dtw_twin_accept_trajectory_behind(dtw_twin_t *twin, const dtw_joint_trajectory_msg_t *msg,
                                      double behind_s, char *err, size_t errlen);

/* Teleport named joints to positions (and velocities when given). While a
 * trajectory is executing the controller keeps following it from the new
 * state (a shadow-mode re-sync); otherwise it holds the new state (mirror
 * mode): with velocities given, the named joints' held positions move on at
 * them for 0.1 s (a robot's feed of 10 Hz or faster sends the next state by
 * then), then stop; the other joints hold where they are. Refuses unknown joints, size mismatches, non-finite values and values
 * no robot reaches (a limited joint's position more than max(0.05, 5 % of its
 * range) past its limits, a velocity beyond twice its limit) with no change,
 * DTW_ERANGE naming the joint and the value; a position just past a limit is
 * clamped to it (encoders overshoot the model's limits a little). */
int dtw_twin_set_state(dtw_twin_t *twin, const dtw_joint_state_msg_t *msg, char *err,
                       size_t errlen);

/* Fit a motion made of rest-to-rest segments (a generated one: dtw/motion_gen.h)
 * to the robot's surroundings: while a pose along the segment to a point (8
 * checked: rest-to-rest segments move every joint with one time scaling) has
 * more contacts than the twin's current pose has -- the robot's own bodies
 * where its MJCF keeps them, the floor under an arm -- the joints that make
 * the contacts (those whose move in the segment, undone alone, leaves fewer)
 * first turn their excursion from that pose the other way, once, where their
 * limits allow, then have it halved; every joint is halved when none makes
 * them alone; at most 6 rounds, then its joints stay where they are. Points
 * without positions for every named joint are left alone. Uses the twin's
 * physics as scratch and resets the twin at the end: call before running it.
 * *shrunk (may be NULL) gets the number of points changed. Allocates (start-up
 * use). Returns 0, DTW_EINVAL (a joint the twin lacks), DTW_ENOMEM or DTW_ESIM. */
int dtw_twin_motion_clear(dtw_twin_t *twin, dtw_joint_trajectory_msg_t *msg, size_t *shrunk,
                          char *err, size_t errlen);

/* ---- the plant, for a component that makes the simulated robot differ from
 * its description (the robot emulator, dtw/robot_emu.h). The twin's joint
 * table, controller and feed-forward stay the described model's; these change
 * only what the physics does. Call them from the thread that drives the twin,
 * between steps. None allocates. */

/* The physics the twin steps (owned by the twin, valid until destroy). A
 * caller may change the simulated model through it (dtw_sim_scale_model,
 * dtw_sim_add_payload, dtw_sim_lock_joint); stepping, resetting and setting
 * the state stay the twin's. */
dtw_sim_t *dtw_twin_sim(dtw_twin_t *twin);

/* Gain between the controller's effort on joint `joint` (joint_states order)
 * and the physics: 1 at create, 0 = the actuator delivers nothing. Returns 0
 * or DTW_EINVAL (no such joint, gain negative or not finite). */
int dtw_twin_set_effort_gain(dtw_twin_t *twin, size_t joint, double gain);

/* Scale on the gravity/Coriolis feed-forward (the physics' bias forces at the
 * measured state): 1 at create. Bias forces are linear in the masses, so a
 * caller that runs the physics with masses x m sets 1/m and the controller
 * keeps predicting the described model's forces. Returns 0 or DTW_EINVAL
 * (not finite and > 0). */
int dtw_twin_set_feedforward_scale(dtw_twin_t *twin, double scale);

/* Back to the initial pose at time 0; the controller holds it. The initial
 * pose is the model's (keyframe 0 or qpos0) with any joint outside its limits
 * moved to the nearest limit. */
int dtw_twin_reset(dtw_twin_t *twin);
void dtw_twin_set_paused(dtw_twin_t *twin, bool paused);

/* Every joint's name, position, velocity and effort; stamp = sim time. */
void dtw_twin_get_joint_state(const dtw_twin_t *twin, dtw_joint_state_msg_t *out);
void dtw_twin_get_status(const dtw_twin_t *twin, dtw_twin_status_t *out);

/* The trajectory controller (for its state and joint names); owned by the twin. */
const dtw_jtc_t *dtw_twin_controller(const dtw_twin_t *twin);

/* ---- a controller derived from the model (docs/controllers.md) ------------ */

/* Derive the joint trajectory controller for sim's joints with the settings'
 * derive.* values and controller name: effective inertias measured at the
 * current pose and at the poses 30% of the way toward each joint's lower and
 * upper limits (the largest per joint; the three inertia blocks bound the
 * bandwidth), then dtw_jtc_derive. info may be NULL. Allocates (start-up).
 * Returns 0 or DTW_EINVAL/DTW_ENOMEM/DTW_ESIM with a message. */
int dtw_twin_derive_controller(const dtw_sim_t *sim, const dtw_twin_settings_t *settings,
                               dtw_jtc_config_t *out, dtw_jtc_derive_info_t *info, char *err,
                               size_t errlen);

/* True if the twin's controller was derived rather than loaded. */
bool dtw_twin_controller_derived(const dtw_twin_t *twin);

/* Kinematic tree of the twin's joints: parent[i] = index (joint_states order)
 * of joint i's nearest actuated ancestor, -1 at the start of a chain. */
void dtw_twin_joint_parents(const dtw_twin_t *twin, int *parent);

/* Number of actuated joints the twin reports (joint_states order), and
 * their table (limits, efforts; owned by the twin). */
size_t dtw_twin_joint_count(const dtw_twin_t *twin);
const dtw_joint_desc_t *dtw_twin_joints(const dtw_twin_t *twin);
double dtw_twin_sim_time(const dtw_twin_t *twin);
double dtw_twin_timestep(const dtw_twin_t *twin);
const dtw_robot_desc_t *dtw_twin_robot(const dtw_twin_t *twin);

#endif /* DTW_TWIN_H */
