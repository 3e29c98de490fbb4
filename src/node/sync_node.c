/* The synchronization_node: src/sync on the bus. */
#include "dtw/sync_node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/sim_dynamics.h"
#include "node__util.h"
#include "sync_node__internal.h"

#define DTW_PARAM_STYPE dtw_sync_node_settings_t
DTW_PARAM_TABLE(dtw_sync_node_param_table, "sync",
                "The synchronization node: compares the robot's joint states with the twin's, "
                "re-syncs the twin, publishes /sync/status",
                DTW_SYNC_NODE_PARAMS);
#undef DTW_PARAM_STYPE

#define LOG "sync"

const char *dtw_sync_node_refusal_name(int reason) {
  switch (reason) {
#define DTW__SYNC_NODE_REFUSAL_NAME(name, label, help) \
  case DTW_SYNC_NODE_REFUSED_##name:                  \
    return label;
    DTW_SYNC_NODE_REFUSALS(DTW__SYNC_NODE_REFUSAL_NAME)
#undef DTW__SYNC_NODE_REFUSAL_NAME
  default:
    return "?";
  }
}

static const char *const k_resync_reasons[] = {"threshold", "period", "request"};

const char *dtw_sync_node_resync_reason_name(int reason) {
  if (reason < 0 || reason >= DTW_SYNC_NODE_RESYNC_REASON_COUNT) return "?";
  return k_resync_reasons[reason];
}

/* ---- metrics ------------------------------------------------------------- */

static void register_metrics(dtw_sync_node_t *n) {
  dtw_metrics_t *reg = n->reg;
  if (reg == NULL) return;
  const char *fqn = n->fqn;
  /* "Sync state: 0 NO_DATA, 1 SYNCED, ..." from the one list (dtw/sync_states.h) */
  char help[256];
  size_t len = (size_t)snprintf(help, sizeof help, "Sync state:");
  for (int st = 0; st < DTW_SYNC_STATE_COUNT && len < sizeof help; st++)
    len += (size_t)snprintf(help + len, sizeof help - len, "%s %d %s", st ? "," : "", st,
                            dtw_sync_state_name(st));
  n->m.state = dtw_metrics_gauge(reg, "dtwin_sync_state", help, "node", fqn);
  for (int st = 0; st < DTW_SYNC_STATE_COUNT; st++) {
    n->m.state_info[st] = dtw_metrics_gauge(reg, "dtwin_sync_state_info",
                                            "1 for the current sync state, 0 for the others",
                                            "node", fqn, "state", dtw_sync_state_name(st));
    n->m.transitions[st] = dtw_metrics_counter(reg, "dtwin_sync_transitions_total",
                                               "Sync state changes, by target state", "node",
                                               fqn, "to", dtw_sync_state_name(st));
  }
  n->m.overall_rms = dtw_metrics_gauge(
      reg, "dtwin_sync_position_error_rms_radians",
      "RMS of |robot - twin| joint position over the window, per joint group", "node", fqn,
      "group", "overall");
  n->m.overall_vel_rms = dtw_metrics_gauge(
      reg, "dtwin_sync_velocity_error_rms_radians_per_second",
      "RMS of |robot - twin| joint velocity over the window", "node", fqn, "group", "overall");
  /* 0.5 ms .. 1 s: a local link sits in the first buckets, a stalled one in the last */
  static const double lat_bounds[] = {0.5e-3, 1e-3, 2e-3,  5e-3, 10e-3, 20e-3,
                                      50e-3,  0.1,  0.2,   0.5,  1.0};
  n->m.latency = dtw_metrics_histogram(
      reg, "dtwin_sync_latency_seconds",
      "Robot sample latency (receive - stamp) above the window's fastest sample, which "
      "absorbs the robot's clock offset",
      lat_bounds, sizeof lat_bounds / sizeof lat_bounds[0], "node", fqn);
  n->m.clock_offset = dtw_metrics_gauge(
      reg, "dtwin_sync_clock_offset_seconds",
      "Minimum receive - stamp over the window: robot clock offset + minimum latency", "node",
      fqn);
  for (int k = 0; k < 2; k++)
    n->m.pace[k] = dtw_metrics_gauge(
        reg, "dtwin_sync_feed_pace",
        "Feed time advanced per second of the sync node's clock over the window (1 = real "
        "time); below sync.degraded_rtf (the twin: x the robot's) the state is DEGRADED",
        "node", fqn, "feed", k == 0 ? "robot" : "twin");
  n->m.twin_behind = dtw_metrics_gauge(
      reg, "dtwin_sync_twin_behind_seconds",
      "How far the twin's newest sample is behind its schedule (estimated alignment: latency "
      "above its usual); above sync.degraded_gap_s the state is DEGRADED", "node", fqn);
  n->m.publishers = dtw_metrics_gauge(
      reg, "dtwin_sync_robot_publishers",
      "Publishers matched on the robot topic; more than 1 is a feed problem (only the first "
      "one's samples are compared)",
      "node", fqn);
  n->m.sample_age = dtw_metrics_gauge(reg, "dtwin_sync_robot_sample_age_seconds",
                                      "Time since the last accepted robot sample", "node", fqn);
  n->m.rate = dtw_metrics_gauge(reg, "dtwin_sync_robot_message_rate_hz",
                                "Accepted robot samples per second over the window", "node",
                                fqn);
  for (int r = 0; r < DTW_SYNC_NODE_RESYNC_REASON_COUNT; r++)
    n->m.resyncs[r] = dtw_metrics_counter(reg, "dtwin_sync_resyncs_total",
                                          "Times the twin was set to the robot's state, by reason",
                                          "node", fqn, "reason", k_resync_reasons[r]);
  const char *recv_help = "Messages received (before validation)";
  n->m.recv_robot = dtw_metrics_counter(reg, "dtwin_messages_received_total", recv_help, "node",
                                        fqn, "topic", n->robot_topic);
  n->m.recv_twin = dtw_metrics_counter(reg, "dtwin_messages_received_total", recv_help, "node",
                                       fqn, "topic", n->twin_topic);
  dtw__sync_node_ctl_metrics(n);
  for (int r = 0; r < DTW_SYNC_NODE_REFUSAL_COUNT; r++) {
    if (r == DTW_SYNC_NODE_REFUSED_CONTROLLER_INVALID ||
        r == DTW_SYNC_NODE_REFUSED_CONTROLLER_OTHER_PUBLISHER)
      continue; /* per controller topic (sync_node_ctl.c) */
    n->m.refused[r] = dtw_metrics_counter(
        reg, "dtwin_messages_refused_total", "Messages refused as malformed or invalid, by reason",
        "node", fqn, "topic", r < DTW_SYNC_NODE_REFUSED_TWIN_INVALID ? n->robot_topic : n->twin_topic,
        "reason", dtw_sync_node_refusal_name(r));
  }
  const char *pub_help = "Messages published";
  n->m.pub_status = dtw_metrics_counter(reg, "dtwin_messages_published_total", pub_help, "node",
                                        fqn, "topic", n->status_topic);
  n->m.pub_set_state = dtw_metrics_counter(reg, "dtwin_messages_published_total", pub_help,
                                           "node", fqn, "topic", n->set_state_topic);
  for (int k = 1; k < DTW_SYNC_FAULT_KIND_COUNT; k++)
    n->f.faults[k] = dtw_metrics_counter(reg, "dtwin_sync_faults_detected_total",
                                         "Faults isolated, by kind", "node", fqn, "kind",
                                         dtw_sync_fault_kind_name(k));
  n->m.srv_resync = dtw_metrics_counter(reg, "dtwin_service_requests_total",
                                        "Service requests handled", "node", fqn, "service",
                                        n->resync_service);
}

