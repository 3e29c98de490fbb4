/* control__jtc_params.h - the controllers file (a ros2_control parameter file
 * for joint_trajectory_controller) declared once, as parameter tables of the
 * kind the node settings use (dtw/config.h: X(type, name, default, min, max,
 * choices, help); def NULL = required). The tables drive the loader
 * (jtc_config.c: type, range and choice checks are core's), the defaults, the
 * writer and the reference in docs/controllers.md (jtc_params.c).
 * Internal to src/control. */
#ifndef DTW_CONTROL__JTC_PARAMS_H
#define DTW_CONTROL__JTC_PARAMS_H

#include "dtw/config.h"
#include "dtw/jtc.h"

#define DTW_JTC_TYPE "joint_trajectory_controller/JointTrajectoryController"

/* controller_manager: ros__parameters (beside the controllers' {type: ...}) */
#define DTW_JTC_MANAGER_PARAMS(X)                                                          \
  X(INT, update_rate, "1000", 1, 100000, NULL,                                             \
    "Controller manager's loop rate, Hz (informative: the twin runs the controller once "  \
    "per physics step)")

/* <controller>: ros__parameters, the plain values; nested maps are dotted names */
#define DTW_JTC_PARAMS(X)                                                                  \
  X(ENUM, interpolation_method, "splines", 0, 0, "splines|none",                           \
    "splines: degree from what the points carry; none: each segment outputs its end point") \
  X(BOOL, allow_partial_joints_goal, "false", 0, 0, NULL,                                   \
    "Accept trajectories naming some joints only (the others hold their position)")        \
  X(BOOL, open_loop_control, "false", 0, 0, NULL,                                           \
    "Accepted; dtwin always starts a new trajectory from the desired state")               \
  X(BOOL, allow_nonzero_velocity_at_trajectory_end, "false", 0, 0, NULL,                    \
    "Accept trajectories whose last point has a velocity")                                 \
  X(DOUBLE, state_publish_rate, "50.0", 0.1, 10000, NULL,                                   \
    "controller_state publish rate, Hz (informative)")                                     \
  X(INT, max_points, "256", 1, 100000, NULL,                                                \
    "Most points a trajectory may have (storage sized when the controller is created)")    \
  X(DOUBLE, constraints__stopped_velocity_tolerance, "0.01", 0, 100, NULL,                  \
    "Largest |velocity error| at the goal, rad/s (0 = unchecked)")                         \
  X(DOUBLE, constraints__goal_time, "0.0", 0, 3600, NULL,                                   \
    "Time after the last point to reach the goal tolerances, s (0 = wait forever)")

/* joint_trajectory_controller parameters dtwin reads and does not use */
#define DTW_JTC_IGNORED_PARAMS(X)                                                          \
  X(DOUBLE, action_monitor_rate, "20.0", 0, 10000, NULL, "Ignored: no action server")      \
  X(BOOL, set_last_command_interface_value_as_state_on_activation, "true", 0, 0, NULL,     \
    "Ignored: no position command interface")

/* constraints.<joint> */
#define DTW_JTC_TOLERANCE_PARAMS(X)                                                        \
  X(DOUBLE, trajectory, "0.0", 0, 100, NULL,                                               \
    "Path tolerance: |position error| above it while moving aborts, rad or m (0 = off)")  \
  X(DOUBLE, goal, "0.0", 0, 100, NULL,                                                     \
    "Goal tolerance: |position error| at the end, rad or m (0 = unchecked)")

/* gains.<joint>: fields of dtw_jtc_gains_t, same names */
#define DTW_JTC_GAIN_PARAMS(X)                                                             \
  X(DOUBLE, p, NULL, 0, 1e6, NULL, "Proportional gain, N m/rad")                           \
  X(DOUBLE, i, "0.0", 0, 1e6, NULL, "Integral gain, N m/(rad s)")                          \
  X(DOUBLE, d, "0.0", 0, 1e6, NULL, "Derivative gain, N m s/rad")                          \
  X(DOUBLE, i_clamp, "0.0", 0, 1e6, NULL, "Bound of the integral term, N m (0: no integral)") \
  X(DOUBLE, ff_velocity_scale, "0.0", -1e6, 1e6, NULL, "Effort += this x desired velocity")

DTW_PARAM_STRUCT(dtw__jtc_manager_t, DTW_JTC_MANAGER_PARAMS);
DTW_PARAM_STRUCT(dtw__jtc_params_t, DTW_JTC_PARAMS);
DTW_PARAM_STRUCT(dtw__jtc_ignored_t, DTW_JTC_IGNORED_PARAMS);
DTW_PARAM_STRUCT(dtw__jtc_tolerance_t, DTW_JTC_TOLERANCE_PARAMS);

extern const dtw_param_table_t dtw__jtc_manager_table;
extern const dtw_param_table_t dtw__jtc_param_table;
extern const dtw_param_table_t dtw__jtc_ignored_table;
extern const dtw_param_table_t dtw__jtc_tolerance_table; /* into dtw__jtc_tolerance_t */
extern const dtw_param_table_t dtw__jtc_gain_table;      /* into dtw_jtc_gains_t */

/* The values of the tables' structs in the controller's configuration, and back. */
void dtw__jtc_params_apply(const dtw__jtc_manager_t *m, const dtw__jtc_params_t *p,
                           dtw_jtc_config_t *cfg);
void dtw__jtc_params_take(const dtw_jtc_config_t *cfg, dtw__jtc_manager_t *m,
                          dtw__jtc_params_t *p);

#endif /* DTW_CONTROL__JTC_PARAMS_H */
