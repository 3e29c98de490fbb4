/* The robot emulator on the bus: the component (dtw/robot_emu.h) over a twin
 * node, with its settings, the fault command topic, metrics and readiness. */
#include "dtw/robot_node.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/robot_emu.h"
#include "node__twin.h"

#define DTW_PARAM_STYPE dtw_robot_node_settings_t
DTW_PARAM_TABLE(dtw_robot_node_param_table, "robot",
                "The stand-in for the physical robot: its own MuJoCo instance with model error, "
                "encoder noise, latency, loss, injectable faults, or a replayed recording",
                DTW_ROBOT_NODE_PARAMS);
#undef DTW_PARAM_STYPE

#define LOG "robot"

DTW__TWIN_NODE_REFUSALS_FIT(DTW_ROBOT_REFUSAL);

const char *dtw_robot_refusal_name(int reason) {
  switch (reason) {
#define DTW__ROBOT_REFUSAL_NAME(name, label, text) \
  case DTW_ROBOT_REFUSAL_##name:                   \
    return label;
    DTW_ROBOT_REFUSAL_MAP(DTW__ROBOT_REFUSAL_NAME)
#undef DTW__ROBOT_REFUSAL_NAME
  default:
    return "invalid";
  }
}

struct dtw_robot_node {
  dtw_robot_node_settings_t s;
  dtw__twin_node_t tn;      /* twin, bus node, joint_states, joint_trajectory */
  dtw_robot_emu_t *emu;     /* the robot: faults, operator, link, replay */
  dtw_robot_emu_stats_t last; /* for the drop counters' increments */
  uint64_t steps;           /* physics steps taken (the controller state's schedule) */
  atomic_int_least64_t time_ns; /* the robot's clock after its last step, for other threads */
  dtw_sub_t *fault_cmd;     /* <ns>/fault: std_msgs/String "lock|no_torque|freeze <joint>", "clear" */
  dtw_cdr_buf_t fault_buf;
  struct {
    dtw_counter_t *drop_loss, *drop_silent, *drop_full;
    dtw_gauge_t *fault[DTW_ROBOT_EMU_MAX_FAULTS];
    dtw_gauge_t *sim_time;
  } m;
};

static void register_metrics(dtw_robot_node_t *n, dtw_metrics_t *reg, const char *ctl_topic) {
  if (reg == NULL) return;
  const char *fqn = n->tn.fqn, *traj_topic = n->tn.traj_topic;
  const char *js = dtw_pub_topic(n->tn.joint_states);
  n->tn.m.pub_js = dtw_metrics_counter(reg, "dtwin_messages_published_total",
                                       "Messages published", "node", fqn, "topic", js);
  const char *drop_help = "Messages not published, by reason (simulated loss, silent feed, "
                          "delay queue full)";
  n->m.drop_loss = dtw_metrics_counter(reg, "dtwin_messages_dropped_total", drop_help, "node", fqn,
                                       "topic", js, "reason", "loss");
  n->m.drop_silent = dtw_metrics_counter(reg, "dtwin_messages_dropped_total", drop_help, "node",
                                         fqn, "topic", js, "reason", "silent");
  n->m.drop_full = dtw_metrics_counter(reg, "dtwin_messages_dropped_total", drop_help, "node",
                                       fqn, "topic", js, "reason", "queue_full");
  if (n->tn.controller_state)
    n->tn.m.pub_ctl = dtw_metrics_counter(reg, "dtwin_messages_published_total",
                                          "Messages published", "node", fqn, "topic", ctl_topic);
  n->tn.m.recv_traj = dtw_metrics_counter(reg, "dtwin_messages_received_total",
                                          "Messages received (before validation)", "node", fqn,
                                          "topic", traj_topic);
  for (int r = 0; r < DTW_ROBOT_REFUSAL_COUNT; r++)
    n->tn.m.refused[r] = dtw_metrics_counter(reg, "dtwin_messages_refused_total",
                                             "Messages refused as malformed or invalid, by reason",
                                             "node", fqn, "topic", traj_topic, "reason",
                                             dtw_robot_refusal_name(r));
  dtw_robot_emu_fault_t f;
  for (size_t i = 0; dtw_robot_emu_fault(n->emu, i, &f) == 0; i++)
    n->m.fault[i] = dtw_metrics_gauge(
        reg, "dtwin_robot_fault_active",
        "1 while an injected fault is active (configured faults only)", "node", fqn, "fault",
        dtw_robot_fault_name(f.kind), "joint", f.joint);
  n->m.sim_time = dtw_metrics_gauge(reg, "dtwin_sim_time_seconds",
                                    "Simulated time (the robot's, since start)", "node", fqn);
  n->tn.m.physics_failures = dtw_metrics_counter(
      reg, "dtwin_physics_failures_total",
      "Physics steps that failed (the robot restarted from its initial pose)", "node", fqn);
}

