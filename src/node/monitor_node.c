/* The monitoring node: graph, topic liveness and the sync status as metrics. */
#include "dtw/monitor_node.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/bus_graph.h"
#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/ros_names.h"

#define DTW_PARAM_STYPE dtw_monitor_node_settings_t
DTW_PARAM_TABLE(dtw_monitor_node_param_table, "monitor",
                "The monitoring node: DDS graph, topic rates and gaps, sync state as metrics",
                DTW_MONITOR_NODE_PARAMS);
#undef DTW_PARAM_STYPE

#define LOG "monitor"
/* arrival times kept per topic: a window of 1 s at up to ~8 kHz */
#define RING 8192
/* statistics and metrics are refreshed at most this often */
#define REFRESH_NS (DTW_NS_PER_S / 20)
/* expected nodes not seen after this long are reported once */
#define NODE_GRACE_S 3.0

static const char *const k_sync_states[] = {
#define DTW__MON_STATE_NAME(name, level, help) #name,
    DTW_SYNC_STATES(DTW__MON_STATE_NAME)
#undef DTW__MON_STATE_NAME
};
#define N_SYNC_STATES (sizeof k_sync_states / sizeof k_sync_states[0])

typedef struct mtopic {
  const struct dtw_monitor_node *owner; /* its clock times the samples */
  char name[DTW_ROS_NAME_BUF];
  char type[DTW_ROS_NAME_BUF];
  dtw_sub_t *sub;
  bool type_warned;
  /* written by Cyclone's receive thread (on_sample), read by poll */
  pthread_mutex_t lock;
  int64_t ring[RING];
  size_t head, count;
  uint64_t messages;
  /* last statistics (poll thread) */
  size_t publishers;
  double rate_hz, max_gap_s, age_s;
  bool quiet;
  struct {
    dtw_gauge_t *publishers, *rate, *gap, *age, *quiet;
  } m;
} mtopic_t;

typedef struct mexpected {
  char fqn[DTW_ROS_NAME_BUF];
  bool up, warned_missing;
  dtw_gauge_t *m_up;
} mexpected_t;

struct dtw_monitor_node {
  dtw_monitor_node_settings_t s;
  char fqn[520];
  dtw_bus_node_t *node;
  dtw_graph_t *graph;
  uint64_t graph_gen_seen;
  bool graph_seen;
  size_t n_expected;
  mexpected_t expected[DTW_MONITOR_MAX_EXPECTED];
  size_t n_topics;
  mtopic_t *topics; /* n_topics, heap: the rings are large */
  dtw_sub_t *status_sub;
  dtw_diag_array_t *diag;
  int64_t status_last_ns;
  int sync_state, sync_level;
  char sync_message[128];
  int64_t start_ns, last_refresh_ns;
  dtw_monitor_clock_fn clock; /* dtw_clock_mono_ns unless a test set one */
  void *clock_user;
  size_t dup_names;           /* node names more than one graph node carries */
  char dup_first[DTW_ROS_NAME_BUF];
  struct {
    dtw_gauge_t *participants, *nodes, *sync_level, *dup_names;
    dtw_gauge_t *sync_state[N_SYNC_STATES];
  } m;
};

/* ---- settings parsing ------------------------------------------------------------------ */

/* Next space-separated word of *p into buf; 0 at the end, DTW_ERANGE if too long. */
static int next_word(const char **p, char *buf, size_t cap) {
  while (**p == ' ' || **p == '\t') (*p)++;
  size_t n = strcspn(*p, " \t");
  if (n == 0) return 0;
  if (n >= cap) return DTW_ERANGE;
  memcpy(buf, *p, n);
  buf[n] = '\0';
  *p += n;
  return 1;
}

