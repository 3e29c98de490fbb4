/* dtw/robot_node.h - the stand-in for the physical robot ("robot emulator").
 *
 * Its own MuJoCo instance of the robot (a dtw_twin_t made into a robot by the
 * emulator component, dtw/robot_emu.h; this node joins it to the bus), in
 * namespace /robot by default (node robot_emulator), that differs from the
 * twin the way a real robot does:
 *   model error      masses x mass_scale, friction/damping x friction_scale;
 *   encoder noise    Gaussian on positions (encoder_noise_rad), velocities
 *                    (velocity_noise_rad_s) and efforts (effort_noise_nm, 0
 *                    by default), from a seeded PRNG: the same seed gives the
 *                    same noise;
 *   latency          each sample is stamped when measured and published when
 *                    due, latency_s + U(0, latency_jitter_s) later (robot time):
 *                    receivers see stamps older than arrival. Samples leave in
 *                    the order they were measured (one link, no overtaking);
 *   loss             each sample is dropped with probability loss_rate;
 *   its own clock    stamp = simulated time since start + clock_offset_s;
 *   an operator      `motion` (a YAML motion) played, in a loop if motion_loop;
 *   faults           a joint that locks, loses its torque, a sensor that freezes
 *                    (published position stuck, physics goes on), a feed that
 *                    goes silent for a while; each at a simulated time.
 * Its topics:
 *   publishes  joint_states (sensor_msgs/JointState: every joint, or the
 *              replay file's joints; stamp = robot clock at measurement);
 *              <controller>/controller_state (control_msgs/
 *              JointTrajectoryControllerState at controller_state_rate_hz:
 *              the controller's reference, true feedback, error and the
 *              effort it commands - which a joint without torque does not
 *              deliver; robot clock; not sent through the link, none in replay);
 *   subscribes <controller>/joint_trajectory (trajectory_msgs/JointTrajectory);
 *              fault (std_msgs/String, physics only): "lock <joint>",
 *              "no_torque <joint>", "freeze <joint>" start that fault now,
 *              "clear" ends them (checked every 0.1 s of robot time).
 *
 * Replay (replay_file set): the rows of a CSV, or the JointStates of an MCAP
 * recording (replay_topic; names matched to the model, others reported), are
 * published at their recorded times relative to the start divided by
 * replay_rate (looped if replay_loop) instead of running the
 * physics. They go through the same pipeline - clock offset, latency, loss,
 * the freeze and silent faults - but get no added noise (a recording has its
 * own); lock/no_torque faults need physics and are refused with a replay.
 * Trajectories are then received, counted and refused (reason "replaying").
 *
 * Time: everything (fault start times, latency, stamps) runs on the robot's
 * simulated time, steps x physics timestep; paced at rtf 1 it follows the
 * wall clock. The owner paces dtw_robot_node_step() (dtw/runner.h).
 * Creation allocates everything (delay queue sized for the largest latency at
 * the physics rate); stepping does not allocate. One thread drives a node. */
#ifndef DTW_ROBOT_NODE_H
#define DTW_ROBOT_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/bus.h"
#include "dtw/config.h"
#include "dtw/node.h"
#include "dtw/robot_emu.h"
#include "dtw/twin.h"

/* Settings of node "robot": the ROS side, the emulated robot's (its
 * imperfections, faults, replay: dtw/robot_emu.h), then the twin's own
 * (dtw/twin.h). */
#define DTW_ROBOT_NODE_PARAMS(X)                                                              \
  DTW_NODE_PARAMS(X, "robot_emulator", "/robot")                                              \
  X(DOUBLE, joint_states_rate_hz, "500", 1, 20000, NULL,                                      \
    "Rate at which joint states are measured and sent (capped at the physics rate)")          \
  X(ENUM, qos__joint_states, "sensor_data", 0, 0, "sensor_data|default",                      \
    "QoS profile of joint_states: sensor_data (best effort, keep last 5) or default "         \
    "(reliable, keep last 10)")                                                               \
  X(DOUBLE, controller_state_rate_hz, "100", 0, 1000, NULL,                                   \
    "Rate of <controller>/controller_state (the controller's reference, error and output "    \
    "effort, which mirror-mode sync reads); 0 = not published")                               \
  DTW_ROBOT_EMU_PARAMS(X)                                                                     \
  DTW_TWIN_PARAMS(X)

