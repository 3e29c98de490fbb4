/* The physics twin on the bus: polls its inputs, steps, publishes. */
#include "dtw/sim_node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/log.h"
#include "node__twin.h"

#define DTW_PARAM_STYPE dtw_sim_node_settings_t
DTW_PARAM_TABLE(dtw_sim_node_param_table, "sim",
                "The physics twin as a ROS 2 node (MuJoCo + joint trajectory controller)",
                DTW_SIM_NODE_PARAMS);
#undef DTW_PARAM_STYPE

#define LOG "sim"

DTW__TWIN_NODE_REFUSALS_FIT(DTW_SIM_REFUSAL);

const char *dtw_sim_refusal_name(int reason) {
  switch (reason) {
#define DTW__SIM_REFUSAL_NAME(name, label, text) \
  case DTW_SIM_REFUSAL_##name:                   \
    return label;
    DTW_SIM_REFUSAL_MAP(DTW__SIM_REFUSAL_NAME)
#undef DTW__SIM_REFUSAL_NAME
  default:
    return "invalid";
  }
}

struct dtw_sim_node {
  dtw_sim_node_settings_t s;
  dtw__twin_node_t tn;  /* twin, bus node, joint_states, joint_trajectory */
  dtw_pub_t *clock;
  dtw_sub_t *set_state;
  dtw_srv_t *reset, *pause, *resume;
  /* buffers sized at create, reused every step */
  dtw_joint_state_msg_t state_in, state_out;
  uint64_t steps, js_every, clock_every;
  dtw__log_limiter_t limit_state;
  /* metric handles (NULL without a registry: updates are then no-ops) */
  struct {
    dtw_counter_t *pub_clock, *recv_state;
    dtw_counter_t *srv_requests[3];
    dtw_histogram_t *srv_seconds[3];
    dtw_gauge_t *sim_time;
    dtw_gauge_t *tracking_error[DTW_MAX_JOINTS];
  } m;
};

enum { SRV_RESET, SRV_PAUSE, SRV_RESUME };
static const char *const k_srv_names[] = {"reset", "pause", "resume"};

static void register_metrics(dtw_sim_node_t *n, dtw_metrics_t *reg, const char *state_topic,
                             const char *ctl_topic) {
  if (reg == NULL) return;
  const char *fqn = n->tn.fqn, *traj_topic = n->tn.traj_topic;
  char js_topic[600], srv[600];
  snprintf(js_topic, sizeof js_topic, "%s/joint_states",
           strcmp(n->s.namespace, "/") == 0 ? "" : n->s.namespace);
  const char *pub_help = "Messages published";
  const char *recv_help = "Messages received (before validation)";
  n->tn.m.pub_js = dtw_metrics_counter(reg, "dtwin_messages_published_total", pub_help, "node",
                                       fqn, "topic", js_topic);
  if (n->clock)
    n->m.pub_clock = dtw_metrics_counter(reg, "dtwin_messages_published_total", pub_help, "node",
                                         fqn, "topic", "/clock");
  if (n->tn.controller_state)
    n->tn.m.pub_ctl = dtw_metrics_counter(reg, "dtwin_messages_published_total", pub_help, "node",
                                       fqn, "topic", ctl_topic);
  n->tn.m.recv_traj = dtw_metrics_counter(reg, "dtwin_messages_received_total", recv_help, "node",
                                          fqn, "topic", traj_topic);
  n->m.recv_state = dtw_metrics_counter(reg, "dtwin_messages_received_total", recv_help, "node",
                                        fqn, "topic", state_topic);
  for (int r = 0; r < DTW_SIM_REFUSAL_COUNT; r++) {
    bool traj = r == DTW_SIM_REFUSAL_TRAJECTORY_INVALID || r == DTW_SIM_REFUSAL_TRAJECTORY_MALFORMED;
    n->tn.m.refused[r] = dtw_metrics_counter(reg, "dtwin_messages_refused_total",
                                             "Messages refused as malformed or invalid, by reason",
                                             "node", fqn, "topic", traj ? traj_topic : state_topic,
                                             "reason", dtw_sim_refusal_name(r));
  }
  for (int r = 1; r < DTW_JTC_REFUSAL_COUNT; r++)
    n->tn.m.traj_refused[r] = dtw_metrics_counter(
        reg, "dtwin_trajectory_refusals_total",
        "Trajectories the controller refused, by the controller's reason", "node", fqn, "reason",
        dtw_jtc_refusal_name(r));
  static const double srv_bounds[] = {50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3};
  for (int i = 0; i < 3; i++) {
    snprintf(srv, sizeof srv, "%s/%s", strcmp(n->s.namespace, "/") == 0 ? "" : n->s.namespace,
             k_srv_names[i]);
    n->m.srv_requests[i] = dtw_metrics_counter(reg, "dtwin_service_requests_total",
                                               "Service requests handled", "node", fqn, "service",
                                               srv);
    n->m.srv_seconds[i] = dtw_metrics_histogram(
        reg, "dtwin_service_duration_seconds", "Time to handle a service request", srv_bounds,
        sizeof srv_bounds / sizeof srv_bounds[0], "node", fqn, "service", srv);
  }
  n->m.sim_time = dtw_metrics_gauge(reg, "dtwin_sim_time_seconds", "Simulated time", "node", fqn);
  n->tn.m.physics_failures = dtw_metrics_counter(
      reg, "dtwin_physics_failures_total",
      "Physics steps that failed (the twin restarted from its initial pose)", "node", fqn);
  const dtw_jtc_t *jtc = dtw_twin_controller(n->tn.twin);
  for (size_t k = 0; k < dtw_jtc_joint_count(jtc) && k < DTW_MAX_JOINTS; k++)
    n->m.tracking_error[k] = dtw_metrics_gauge(
        reg, "dtwin_joint_tracking_error_radians",
        "Controller position error (desired - measured) per joint", "node", fqn, "joint",
        dtw_jtc_joint_name(jtc, k));
}