/* The per-joint and per-group series, once the twin's joints are known. */
static void register_joint_metrics(dtw_sync_node_t *n) {
  if (n->reg == NULL) return;
  dtw_sync_report(n->sync, &n->rep);
  for (size_t j = 0; j < n->rep.n_joints && j < DTW_MAX_JOINTS; j++)
    n->m.joint_err[j] = dtw_metrics_gauge(
        n->reg, "dtwin_sync_position_error_radians",
        "Largest |robot - twin| joint position over the window", "node", n->fqn, "joint",
        dtw_sync_joint_name(n->sync, j));
  for (size_t j = 0; j < n->rep.n_joints && j < DTW_MAX_JOINTS; j++) {
    const char *jn = dtw_sync_joint_name(n->sync, j);
    n->f.joint_fault[j] = dtw_metrics_gauge(
        n->reg, "dtwin_sync_joint_fault",
        "Fault isolated on the joint: 0 none, 1 locked, 2 no_torque, 3 sensor_frozen, "
        "4 external_load, 5 unknown (latched while present)",
        "node", n->fqn, "joint", jn);
    n->f.joint_resid[j] = dtw_metrics_gauge(
        n->reg, "dtwin_sync_joint_torque_residual_newton_meters",
        "Reported effort minus the effort the model needs for the measured motion (filtered)",
        "node", n->fqn, "joint", jn);
    n->f.joint_onset[j] = dtw_metrics_gauge(
        n->reg, "dtwin_sync_joint_fault_onset_seconds",
        "Robot-clock stamp at which the joint's latched fault started; NaN without a fault",
        "node", n->fqn, "joint", jn);
  }
  for (size_t g = 0; g < n->rep.n_groups && g < DTW_SYNC_MAX_GROUPS; g++)
    n->m.group_rms[g] = dtw_metrics_gauge(
        n->reg, "dtwin_sync_position_error_rms_radians",
        "RMS of |robot - twin| joint position over the window, per joint group", "node", n->fqn,
        "group", n->rep.groups[g].name);
}

static void refuse(dtw_sync_node_t *n, dtw_sync_node_refusal_t reason, uint64_t count) {
  if (count == 0) return;
  n->st.refused[reason] += count;
  dtw_counter_add(n->m.refused[reason], count);
}

/* Samples the bus refused never reach us: mirror its counters. */
static void mirror_bus_refusals(dtw_sync_node_t *n, dtw_sub_t *sub, dtw_bus_stats_t *seen,
                                dtw_sync_node_refusal_t malformed, dtw_sync_node_refusal_t large,
                                dtw_counter_t *received) {
  dtw_bus_stats_t now;
  dtw_sub_stats(sub, &now);
  uint64_t inv = now.refused_invalid - seen->refused_invalid;
  uint64_t cap = now.refused_capacity - seen->refused_capacity;
  refuse(n, malformed, inv);
  refuse(n, large, cap);
  dtw_counter_add(received, inv + cap);
  if (inv + cap > 0)
    dtw__log_limited(received == n->m.recv_robot ? &n->limit_robot : &n->limit_twin, DTW_LOG_WARN,
                     LOG, "%s: refused %llu malformed and %llu oversized samples", dtw_sub_topic(sub),
                     (unsigned long long)inv, (unsigned long long)cap);
  *seen = now;
}