static int parse_expected(dtw_monitor_node_t *n, char *err, size_t errlen) {
  const char *p = n->s.expected_nodes;
  char word[DTW_ROS_NAME_BUF - 1]; /* room for the '/' a bare name gets */
  int rc;
  while ((rc = next_word(&p, word, sizeof word)) > 0) {
    if (n->n_expected >= DTW_MONITOR_MAX_EXPECTED)
      return dtw_errf(err, errlen, DTW_EINVAL, "monitor.expected_nodes: more than %d nodes",
                      DTW_MONITOR_MAX_EXPECTED);
    mexpected_t *e = &n->expected[n->n_expected++];
    /* a bare name is a node in the root namespace */
    int w = snprintf(e->fqn, sizeof e->fqn, "%s%s", word[0] == '/' ? "" : "/", word);
    if (w < 0 || (size_t)w >= sizeof e->fqn)
      return dtw_errf(err, errlen, DTW_EINVAL, "monitor.expected_nodes: name too long");
    if (dtw_ros_validate_full_name(e->fqn, NULL, 0) < 0)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "monitor.expected_nodes: '%s' is not a fully qualified node name", word);
  }
  if (rc < 0) return dtw_errf(err, errlen, DTW_EINVAL, "monitor.expected_nodes: name too long");
  return 0;
}

static int parse_topics(dtw_monitor_node_t *n, char *err, size_t errlen) {
  const char *p = n->s.watched_topics;
  char word[2 * DTW_ROS_NAME_BUF];
  int rc;
  size_t count = 0;
  for (const char *q = p; (rc = next_word(&q, word, sizeof word)) > 0;) count++;
  if (count > DTW_MONITOR_MAX_TOPICS)
    return dtw_errf(err, errlen, DTW_EINVAL, "monitor.watched_topics: more than %d topics",
                    DTW_MONITOR_MAX_TOPICS);
  if (count > 0 && (n->topics = calloc(count, sizeof *n->topics)) == NULL)
    return dtw_errf(err, errlen, DTW_ENOMEM, "monitor: out of memory");
  while ((rc = next_word(&p, word, sizeof word)) > 0) {
    mtopic_t *t = &n->topics[n->n_topics];
    char *colon = strchr(word, ':');
    if (colon != NULL) {
      *colon = '\0';
      if (!dtw_bus_has_type(colon + 1))
        return dtw_errf(err, errlen, DTW_EINVAL,
                        "monitor.watched_topics: '%s': type '%s' unknown to the bus", word,
                        colon + 1);
      snprintf(t->type, sizeof t->type, "%s", colon + 1);
    }
    char msg[256];
    if (dtw_bus_node_resolve(n->node, word, t->name, sizeof t->name, msg, sizeof msg) < 0)
      return dtw_errf(err, errlen, DTW_EINVAL, "monitor.watched_topics: %s", msg);
    pthread_mutex_init(&t->lock, NULL);
    t->age_s = INFINITY;
    n->n_topics++;
  }
  if (rc < 0) return dtw_errf(err, errlen, DTW_EINVAL, "monitor.watched_topics: entry too long");
  return 0;
}

/* ---- samples (Cyclone's receive thread) ------------------------------------------------ */

static int64_t mono_clock(void *user) {
  (void)user;
  return dtw_clock_mono_ns();
}

static void on_sample(dtw_sub_t *sub, const void *msg, void *user) {
  (void)sub;
  (void)msg;
  mtopic_t *t = user;
  int64_t now = t->owner->clock(t->owner->clock_user);
  pthread_mutex_lock(&t->lock);
  t->ring[t->head] = now;
  t->head = (t->head + 1) % RING;
  if (t->count < RING) t->count++;
  t->messages++;
  pthread_mutex_unlock(&t->lock);
}

static int subscribe(dtw_monitor_node_t *n, mtopic_t *t, char *err, size_t errlen) {
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_SENSOR_DATA; /* best effort matches every writer */
  so.raw = true;
  so.direct = true;
  so.on_msg = on_sample;
  so.user = t;
  t->owner = n;
  return dtw_sub_create(n->node, t->name, t->type, &so, &t->sub, err, errlen);
}

/* ---- metrics ------------------------------------------------------------------------------ */