/* set_state samples are checked by the bus before they reach us. */
static int validate_joint_state(const void *msg, void *user) {
  dtw_sim_node_t *n = user;
  char err[256];
  if (dtw_joint_state_check(msg, err, sizeof err) == 0) return 0;
  dtw__twin_node_refuse(&n->tn, DTW_SIM_REFUSAL_SET_STATE_MALFORMED);
  dtw__log_limited(&n->limit_state, DTW_LOG_WARN, LOG, "refused set_state: %s", err);
  return 1;
}

static void count_service(dtw_sim_node_t *n, int which, int64_t t0) {
  dtw_counter_add(n->m.srv_requests[which], 1);
  dtw_histogram_observe(n->m.srv_seconds[which], (double)(dtw_clock_mono_ns() - t0) * 1e-9);
}

static int on_reset(const void *req, void *resp, void *user) {
  (void)req;
  int64_t t0 = dtw_clock_mono_ns();
  dtw_sim_node_t *n = user;
  dtw_trigger_response_t *r = resp;
  int rc = dtw_twin_reset(n->tn.twin);
  r->success = rc == 0;
  snprintf(r->message, sizeof r->message, "%s",
           rc == 0 ? "twin reset to its initial state" : dtw_strerror(rc));
  count_service(n, SRV_RESET, t0);
  DTW_INFO(LOG, "reset requested: %s", r->message);
  return 0;
}

static int set_paused(dtw_sim_node_t *n, void *resp, bool paused) {
  int64_t t0 = dtw_clock_mono_ns();
  dtw_trigger_response_t *r = resp;
  dtw_twin_status_t st;
  dtw_twin_get_status(n->tn.twin, &st);
  dtw_twin_set_paused(n->tn.twin, paused);
  r->success = true;
  snprintf(r->message, sizeof r->message, "%s%s", paused ? "paused" : "running",
           st.paused == paused ? " (already)" : "");
  count_service(n, paused ? SRV_PAUSE : SRV_RESUME, t0);
  DTW_INFO(LOG, "%s requested: %s", paused ? "pause" : "resume", r->message);
  return 0;
}
static int on_pause(const void *req, void *resp, void *user) {
  (void)req;
  return set_paused(user, resp, true);
}
static int on_resume(const void *req, void *resp, void *user) {
  (void)req;
  return set_paused(user, resp, false);
}

int dtw_sim_node_create(const dtw_sim_node_settings_t *s, const dtw_node_host_t *host,
                        dtw_sim_node_t **out, char *err, size_t errlen) {
  int rc;
  char state_topic[1024], ctl_topic[1024];
  dtw_sim_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) return DTW_ENOMEM;
  n->s = *s;
  n->tn.log_jtc_reason = true;

  dtw_twin_settings_t ts;
#define DTW__COPY(type, name, ...) memcpy(&ts.name, &s->name, sizeof ts.name);
  DTW_TWIN_PARAMS(DTW__COPY)
