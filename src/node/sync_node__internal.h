/* sync_node__internal.h - the synchronization node's state, shared by
 * sync_node.c (the node) and sync_node_model.c (the twin's model for the
 * residuals). */
#ifndef DTW_SYNC_NODE__INTERNAL_H
#define DTW_SYNC_NODE__INTERNAL_H

#include "dtw/bus_graph.h"
#include "dtw/sim_dynamics.h"
#include "dtw/sync_node.h"
#include "node__util.h"

#define KV_CAP 48
/* mirror mode: at most this many robot controllers (sync.robot_controller) */
#define DTW__SYNC_NODE_MAX_CTL 8

/* One feed, one publisher: who holds a topic the node reads (the robot's
 * joint states, each controller state). */
typedef struct dtw__feed_owner {
  uint64_t writer;           /* its publisher (dtw_sub_last_writer); 0 none yet */
  double seen_s;             /* ... last heard from */
  uint64_t participant;      /* ... its participant (dtw_sub_writer_participant); 0 unknown */
} dtw__feed_owner_t;

typedef enum { DTW__FEED_OWN, DTW__FEED_PASSED, DTW__FEED_OTHER } dtw__feed_claim_t;

/* A sample from writer w at now_s: the holder's (OWN; w 0, unknown, counts as
 * the holder's), or the topic passes to w because none held it or the holder
 * has been silent for longer than timeout_s (PASSED; *silent_s how long, 0 for
 * a first holder), or another publisher's while the holder lives (OTHER:
 * refuse it, never compare it). */
dtw__feed_claim_t dtw__feed_claim(dtw__feed_owner_t *o, uint64_t w, double now_s, double timeout_s,
                                  double *silent_s);

/* One of the robot's controllers whose state mirror mode reads. */
typedef struct dtw__sync_node_ctl {
  dtw_sub_t *sub;
  char topic[600];
  int logged;                /* 0 not yet, 1 read, -1 missing (logged) */
  dtw__feed_owner_t owner;
  uint64_t asked, asked_participant; /* the last writer asked about, its participant */
  dtw__log_limiter_t limit;
  dtw_counter_t *recv, *refused, *refused_other;
} dtw__sync_node_ctl_t;

struct dtw_sync_node {
  dtw_sync_node_settings_t s;
  dtw_sync_settings_t ss;
  bool mirror;
  dtw_sync_t *sync;          /* created on the first valid twin sample */
  char *groups;              /* joint groups replacing the setting, or NULL */
  bool sync_failed;          /* the twin's joints do not fit the settings */
  dtw_metrics_t *reg;        /* kept for the one-time per-joint registration */
  dtw_bus_node_t *node;
  dtw_sub_t *robot, *twin;
  dtw__sync_node_ctl_t ctl[DTW__SYNC_NODE_MAX_CTL]; /* mirror: the robot's controllers */
  size_t n_ctl;
  dtw_sub_options_t ctl_opts;
  bool ctl_discover;         /* sync.robot_controller '*': each one the graph shows */
  dtw_graph_t *ctl_graph;    /* ... seen through this; NULL otherwise */
  bool ctl_graph_seen, ctl_none_logged;
  dtw__log_limiter_t ctl_graph_limit;
  dtw_jtc_state_msg_t ctl_in;
  dtw_pub_t *status, *set_state;
  dtw_srv_t *resync;
  dtw_health_ready_t *ready;
  char fqn[520];
  char robot_topic[600], twin_topic[600], status_topic[600], set_state_topic[600];
  char resync_service[600];
  /* buffers sized at create, reused every poll */
  dtw_joint_state_msg_t in, out;
  dtw_diag_array_t diag;
  dtw_sync_report_t rep;
  dtw_sync_kv_t kv[KV_CAP];
  /* tick schedule on the caller's clock */
  double period_s, next_tick_s, last_tick_s, first_poll_s;
  double robot_newest_stamp_s; /* newest accepted robot stamp; NaN before */
  /* the robot feed's publisher: samples of others are refused while it lives */
  dtw__feed_owner_t robot_owner;
  uint64_t robot_clock_resets_seen;
  int publishers_logged;
  dtw_bus_stats_t robot_bus_seen, twin_bus_seen;
  dtw_sync_node_stats_t st;
  dtw__log_limiter_t limit_robot, limit_twin;
  const dtw_robot_desc_t *model;  /* for the residuals; not owned */
  dtw_sim_dyn_t *dyn;
  uint64_t faults_seen[DTW_SYNC_FAULT_KIND_COUNT];
  struct {
    dtw_gauge_t *joint_fault[DTW_MAX_JOINTS], *joint_resid[DTW_MAX_JOINTS];
    dtw_gauge_t *joint_onset[DTW_MAX_JOINTS];
    dtw_counter_t *faults[DTW_SYNC_FAULT_KIND_COUNT];
  } f;
  struct {
    dtw_gauge_t *state, *state_info[DTW_SYNC_STATE_COUNT];
    dtw_gauge_t *joint_err[DTW_MAX_JOINTS];
    dtw_gauge_t *group_rms[DTW_SYNC_MAX_GROUPS], *overall_rms, *overall_vel_rms;
    dtw_histogram_t *latency;
    dtw_gauge_t *clock_offset, *sample_age, *rate, *publishers, *pace[2], *twin_behind;
    dtw_counter_t *resyncs[DTW_SYNC_NODE_RESYNC_REASON_COUNT];
    dtw_counter_t *transitions[DTW_SYNC_STATE_COUNT];
    dtw_counter_t *recv_robot, *recv_twin, *pub_status, *pub_set_state, *srv_resync;
    dtw_counter_t *refused[DTW_SYNC_NODE_REFUSAL_COUNT];
  } m;
};

/* Bind the model dtw_sync_node_set_model compiled to the synchronizer's joints
 * (names, count); logged, and left out, when it does not fit. None: no-op. */
void dtw__sync_node_attach_model(dtw_sync_node_t *n, const char *const *names, size_t count);

/* sync_node_ctl.c, mirror mode: subscribe to each controller the settings list
 * (so: the robot feed's options; with '*', a graph cache on bus finds them;
 * 0 or a negative DTW_E* with err), register their metrics (n->reg), take
 * their states into the synchronizer, find new ones and log which are read
 * and which have no publisher (watch, at each tick; matched: both joint-state
 * feeds have a publisher), release the graph (destroy; the bus node owns the
 * subscriptions). */
int dtw__sync_node_ctl_create(dtw_sync_node_t *n, dtw_bus_t *bus, dtw_sub_options_t so,
                              char *err, size_t errlen);
void dtw__sync_node_ctl_metrics(dtw_sync_node_t *n);
/* The monotonic clock when a sample was taken (never before the poll's poll_s). */
double dtw__sync_node_taken_at(double poll_s);
void dtw__sync_node_ctl_take(dtw_sync_node_t *n, double poll_s);
void dtw__sync_node_ctl_watch(dtw_sync_node_t *n, double now_s, bool matched);
void dtw__sync_node_ctl_destroy(dtw_sync_node_t *n);

#endif /* DTW_SYNC_NODE__INTERNAL_H */