int dtw_robot_node_create(const dtw_robot_node_settings_t *s, const dtw_node_host_t *host,
                          dtw_robot_node_t **out, char *err, size_t errlen) {
  int rc;
  dtw_robot_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) return DTW_ENOMEM;
  n->s = *s;

  dtw_twin_settings_t ts;
  dtw_robot_emu_settings_t es;
#define DTW__COPY(type, name, ...) memcpy(&ts.name, &s->name, sizeof ts.name);
  DTW_TWIN_PARAMS(DTW__COPY)
#undef DTW__COPY
#define DTW__COPY(type, name, ...) memcpy(&es.name, &s->name, sizeof es.name);
  DTW_ROBOT_EMU_PARAMS(DTW__COPY)
#undef DTW__COPY
  dtw__twin_node_config_t cfg = DTW__TWIN_NODE_CONFIG(&n->s);
  if ((rc = dtw__twin_node_init(&n->tn, LOG, &cfg, &ts, err, errlen)) < 0 ||
      (rc = dtw_robot_emu_create(&es, s->joint_states_rate_hz, n->tn.twin, &n->emu, err,
                                 errlen)) < 0)
    goto fail;

  char ctl_topic[1024];
  n->tn.ctl_stamp_offset_s = s->clock_offset_s; /* the robot's own clock, as joint_states */
  /* a replay has no controller to report */
  double ctl_hz = dtw_robot_emu_replaying(n->emu) ? 0 : s->controller_state_rate_hz;
  if ((rc = dtw__twin_node_open(&n->tn, host->bus, err, errlen)) < 0 ||
      (rc = dtw__twin_node_subscribe(&n->tn, err, errlen)) < 0 ||
      (rc = dtw__twin_node_open_controller_state(&n->tn, ctl_hz, ctl_topic, sizeof ctl_topic, err,
                                                 errlen)) < 0)
    goto fail;
  if (!dtw_robot_emu_replaying(n->emu)) {
    dtw_sub_options_t so;
    dtw_sub_options_default(&so);
    so.raw = true;
    n->fault_buf = (dtw_cdr_buf_t){.data = malloc(1024), .cap = 1024};
    if (n->fault_buf.data == NULL) {
      rc = DTW_ENOMEM;
      goto fail;
    }
    if ((rc = dtw_sub_create(n->tn.node, "fault", DTW_TYPE_STRING, &so, &n->fault_cmd, err,
                             errlen)) < 0)
      goto fail;
  }
  register_metrics(n, host->metrics, ctl_topic);
  dtw__twin_node_set_ready(&n->tn, host->health);
  *out = n;
  return 0;

fail:
  dtw_robot_node_destroy(n);
  return rc;
}

void dtw_robot_node_destroy(dtw_robot_node_t *n) {
  if (n == NULL) return;
  dtw_sub_destroy(n->fault_cmd);
  free(n->fault_buf.data);
  dtw_robot_emu_destroy(n->emu); /* before the twin it borrows */
  dtw__twin_node_fini(&n->tn);
  free(n);
}

/* A fault command at run time (<ns>/fault, std_msgs/String): the string out
 * of its CDR, then the emulator's (dtw_robot_emu_command). */
static void fault_command(dtw_robot_node_t *n) {
  const dtw_cdr_buf_t *b = &n->fault_buf;
  uint32_t len = 0;
  if (b->len < 9 || b->data[1] != 0x01) return; /* little-endian CDR only */
  memcpy(&len, b->data + 4, 4);
  if (len < 1 || len > b->len - 8 || len > 200 || b->data[8 + len - 1] != '\0') return;
  char cmd[200];
  memcpy(cmd, b->data + 8, len);
  unsigned cleared = 0;
  dtw_robot_emu_command(n->emu, cmd, &cleared);
  for (size_t i = 0; i < DTW_ROBOT_EMU_MAX_FAULTS; i++)
    if (cleared & (1u << i)) dtw_gauge_set(n->m.fault[i], 0);
}

