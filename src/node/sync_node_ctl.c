/* The robot's controllers, as the sync node reads them in mirror mode: the
 * state of each trajectory controller sync.robot_controller lists
 * (<robot_namespace>/<name>/controller_state), mirror mode's command
 * (dtw_sync_on_robot_controller). A robot may run several: one per limb, an
 * arm's and a gripper's; each names its own joints. "*" reads every one the
 * ROS graph shows under the robot's namespace, as they appear. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dtw/bus_graph.h"
#include "dtw/err.h"
#include "sync_node__internal.h"

#define LOG "sync"
#define JTC_STATE_TYPE "control_msgs/msg/JointTrajectoryControllerState"
#define SUFFIX "/controller_state"

static void register_one(dtw_sync_node_t *n, dtw__sync_node_ctl_t *c) {
  if (n->reg == NULL) return;
  c->recv = dtw_metrics_counter(n->reg, "dtwin_messages_received_total",
                                "Messages received (before validation)", "node", n->fqn, "topic",
                                c->topic);
  const char *help = "Messages refused as malformed or invalid, by reason";
  c->refused = dtw_metrics_counter(
      n->reg, "dtwin_messages_refused_total", help, "node", n->fqn, "topic", c->topic, "reason",
      dtw_sync_node_refusal_name(DTW_SYNC_NODE_REFUSED_CONTROLLER_INVALID));
  c->refused_other = dtw_metrics_counter(
      n->reg, "dtwin_messages_refused_total", help, "node", n->fqn, "topic", c->topic, "reason",
      dtw_sync_node_refusal_name(DTW_SYNC_NODE_REFUSED_CONTROLLER_OTHER_PUBLISHER));
}

/* The participant of controller c's writer w, asked of discovery once per new
 * writer (it allocates inside Cyclone; a writer keeps its participant). */
static uint64_t writer_participant(dtw__sync_node_ctl_t *c, uint64_t w) {
  if (w != c->asked) {
    c->asked = w;
    c->asked_participant = dtw_sub_writer_participant(c->sub, w);
  }
  return c->asked_participant;
}

/* Writer w of controller c is in the participant that publishes the robot
 * feed, and c's holder is not: w is this robot's (a controller manager
 * publishes its joint states and its controllers' states from one process). */
static bool robot_participant(dtw_sync_node_t *n, dtw__sync_node_ctl_t *c, uint64_t w) {
  uint64_t p = n->robot_owner.participant;
  if (p == 0 || w == 0 || w == c->owner.writer || c->owner.participant == p) return false;
  return writer_participant(c, w) == p;
}

/* One controller, one publisher, as for the robot feed: the first keeps the
 * topic until it has been silent for the stale timeout - unless another
 * publisher shares the robot feed's participant (a robot whose joint states
 * come from another process keeps the first-come rule). A second robot, or a
 * second dtwin system, on the domain publishes a controller state of the same
 * name: its commands mixed in would be read as this robot's. */
static bool from_ctl_publisher(dtw_sync_node_t *n, dtw__sync_node_ctl_t *c, double now_s) {
  double silent_s = 0;
  uint64_t w = dtw_sub_last_writer(c->sub);
  if (robot_participant(n, c, w)) {
    if (c->owner.writer != 0)
      DTW_WARN(LOG, "%s: passes to the publisher in the robot feed's participant (the states "
               "read so far came from another)", c->topic);
    c->owner = (dtw__feed_owner_t){w, now_s, c->asked_participant};
    return true;
  }
  dtw__feed_claim_t claim =
      dtw__feed_claim(&c->owner, w, now_s, n->ss.stale_timeout_s, &silent_s);
  if (claim == DTW__FEED_OWN) return true;
  if (claim == DTW__FEED_PASSED) {
    c->owner.participant = writer_participant(c, w);
    if (silent_s > 0)
      DTW_WARN(LOG, "%s: passes to another publisher (the previous one was silent for %.1f s)",
               c->topic, silent_s);
    return true;
  }
  n->st.refused[DTW_SYNC_NODE_REFUSED_CONTROLLER_OTHER_PUBLISHER]++;
  dtw_counter_add(c->refused_other, 1);
  dtw__log_limited(&c->limit, DTW_LOG_WARN, LOG,
                   "%s has %d publishers: states of the second are refused (two robots, or two "
                   "dtwin systems, on one topic?)",
                   c->topic, dtw_sub_matched_count(c->sub));
  return false;
}

