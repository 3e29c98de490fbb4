/* dtw/sim_node.h - the physics twin as a ROS 2 node on the bus.
 *
 * In its namespace (default /twin) the node
 *   publishes  joint_states (sensor_msgs/JointState, every joint, stamp = sim time),
 *              <controller>/controller_state (control_msgs/JointTrajectoryControllerState),
 *              /clock (rosgraph_msgs/Clock) when publish_clock is on;
 *   subscribes <controller>/joint_trajectory (trajectory_msgs/JointTrajectory),
 *              set_state (sensor_msgs/JointState: teleport named joints);
 *   serves     reset, pause, resume (std_srvs/Trigger).
 * Malformed input (sizes that don't match the names, unknown joints, NaN/Inf,
 * trajectories the controller refuses) is refused with a log line and counted
 * by reason; the twin keeps stepping.
 *
 * The node owns its twin. dtw_sim_node_step() advances one physics step and
 * does the node's I/O (polls inputs, publishes at the configured rates) in
 * the caller's thread: the owner paces it (dtw/pacer.h). Creation allocates;
 * stepping does not. One thread drives a node. */
#ifndef DTW_SIM_NODE_H
#define DTW_SIM_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/bus.h"
#include "dtw/config.h"
#include "dtw/node.h"
#include "dtw/twin.h"

/* Settings of node "sim": the ROS side, then the twin's own (dtw/twin.h). */
#define DTW_SIM_NODE_PARAMS(X)                                                                \
  DTW_NODE_PARAMS(X, "digital_twin", "/twin")                                                \
  X(DOUBLE, joint_states_rate_hz, "500", 1, 20000, NULL,                                     \
    "Rate of joint_states (capped at the physics rate)")                                    \
  X(ENUM, qos__joint_states, "sensor_data", 0, 0, "sensor_data|default",                    \
    "QoS profile of joint_states: sensor_data (best effort, keep last 5) or default "       \
    "(reliable, keep last 10)")                                                             \
  X(BOOL, publish_clock, "true", 0, 0, NULL, "Publish simulated time on /clock")             \
  X(DOUBLE, clock_rate_hz, "1000", 1, 20000, NULL, "Rate of /clock (capped at the physics rate)") \
  X(DOUBLE, controller_state_rate_hz, "50", 0, 1000, NULL,                                   \
    "Rate of <controller>/controller_state; 0 = not published")                             \
  DTW_TWIN_PARAMS(X)

DTW_PARAM_STRUCT(dtw_sim_node_settings_t, DTW_SIM_NODE_PARAMS);
extern const dtw_param_table_t dtw_sim_node_param_table;

/* Why input was refused (metric label in brackets). */
#define DTW_SIM_REFUSAL_MAP(X)                                                     \
  X(TRAJECTORY_INVALID, "trajectory_invalid", "trajectory refused by the controller") \
  X(TRAJECTORY_MALFORMED, "trajectory_malformed", "trajectory sample malformed or too large") \
  X(SET_STATE_INVALID, "set_state_invalid", "set_state refused (unknown joint, sizes, NaN)") \
  X(SET_STATE_MALFORMED, "set_state_malformed", "set_state sample malformed")

typedef enum {
#define DTW__SIM_REFUSAL_ENUM(name, label, text) DTW_SIM_REFUSAL_##name,
  DTW_SIM_REFUSAL_MAP(DTW__SIM_REFUSAL_ENUM)
#undef DTW__SIM_REFUSAL_ENUM
  DTW_SIM_REFUSAL_COUNT
} dtw_sim_refusal_t;

const char *dtw_sim_refusal_name(int reason);

typedef struct dtw_sim_node dtw_sim_node_t;

/* Create the twin and its endpoints on host->bus, its metrics on
 * host->metrics and its readiness condition on host->health (both optional).
 * Returns 0, or the twin's errors (bad model/config: DTW_ENOENT/EPARSE/
 * EMODEL...), DTW_EINVAL for bad names, DTW_EDDS, DTW_ENOMEM, with a message.
 *
 * Metrics (label node=<fqn>): dtwin_messages_published_total{topic},
 * dtwin_messages_received_total{topic}, dtwin_messages_refused_total{topic,reason},
 * dtwin_trajectory_refusals_total{reason} (the controller's reasons),
 * dtwin_service_requests_total{service}, dtwin_service_duration_seconds{service},
 * dtwin_sim_time_seconds, dtwin_joint_tracking_error_radians{joint},
 * dtwin_physics_failures_total. */
int dtw_sim_node_create(const dtw_sim_node_settings_t *settings, const dtw_node_host_t *host,
                        dtw_sim_node_t **out, char *err, size_t errlen);
void dtw_sim_node_destroy(dtw_sim_node_t *node);

/* Poll inputs, one physics step, publish what is due. Returns 0, or DTW_ESIM
 * when the physics failed this step (the twin restarted from its initial pose). */
int dtw_sim_node_step(dtw_sim_node_t *node);

dtw_twin_t *dtw_sim_node_twin(dtw_sim_node_t *node);
/* "<namespace>/<node_name>" */
const char *dtw_sim_node_fqn(const dtw_sim_node_t *node);

#endif /* DTW_SIM_NODE_H */