static void register_metrics(dtw_monitor_node_t *n, dtw_metrics_t *reg) {
  if (reg == NULL) return;
  const char *fqn = n->fqn;
  n->m.participants = dtw_metrics_gauge(reg, "dtwin_graph_participants",
                                        "DDS participants alive on the domain", "node", fqn);
  n->m.nodes = dtw_metrics_gauge(reg, "dtwin_graph_nodes", "ROS 2 nodes alive on the domain",
                                 "node", fqn);
  n->m.dup_names = dtw_metrics_gauge(
      reg, "dtwin_graph_duplicate_node_names",
      "Fully qualified node names that more than one node on the graph carries (two robots "
      "or two twins in one domain: their topics mix)",
      "node", fqn);
  for (size_t i = 0; i < n->n_expected; i++)
    n->expected[i].m_up = dtw_metrics_gauge(reg, "dtwin_graph_node_up",
                                            "1 if the expected ROS 2 node is alive, else 0",
                                            "node", fqn, "ros_node", n->expected[i].fqn);
  for (size_t i = 0; i < n->n_topics; i++) {
    mtopic_t *t = &n->topics[i];
    t->m.publishers = dtw_metrics_gauge(reg, "dtwin_topic_publishers",
                                        "Publishers of the watched topic on the graph", "node",
                                        fqn, "topic", t->name);
    t->m.rate = dtw_metrics_gauge(reg, "dtwin_topic_rate_hz",
                                  "Messages per second received over the window", "node", fqn,
                                  "topic", t->name);
    t->m.gap = dtw_metrics_gauge(
        reg, "dtwin_topic_max_gap_seconds",
        "Largest interval between messages over the window, the open one included", "node", fqn,
        "topic", t->name);
    t->m.age = dtw_metrics_gauge(reg, "dtwin_topic_last_message_age_seconds",
                                 "Time since the newest message (+Inf before the first)", "node",
                                 fqn, "topic", t->name);
    t->m.quiet = dtw_metrics_gauge(reg, "dtwin_topic_quiet",
                                   "1 if no message arrived for quiet_after_s, else 0", "node",
                                   fqn, "topic", t->name);
    dtw_gauge_set(t->m.age, INFINITY);
  }
  for (size_t k = 0; k < N_SYNC_STATES; k++)
    n->m.sync_state[k] = dtw_metrics_gauge(
        reg, "dtwin_monitor_sync_state",
        "1 for the synchronization state the sync status reports, else 0 (all 0: unknown)",
        "node", fqn, "state", k_sync_states[k]);
  n->m.sync_level = dtw_metrics_gauge(
      reg, "dtwin_monitor_sync_level",
      "Diagnostic level of the sync status (0 OK, 1 WARN, 2 ERROR, 3 STALE; NaN unknown)", "node",
      fqn);
  dtw_gauge_set(n->m.sync_level, NAN);
}

/* ---- create / destroy -------------------------------------------------------------------- */

int dtw_monitor_node_create(const dtw_monitor_node_settings_t *s, const dtw_node_host_t *host,
                            dtw_monitor_node_t **out, char *err, size_t errlen) {
  int rc;
  dtw_monitor_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "monitor: out of memory");
  n->s = *s;
  n->sync_state = -1;
  n->sync_level = -1;
  n->clock = mono_clock;
  n->start_ns = mono_clock(NULL);
  dtw_node_fqn(s->namespace, s->node_name, n->fqn, sizeof n->fqn);
  if ((rc = dtw_bus_node_create(host->bus, s->node_name, s->namespace, &n->node, err, errlen)) <
          0 ||
      (rc = dtw_node_add_remaps(n->node, s->remappings, err, errlen)) < 0 ||
      (rc = parse_expected(n, err, errlen)) < 0 || (rc = parse_topics(n, err, errlen)) < 0)
    goto fail;
  if ((rc = dtw_graph_create(host->bus, &n->graph, err, errlen)) < 0) goto fail;
  for (size_t i = 0; i < n->n_topics; i++)
    if (n->topics[i].type[0] != '\0' && (rc = subscribe(n, &n->topics[i], err, errlen)) < 0)
      goto fail;
  if (s->status_topic[0] != '\0') {
    if ((n->diag = malloc(sizeof *n->diag)) == NULL) {
      rc = dtw_errf(err, errlen, DTW_ENOMEM, "monitor: out of memory");
      goto fail;
    }
    dtw_sub_options_t so;
    dtw_sub_options_default(&so);
    so.qos = DTW_QOS_SENSOR_DATA;
    if ((rc = dtw_sub_create(n->node, s->status_topic, DTW_TYPE_DIAGNOSTIC_ARRAY, &so,
                             &n->status_sub, err, errlen)) < 0)
      goto fail;
  }
  register_metrics(n, host->metrics);
  if (host->health != NULL) {
    char name[600];
    snprintf(name, sizeof name, "%s: graph reader running", n->fqn);
    dtw_health_set_ready(dtw_health_add_ready(host->health, name), true);
  }
  *out = n;
  return 0;