/* ---- service ------------------------------------------------------------- */

static int on_resync(const void *req, void *resp, void *user) {
  (void)req;
  dtw_sync_node_t *n = user;
  dtw_trigger_response_t *r = resp;
  dtw_counter_add(n->m.srv_resync, 1);
  r->success = false;
  if (n->mirror) {
    snprintf(r->message, sizeof r->message,
             "mirror mode: every robot sample is already forwarded to the twin");
  } else if (n->sync == NULL) {
    snprintf(r->message, sizeof r->message, "no twin sample received yet on %.150s: nothing to re-sync",
             n->twin_topic);
  } else if (dtw_sync_request_resync(n->sync) < 0) {
    snprintf(r->message, sizeof r->message, "no robot sample received yet on %.150s: nothing to send",
             n->robot_topic);
  } else {
    r->success = true;
    snprintf(r->message, sizeof r->message,
             "re-sync requested: %.150s gets the robot's latest state now", n->set_state_topic);
    n->next_tick_s = -INFINITY; /* do it in this poll, not at the next tick */
  }
  if (!r->success) n->st.resync_requests_refused++;
  DTW_INFO(LOG, "%s requested: %s", n->resync_service, r->message);
  return 0;
}

/* ---- create / destroy ------------------------------------------------------ */

int dtw_sync_node_create(const dtw_sync_node_settings_t *s, const dtw_node_host_t *host,
                         dtw_sync_node_t **out, char *err, size_t errlen) {
  int rc;
  char topic[2 * DTW_PARAM_STRING_MAX + 32];
  if (s == NULL || host == NULL || host->bus == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "sync node: missing settings or bus");
  if (strcmp(s->mode, "mirror") != 0 && strcmp(s->mode, "shadow") != 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "sync.mode: '%s' is not mirror or shadow", s->mode);
  if (strcmp(s->time_alignment, "estimate") != 0 && strcmp(s->time_alignment, "fixed") != 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "sync.time_alignment: '%s' is not estimate or fixed",
                    s->time_alignment);
  if (!(s->status_rate_hz > 0) || !isfinite(s->status_rate_hz))
    return dtw_errf(err, errlen, DTW_EINVAL, "sync.status_rate_hz: %g is not a positive rate",
                    s->status_rate_hz);
  dtw_sync_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "sync node: out of memory");
  n->s = *s;
#define DTW__COPY(type, name, ...) memcpy(&n->ss.name, &s->name, sizeof n->ss.name);
  DTW_SYNC_PARAMS(DTW__COPY)
#undef DTW__COPY
  n->mirror = strcmp(s->mode, "mirror") == 0;
  n->reg = host->metrics;
  n->period_s = 1.0 / s->status_rate_hz;
  n->next_tick_s = n->last_tick_s = n->first_poll_s = NAN;
  n->robot_newest_stamp_s = NAN;
  dtw_node_fqn(s->namespace, s->node_name, n->fqn, sizeof n->fqn);

  if ((rc = dtw_bus_node_create(host->bus, s->node_name, s->namespace, &n->node, err, errlen)) < 0 ||
      (rc = dtw_node_add_remaps(n->node, s->remappings, err, errlen)) < 0)
    goto fail;

  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_SENSOR_DATA; /* best effort: matches reliable and best-effort publishers */
  /* room for ~50 ms of samples at max_rate_hz, so a late poll loses nothing */
  so.depth = (int)fmin(256.0, fmax(16.0, ceil(s->max_rate_hz * 0.05)));
  snprintf(topic, sizeof topic, "%s/joint_states", s->robot_namespace);
  if ((rc = dtw_sub_create(n->node, topic, DTW_TYPE_JOINT_STATE, &so, &n->robot, err, errlen)) < 0)
    goto fail;
  snprintf(topic, sizeof topic, "%s/joint_states", s->twin_namespace);
  if ((rc = dtw_sub_create(n->node, topic, DTW_TYPE_JOINT_STATE, &so, &n->twin, err, errlen)) < 0)
    goto fail;
  if (n->mirror && (rc = dtw__sync_node_ctl_create(n, host->bus, so, err, errlen)) < 0) goto fail;
  snprintf(topic, sizeof topic, "%s/set_state", s->twin_namespace);
  if ((rc = dtw_pub_create(n->node, topic, DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT, &n->set_state,
                           err, errlen)) < 0 ||
      (rc = dtw_pub_create(n->node, "sync/status", DTW_TYPE_DIAGNOSTIC_ARRAY, DTW_QOS_DEFAULT,
                           &n->status, err, errlen)) < 0 ||
      (rc = dtw_bus_serve(n->node, "sync/resync", DTW_SRV_TRIGGER, on_resync, n, &n->resync, err,
                          errlen)) < 0)
    goto fail;

  snprintf(n->robot_topic, sizeof n->robot_topic, "%s", dtw_sub_topic(n->robot));
  snprintf(n->twin_topic, sizeof n->twin_topic, "%s", dtw_sub_topic(n->twin));
  snprintf(n->status_topic, sizeof n->status_topic, "%s", dtw_pub_topic(n->status));
  snprintf(n->set_state_topic, sizeof n->set_state_topic, "%s", dtw_pub_topic(n->set_state));
  dtw_bus_node_resolve(n->node, "sync/resync", n->resync_service, sizeof n->resync_service, NULL,
                       0);
  register_metrics(n);
  if (host->health != NULL) {
    char name[700];
    snprintf(name, sizeof name, "%s: robot and twin joint_states matched", n->fqn);
    n->ready = dtw_health_add_ready(host->health, name);
  }

  /* a NO_DATA report until the synchronizer exists */
  n->rep.time_s = NAN;
  n->rep.state = DTW_SYNC_NO_DATA;
  n->rep.state_name = dtw_sync_state_name(DTW_SYNC_NO_DATA);
  n->rep.level = dtw_sync_state_level(DTW_SYNC_NO_DATA);
  n->rep.shadow = !n->mirror;
  n->rep.worst_joint = -1;
  n->rep.latency_last_s = n->rep.latency_median_s = n->rep.latency_p99_s = NAN;
  n->rep.clock_offset_s = n->rep.jitter_median_s = n->rep.jitter_p99_s = NAN;
  n->rep.time_offset_s = NAN;
  n->rep.since_robot_s = n->rep.since_match_s = n->rep.since_twin_s = NAN;
  *out = n;
  return 0;

