/* dtw/monitor_node.h - the monitoring node: one scrape of it gives the whole
 * twin's health.
 *
 * The node (default /monitoring_node) watches
 *  - the DDS/ROS graph (dtw/bus_graph.h): alive participants and ROS nodes,
 *    whether each expected node is up, how many publishers each watched topic has;
 *  - the watched topics, subscribed raw (any type the bus has IDL for;
 *    sensor_data QoS, which matches reliable and best-effort writers): rate,
 *    largest inter-arrival gap over the window (the gap still open counts),
 *    age of the newest sample, quiet when no sample for quiet_after_s. A topic
 *    given without ":type" is subscribed once the graph shows its type;
 *  - status_topic (diagnostic_msgs/DiagnosticArray from the synchronization
 *    node): the overall status (the status holding a "state" key/value, else
 *    the first) gives the sync state and level; unknown while none was received
 *    within quiet_after_s.
 * It logs a line when an expected node appears or disappears and when a
 * watched topic goes quiet or resumes.
 *
 * Metrics (label node=<fqn of the monitor>): dtwin_graph_participants,
 * dtwin_graph_nodes, dtwin_graph_node_up{ros_node} (1/0 per expected node),
 * dtwin_topic_publishers{topic}, dtwin_topic_rate_hz{topic},
 * dtwin_topic_max_gap_seconds{topic}, dtwin_topic_last_message_age_seconds{topic}
 * (+Inf before the first message), dtwin_topic_quiet{topic} (0/1),
 * dtwin_monitor_sync_state{state} (1 for the current one of NO_DATA, SYNCED,
 * DIVERGED, STALE; all 0 while unknown), dtwin_monitor_sync_level (diagnostic
 * level 0..3, NaN while unknown). Readiness: "<fqn>: graph reader running".
 *
 * Create allocates; dtw_monitor_node_poll allocates only when the graph
 * changes (and grows raw buffers for larger samples). Samples are timed in
 * Cyclone's receive thread (direct callbacks, a mutex per topic); everything
 * else runs in the thread calling poll. One thread drives a node. */
#ifndef DTW_MONITOR_NODE_H
#define DTW_MONITOR_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/config.h"
#include "dtw/node.h"
#include "dtw/ros_names.h"
#include "dtw/sync_states.h"

#define DTW_MONITOR_DEFAULT_NODES "/twin/digital_twin /robot/robot_emulator /synchronization_node"

#define DTW_MONITOR_NODE_PARAMS(X)                                                              \
  DTW_NODE_PARAMS(X, "monitoring_node", "/")                                                   \
  X(STRING, expected_nodes, DTW_MONITOR_DEFAULT_NODES, 0, 0, NULL,                             \
    "Space-separated fully qualified ROS node names that must be alive (dtwin_graph_node_up)") \
  X(STRING, watched_topics, "/twin/joint_states /robot/joint_states /sync/status /clock", 0, 0, \
    NULL,                                                                                      \
    "Space-separated topics to measure, each 'topic' or 'topic:pkg/msg/Type' (without a "     \
    "type the graph's is used)")                                                               \
  X(DOUBLE, quiet_after_s, "1.0", 0.01, 3600, NULL,                                            \
    "A watched topic is quiet when no sample arrived for this long (s)")                       \
  X(DOUBLE, window_s, "1.0", 0.1, 60, NULL, "Window of the rate and gap statistics (s)")       \
  X(STRING, status_topic, "/sync/status", 0, 255, NULL,                                        \
    "diagnostic_msgs/DiagnosticArray whose overall status gives the sync state; empty = none")

DTW_PARAM_STRUCT(dtw_monitor_node_settings_t, DTW_MONITOR_NODE_PARAMS);
extern const dtw_param_table_t dtw_monitor_node_param_table;

#define DTW_MONITOR_MAX_EXPECTED 32
#define DTW_MONITOR_MAX_TOPICS 32


typedef struct dtw_monitor_topic_status {
  const char *topic;        /* full ROS name */
  const char *type;         /* ROS type subscribed ("" while unknown) */
  bool subscribed;
  size_t publishers;
  uint64_t messages;        /* received since create */
  double rate_hz;           /* over the window */
  double max_gap_s;         /* largest inter-arrival in the window, the open gap included */
  double age_s;             /* since the newest sample; +Inf before the first */
  bool quiet;
} dtw_monitor_topic_status_t;

typedef struct dtw_monitor_status {
  size_t participants, nodes;
  size_t duplicate_names;   /* node names more than one graph node carries */
  char duplicate_first[DTW_ROS_NAME_BUF]; /* the first of them; "" if none */
  size_t n_expected, n_expected_up;
  struct {
    const char *fqn;
    bool up;
  } expected[DTW_MONITOR_MAX_EXPECTED];
  size_t n_topics, n_quiet;
  dtw_monitor_topic_status_t topics[DTW_MONITOR_MAX_TOPICS];
  int sync_state;           /* dtw_sync_state_t (dtw/sync_states.h), -1 unknown */
  const char *sync_state_name; /* "NO_DATA"..., "unknown" */
  int sync_level;           /* -1 unknown */
  char sync_message[128];   /* the overall status message */
} dtw_monitor_status_t;

typedef struct dtw_monitor_node dtw_monitor_node_t;

/* Create the node on host->bus (graph reader, subscriptions), its metrics on
 * host->metrics and readiness on host->health (both optional). Returns 0, or
 * DTW_EINVAL (bad names, too many expected nodes/topics, unknown type; message
 * in err), DTW_EDDS, DTW_ENOMEM. */
int dtw_monitor_node_create(const dtw_monitor_node_settings_t *settings,
                            const dtw_node_host_t *host, dtw_monitor_node_t **out, char *err,
                            size_t errlen);
/* Stop the subscriptions and free everything. NULL ok. */
void dtw_monitor_node_destroy(dtw_monitor_node_t *node);

/* Read the graph and the status topic, refresh statistics and metrics, log
 * transitions. now_s: dtw_clock_mono_ns() in seconds (the clock samples are
 * timed with). Call every few ms. Returns 0 or a negative DTW_E* (graph read
 * failure; the node keeps going). */
int dtw_monitor_node_poll(dtw_monitor_node_t *node, double now_s);

/* The clock samples are timed with: ns, on the epoch of poll's now_s. */
typedef int64_t (*dtw_monitor_clock_fn)(void *user);
/* Test hook: time samples with clock(user) instead of dtw_clock_mono_ns(), so
 * a test moving a fake clock (and passing the same time to poll) gets exact
 * rates, gaps and ages. Call right after create, before a sample can arrive
 * (clock is called from Cyclone's receive thread); it restarts the node's
 * start time on the new clock. NULL restores the monotonic clock. */
void dtw_monitor_node_set_clock(dtw_monitor_node_t *node, dtw_monitor_clock_fn clock, void *user);

/* Snapshot of the last poll (strings owned by the node). */
void dtw_monitor_node_get_status(const dtw_monitor_node_t *node, dtw_monitor_status_t *out);
/* "<namespace>/<node_name>" */
const char *dtw_monitor_node_fqn(const dtw_monitor_node_t *node);

#endif /* DTW_MONITOR_NODE_H */