fail:
  dtw_monitor_node_destroy(n);
  return rc;
}

void dtw_monitor_node_destroy(dtw_monitor_node_t *n) {
  if (n == NULL) return;
  /* the bus node takes its subscriptions (and their callbacks) with it first */
  dtw_bus_node_destroy(n->node);
  dtw_graph_destroy(n->graph);
  for (size_t i = 0; i < n->n_topics; i++) pthread_mutex_destroy(&n->topics[i].lock);
  free(n->topics);
  free(n->diag);
  free(n);
}

/* ---- poll ------------------------------------------------------------------------------------ */

/* Node names carried by more than one graph node (the first such name into
 * first). Quadratic, on graph changes only: a domain holds one pair (a few nodes),
 * or dtwin up's pairs (a few hundred at most). */
static size_t duplicate_names(const dtw_graph_t *g, char *first, size_t cap) {
  size_t n = dtw_graph_node_count(g), dups = 0;
  first[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    dtw_graph_node_info_t a, b;
    if (dtw_graph_node_at(g, i, &a) < 0) continue;
    bool earlier = false, later = false;
    for (size_t k = 0; k < n && !earlier; k++) {
      if (k == i || dtw_graph_node_at(g, k, &b) < 0 || strcmp(a.fqn, b.fqn) != 0) continue;
      if (k < i) earlier = true;  // counted at its first occurrence
      else later = true;
    }
    if (earlier || !later) continue;
    if (dups++ == 0) snprintf(first, cap, "%s", a.fqn);
  }
  return dups;
}

static void on_graph_change(dtw_monitor_node_t *n, double now_s) {
  const dtw_graph_t *g = n->graph;
  for (size_t i = 0; i < n->n_expected; i++) {
    mexpected_t *e = &n->expected[i];
    bool up = dtw_graph_has_node(g, e->fqn);
    if (up && !e->up) DTW_INFO(LOG, "expected node %s is up", e->fqn);
    if (!up && e->up) DTW_WARN(LOG, "expected node %s is down (left the graph)", e->fqn);
    e->up = up;
    dtw_gauge_set(e->m_up, up ? 1 : 0);
  }
  for (size_t i = 0; i < n->n_topics; i++) {
    mtopic_t *t = &n->topics[i];
    t->publishers = dtw_graph_topic_publishers(g, t->name);
    dtw_gauge_set(t->m.publishers, (double)t->publishers);
    if (t->sub != NULL || t->type_warned) continue;
    /* no type given: take the one the graph shows, once a publisher appears */
    const char *type = dtw_graph_topic_type(g, t->name);
    if (type[0] == '\0') continue;
    char err[512];
    if (!dtw_bus_has_type(type)) {
      DTW_WARN(LOG, "topic %s: type %s has no IDL in dtwin: only its publishers are counted",
               t->name, type);
      t->type_warned = true;
      continue;
    }
    snprintf(t->type, sizeof t->type, "%s", type);
    if (subscribe(n, t, err, sizeof err) < 0) {
      DTW_WARN(LOG, "topic %s: cannot subscribe: %s", t->name, err);
      t->type_warned = true;
    }
  }
  dtw_gauge_set(n->m.participants, (double)dtw_graph_participant_count(g));
  dtw_gauge_set(n->m.nodes, (double)dtw_graph_node_count(g));
  char first[DTW_ROS_NAME_BUF];
  size_t dups = duplicate_names(g, first, sizeof first);
  // logged when it starts or names another node, not on every graph change
  if (dups > 0 && (n->dup_names == 0 || strcmp(first, n->dup_first) != 0))
    DTW_WARN(LOG,
             "%zu node name(s) on the graph more than once, first %s: another robot or twin "
             "runs in this domain (ROS_DOMAIN_ID), and topics of the same name mix",
             dups, first);
  else if (dups == 0 && n->dup_names > 0)
    DTW_INFO(LOG, "node names on the graph are unique again");
  n->dup_names = dups;
  snprintf(n->dup_first, sizeof n->dup_first, "%s", first);
  dtw_gauge_set(n->m.dup_names, (double)dups);
  (void)now_s;
}