fail:
  dtw_sync_node_destroy(n);
  return rc;
}

void dtw_sync_node_destroy(dtw_sync_node_t *n) {
  if (n == NULL) return;
  /* destroying the bus node destroys its endpoints */
  dtw_bus_node_destroy(n->node);
  dtw__sync_node_ctl_destroy(n);
  dtw_sync_destroy(n->sync);
  free(n->groups);
  dtw_sim_dyn_destroy(n->dyn);
  free(n);
}

int dtw_sync_node_set_joint_groups(dtw_sync_node_t *n, const char *spec) {
  if (n == NULL || spec == NULL) return DTW_EINVAL;
  char *copy = strdup(spec);
  if (copy == NULL) return DTW_ENOMEM;
  free(n->groups);
  n->groups = copy;
  return 0;
}

int dtw_sync_node_groups_from_twin(dtw_sync_node_t *n, const dtw_twin_t *twin, char *err,
                                   size_t errlen) {
  size_t nj = dtw_twin_joint_count(twin);
  const dtw_joint_desc_t *jd = dtw_twin_joints(twin);
  const char *names[DTW_MAX_JOINTS];
  int parent[DTW_MAX_JOINTS];
  if (nj == 0 || nj > DTW_MAX_JOINTS) return 0;
  for (size_t j = 0; j < nj; j++) names[j] = jd[j].name;
  const char *cfg = n->ss.joint_groups;
  if (cfg[0] != '\0' &&
      (strcmp(cfg, DTW_SYNC_DEFAULT_GROUPS) != 0 || dtw_sync_groups_cover(cfg, names, nj)))
    return 0;
  dtw_twin_joint_parents(twin, parent);
  size_t cap = DTW_MAX_JOINTS * (DTW_NAME_MAX + 1) + DTW_SYNC_MAX_GROUPS * (DTW_NAME_MAX + 2);
  char *spec = malloc(cap);
  if (spec == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "sync: out of memory");
  int rc = dtw_sync_groups_from_tree(names, parent, nj, DTW_SYNC_MAX_GROUPS - 1, spec, cap, err,
                                     errlen);
  if (rc == 0) rc = dtw_sync_node_set_joint_groups(n, spec);
  if (rc == 0)
    DTW_INFO(LOG, "joint groups from the twin's kinematic chains (sync.joint_groups is %s): %s",
             cfg[0] ? "the default, which does not cover this robot" : "empty", spec);
  free(spec);
  return rc < 0 ? rc : 1;
}

/* ---- samples ---------------------------------------------------------------- */

/* The first valid twin sample names the joints the synchronizer tracks. */
static void create_sync(dtw_sync_node_t *n, const dtw_joint_state_msg_t *msg) {
  const char *names[DTW_MAX_JOINTS];
  char err[512];
  for (size_t i = 0; i < msg->n_name; i++) names[i] = msg->name[i];
  int rc = dtw_sync_create(&n->ss, names, msg->n_name, &n->sync, err, sizeof err);
  if (rc == 0 && n->groups != NULL && (rc = dtw_sync_set_joint_groups(n->sync, n->groups, err,
                                                                      sizeof err)) < 0) {
    dtw_sync_destroy(n->sync);
    n->sync = NULL;
  }
  if (rc < 0) {
    n->sync_failed = true;
    DTW_ERROR(LOG, "cannot compare with the twin's %zu joints from %s: %s", msg->n_name,
              n->twin_topic, err);
    return;
  }
  register_joint_metrics(n);
  dtw__sync_node_attach_model(n, names, msg->n_name);
  DTW_INFO(LOG, "tracking the twin's %zu joints in %zu groups (%s mode, fault isolation %s)",
           n->rep.n_joints, n->rep.n_groups, n->mirror ? "mirror" : "shadow",
           dtw_sim_dyn_joint_count(n->dyn) > 0 ? "with the twin's model"
           : n->n_ctl > 0 || n->ctl_discover
                            ? "without a model: frozen sensors, zero-effort drives and, from the "
                              "robot's controller, drives without torque"
           : n->mirror      ? "without a model: frozen sensors and zero-effort drives only"
                            : "without a model: the twin's effort as the reference");
}