DTW_PARAM_STRUCT(dtw_robot_node_settings_t, DTW_ROBOT_NODE_PARAMS);
extern const dtw_param_table_t dtw_robot_node_param_table;

/* Why input was refused (metric label in brackets). */
#define DTW_ROBOT_REFUSAL_MAP(X)                                                   \
  X(TRAJECTORY_INVALID, "trajectory_invalid", "trajectory refused by the controller") \
  X(TRAJECTORY_MALFORMED, "trajectory_malformed", "trajectory sample malformed or too large") \
  X(REPLAYING, "replaying", "trajectory ignored: the robot replays a recording")

typedef enum {
#define DTW__ROBOT_REFUSAL_ENUM(name, label, text) DTW_ROBOT_REFUSAL_##name,
  DTW_ROBOT_REFUSAL_MAP(DTW__ROBOT_REFUSAL_ENUM)
#undef DTW__ROBOT_REFUSAL_ENUM
  DTW_ROBOT_REFUSAL_COUNT
} dtw_robot_refusal_t;

const char *dtw_robot_refusal_name(int reason);

typedef struct dtw_robot_node_stats {
  uint64_t measured;                 /* samples taken (physics or replay rows) */
  uint64_t published;                /* joint_states published */
  uint64_t controller_states_published;
  uint64_t dropped_loss, dropped_silent, dropped_overflow;
  uint64_t trajectories_received, replay_loops;
  uint64_t refused[DTW_ROBOT_REFUSAL_COUNT];
  unsigned fault_active;             /* bit per dtw_robot_fault_t */
  double time_s;                     /* robot's simulated time since start */
} dtw_robot_node_stats_t;

typedef struct dtw_robot_node dtw_robot_node_t;

/* Create the robot (model, model error, motion, faults, replay file) and its
 * endpoints on host->bus, its metrics on host->metrics and readiness on
 * host->health (both optional). Returns 0; the twin's errors (bad model or
 * controller config); DTW_ENOENT/DTW_EPARSE/DTW_ERANGE for the motion or replay
 * file ("file:line: ..."); DTW_EINVAL for a fault naming an unknown joint
 * ("fault.lock_joint: unknown joint 'x'") or a physics fault with a replay,
 * or bad names; DTW_EDDS; DTW_ENOMEM. All but ENOMEM/EDDS are configuration
 * errors.
 *
 * Metrics (label node=<fqn>): dtwin_messages_published_total{topic},
 * dtwin_messages_dropped_total{topic,reason="loss"|"silent"|"queue_full"},
 * dtwin_messages_received_total{topic}, dtwin_messages_refused_total{topic,reason},
 * dtwin_robot_fault_active{fault,joint} (configured faults only; joint="" for
 * silent), dtwin_sim_time_seconds, dtwin_physics_failures_total. */
int dtw_robot_node_create(const dtw_robot_node_settings_t *settings, const dtw_node_host_t *host,
                          dtw_robot_node_t **out, char *err, size_t errlen);
/* NULL is a no-op. */
void dtw_robot_node_destroy(dtw_robot_node_t *node);

/* Poll inputs, apply faults due, one physics step (or replay row check),
 * measure and queue a sample when due, publish queued samples that are due.
 * Returns 0, or DTW_ESIM when the physics failed this step (the robot
 * restarted from its initial pose; its clock keeps running). */
int dtw_robot_node_step(dtw_robot_node_t *node);

/* Period of one step (the physics timestep), for dtw_runner_init. */
double dtw_robot_node_period_s(const dtw_robot_node_t *node);
/* The robot's twin instance (model, controller, status). */
dtw_twin_t *dtw_robot_node_twin(dtw_robot_node_t *node);
/* Not thread-safe: call from the thread that steps the node, or while it is not stepped. */
void dtw_robot_node_get_stats(const dtw_robot_node_t *node, dtw_robot_node_stats_t *out);
/* The robot's simulated time (s) after its last step; 0 before the first. Any thread
 * (an atomic copy), e.g. to stamp commands on the robot's clock while a worker steps it. */
double dtw_robot_node_time_s(const dtw_robot_node_t *node);
/* 1 when replaying a recording instead of running physics. */
int dtw_robot_node_replaying(const dtw_robot_node_t *node);
/* "<namespace>/<node_name>" */
const char *dtw_robot_node_fqn(const dtw_robot_node_t *node);

#endif /* DTW_ROBOT_NODE_H */