static int subscribe(dtw_sync_node_t *n, const char *topic, char *err, size_t errlen) {
  for (size_t i = 0; i < n->n_ctl; i++)
    if (strcmp(n->ctl[i].topic, topic) == 0)
      return dtw_errf(err, errlen, DTW_EINVAL, "sync.robot_controller: %s listed twice in '%s'",
                      topic, n->ss.robot_controller);
  if (n->n_ctl == DTW__SYNC_NODE_MAX_CTL)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "sync.robot_controller: more than %d controllers in '%s'",
                    DTW__SYNC_NODE_MAX_CTL, n->ss.robot_controller);
  dtw__sync_node_ctl_t *c = &n->ctl[n->n_ctl];
  int rc = dtw_sub_create(n->node, topic, DTW_TYPE_JTC_STATE, &n->ctl_opts, &c->sub, err, errlen);
  if (rc < 0) return rc;
  n->n_ctl++;
  snprintf(c->topic, sizeof c->topic, "%s", dtw_sub_topic(c->sub));
  return 0;
}

int dtw__sync_node_ctl_create(dtw_sync_node_t *n, dtw_bus_t *bus, dtw_sub_options_t so,
                              char *err, size_t errlen) {
  char topic[2 * DTW_PARAM_STRING_MAX + 32];
  const char *p = n->ss.robot_controller;
  n->ctl_opts = so;
  n->ctl_opts.depth = 16;
  while (*p != '\0') {
    while (*p == ',' || isspace((unsigned char)*p)) p++;
    size_t len = strcspn(p, ",");
    while (len > 0 && isspace((unsigned char)p[len - 1])) len--;
    if (len == 0) continue;
    if (len == 1 && *p == '*') {
      n->ctl_discover = true;
    } else {
      snprintf(topic, sizeof topic, "%s/%.*s" SUFFIX, n->ss.robot_namespace, (int)len, p);
      int rc = subscribe(n, topic, err, errlen);
      if (rc < 0) return rc;
    }
    p += len;
  }
  if (n->ctl_discover && n->n_ctl > 0)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "sync.robot_controller: '*' (every controller found) and names in '%s'",
                    n->ss.robot_controller);
  if (n->ctl_discover) return dtw_graph_create(bus, &n->ctl_graph, err, errlen);
  return 0;
}

void dtw__sync_node_ctl_destroy(dtw_sync_node_t *n) { dtw_graph_destroy(n->ctl_graph); }

void dtw__sync_node_ctl_metrics(dtw_sync_node_t *n) {
  for (size_t i = 0; i < n->n_ctl; i++) register_one(n, &n->ctl[i]);
}

/* A sample the bus refused (too large, malformed) is consumed and counted; any
 * other error ends this poll's takes of that topic. */
void dtw__sync_node_ctl_take(dtw_sync_node_t *n, double poll_s) {
  for (size_t i = 0; i < n->n_ctl; i++) {
    dtw__sync_node_ctl_t *c = &n->ctl[i];
    for (int k = 0; k < 64; k++) {
      int rc = dtw_sub_take(c->sub, &n->ctl_in);
      if (rc == 0 || (rc < 0 && rc != DTW_EFULL && rc != DTW_ERANGE && rc != DTW_EPARSE)) break;
      double now_s = dtw__sync_node_taken_at(poll_s);
      dtw_counter_add(c->recv, 1);
      if (rc == 1 && !from_ctl_publisher(n, c, now_s)) continue;
      if (rc == 1 &&
          (n->sync == NULL || dtw_sync_on_robot_controller(n->sync, &n->ctl_in, now_s) == 0))
        continue;
      n->st.refused[DTW_SYNC_NODE_REFUSED_CONTROLLER_INVALID]++;
      dtw_counter_add(c->refused, 1);
      dtw__log_limited(&c->limit, DTW_LOG_WARN, LOG, "refused %s sample: %s", c->topic,
                       rc == 1 ? "sizes, NaN or no joint of the twin" : dtw_strerror(rc));
    }
  }
}