/* When a sample was taken: the monotonic clock read then, not at the poll's
 * start. A thread preempted between two takes (10-70 ms beside CPU hogs) would
 * otherwise date the robot samples published meanwhile as early as the twin's
 * older ones: the robot would seem ahead of the twin, and the clock offset
 * would learn the preemption (the robot compared with the twin's past). */
double dtw__sync_node_taken_at(double poll_s) {
  return fmax(poll_s, (double)dtw_clock_mono_ns() * 1e-9);
}

static void take_twin(dtw_sync_node_t *n, double poll_s) {
  char err[256];
  while (dtw_sub_take(n->twin, &n->in) == 1) {
    double now_s = dtw__sync_node_taken_at(poll_s);
    n->st.twin_received++;
    dtw_counter_add(n->m.recv_twin, 1);
    if (n->sync == NULL && !n->sync_failed) {
      if (n->in.n_name == 0 || n->in.n_position != n->in.n_name ||
          dtw_joint_state_check(&n->in, err, sizeof err) < 0) {
        refuse(n, DTW_SYNC_NODE_REFUSED_TWIN_INVALID, 1);
        dtw__log_limited(&n->limit_twin, DTW_LOG_WARN, LOG, "refused %s sample: %s",
                         n->twin_topic, n->in.n_name == 0 ? "no joints" : "no positions or bad sizes");
        continue;
      }
      create_sync(n, &n->in);
    }
    if (n->sync == NULL) continue;
    if (dtw_sync_on_twin_sample(n->sync, &n->in, now_s) < 0) {
      refuse(n, DTW_SYNC_NODE_REFUSED_TWIN_INVALID, 1);
      dtw__log_limited(&n->limit_twin, DTW_LOG_WARN, LOG,
                       "refused %s sample (sizes, NaN, duplicate or unknown joints)",
                       n->twin_topic);
    }
  }
}

static dtw_sync_node_refusal_t robot_refusal(dtw_sync_outcome_t oc) {
  switch (oc) {
  case DTW_SYNC_REFUSED_SIZE: return DTW_SYNC_NODE_REFUSED_ROBOT_SIZE;
  case DTW_SYNC_REFUSED_NO_POSITION: return DTW_SYNC_NODE_REFUSED_ROBOT_NO_POSITION;
  case DTW_SYNC_REFUSED_NONFINITE: return DTW_SYNC_NODE_REFUSED_ROBOT_NONFINITE;
  case DTW_SYNC_REFUSED_DUPLICATE: return DTW_SYNC_NODE_REFUSED_ROBOT_DUPLICATE;
  case DTW_SYNC_REFUSED_NO_KNOWN_JOINT: return DTW_SYNC_NODE_REFUSED_ROBOT_NO_KNOWN_JOINT;
  case DTW_SYNC_REFUSED_STAMP_FUTURE: return DTW_SYNC_NODE_REFUSED_ROBOT_STAMP_FUTURE;
  default: return DTW_SYNC_NODE_REFUSED_ROBOT_MALFORMED;
  }
}

static void forward(dtw_sync_node_t *n, const dtw_joint_state_msg_t *msg) {
  if (dtw_pub_joint_state(n->set_state, msg) == 0) {
    n->st.set_state_published++;
    dtw_counter_add(n->m.pub_set_state, 1);
  }
}

dtw__feed_claim_t dtw__feed_claim(dtw__feed_owner_t *o, uint64_t w, double now_s, double timeout_s,
                                  double *silent_s) {
  *silent_s = 0;
  if (w == 0 || w == o->writer) {
    o->seen_s = now_s;
    return DTW__FEED_OWN;
  }
  if (o->writer != 0 && now_s - o->seen_s <= timeout_s) return DTW__FEED_OTHER;
  if (o->writer != 0) *silent_s = now_s - o->seen_s;
  o->writer = w;
  o->seen_s = now_s;
  return DTW__FEED_PASSED;
}

/* One robot, one feed: the first publisher keeps it until it has been silent
 * for the stale timeout; samples of another are refused, never compared. */
static bool from_feed_publisher(dtw_sync_node_t *n, double now_s) {
  double silent_s = 0;
  dtw__feed_claim_t c = dtw__feed_claim(&n->robot_owner, dtw_sub_last_writer(n->robot), now_s,
                                        n->ss.stale_timeout_s, &silent_s);
  if (c == DTW__FEED_OWN) return true;
  if (c == DTW__FEED_PASSED) {
    n->robot_owner.participant = dtw_sub_writer_participant(n->robot, n->robot_owner.writer);
    if (silent_s > 0) {
      n->st.robot_publisher_changes++;
      DTW_WARN(LOG, "%s: the feed passes to another publisher (the previous one was silent "
               "for %.1f s)", n->robot_topic, silent_s);
    }
    return true;
  }
  refuse(n, DTW_SYNC_NODE_REFUSED_ROBOT_OTHER_PUBLISHER, 1);
  dtw__log_limited(&n->limit_robot, DTW_LOG_WARN, LOG,
                   "%s has %d publishers: samples of the second are refused (two robots, or "
                   "two dtwin systems, on one topic?)",
                   n->robot_topic, dtw_sub_matched_count(n->robot));
  return false;
}