#undef DTW__COPY
  dtw__twin_node_config_t cfg = DTW__TWIN_NODE_CONFIG(&n->s);
  if ((rc = dtw__twin_node_init(&n->tn, LOG, &cfg, &ts, err, errlen)) < 0 ||
      (rc = dtw__twin_node_open(&n->tn, host->bus, err, errlen)) < 0)
    goto fail;
  dtw_bus_node_t *node = n->tn.node;
  if (s->publish_clock &&
      (rc = dtw_pub_create(node, "/clock", DTW_TYPE_CLOCK, DTW_QOS_CLOCK, &n->clock, err,
                           errlen)) < 0)
    goto fail;
  if ((rc = dtw__twin_node_open_controller_state(&n->tn, s->controller_state_rate_hz, ctl_topic,
                                                  sizeof ctl_topic, err, errlen)) < 0)
    goto fail;

  if ((rc = dtw__twin_node_subscribe(&n->tn, err, errlen)) < 0) goto fail;
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_DEFAULT;
  so.traj_cap_points = (size_t)s->max_trajectory_points;
  so.validate = validate_joint_state;
  so.user = n;
  if ((rc = dtw_sub_create(node, "set_state", DTW_TYPE_JOINT_STATE, &so, &n->set_state, err,
                           errlen)) < 0)
    goto fail;

  if ((rc = dtw_bus_serve(node, "reset", DTW_SRV_TRIGGER, on_reset, n, &n->reset, err,
                          errlen)) < 0 ||
      (rc = dtw_bus_serve(node, "pause", DTW_SRV_TRIGGER, on_pause, n, &n->pause, err,
                          errlen)) < 0 ||
      (rc = dtw_bus_serve(node, "resume", DTW_SRV_TRIGGER, on_resume, n, &n->resume, err,
                          errlen)) < 0)
    goto fail;

  /* metric labels use the resolved names, as ros2 topic list shows them */
  dtw_bus_node_resolve(node, "set_state", state_topic, sizeof state_topic, NULL, 0);
  register_metrics(n, host->metrics, state_topic, ctl_topic);
  dtw__twin_node_set_ready(&n->tn, host->health);

  double physics_hz = 1.0 / dtw_twin_timestep(n->tn.twin);
  n->js_every = dtw__every_steps(physics_hz, s->joint_states_rate_hz);
  n->clock_every = dtw__every_steps(physics_hz, s->clock_rate_hz);
  *out = n;
  return 0;

fail:
  dtw_sim_node_destroy(n);
  return rc;
}

void dtw_sim_node_destroy(dtw_sim_node_t *n) {
  if (n == NULL) return;
  dtw__twin_node_fini(&n->tn);
  free(n);
}

static void poll_inputs(dtw_sim_node_t *n) {
  char err[512];
  int rc;
  const dtw_joint_trajectory_msg_t *traj;
  while ((traj = dtw__twin_node_take_trajectory(&n->tn)) != NULL)
    dtw__twin_node_accept_trajectory(&n->tn, traj);
  while ((rc = dtw_sub_take(n->set_state, &n->state_in)) != 0) {
    if (rc < 0) {
      dtw__twin_node_refuse(&n->tn, DTW_SIM_REFUSAL_SET_STATE_MALFORMED);
      dtw__log_limited(&n->limit_state, DTW_LOG_WARN, LOG, "refused set_state: %s",
                       rc == DTW_EFULL ? "more joint names than a message holds" : dtw_strerror(rc));
      if (rc == DTW_EDDS) break;
      continue;
    }
    dtw_counter_add(n->m.recv_state, 1);
    if (dtw_twin_set_state(n->tn.twin, &n->state_in, err, sizeof err) < 0) {
      dtw__twin_node_refuse(&n->tn, DTW_SIM_REFUSAL_SET_STATE_INVALID);
      dtw__log_limited(&n->limit_state, DTW_LOG_WARN, LOG, "refused %s", err);
    }
  }
  dtw_srv_process(n->reset);
  dtw_srv_process(n->pause);
  dtw_srv_process(n->resume);
}

int dtw_sim_node_step(dtw_sim_node_t *n) {
  poll_inputs(n);
  int rc = dtw__twin_node_step(&n->tn);
  uint64_t k = ++n->steps;
  if (n->js_every && k % n->js_every == 0) {
    dtw_twin_get_joint_state(n->tn.twin, &n->state_out);
    dtw__twin_node_publish_joint_state(&n->tn, &n->state_out);
    dtw_gauge_set(n->m.sim_time, dtw_twin_sim_time(n->tn.twin));
  }
  if (n->clock && k % n->clock_every == 0 &&
      dtw_pub_clock(n->clock, dtw_time_from_s(dtw_twin_sim_time(n->tn.twin))) == 0) {
    dtw_counter_add(n->m.pub_clock, 1);
  }
  if (dtw__twin_node_controller_state_due(&n->tn, k))
    for (size_t i = 0; i < n->tn.ctl_state.n_joints; i++)
      dtw_gauge_set(n->m.tracking_error[i], n->tn.ctl_state.error_pos[i]);
  return rc;
}

dtw_twin_t *dtw_sim_node_twin(dtw_sim_node_t *n) { return n->tn.twin; }

const char *dtw_sim_node_fqn(const dtw_sim_node_t *n) { return n->tn.fqn; }