/* "*": subscribe to each controller state the graph shows under the robot's
 * namespace with a publisher, as it appears. */
static void discover(dtw_sync_node_t *n) {
  int changed = dtw_graph_update(n->ctl_graph);
  if (changed < 0) {
    dtw__log_limited(&n->ctl_graph_limit, DTW_LOG_WARN, LOG, "mirror mode: reading the graph: %s",
                     dtw_strerror(changed));
    return;
  }
  if (changed == 0 && n->ctl_graph_seen) return;
  n->ctl_graph_seen = true;
  char prefix[DTW_PARAM_STRING_MAX + 2];
  const char *ns = n->ss.robot_namespace;
  snprintf(prefix, sizeof prefix, "%s%s", ns[0] == '/' ? "" : "/", ns);
  size_t lp = strlen(prefix);
  if (lp > 0 && prefix[lp - 1] == '/') prefix[--lp] = '\0';
  size_t ls = strlen(SUFFIX);
  for (size_t i = 0; i < dtw_graph_topic_count(n->ctl_graph); i++) {
    dtw_graph_topic_info_t t;
    if (dtw_graph_topic_at(n->ctl_graph, i, &t) < 0 || t.n_publishers == 0) continue;
    size_t lt = strlen(t.name);
    if (lt <= lp + 1 + ls || strncmp(t.name, prefix, lp) != 0 || t.name[lp] != '/' ||
        strcmp(t.name + lt - ls, SUFFIX) != 0 || strcmp(t.type, JTC_STATE_TYPE) != 0)
      continue;
    bool known = false;
    for (size_t k = 0; k < n->n_ctl && !known; k++) known = strcmp(n->ctl[k].topic, t.name) == 0;
    if (known) continue;
    char err[512];
    if (subscribe(n, t.name, err, sizeof err) < 0) {
      dtw__log_limited(&n->ctl_graph_limit, DTW_LOG_WARN, LOG, "mirror mode: %s not read: %s",
                       t.name, err);
      continue;
    }
    register_one(n, &n->ctl[n->n_ctl - 1]);
    DTW_INFO(LOG, "mirror mode: found the robot's controller %s (sync.robot_controller '*')",
             t.name);
  }
}

/* A controller named wrong leaves mirror mode blind to dead drives: say so
 * (5 s after the first poll, and when its publisher goes). matched: both
 * joint-state feeds have a publisher. */
void dtw__sync_node_ctl_watch(dtw_sync_node_t *n, double now_s, bool matched) {
  if (n->ctl_graph != NULL) discover(n);
  if (!matched) return;
  bool late = now_s - n->first_poll_s > 5.0;
  if (n->ctl_discover && n->n_ctl == 0 && late && !n->ctl_none_logged) {
    DTW_WARN(LOG, "mirror mode: no %s publishes under %s: joints without torque that need "
             "little go unseen (sync.robot_controller '*' reads each one that appears)",
             JTC_STATE_TYPE, n->ss.robot_namespace);
    n->ctl_none_logged = true;
  }
  for (size_t i = 0; i < n->n_ctl; i++) {
    dtw__sync_node_ctl_t *c = &n->ctl[i];
    bool has = dtw_sub_matched_count(c->sub) > 0;
    if (has && c->logged != 1) {
      DTW_INFO(LOG, "mirror mode: reading the robot's controller state on %s", c->topic);
      c->logged = 1;
    } else if (!has && c->logged != -1 && late) {
      DTW_WARN(LOG, "mirror mode: nothing publishes %s: its joints without torque that need "
               "little go unseen (sync.robot_controller names the robot's controllers)",
               c->topic);
      c->logged = -1;
    }
  }
}