static void take_robot(dtw_sync_node_t *n, double poll_s) {
  char err[256];
  while (dtw_sub_take(n->robot, &n->in) == 1) {
    double now_s = dtw__sync_node_taken_at(poll_s);
    n->st.robot_received++;
    dtw_counter_add(n->m.recv_robot, 1);
    if (!from_feed_publisher(n, now_s)) continue;
    if (n->sync == NULL) {
      /* nothing to compare with yet; mirror mode still drives the twin */
      n->st.robot_before_twin++;
      if (n->mirror && n->in.n_position == n->in.n_name && n->in.n_name > 0 &&
          dtw_joint_state_check(&n->in, err, sizeof err) == 0)
        forward(n, &n->in);
      continue;
    }
    dtw_sync_outcome_t oc = DTW_SYNC_MATCHED;
    if (dtw_sync_on_robot_sample(n->sync, &n->in, now_s, &oc) < 0) {
      refuse(n, robot_refusal(oc), 1);
      dtw__log_limited(&n->limit_robot, DTW_LOG_WARN, LOG, "refused %s sample: %s",
                       n->robot_topic, dtw_sync_outcome_name(oc));
      continue;
    }
    double stamp = dtw_time_to_s(n->in.stamp);
    if (!(stamp <= n->robot_newest_stamp_s)) n->robot_newest_stamp_s = stamp;
    /* offset-corrected with the last tick's estimate: the robot's clock is not ours */
    if (isfinite(n->rep.clock_offset_s))
      dtw_histogram_observe(n->m.latency, fmax(0.0, now_s - stamp - n->rep.clock_offset_s));
    if (n->mirror) forward(n, &n->in);
  }
}

/* ---- tick ------------------------------------------------------------------- */

static void log_transition(dtw_sync_node_t *n) {
  dtw_sync_transition_t tr;
  if (dtw_sync_last_transition(n->sync, &tr) < 0) return;
  dtw_counter_add(n->m.transitions[tr.to], 1);
  dtw_log_level_t level = tr.to == DTW_SYNC_DIVERGED || tr.to == DTW_SYNC_STALE ||
                                  tr.to == DTW_SYNC_FAULT || tr.to == DTW_SYNC_DEGRADED
                              ? DTW_LOG_WARN
                              : DTW_LOG_INFO;
  /* the robot stamp places the detection on the robot's own clock */
  dtw_log(level, LOG, "%s (robot stamp %.3f s)", tr.text, n->robot_newest_stamp_s);
}

static void do_resync(dtw_sync_node_t *n, int flags, double now_s) {
  int reason = (flags & DTW_SYNC_TICK_RESYNC_REQUEST)     ? DTW_SYNC_NODE_RESYNC_REQUEST
               : (flags & DTW_SYNC_TICK_RESYNC_THRESHOLD) ? DTW_SYNC_NODE_RESYNC_THRESHOLD
                                                          : DTW_SYNC_NODE_RESYNC_PERIOD;
  if (dtw_sync_latest_robot_state(n->sync, &n->out) < 0) return;
  if (dtw_pub_joint_state(n->set_state, &n->out) < 0) {
    /* dtw_sync asks again after DTW_SYNC_RESYNC_RETRY_S */
    DTW_WARN(LOG, "re-sync (%s): publishing on %s failed", k_resync_reasons[reason],
             n->set_state_topic);
    return;
  }
  n->st.set_state_published++;
  dtw_counter_add(n->m.pub_set_state, 1);
  dtw_sync_resync_done(n->sync, now_s);
  n->st.resyncs[reason]++;
  dtw_counter_add(n->m.resyncs[reason], 1);
  const dtw_sync_report_t *r = &n->rep;
  int w = r->worst_joint;
  DTW_INFO(LOG,
           "re-sync (%s): %s set to the robot's state at stamp %.3f s (%zu joints); newest "
           "error %.4f rad, window max %.4f rad%s%s",
           k_resync_reasons[reason], n->set_state_topic, dtw_time_to_s(n->out.stamp),
           n->out.n_name, r->overall.pos_last_rad, r->overall.pos_max_rad,
           w >= 0 ? " at " : "", w >= 0 ? r->joints[w].name : "");
}