/* Rate, max gap and age of one topic from its arrival ring at now. */
static void topic_stats(dtw_monitor_node_t *n, mtopic_t *t, int64_t now_ns) {
  int64_t window_ns = (int64_t)(n->s.window_s * 1e9);
  int64_t since_start = now_ns - n->start_ns;
  size_t in_window = 0;
  int64_t max_gap = 0, newest = 0, oldest = 0;
  pthread_mutex_lock(&t->lock);
  for (size_t k = 0; k < t->count; k++) {
    int64_t ts = t->ring[(t->head + RING - 1 - k) % RING];
    if (k == 0) newest = ts;
    if (now_ns - ts > window_ns) break;
    if (k > 0 && oldest - ts > max_gap) max_gap = oldest - ts;
    oldest = ts;
    in_window++;
  }
  bool any = t->count > 0;
  pthread_mutex_unlock(&t->lock);
  /* rate over the window, or over what we have seen of it */
  double span_s = (double)(since_start < window_ns ? since_start : window_ns) * 1e-9;
  if (in_window == RING) span_s = (double)(now_ns - oldest) * 1e-9;
  t->rate_hz = span_s > 0 ? (double)in_window / span_s : 0;
  int64_t open_gap = any ? now_ns - newest : since_start;
  if (open_gap > max_gap) max_gap = open_gap;
  t->max_gap_s = (double)max_gap * 1e-9;
  t->age_s = any ? (double)(now_ns - newest) * 1e-9 : INFINITY;
  double silent_s = any ? t->age_s : (double)since_start * 1e-9;
  bool quiet = silent_s > n->s.quiet_after_s;
  if (quiet && !t->quiet) {
    if (any)
      DTW_WARN(LOG, "topic %s is quiet: no message for %.1f s (%zu publishers)", t->name,
               silent_s, t->publishers);
    else
      DTW_WARN(LOG, "topic %s is quiet: no message since the monitor started (%zu publishers)",
               t->name, t->publishers);
  } else if (!quiet && t->quiet) {
    DTW_INFO(LOG, "topic %s resumed", t->name);
  }
  t->quiet = quiet;
  dtw_gauge_set(t->m.rate, t->rate_hz);
  dtw_gauge_set(t->m.gap, t->max_gap_s);
  dtw_gauge_set(t->m.age, t->age_s);
  dtw_gauge_set(t->m.quiet, quiet ? 1 : 0);
}

static int state_index(const char *text) {
  for (size_t k = 0; k < N_SYNC_STATES; k++)
    if (strcmp(text, k_sync_states[k]) == 0) return (int)k;
  return -1;
}

/* The overall status of a DiagnosticArray: the one with a "state" value
 * naming a sync state, else the first; its state from that value, or from a
 * state name at the start of its message. */
static void read_status(dtw_monitor_node_t *n, const dtw_diag_array_t *d) {
  const dtw_diag_status_t *overall = NULL;
  int state = -1;
  for (size_t i = 0; i < d->n_status && overall == NULL; i++)
    for (size_t k = 0; k < d->status[i].n_values; k++)
      if (strcmp(d->status[i].values[k].key, "state") == 0 &&
          (state = state_index(d->status[i].values[k].value)) >= 0) {
        overall = &d->status[i];
        break;
      }
  if (overall == NULL && d->n_status > 0) {
    overall = &d->status[0];
    for (size_t k = 0; k < N_SYNC_STATES && state < 0; k++) {
      size_t len = strlen(k_sync_states[k]);
      if (strncmp(overall->message, k_sync_states[k], len) == 0) state = (int)k;
    }
  }
  if (overall == NULL) return;
  if (state != n->sync_state)
    DTW_INFO(LOG, "sync state %s (level %d): %s", state >= 0 ? k_sync_states[state] : "unknown",
             overall->level, overall->message);
  n->sync_state = state;
  n->sync_level = overall->level;
  snprintf(n->sync_message, sizeof n->sync_message, "%s", overall->message);
}

