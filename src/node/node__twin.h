/* A MuJoCo twin as a node on the bus: the part the twin (sim_node.c, under
 * /twin) and the robot emulator (robot_node.c, under /robot) share. It owns
 * the twin, the bus node, the joint_states publisher and the
 * <controller>/joint_trajectory subscription, and tallies what it handles
 * (trajectories received, joint_states published, refusals by the node's
 * reason) for the node's stats.
 *
 * Embedded in the node, which is calloc'd: fini is safe on a zeroed struct.
 * The node registers the metric handles in m (its own names, help texts and
 * order); a handle left NULL is a no-op. init/open/subscribe allocate; the
 * per-step functions do not. One thread drives a node. */
#ifndef DTW_NODE__TWIN_H
#define DTW_NODE__TWIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtw/bus.h"
#include "dtw/http.h"
#include "dtw/jtc.h"
#include "dtw/metrics.h"
#include "dtw/twin.h"
#include "node__util.h"

/* The refusal reasons both nodes have, first in their DTW_*_REFUSAL_MAP;
 * the node's other reasons follow (at most DTW__TWIN_NODE_MAX_REFUSALS). */
#define DTW__TWIN_REFUSAL_TRAJECTORY_INVALID 0
#define DTW__TWIN_REFUSAL_TRAJECTORY_MALFORMED 1
#define DTW__TWIN_NODE_MAX_REFUSALS 8
/* Check at compile time that a node's reasons (prefix P, e.g. DTW_SIM_REFUSAL) fit. */
#define DTW__TWIN_NODE_REFUSALS_FIT(P)                                                \
  _Static_assert(P##_TRAJECTORY_INVALID == DTW__TWIN_REFUSAL_TRAJECTORY_INVALID &&    \
                     P##_TRAJECTORY_MALFORMED == DTW__TWIN_REFUSAL_TRAJECTORY_MALFORMED && \
                     P##_COUNT <= DTW__TWIN_NODE_MAX_REFUSALS,                        \
                 #P " must start with the shared trajectory reasons")

/* The node settings the shared part reads (strings point into the node's
 * own copy of its settings, which outlives the struct). */
typedef struct dtw__twin_node_config {
  const char *node_name, *ns, *remappings;
  const char *qos_joint_states;  /* "default" or "sensor_data" */
  const char *controller;        /* topics <controller>/joint_trajectory... */
  size_t max_trajectory_points;
} dtw__twin_node_config_t;

/* From any node settings struct built on DTW_NODE_PARAMS and DTW_TWIN_PARAMS
 * with a qos__joint_states parameter. */
#define DTW__TWIN_NODE_CONFIG(s)                                                          \
  ((dtw__twin_node_config_t){(s)->node_name, (s)->namespace, (s)->remappings,            \
                             (s)->qos__joint_states, (s)->controller,                    \
                             (size_t)(s)->max_trajectory_points})

typedef struct dtw__twin_node {
  dtw__twin_node_config_t cfg;
  const char *log;                 /* log component: "sim", "robot" */
  bool log_jtc_reason;             /* name the controller's reason in refusal lines */
  dtw_twin_t *twin;
  dtw_bus_node_t *node;
  dtw_pub_t *joint_states;
  dtw_pub_t *controller_state;     /* NULL: not published */
  dtw_sub_t *trajectory;
  dtw_joint_trajectory_msg_t traj_in;  /* sized at open, reused every step */
  dtw_jtc_state_t ctl_state;           /* the last controller state published */
  dtw_jtc_state_msg_t ctl_out;
  uint64_t ctl_every;                  /* publish every ctl_every steps; 0 = never */
  double ctl_stamp_offset_s;           /* stamp = simulated time + this (the node's clock) */
  dtw__log_limiter_t limit_traj, limit_physics;
  /* physics health: failures in the current window of steps; the readiness
   * condition "<fqn>: physics advancing" follows the last full window */
  dtw_health_ready_t *physics_ready;
  unsigned window_steps, window_failures;
  bool physics_failing;            /* the last window's verdict (logged when it changes) */
  char fqn[520];
  char traj_topic[1024];           /* resolved, as metric labels show it */
  /* tallies, for the node's stats */
  uint64_t received, published;    /* trajectories, joint_states */
  uint64_t ctl_published;          /* controller states */
  uint64_t refused[DTW__TWIN_NODE_MAX_REFUSALS];
  struct {
    dtw_counter_t *pub_js, *pub_ctl, *recv_traj, *physics_failures;
    dtw_counter_t *refused[DTW__TWIN_NODE_MAX_REFUSALS];   /* by the node's reason */
    dtw_counter_t *traj_refused[DTW_JTC_REFUSAL_COUNT];    /* by the controller's */
  } m;
} dtw__twin_node_t;

/* Name the node (fqn from cfg) and create its twin. Returns 0 or the twin's
 * errors, with a message. */
int dtw__twin_node_init(dtw__twin_node_t *tn, const char *log, const dtw__twin_node_config_t *cfg,
                        const dtw_twin_settings_t *ts, char *err, size_t errlen);
/* The trajectory buffer, the bus node with its remappings and the
 * joint_states publisher. Returns 0, DTW_EINVAL (bad names), DTW_EDDS or
 * DTW_ENOMEM, with a message. */
int dtw__twin_node_open(dtw__twin_node_t *tn, dtw_bus_t *bus, char *err, size_t errlen);
/* The <controller>/joint_trajectory subscription; fills traj_topic.
 * Returns 0 or the bus's errors, with a message. */
int dtw__twin_node_subscribe(dtw__twin_node_t *tn, char *err, size_t errlen);
/* The <controller>/controller_state publisher
 * (control_msgs/JointTrajectoryControllerState: the controller's reference,
 * feedback, error and output effort), published every ctl_every steps so that
 * it comes at rate_hz of the twin's physics (0: none). Writes the resolved
 * topic into topic (cap bytes) for metric labels. Returns 0 or the bus's
 * errors, with a message. */
int dtw__twin_node_open_controller_state(dtw__twin_node_t *tn, double rate_hz, char *topic,
                                         size_t cap, char *err, size_t errlen);
/* After step k (1, 2, ...): publish the controller state if it is due.
 * Returns 1 if it published (tn->ctl_state then holds it), else 0. */
int dtw__twin_node_controller_state_due(dtw__twin_node_t *tn, uint64_t k);
/* Tell host health the node is ready (health may be NULL), and register the
 * condition "<fqn>: physics advancing": false while at least
 * DTW__PHYSICS_FAIL_PERMILLE of the steps of the last window of
 * DTW__PHYSICS_WINDOW failed (a model that compiles but explodes). */
#define DTW__PHYSICS_WINDOW 1000u
#define DTW__PHYSICS_FAIL_PERMILLE 10u
void dtw__twin_node_set_ready(dtw__twin_node_t *tn, dtw_health_t *health);
/* Destroy the bus node (and its endpoints), the buffer and the twin. */
void dtw__twin_node_fini(dtw__twin_node_t *tn);

/* Count a refusal by the node's reason. */
void dtw__twin_node_refuse(dtw__twin_node_t *tn, int reason);
/* The next trajectory that arrived (in traj_in, counted as received), or NULL
 * when none is left or one was malformed (refused, logged; the rest wait for
 * the next step). */
const dtw_joint_trajectory_msg_t *dtw__twin_node_take_trajectory(dtw__twin_node_t *tn);
/* Hand a trajectory to the controller; a refusal is counted and logged.
 * Returns 0 or the controller's code. */
int dtw__twin_node_accept_trajectory(dtw__twin_node_t *tn, const dtw_joint_trajectory_msg_t *traj);
/* One physics step; a failure is counted. Returns 0 or DTW_ESIM. */
int dtw__twin_node_step(dtw__twin_node_t *tn);
/* Publish on joint_states and count it. */
void dtw__twin_node_publish_joint_state(dtw__twin_node_t *tn, const dtw_joint_state_msg_t *msg);

#endif /* DTW_NODE__TWIN_H */