static void update_metrics(dtw_sync_node_t *n) {
  const dtw_sync_report_t *r = &n->rep;
  dtw_gauge_set(n->m.state, (double)r->state);
  dtw_gauge_set(n->m.pace[0], r->robot_pace);
  dtw_gauge_set(n->m.pace[1], r->twin_pace);
  dtw_gauge_set(n->m.twin_behind, r->twin_behind_s);
  for (int st = 0; st < DTW_SYNC_STATE_COUNT; st++)
    dtw_gauge_set(n->m.state_info[st], st == (int)r->state ? 1.0 : 0.0);
  for (size_t j = 0; j < r->n_joints && j < DTW_MAX_JOINTS; j++)
    dtw_gauge_set(n->m.joint_err[j], r->joints[j].err.pos_max_rad);
  for (size_t g = 0; g < r->n_groups && g < DTW_SYNC_MAX_GROUPS; g++)
    dtw_gauge_set(n->m.group_rms[g], r->groups[g].err.pos_rms_rad);
  for (size_t j = 0; j < r->n_joints && j < DTW_MAX_JOINTS; j++) {
    dtw_gauge_set(n->f.joint_fault[j], (double)r->joints[j].fault);
    dtw_gauge_set(n->f.joint_resid[j], r->joints[j].residual_nm);
    dtw_gauge_set(n->f.joint_onset[j], NAN);
  }
  for (size_t i = 0; i < r->n_faults; i++)
    if (r->faults[i].joint >= 0 && r->faults[i].joint < DTW_MAX_JOINTS)
      dtw_gauge_set(n->f.joint_onset[r->faults[i].joint], r->faults[i].onset_stamp_s);
  for (int k = 1; k < DTW_SYNC_FAULT_KIND_COUNT; k++) {
    // each new fault is logged once, with what to check
    if (r->faults_detected[k] > n->faults_seen[k]) {
      dtw_counter_add(n->f.faults[k], r->faults_detected[k] - n->faults_seen[k]);
      n->faults_seen[k] = r->faults_detected[k];
      for (size_t i = 0; i < r->n_faults; i++)
        if ((int)r->faults[i].kind == k)
          DTW_WARN(LOG, "fault: %s (confidence %.2f)", r->faults[i].text,
                   r->faults[i].confidence);
    }
  }
  dtw_gauge_set(n->m.overall_rms, r->overall.pos_rms_rad);
  dtw_gauge_set(n->m.overall_vel_rms, r->overall.vel_rms_rad_s);
  dtw_gauge_set(n->m.clock_offset, r->clock_offset_s);
  dtw_gauge_set(n->m.publishers, n->st.robot_publishers);
  dtw_gauge_set(n->m.sample_age, r->since_robot_s);
  dtw_gauge_set(n->m.rate, r->rate_hz);
}

/* Copy, cut to a diagnostic text field. */
static void set_text(char *dst, const char *src) {
  size_t len = strnlen(src, DTW_DIAG_TEXT_MAX - 1);
  memcpy(dst, src, len);
  dst[len] = '\0';
}

static void put_kv(dtw_diag_status_t *st, const dtw_sync_kv_t *kv, size_t from, size_t to) {
  st->n_values = 0;
  for (size_t i = from; i < to && st->n_values < DTW_DIAG_MAX_VALUES; i++) {
    set_text(st->values[st->n_values].key, kv[i].key);
    set_text(st->values[st->n_values].value, kv[i].value);
    st->n_values++;
  }
}

static void publish_status(dtw_sync_node_t *n) {
  const dtw_sync_report_t *r = &n->rep;
  dtw_diag_array_t *d = &n->diag;
  d->stamp = dtw_time_from_ns(dtw_clock_real_ns());
  d->frame_id[0] = '\0';
  d->n_status = 0;
  int nkv = dtw_sync_report_kv(r, -1, n->kv, KV_CAP);
  if (nkv < 0) nkv = 0;
  if (nkv < KV_CAP) {
    snprintf(n->kv[nkv].key, sizeof n->kv[nkv].key, "robot_publishers");
    snprintf(n->kv[nkv].value, sizeof n->kv[nkv].value, "%d", n->st.robot_publishers);
    nkv++;
  }
  /* overall: the state first; the key/values that don't fit go on in "sync: feed"
   * (always there), then "sync: feed 2"... (a fault report adds up to 10: nothing is cut) */
  size_t rest = (size_t)nkv > DTW_DIAG_MAX_VALUES ? (size_t)nkv - DTW_DIAG_MAX_VALUES : 0;
  size_t parts = 1 + (rest > DTW_DIAG_MAX_VALUES ? (rest + DTW_DIAG_MAX_VALUES - 1) /
                                                       DTW_DIAG_MAX_VALUES
                                                 : 1);
  for (size_t part = 0, from = 0; part < parts && d->n_status < DTW_DIAG_MAX_STATUS; part++) {
    dtw_diag_status_t *st = &d->status[d->n_status++];
    st->level = (uint8_t)r->level;
    if (part == 0)
      set_text(st->name, "sync: overall");
    else if (part == 1)
      set_text(st->name, "sync: feed");
    else
      snprintf(st->name, sizeof st->name, "sync: feed %zu", part);
    set_text(st->message, r->state_name);
    set_text(st->hardware_id, n->s.robot_namespace);
    size_t to = from + DTW_DIAG_MAX_VALUES < (size_t)nkv ? from + DTW_DIAG_MAX_VALUES : (size_t)nkv;
    put_kv(st, n->kv, from, to);
    from = to;
    if (part > 0 && n->st.robot_publishers > 1) {
      st->level = DTW_DIAG_WARN > st->level ? DTW_DIAG_WARN : st->level;
      snprintf(st->message, sizeof st->message, "%s; feed problem: %d publishers on %.60s",
               r->state_name, n->st.robot_publishers, n->robot_topic);
    }
  }
  /* DEGRADED: errors measured, not judged */
  bool unknown = r->state == DTW_SYNC_NO_DATA || r->state == DTW_SYNC_STALE ||
                 r->state == DTW_SYNC_DEGRADED;
  for (size_t g = 0; g < r->n_groups && d->n_status < DTW_DIAG_MAX_STATUS; g++) {
    dtw_diag_status_t *st = &d->status[d->n_status++];
    snprintf(st->name, sizeof st->name, "sync: %s", r->groups[g].name);
    set_text(st->hardware_id, n->s.robot_namespace);
    /* the message names the members above an alarm, worst list cut to fit */
    size_t len = 0;
    st->message[0] = '\0';
    for (size_t j = 0; j < r->n_joints; j++) {
      if (r->joints[j].group != (int)g || !r->joints[j].above_alarm) continue;
      int w = snprintf(st->message + len, sizeof st->message - len, "%s%s %.3f rad",
                       len == 0 ? "above alarm: " : ", ", r->joints[j].name,
                       r->joints[j].err.pos_last_rad);
      if (w < 0 || (size_t)w >= sizeof st->message - len) break;
      len += (size_t)w;
    }
    if (st->message[0] != '\0') {
      st->level = DTW_DIAG_ERROR;
    } else {
      st->level = unknown ? (uint8_t)r->level : DTW_DIAG_OK;
      set_text(st->message, unknown ? r->state_name : "ok");
    }
    int k = dtw_sync_report_kv(r, (int)g, n->kv, KV_CAP);
    put_kv(st, n->kv, 0, k > 0 ? (size_t)k : 0);
  }
  if (dtw_pub_diagnostics(n->status, d) == 0) {
    n->st.status_published++;
    dtw_counter_add(n->m.pub_status, 1);
  }
}

