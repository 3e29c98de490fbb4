/* dtw/sync_node.h - the synchronization_node: the sync logic of dtw/sync.h
 * on the bus, comparing the physical robot with its twin.
 *
 * With robot_namespace /robot and twin_namespace /twin (the defaults) the node
 *   subscribes /robot/joint_states, /twin/joint_states (sensor_data QoS: best
 *              effort, so it matches reliable and best-effort publishers);
 *              in mirror mode /robot/<name>/controller_state for each name
 *              robot_controller lists (control_msgs/JointTrajectoryController-
 *              State: the robot's command, dtw_sync_on_robot_controller; up to
 *              8, comma-separated, each naming its own joints), with "*" each
 *              one of that type the ROS graph shows under /robot (a graph
 *              cache on the bus, read at each tick), none when the setting is
 *              empty;
 *   publishes  sync/status (diagnostic_msgs/DiagnosticArray, at status_rate_hz;
 *              "/sync/status" in the default namespace "/"),
 *              /twin/set_state (sensor_msgs/JointState: mirror mode forwards
 *              every accepted robot sample, stamps kept; shadow mode sends the
 *              robot's latest state at each re-sync);
 *   serves     sync/resync (std_srvs/Trigger: re-sync the twin at the next
 *              tick; success=false with the reason in mirror mode, before any
 *              twin sample, or before any robot sample).
 *
 * /sync/status holds one DiagnosticStatus "sync: overall" (message = state
 * name NO_DATA/SYNCED/DIVERGED/STALE/FAULT/DEGRADED, level = dtw_sync_state_level, values =
 * the first DTW_DIAG_MAX_VALUES of dtw_sync_report_kv), one "sync: feed" with
 * the next ones (liveness and counters, robot_publishers last; same level) and,
 * when a fault report makes them more, "sync: feed 2" with the rest, and
 * one "sync: <group>" per joint group (ERROR when a member is above an alarm,
 * the state's level in NO_DATA/STALE, else OK).
 *
 * The joint set is the twin's: the synchronizer (dtw_sync_create) is created
 * on the first valid twin sample, from its joint names; robot samples before
 * it are counted as received but not compared (nothing to compare with). The
 * per-joint and per-group metric series are registered then, once. A
 * joint_groups setting that does not fit those joints makes
 * dtw_sync_node_poll fail with DTW_EINVAL from then on (a configuration
 * error, logged once).
 *
 * Times: the node's clock is the caller's now_s (monotonic seconds,
 * e.g. dtw_clock_mono_ns() / 1e9); samples taken in one poll are stamped
 * received at that now_s, so poll often (every ~1 ms) for fine latency
 * figures. Robot stamps are usually another clock (sim or wall time), so the
 * latency histogram is offset-corrected: receive - stamp - clock_offset_s of
 * the last tick, i.e. the latency above the window's fastest sample.
 *
 * Metrics (label node=<fqn>): dtwin_sync_state (0 NO_DATA, 1 SYNCED,
 * 2 DIVERGED, 3 STALE), dtwin_sync_state_info{state}, dtwin_sync_position_error_radians{joint}
 * (windowed max), dtwin_sync_position_error_rms_radians{group} (and
 * group="overall"), dtwin_sync_velocity_error_rms_radians_per_second{group="overall"},
 * dtwin_sync_latency_seconds (histogram), dtwin_sync_clock_offset_seconds,
 * dtwin_sync_robot_sample_age_seconds, dtwin_sync_robot_message_rate_hz,
 * dtwin_sync_resyncs_total{reason=threshold|period|request},
 * dtwin_sync_transitions_total{to}, dtwin_messages_received_total{topic},
 * dtwin_messages_refused_total{topic,reason}, dtwin_messages_published_total{topic},
 * dtwin_service_requests_total{service}. Readiness condition
 * "<fqn>: robot and twin joint_states matched".
 *
 * Lifecycle: create (allocates) -> poll from one thread (no allocation, but
 * the one-time creation of the synchronizer on the first twin sample) ->
 * destroy. Not thread-safe: one thread calls everything. */
#ifndef DTW_SYNC_NODE_H
#define DTW_SYNC_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "dtw/config.h"
#include "dtw/node.h"
#include "dtw/robot.h"
#include "dtw/sim_dynamics.h"
#include "dtw/sync.h"
#include "dtw/twin.h"

