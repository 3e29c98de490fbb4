/* dtw/jtc.h - a joint trajectory controller with the semantics of ros2_control's
 * joint_trajectory_controller (JTC, topic interface), on plain arrays.
 *
 * No MuJoCo, no DDS: the caller feeds measured positions/velocities and gets
 * efforts back. Everything is sized at dtw_jtc_create; accept/update/hold/
 * get_state never allocate. Not thread-safe: one thread (the physics loop)
 * calls accept/update/hold/get_state, or the caller serialises them.
 *
 * Semantics (differences from JTC are marked "dtwin:"):
 *  - A trajectory's points are interpolated with splines whose degree follows
 *    what the points carry (see dtw/spline.h), or, with interpolation "none",
 *    each segment outputs its end point's values (JTC forwards the next point).
 *  - Accepting replaces the active trajectory. The new one starts from the
 *    controller's desired state (position, velocity, acceleration) sampled at
 *    `now`, so desired position/velocity do not jump when the first point lies
 *    in the future. dtwin: always the desired state, whatever open_loop_control.
 *  - Start time = msg->stamp if non-zero, else now. A first point with
 *    time_from_start 0 is accepted and, as in JTC, is reached immediately
 *    (desired state steps to it). Later points must be strictly increasing.
 *  - Partial goals (if allowed): joints the message does not name hold their
 *    desired position at acceptance (velocity and acceleration 0).
 *  - Continuous joints: the trajectory is shifted by whole turns so its first
 *    point is the nearest to the current desired position; errors wrap.
 *  - Effort (per joint): e = q_des - q, ed = qd_des - qd,
 *    I += i * e * dt clamped to [-i_clamp, i_clamp],
 *    effort = p*e + I + d*ed + ff_velocity_scale * qd_des, clamped to the
 *    joint's effort limit.
 *  - Path tolerance (constraints.<joint>.trajectory, 0 = unchecked): while
 *    before the last point's time, |e| above it aborts the trajectory
 *    (ABORTED_PATH_TOLERANCE) and holds the measured position.
 *  - Goal: after the last point's time, when every joint is within its goal
 *    position tolerance (0 = unchecked) and |ed| <= stopped_velocity_tolerance
 *    (0 = unchecked), status becomes SUCCEEDED and the last point is held. If
 *    goal_time > 0 and the goal is still not reached goal_time after the last
 *    point, status becomes GOAL_TOLERANCE_VIOLATED and the measured position
 *    is held. goal_time 0 waits forever (as JTC).
 *  - Without an active trajectory the controller holds its last desired
 *    position. Before the first accept/hold, the first update holds the
 *    measured position (as JTC does on activation); a trajectory accepted
 *    before the first update starts from the measured position at that update.
 *  - Status changes are only reported through dtw_jtc_get_state (no logging):
 *    the caller compares status/counters between steps to log or publish.
 *
 * Joint orders: the plant-side arrays (q, qd, effort_out, dtw_jtc_hold's q)
 * follow the robot joint table given to dtw_jtc_create; the controller's own
 * joints (dtw_jtc_state_t arrays, dtw_jtc_joint_name) follow cfg->joints. */
#ifndef DTW_JTC_H
#define DTW_JTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dtw/msgs.h"
#include "dtw/robot.h"

/* ---- configuration ---------------------------------------------------- */

typedef enum {
  DTW_JTC_INTERP_SPLINES = 0,  /* "splines" (default) */
  DTW_JTC_INTERP_NONE = 1      /* "none" */
} dtw_jtc_interp_t;

typedef struct dtw_jtc_gains {
  double p, i, d;             /* N m/rad, N m/(rad s), N m s/rad */
  double i_clamp;             /* |integral term| bound, N m (0: no integral, as control_toolbox) */
  double ff_velocity_scale;   /* effort += ff_velocity_scale * desired velocity */
} dtw_jtc_gains_t;

typedef struct dtw_jtc_joint_config {
  char name[DTW_NAME_MAX];
  dtw_jtc_gains_t gains;
  double trajectory_tol;      /* constraints.<joint>.trajectory, rad; 0 = unchecked */
  double goal_tol;            /* constraints.<joint>.goal, rad; 0 = unchecked */
} dtw_jtc_joint_config_t;