static void poll_inputs(dtw_robot_node_t *n) {
  const dtw_joint_trajectory_msg_t *traj;
  while ((traj = dtw__twin_node_take_trajectory(&n->tn)) != NULL) {
    if (!dtw_robot_emu_replaying(n->emu)) {
      dtw__twin_node_accept_trajectory(&n->tn, traj);
      continue;
    }
    dtw__twin_node_refuse(&n->tn, DTW_ROBOT_REFUSAL_REPLAYING);
    dtw__log_limited(&n->tn.limit_traj, DTW_LOG_WARN, LOG,
                     "ignored a trajectory: replaying a recording, no physics to drive");
  }
}

int dtw_robot_node_step(dtw_robot_node_t *n) {
  int rc = 0;
  poll_inputs(n);
  if (n->fault_cmd && dtw_robot_emu_command_due(n->emu))
    while (dtw_sub_take(n->fault_cmd, &n->fault_buf) == 1) fault_command(n);
  unsigned changed = dtw_robot_emu_begin_step(n->emu);
  dtw_robot_emu_fault_t f;
  for (size_t i = 0; changed != 0 && i < DTW_ROBOT_EMU_MAX_FAULTS; i++)
    if ((changed & (1u << i)) && dtw_robot_emu_fault(n->emu, i, &f) == 0)
      dtw_gauge_set(n->m.fault[i], f.active ? 1 : 0);
  if (!dtw_robot_emu_replaying(n->emu)) {
    rc = dtw__twin_node_step(&n->tn);
    dtw__twin_node_controller_state_due(&n->tn, ++n->steps);
  }
  dtw_robot_emu_end_step(n->emu);
  const dtw_joint_state_msg_t *js;
  while ((js = dtw_robot_emu_next_due(n->emu)) != NULL)
    dtw__twin_node_publish_joint_state(&n->tn, js);
  dtw_robot_emu_stats_t st;
  dtw_robot_emu_get_stats(n->emu, &st);
  dtw_counter_add(n->m.drop_loss, st.dropped_loss - n->last.dropped_loss);
  dtw_counter_add(n->m.drop_silent, st.dropped_silent - n->last.dropped_silent);
  dtw_counter_add(n->m.drop_full, st.dropped_overflow - n->last.dropped_overflow);
  n->last = st;
  dtw_gauge_set(n->m.sim_time, st.time_s);
  atomic_store_explicit(&n->time_ns, (int_least64_t)llround(st.time_s * 1e9), memory_order_relaxed);
  return rc;
}

double dtw_robot_node_time_s(const dtw_robot_node_t *n) {
  return (double)atomic_load_explicit(&n->time_ns, memory_order_relaxed) * 1e-9;
}

double dtw_robot_node_period_s(const dtw_robot_node_t *n) { return dtw_robot_emu_period_s(n->emu); }

dtw_twin_t *dtw_robot_node_twin(dtw_robot_node_t *n) { return n->tn.twin; }

void dtw_robot_node_get_stats(const dtw_robot_node_t *n, dtw_robot_node_stats_t *out) {
  dtw_robot_emu_stats_t st;
  dtw_robot_emu_get_stats(n->emu, &st);
  memset(out, 0, sizeof *out);
  out->measured = st.measured;
  out->dropped_loss = st.dropped_loss;
  out->dropped_silent = st.dropped_silent;
  out->dropped_overflow = st.dropped_overflow;
  out->replay_loops = st.replay_loops;
  out->fault_active = st.fault_active;
  out->time_s = st.time_s;
  out->published = n->tn.published;
  out->controller_states_published = n->tn.ctl_published;
  out->trajectories_received = n->tn.received;
  memcpy(out->refused, n->tn.refused, sizeof out->refused);
}

int dtw_robot_node_replaying(const dtw_robot_node_t *n) { return dtw_robot_emu_replaying(n->emu); }

const char *dtw_robot_node_fqn(const dtw_robot_node_t *n) { return n->tn.fqn; }