static void poll_status(dtw_monitor_node_t *n, int64_t now_ns) {
  if (n->status_sub == NULL) return;
  int rc;
  bool got = false;
  while ((rc = dtw_sub_take(n->status_sub, n->diag)) == 1) got = true;
  if (got) {
    n->status_last_ns = now_ns;
    read_status(n, n->diag);
  }
  /* a status that stopped coming says nothing about now */
  if (n->status_last_ns != 0 &&
      (double)(now_ns - n->status_last_ns) * 1e-9 > n->s.quiet_after_s && n->sync_level >= 0) {
    DTW_WARN(LOG, "no %s for %.1f s: sync state unknown", n->s.status_topic, n->s.quiet_after_s);
    n->sync_state = -1;
    n->sync_level = -1;
    n->sync_message[0] = '\0';
    n->status_last_ns = 0;
  }
  for (size_t k = 0; k < N_SYNC_STATES; k++)
    dtw_gauge_set(n->m.sync_state[k], n->sync_state == (int)k ? 1 : 0);
  dtw_gauge_set(n->m.sync_level, n->sync_level >= 0 ? n->sync_level : NAN);
}

int dtw_monitor_node_poll(dtw_monitor_node_t *n, double now_s) {
  int64_t now_ns = (int64_t)(now_s * 1e9);
  int rc = dtw_graph_update(n->graph);
  if (!n->graph_seen || dtw_graph_generation(n->graph) != n->graph_gen_seen) {
    n->graph_seen = true;
    n->graph_gen_seen = dtw_graph_generation(n->graph);
    on_graph_change(n, now_s);
  }
  if (now_ns - n->last_refresh_ns < REFRESH_NS) return rc < 0 ? rc : 0;
  n->last_refresh_ns = now_ns;
  for (size_t i = 0; i < n->n_topics; i++) topic_stats(n, &n->topics[i], now_ns);
  poll_status(n, now_ns);
  if ((double)(now_ns - n->start_ns) * 1e-9 > NODE_GRACE_S)
    for (size_t i = 0; i < n->n_expected; i++) {
      mexpected_t *e = &n->expected[i];
      if (!e->up && !e->warned_missing)
        DTW_WARN(LOG, "expected node %s is down: not on the graph after %.0f s", e->fqn,
                 NODE_GRACE_S);
      e->warned_missing = true;
    }
  return rc < 0 ? rc : 0;
}

void dtw_monitor_node_get_status(const dtw_monitor_node_t *n, dtw_monitor_status_t *out) {
  memset(out, 0, sizeof *out);
  out->participants = dtw_graph_participant_count(n->graph);
  out->nodes = dtw_graph_node_count(n->graph);
  out->duplicate_names = n->dup_names;
  snprintf(out->duplicate_first, sizeof out->duplicate_first, "%s", n->dup_first);
  out->n_expected = n->n_expected;
  for (size_t i = 0; i < n->n_expected; i++) {
    out->expected[i].fqn = n->expected[i].fqn;
    out->expected[i].up = n->expected[i].up;
    out->n_expected_up += n->expected[i].up;
  }
  out->n_topics = n->n_topics;
  for (size_t i = 0; i < n->n_topics; i++) {
    mtopic_t *t = &n->topics[i];
    dtw_monitor_topic_status_t *o = &out->topics[i];
    o->topic = t->name;
    o->type = t->type;
    o->subscribed = t->sub != NULL;
    o->publishers = t->publishers;
    pthread_mutex_lock(&t->lock);
    o->messages = t->messages;
    pthread_mutex_unlock(&t->lock);
    o->rate_hz = t->rate_hz;
    o->max_gap_s = t->max_gap_s;
    o->age_s = t->age_s;
    o->quiet = t->quiet;
    out->n_quiet += t->quiet;
  }
  out->sync_state = n->sync_state;
  out->sync_state_name = n->sync_state >= 0 ? k_sync_states[n->sync_state] : "unknown";
  out->sync_level = n->sync_level;
  snprintf(out->sync_message, sizeof out->sync_message, "%s", n->sync_message);
}

void dtw_monitor_node_set_clock(dtw_monitor_node_t *n, dtw_monitor_clock_fn clock, void *user) {
  n->clock = clock != NULL ? clock : mono_clock;
  n->clock_user = clock != NULL ? user : NULL;
  n->start_ns = n->clock(n->clock_user);
  n->last_refresh_ns = 0;
}

const char *dtw_monitor_node_fqn(const dtw_monitor_node_t *n) { return n->fqn; }