/* Settings of node "sync": the ROS identity, then the synchronizer's own. */
#define DTW_SYNC_NODE_PARAMS(X)                                                               \
  DTW_NODE_PARAMS(X, "synchronization_node", "/")                                            \
  DTW_SYNC_PARAMS(X)

DTW_PARAM_STRUCT(dtw_sync_node_settings_t, DTW_SYNC_NODE_PARAMS);
extern const dtw_param_table_t dtw_sync_node_param_table;

/* Why a received sample was refused: X(name, metric reason label, help). */
#define DTW_SYNC_NODE_REFUSALS(X)                                                             \
  X(ROBOT_SIZE, "size", "robot: position/velocity count differs from the name count")        \
  X(ROBOT_NO_POSITION, "no_position", "robot: no positions")                                 \
  X(ROBOT_NONFINITE, "nonfinite", "robot: NaN or infinite value")                            \
  X(ROBOT_DUPLICATE, "duplicate", "robot: a joint named twice")                              \
  X(ROBOT_NO_KNOWN_JOINT, "no_known_joint", "robot: no name is a twin joint")                \
  X(ROBOT_MALFORMED, "malformed", "robot: the bus could not decode or validate it")          \
  X(ROBOT_TOO_LARGE, "too_large", "robot: more joints than DTW_MAX_JOINTS")                  \
  X(ROBOT_STAMP_FUTURE, "stamp_future", "robot: stamp far ahead of the feed's clock")         \
  X(ROBOT_OTHER_PUBLISHER, "other_publisher",                                                 \
    "robot: from a second publisher on the robot topic (the first keeps the feed)")          \
  X(TWIN_INVALID, "invalid", "twin: sizes, NaN, duplicates or no known joint")               \
  X(TWIN_MALFORMED, "malformed", "twin: the bus could not decode or validate it")            \
  X(TWIN_TOO_LARGE, "too_large", "twin: more joints than DTW_MAX_JOINTS")                    \
  X(CONTROLLER_INVALID, "invalid",                                                            \
    "robot controller state: sizes, NaN, no known joint, or not decodable")                   \
  X(CONTROLLER_OTHER_PUBLISHER, "other_publisher",                                            \
    "robot controller state: from a second publisher on that topic (the first keeps it)")

typedef enum {
#define DTW__SYNC_NODE_REFUSAL_ENUM(name, label, help) DTW_SYNC_NODE_REFUSED_##name,
  DTW_SYNC_NODE_REFUSALS(DTW__SYNC_NODE_REFUSAL_ENUM)
#undef DTW__SYNC_NODE_REFUSAL_ENUM
  DTW_SYNC_NODE_REFUSAL_COUNT
} dtw_sync_node_refusal_t;

/* Metric label of a refusal ("size", "malformed", ...); "?" if unknown. */
const char *dtw_sync_node_refusal_name(int reason);

/* Re-sync reasons, as in the metric label. */
typedef enum {
  DTW_SYNC_NODE_RESYNC_THRESHOLD = 0,
  DTW_SYNC_NODE_RESYNC_PERIOD,
  DTW_SYNC_NODE_RESYNC_REQUEST,
  DTW_SYNC_NODE_RESYNC_REASON_COUNT
} dtw_sync_node_resync_reason_t;

/* "threshold", "period", "request"; "?" if unknown. */
const char *dtw_sync_node_resync_reason_name(int reason);

/* The node's own counters since create. */
typedef struct dtw_sync_node_stats {
  uint64_t robot_received, twin_received;      /* taken from the bus, refused included */
  uint64_t robot_before_twin;                  /* robot samples before the synchronizer existed */
  uint64_t refused[DTW_SYNC_NODE_REFUSAL_COUNT];
  uint64_t status_published, set_state_published;
  uint64_t resyncs[DTW_SYNC_NODE_RESYNC_REASON_COUNT];
  uint64_t resync_requests_refused;            /* /sync/resync answered success=false */
  uint64_t ticks;
  double time_in_state_s[DTW_SYNC_STATE_COUNT]; /* accumulated tick to tick */
  int matched;                                 /* 1 once both subscriptions have a publisher */
  int robot_publishers;                        /* publishers matched on the robot topic */
  uint64_t robot_publisher_changes;            /* the feed passed to another publisher */
} dtw_sync_node_stats_t;

typedef struct dtw_sync_node dtw_sync_node_t;

/* Create the node and its endpoints on host->bus, its metrics on
 * host->metrics and its readiness condition on host->health (both may be
 * NULL). The settings are copied; the synchronizer itself is created on the
 * first twin sample (see the file comment). Returns 0, DTW_EINVAL (bad
 * names, mode or alignment), DTW_EDDS or DTW_ENOMEM with a message in err. */