static void tick(dtw_sync_node_t *n, double now_s) {
  /* time in the state held since the previous tick */
  if (isfinite(n->last_tick_s)) n->st.time_in_state_s[n->rep.state] += now_s - n->last_tick_s;
  n->last_tick_s = now_s;
  n->st.ticks++;
  if (n->sync != NULL) {
    int flags = dtw_sync_tick(n->sync, now_s);
    dtw_sync_report(n->sync, &n->rep);
    if (flags > 0 && (flags & DTW_SYNC_TICK_TRANSITION)) log_transition(n);
    if (flags > 0 && (flags & DTW_SYNC_TICK_RESYNC)) do_resync(n, flags, now_s);
  } else {
    n->rep.time_s = now_s;
    n->rep.time_in_state_s = now_s - n->first_poll_s;
  }
  mirror_bus_refusals(n, n->robot, &n->robot_bus_seen, DTW_SYNC_NODE_REFUSED_ROBOT_MALFORMED,
                      DTW_SYNC_NODE_REFUSED_ROBOT_TOO_LARGE, n->m.recv_robot);
  mirror_bus_refusals(n, n->twin, &n->twin_bus_seen, DTW_SYNC_NODE_REFUSED_TWIN_MALFORMED,
                      DTW_SYNC_NODE_REFUSED_TWIN_TOO_LARGE, n->m.recv_twin);
  n->st.matched = dtw_sub_matched_count(n->robot) > 0 && dtw_sub_matched_count(n->twin) > 0;
  n->st.robot_publishers = dtw_sub_matched_count(n->robot);
  if (n->st.robot_publishers > 1 && n->st.robot_publishers != n->publishers_logged)
    DTW_WARN(LOG, "%s has %d publishers: a feed problem (only the first one's samples are "
             "compared)", n->robot_topic, n->st.robot_publishers);
  n->publishers_logged = n->st.robot_publishers;
  dtw__sync_node_ctl_watch(n, now_s, n->st.matched);
  if (n->rep.robot_clock_resets > n->robot_clock_resets_seen) {
    DTW_WARN(LOG, "%s: the robot's clock jumped back (a restarted robot): its state, clock "
             "offset and fault filters start again", n->robot_topic);
    n->robot_clock_resets_seen = n->rep.robot_clock_resets;
  }
  dtw_health_set_ready(n->ready, n->st.matched);
  update_metrics(n);
  publish_status(n);
}

int dtw_sync_node_poll(dtw_sync_node_t *n, double now_s) {
  if (n == NULL || !isfinite(now_s)) return DTW_EINVAL;
  if (isnan(n->first_poll_s)) {
    n->first_poll_s = now_s;
    n->next_tick_s = now_s + n->period_s;
  }
  if (n->sync != NULL) dtw_sync_on_poll(n->sync, now_s);
  take_twin(n, now_s);
  take_robot(n, now_s);
  dtw__sync_node_ctl_take(n, now_s);
  dtw_srv_process(n->resync);
  int ticked = 0;
  if (now_s >= n->next_tick_s) {
    tick(n, dtw__sync_node_taken_at(now_s));  // after every sample taken
    /* keep the cadence; after a stall restart it instead of bursting */
    n->next_tick_s = isfinite(n->next_tick_s) ? n->next_tick_s + n->period_s : now_s;
    if (n->next_tick_s <= now_s) n->next_tick_s = now_s + n->period_s;
    ticked = 1;
  }
  return n->sync_failed ? DTW_EINVAL : ticked;
}

void dtw_sync_node_report(const dtw_sync_node_t *n, dtw_sync_report_t *out) { *out = n->rep; }

void dtw_sync_node_get_stats(const dtw_sync_node_t *n, dtw_sync_node_stats_t *out) {
  *out = n->st;
}

const dtw_sync_t *dtw_sync_node_sync(const dtw_sync_node_t *n) { return n->sync; }
const char *dtw_sync_node_fqn(const dtw_sync_node_t *n) { return n->fqn; }
const char *dtw_sync_node_robot_topic(const dtw_sync_node_t *n) { return n->robot_topic; }
const char *dtw_sync_node_twin_topic(const dtw_sync_node_t *n) { return n->twin_topic; }
const char *dtw_sync_node_status_topic(const dtw_sync_node_t *n) { return n->status_topic; }