typedef struct dtw_jtc_config {
  char name[DTW_NAME_MAX];    /* controller name ("humanoid_joint_trajectory_controller") */
  double update_rate_hz;      /* controller_manager.update_rate (informative) */
  size_t n_joints;
  dtw_jtc_joint_config_t joints[DTW_MAX_JOINTS];
  dtw_jtc_interp_t interpolation;
  bool allow_partial_joints_goal;              /* default false */
  bool open_loop_control;                      /* default false; see semantics above */
  bool allow_nonzero_velocity_at_trajectory_end; /* default false (as JTC >= Jazzy) */
  double stopped_velocity_tolerance;           /* rad/s, default 0.01 */
  double goal_time;                            /* s, default 0 (wait forever) */
  double state_publish_rate_hz;                /* default 50 (informative) */
  size_t max_points;          /* capacity of the active trajectory, default 256 */
} dtw_jtc_config_t;

/* Fill cfg with the defaults above and no joints. Never fails. */
void dtw_jtc_config_defaults(dtw_jtc_config_t *cfg);

/* Load the controller named controller_name from a ros2_control-style
 * parameter file (controller_manager: ros__parameters: {update_rate, <name>:
 * {type}}, <name>: ros__parameters: {joints, command_interfaces,
 * state_interfaces, interpolation_method, allow_partial_joints_goal,
 * open_loop_control, allow_nonzero_velocity_at_trajectory_end,
 * state_publish_rate, max_points, constraints: {stopped_velocity_tolerance,
 * goal_time, <joint>: {trajectory, goal}}, gains: {<joint>: {p, i, d, i_clamp,
 * ff_velocity_scale}}}). controller_name NULL picks the first controller the
 * controller_manager lists with type joint_trajectory_controller/
 * JointTrajectoryController. Only the effort command interface is supported.
 * JTC's action_monitor_rate and
 * set_last_command_interface_value_as_state_on_activation are accepted and
 * ignored; any other unknown key is an error. Other top-level nodes are
 * ignored. Fills out (starting from the defaults) and returns 0; on failure
 * returns DTW_ENOENT/DTW_EIO/DTW_EPARSE/DTW_ERANGE/DTW_EUNSUP with
 * "file:line: key: message" in err, out unspecified.
 * Allocates only while loading (the YAML tree); thread-safe. */
int dtw_jtc_config_load(const char *path, const char *controller_name, dtw_jtc_config_t *out,
                        char *err, size_t errlen);

/* Write the controllers file's reference (Markdown: one table per level --
 * controller_manager, the controller, constraints.<joint>, gains.<joint>, the
 * accepted-and-ignored parameters -- generated from the parameter tables the
 * loader uses), between the marker lines DTW_JTC_DOCS_BEGIN and
 * DTW_JTC_DOCS_END: docs/controllers.md holds it. Returns 0, DTW_EINVAL or
 * DTW_EIO. */
#define DTW_JTC_DOCS_BEGIN "<!-- BEGIN generated: dtwin config docs controllers -->"
#define DTW_JTC_DOCS_END "<!-- END generated: dtwin config docs controllers -->"
int dtw_jtc_config_docs(FILE *out);

/* ---- refusals ------------------------------------------------------------ */

/* X(NAME, label, description): why a trajectory was refused. */
#define DTW_JTC_REFUSAL_MAP(X)                                                      \
  X(EMPTY, "empty", "no joint names or no points")                                  \
  X(UNKNOWN_JOINT, "unknown_joint", "a joint the controller does not drive")        \
  X(DUPLICATE_JOINT, "duplicate_joint", "a joint named twice")                      \
  X(PARTIAL_GOAL, "partial_goal", "not all joints named and partial goals are off") \
  X(SIZE_MISMATCH, "size_mismatch", "a point array does not match joint_names")     \
  X(INCONSISTENT_FIELDS, "inconsistent_fields",                                     \
    "velocities/accelerations present in some points only")                         \
  X(EFFORT_FIELD, "effort_field", "points carry efforts (not supported)")          \
  X(TIME_NOT_INCREASING, "time_not_increasing",                                     \
    "time_from_start negative or not strictly increasing")                          \
  X(ENDS_IN_PAST, "ends_in_past", "stamped trajectory whose last point is past")    \
  X(NOT_FINITE, "not_finite", "NaN or Inf value")                                   \
  X(POSITION_LIMIT, "position_limit", "position outside the joint limits")          \
  X(NONZERO_END_VELOCITY, "nonzero_end_velocity", "last point velocity not zero")   \
  X(TOO_MANY_POINTS, "too_many_points", "more points than max_points")