int dtw_sync_node_create(const dtw_sync_node_settings_t *settings, const dtw_node_host_t *host,
                         dtw_sync_node_t **out, char *err, size_t errlen);
/* Use spec (joint_groups syntax, any length) instead of the joint_groups
 * setting when the synchronizer is created. Copies spec (allocates: call
 * after create, before polling). Returns 0, DTW_EINVAL or DTW_ENOMEM. */
int dtw_sync_node_set_joint_groups(dtw_sync_node_t *node, const char *spec);

/* When the twin's model is at hand (one process): if the joint_groups setting
 * is empty, or is the default and leaves a joint of this twin in no group,
 * use one group per kinematic chain of the twin (dtw_sync_groups_from_tree,
 * at most DTW_SYNC_MAX_GROUPS - 1). Returns 1 if it did, 0 if the setting
 * stays, or a negative code with a message. Allocates (start-up). */
int dtw_sync_node_groups_from_twin(dtw_sync_node_t *node, const dtw_twin_t *twin, char *err,
                                   size_t errlen);

/* Destroy the endpoints and the synchronizer; NULL is fine. */
void dtw_sync_node_destroy(dtw_sync_node_t *node);

/* Give synchronizer s the twin's model: its inverse dynamics for the torque
 * residuals, its torques per kilogram for the payload fit and its joints'
 * effort limits (dtw_sync_set_dynamics, dtw_sync_set_load_model and
 * dtw_sync_set_effort_limits through dyn, which must outlive s's use of it).
 * The node does this with its own model; `dtwin analyze` and bench_faults
 * with theirs. */
void dtw_sync_node_use_model(dtw_sync_t *s, dtw_sim_dyn_t *dyn);

/* One turn of the node at now_s (dtw_clock_mono_ns, in seconds): take every
 * pending twin sample, then every pending robot sample (each received when it
 * is taken: that clock, read then; mirror mode forwards each accepted one),
 * then (mirror mode) the robot's controller states, serve /sync/resync, and
 * when a tick is due (status_rate_hz) run dtw_sync_tick, log transitions (with the
 * responsible joints) and re-syncs (with their reason), perform the re-sync
 * (shadow mode), update the metrics and publish /sync/status. Returns 1 when
 * it ticked, 0 when not, DTW_EINVAL when the synchronizer cannot be created
 * for the twin's joints (bad joint_groups; logged), or DTW_EINVAL for a
 * non-finite now_s. Does not allocate, but once (see above). */
int dtw_sync_node_poll(dtw_sync_node_t *node, double now_s);

/* The snapshot of the last tick (dtw_sync_report). Before the synchronizer
 * exists: state NO_DATA, zero joints and groups, NaN times. No allocation. */
void dtw_sync_node_report(const dtw_sync_node_t *node, dtw_sync_report_t *out);

/* Give the node the twin's robot description for the model-based residuals
 * of the fault isolation (dtw/sim_dynamics.h). desc must stay valid until the
 * node is destroyed (dtwin up passes its twin's). The model is compiled here
 * (tens of ms; call it before the loop that polls the node) and bound to the
 * twin's joints when they are known (first twin sample); a model that does
 * not compile or fit them is logged and the isolation runs without it. NULL:
 * none. Once a model is compiled, later calls are ignored. Allocates. */
void dtw_sync_node_set_model(dtw_sync_node_t *node, const dtw_robot_desc_t *desc);
/* The node's counters. */
void dtw_sync_node_get_stats(const dtw_sync_node_t *node, dtw_sync_node_stats_t *out);
/* The synchronizer, or NULL before the first twin sample (for its
 * transition records and joint names; the node keeps ownership). */
const dtw_sync_t *dtw_sync_node_sync(const dtw_sync_node_t *node);
/* "<namespace>/<node_name>" ("/synchronization_node"). */
const char *dtw_sync_node_fqn(const dtw_sync_node_t *node);
/* Resolved topic names ("/robot/joint_states", "/twin/joint_states", "/sync/status"). */
const char *dtw_sync_node_robot_topic(const dtw_sync_node_t *node);
const char *dtw_sync_node_twin_topic(const dtw_sync_node_t *node);
const char *dtw_sync_node_status_topic(const dtw_sync_node_t *node);

#endif /* DTW_SYNC_NODE_H */