typedef enum {
  DTW_JTC_REFUSAL_NONE = 0,
#define DTW__JTC_REFUSAL_ENUM(name, label, text) DTW_JTC_REFUSAL_##name,
  DTW_JTC_REFUSAL_MAP(DTW__JTC_REFUSAL_ENUM)
#undef DTW__JTC_REFUSAL_ENUM
  DTW_JTC_REFUSAL_COUNT
} dtw_jtc_refusal_t;

/* Refusals are returned as negative codes in their own range, below every
 * DTW_E* code: DTW_JTC_REFUSAL_CODE(reason) = -100 - reason. */
#define DTW_JTC_REFUSAL_CODE_BASE 100
#define DTW_JTC_REFUSAL_CODE(reason) (-DTW_JTC_REFUSAL_CODE_BASE - (int)(reason))

/* The reason a return code stands for, or DTW_JTC_REFUSAL_NONE if the code is
 * not a refusal (0, a DTW_E* code...). */
dtw_jtc_refusal_t dtw_jtc_refusal_from_code(int code);

/* Metric label of a reason ("unknown_joint"); "none" for NONE, "invalid" for
 * out-of-range values. Never NULL. */
const char *dtw_jtc_refusal_name(int reason);

/* Check msg against a controller's joints (cfg->joints order; joints[k]
 * describes cfg->joints[k]: limits, type) and cfg's partial-goal, end
 * velocity and capacity settings, at time now_s (for ENDS_IN_PAST).
 * On success returns 0 and, if map_out is not NULL, map_out[m] = controller
 * index of msg joint m (m < msg->n_joints). On refusal returns
 * DTW_JTC_REFUSAL_CODE(reason) with a message naming the joint/point/value.
 * Pure function; does not allocate; thread-safe. */
int dtw_jtc_validate(const dtw_joint_trajectory_msg_t *msg, const dtw_joint_desc_t *joints,
                     const dtw_jtc_config_t *cfg, double now_s, size_t *map_out, char *err,
                     size_t errlen);

/* ---- controller ---------------------------------------------------------- */

typedef enum {
  DTW_JTC_IDLE = 0,                 /* holding, no trajectory received since hold */
  DTW_JTC_ACTIVE,                   /* executing a trajectory */
  DTW_JTC_SUCCEEDED,                /* last trajectory reached its goal; holding it */
  DTW_JTC_ABORTED_PATH_TOLERANCE,   /* path tolerance violated; holding */
  DTW_JTC_GOAL_TOLERANCE_VIOLATED   /* goal not reached within goal_time; holding */
} dtw_jtc_status_t;

/* "idle", "active", "succeeded", "aborted_path_tolerance",
 * "goal_tolerance_violated"; never NULL. */
const char *dtw_jtc_status_name(int status);

/* A snapshot for control_msgs/JointTrajectoryControllerState; arrays in the
 * controller's joint order (cfg->joints), n_joints entries valid. */
typedef struct dtw_jtc_state {
  double stamp_s;             /* time of the last update */
  size_t n_joints;
  double desired_pos[DTW_MAX_JOINTS], desired_vel[DTW_MAX_JOINTS], desired_acc[DTW_MAX_JOINTS];
  /* actual_acc is not measured: always 0, so error_acc = desired_acc */
  double actual_pos[DTW_MAX_JOINTS], actual_vel[DTW_MAX_JOINTS], actual_acc[DTW_MAX_JOINTS];
  double error_pos[DTW_MAX_JOINTS], error_vel[DTW_MAX_JOINTS], error_acc[DTW_MAX_JOINTS];
  double effort[DTW_MAX_JOINTS];  /* last commanded effort */
  dtw_jtc_status_t status;
  int failed_joint;           /* controller index that caused the last abort, or -1 */
  double failed_error;        /* its error (position, or velocity for a stopped check) */
  uint64_t accepted;          /* trajectories accepted */
  uint64_t refused[DTW_JTC_REFUSAL_COUNT]; /* per reason; [0] unused */
  uint64_t succeeded, path_aborts, goal_violations;
  uint64_t updates;
} dtw_jtc_state_t;

typedef struct dtw_jtc dtw_jtc_t;

/* Create a controller for cfg's joints, looked up by name in the robot joint
 * table joints[0..n_joints). Copies cfg and the table (caller keeps
 * ownership of both). Allocates everything it will ever need (trajectory
 * storage for cfg->max_points points). Returns 0 and *out; DTW_EINVAL with a
 * message ("controller joint 'x' is not in the robot model", "joint 'x' has no
 * gains", no joints, bad values), DTW_ENOMEM. */
int dtw_jtc_create(const dtw_jtc_config_t *cfg, const dtw_joint_desc_t *joints, size_t n_joints,
                   dtw_jtc_t **out, char *err, size_t errlen);
/* Free the controller; NULL is fine. */
void dtw_jtc_destroy(dtw_jtc_t *jtc);

/* Validate msg (dtw_jtc_validate) and, if valid, make it the active trajectory
 * at time now_s (see the semantics above). Returns 0, a refusal code (the
 * active trajectory is kept; the reason's counter is incremented) or
 * DTW_EINVAL for NULL arguments. Does not allocate. */
int dtw_jtc_accept(dtw_jtc_t *jtc, const dtw_joint_trajectory_msg_t *msg, double now_s,
                   char *err, size_t errlen);
/* As dtw_jtc_accept, but an unstamped trajectory ("start now") starts at
 * start_s (>= now_s) instead: a loop behind its schedule starts it where it
 * will be once caught up. Stamped ones start at their stamp as always. */
int dtw_jtc_accept_at(dtw_jtc_t *jtc, const dtw_joint_trajectory_msg_t *msg, double now_s,
                      double start_s, char *err, size_t errlen);

/* One control step at now_s: sample the desired state, check tolerances,
 * compute efforts. q, qd: measured state, robot joint order (length of the
 * robot table). effort_out: robot joint order; only the controller's joints
 * are written. Does not allocate. */
void dtw_jtc_update(dtw_jtc_t *jtc, double now_s, const double *q, const double *qd,
                    double *effort_out);
/* dtw_jtc_update with a feed-forward effort ff (robot joint order, e.g. the
 * model's gravity and Coriolis forces at the measured state) added to each
 * joint's PID effort before the effort-limit clamp; ff NULL = none. */
void dtw_jtc_update_ff(dtw_jtc_t *jtc, double now_s, const double *q, const double *qd,
                       const double *ff, double *effort_out);

/* Drop the active trajectory and hold positions q (robot joint order), or
 * the current desired positions if q is NULL; velocities 0, integral terms
 * reset, status IDLE. For reset/teleport. Does not allocate. */
void dtw_jtc_hold(dtw_jtc_t *jtc, const double *q);

/* dtw_jtc_hold at positions q, then the desired position moves on at
 * velocities qd (robot joint order) from now_s for horizon_s seconds and
 * stays where it got to (inside the joint's limits); the desired velocity is
 * qd until then, 0 after. For a twin set to a moving robot's sampled state
 * (mirror mode): holding still would brake it between two samples. qd NULL
 * or horizon_s <= 0: the same as dtw_jtc_hold. Does not allocate. */
void dtw_jtc_hold_moving(dtw_jtc_t *jtc, const double *q, const double *qd, double now_s,
                         double horizon_s);

/* Copy the current state into *out. Does not allocate. */
void dtw_jtc_get_state(const dtw_jtc_t *jtc, dtw_jtc_state_t *out);

/* The state as control_msgs/JointTrajectoryControllerState (dtw/msgs.h), what
 * <controller>/controller_state carries: reference, feedback and error
 * (positions, velocities; the reference's accelerations too), and the output
 * as the commanded effort. st is the caller's scratch (left holding the
 * snapshot). The joint names are written only into an out that holds none
 * or another count (zeroed, or reused for this controller: the names stay).
 * Does not allocate. */
void dtw_jtc_state_msg(const dtw_jtc_t *jtc, dtw_time_t stamp, dtw_jtc_state_t *st,
                       dtw_jtc_state_msg_t *out);

/* Number of controller joints; name of controller joint k (NULL if out of
 * range); index of controller joint k in the robot table (-1 if out of range). */
size_t dtw_jtc_joint_count(const dtw_jtc_t *jtc);
const char *dtw_jtc_joint_name(const dtw_jtc_t *jtc, size_t k);
int dtw_jtc_robot_index(const dtw_jtc_t *jtc, size_t k);

/* The configuration the controller was created with. */
const dtw_jtc_config_t *dtw_jtc_config(const dtw_jtc_t *jtc);

#endif /* DTW_JTC_H */
