/* The robot emulator on the bus: a twin with model error, encoder noise,
 * transport latency and loss, its own clock, an operator's motion, injected
 * faults - or a recording replayed through the same pipeline. */
#include "dtw/robot_node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/motion_gen.h"
#include "dtw/paths.h"
#include "dtw/traj_file.h"
#include "node__twin.h"
#include "robot__emu.h"

#define DTW_PARAM_STYPE dtw_robot_node_settings_t
DTW_PARAM_TABLE(dtw_robot_node_param_table, "robot",
                "The stand-in for the physical robot: its own MuJoCo instance with model error, "
                "encoder noise, latency, loss, injectable faults, or a replayed recording",
                DTW_ROBOT_NODE_PARAMS);
#undef DTW_PARAM_STYPE

#define LOG "robot"
/* more samples in flight than this are dropped (reason queue_full) */
#define QUEUE_MAX_SLOTS 65536

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

static const char *const k_fault_names[] = {"lock", "no_torque", "freeze", "silent"};

const char *dtw_robot_fault_name(int fault) {
  return fault >= 0 && fault < DTW_ROBOT_FAULT_COUNT ? k_fault_names[fault] : "invalid";
}

struct dtw_robot_node {
  dtw_robot_node_settings_t s;
  dtw__twin_node_t tn;  /* twin, bus node, joint_states, joint_trajectory */
  /* buffers sized at create, reused every step */
  dtw_joint_trajectory_msg_t motion;
  dtw_joint_state_msg_t measured, out;
  size_t n_out;             /* joints published */
  bool with_velocity, with_effort;
  dtw__delay_queue_t queue; /* slot: n_out positions, velocities, efforts */
  dtw__rng_t rng;
  dtw__fault_schedule_t faults;
  dtw_sub_t *fault_cmd;     /* <ns>/fault: std_msgs/String "lock|no_torque|freeze <joint>", "clear" */
  dtw_cdr_buf_t fault_buf;
  int freeze_joint;         /* index in the published list, -1 = none */
  double frozen_position;
  bool silent;
  /* replay */
  bool replaying;
  dtw__replay_t replay;
  size_t replay_row;
  double replay_base_s, replay_period_s;
  bool replay_done;
  /* time */
  double dt;
  uint64_t steps, js_every, motion_check_every;
  dtw_robot_node_stats_t stats;  /* what tn does not tally */
  struct {
    dtw_counter_t *drop_loss, *drop_silent, *drop_full;
    dtw_gauge_t *fault[DTW__FAULT_MAX];
    dtw_gauge_t *sim_time;
  } m;
};

static const char *fault_joint_name(const dtw_robot_node_t *n, const dtw__fault_t *f) {
  return f->joint < 0 ? "" : n->out.name[f->joint];
}

static void register_metrics(dtw_robot_node_t *n, dtw_metrics_t *reg) {
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
  n->tn.m.recv_traj = dtw_metrics_counter(reg, "dtwin_messages_received_total",
                                          "Messages received (before validation)", "node", fqn,
                                          "topic", traj_topic);
  for (int r = 0; r < DTW_ROBOT_REFUSAL_COUNT; r++)
    n->tn.m.refused[r] = dtw_metrics_counter(reg, "dtwin_messages_refused_total",
                                             "Messages refused as malformed or invalid, by reason",
                                             "node", fqn, "topic", traj_topic, "reason",
                                             dtw_robot_refusal_name(r));
  for (size_t i = 0; i < n->faults.n; i++) {
    const dtw__fault_t *f = &n->faults.f[i];
    n->m.fault[i] = dtw_metrics_gauge(
        reg, "dtwin_robot_fault_active",
        "1 while an injected fault is active (configured faults only)", "node", fqn, "fault",
        dtw_robot_fault_name(f->kind), "joint", fault_joint_name(n, f));
  }
  n->m.sim_time = dtw_metrics_gauge(reg, "dtwin_sim_time_seconds",
                                    "Simulated time (the robot's, since start)", "node", fqn);
  n->tn.m.physics_failures = dtw_metrics_counter(
      reg, "dtwin_physics_failures_total",
      "Physics steps that failed (the robot restarted from its initial pose)", "node", fqn);
}

/* Index of a joint in the published list, or a configuration error. */
static int published_joint(const dtw_robot_node_t *n, const char *param, const char *name,
                           int *out, char *err, size_t errlen) {
  for (size_t i = 0; i < n->n_out; i++)
    if (strcmp(n->out.name[i], name) == 0) {
      *out = (int)i;
      return 0;
    }
  return dtw_errf(err, errlen, DTW_EINVAL, "robot.%s: unknown joint '%s' (%s)", param, name,
                  n->replaying ? "not a column of the replay file" : "not a joint of the model");
}

static int setup_faults(dtw_robot_node_t *n, char *err, size_t errlen) {
  const dtw_robot_node_settings_t *s = &n->s;
  const struct {
    int kind;
    const char *param, *joint;
    double at_s;
  } jf[] = {
      {DTW_ROBOT_FAULT_LOCK, "fault.lock_joint", s->fault__lock_joint, s->fault__lock_at_s},
      {DTW_ROBOT_FAULT_NO_TORQUE, "fault.no_torque_joint", s->fault__no_torque_joint,
       s->fault__no_torque_at_s},
      {DTW_ROBOT_FAULT_FREEZE, "fault.freeze_joint", s->fault__freeze_joint,
       s->fault__freeze_at_s},
  };
  int rc;
  for (size_t i = 0; i < sizeof jf / sizeof jf[0]; i++) {
    if (jf[i].joint[0] == '\0') continue;
    if (n->replaying && jf[i].kind != DTW_ROBOT_FAULT_FREEZE)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "robot.%s: a %s fault needs the physics, which does not run while "
                      "replaying robot.replay_file",
                      jf[i].param, k_fault_names[jf[i].kind]);
    int j = -1;
    if ((rc = published_joint(n, jf[i].param, jf[i].joint, &j, err, errlen)) < 0) return rc;
    if ((rc = dtw__fault_add(&n->faults, jf[i].kind, j, jf[i].at_s, 0)) < 0)
      return dtw_errf(err, errlen, rc, "robot.%s: cannot schedule the fault", jf[i].param);
    if (jf[i].kind == DTW_ROBOT_FAULT_FREEZE) n->freeze_joint = j;
  }
  if (s->fault__silent_at_s >= 0 &&
      (rc = dtw__fault_add(&n->faults, DTW_ROBOT_FAULT_SILENT, -1, s->fault__silent_at_s,
                           s->fault__silent_for_s)) < 0)
    return dtw_errf(err, errlen, rc, "robot.fault.silent_at_s: cannot schedule the fault");
  return 0;
}

static int setup_replay(dtw_robot_node_t *n, char *err, size_t errlen) {
  char path[4096];
  const char *known[DTW_MAX_JOINTS];
  int rc = dtw_path_resolve(n->s.replay_file, path, sizeof path, err, errlen);
  if (rc < 0) return rc;
  for (size_t i = 0; i < n->measured.n_name; i++) known[i] = n->measured.name[i];
  size_t pl = strlen(path);
  if (pl > 5 && !strcmp(path + pl - 5, ".mcap")) {
    char note[1024];
    if ((rc = dtw__replay_load_mcap(path, n->s.replay_topic, known, n->measured.n_name, &n->replay,
                                    note, sizeof note, err, errlen)) < 0)
      return rc;
    DTW_INFO(LOG, "replay %s", note);
  } else if ((rc = dtw__replay_load(path, known, n->measured.n_name, &n->replay, err, errlen)) < 0) {
    return rc;
  }
  dtw__replay_t *r = &n->replay;
  for (size_t i = 0; i < r->n_rows; i++) { /* replay_rate: the same path, faster or slower */
    r->time_s[i] /= n->s.replay_rate;
    for (size_t k = 0; r->velocity && k < r->n_joints; k++)
      r->velocity[i * r->n_joints + k] *= n->s.replay_rate;
  }
  n->n_out = r->n_joints;
  for (size_t i = 0; i < r->n_joints; i++)
    snprintf(n->out.name[i], DTW_NAME_MAX, "%s", r->names[i]);
  n->with_velocity = r->has_velocity;
  n->with_effort = false;
  /* a loop lasts the recording plus one mean row interval, so rows stay evenly spaced */
  double span = r->time_s[r->n_rows - 1] - r->time_s[0];
  n->replay_period_s = r->n_rows > 1 ? span + span / (double)(r->n_rows - 1) : n->dt;
  return 0;
}

/* "generic": every joint through a small excursion (dtw/motion_gen.h). */
static int generic_motion(dtw_robot_node_t *n, char *err, size_t errlen) {
  dtw_motion_gen_opts_t o;
  dtw_motion_gen_opts_default(&o);
  dtw_joint_state_msg_t *js = malloc(sizeof *js);
  int rc = js == NULL ? DTW_ENOMEM : dtw_traj_msg_init(&n->motion, o.waves + 1);
  if (rc == 0) {
    dtw_twin_get_joint_state(n->tn.twin, js);
    rc = dtw_motion_generic(dtw_twin_joints(n->tn.twin), dtw_twin_joint_count(n->tn.twin),
                            js->position, &o, &n->motion, err, errlen);
  }
  free(js);
  return rc;
}

static int setup_motion(dtw_robot_node_t *n, char *err, size_t errlen) {
  char path[4096], why[1024];
  int rc;
  if (strcmp(n->s.motion, "generic") == 0) {
    if ((rc = generic_motion(n, err, errlen)) < 0) return rc;
  } else {
    if ((rc = dtw_path_resolve(n->s.motion, path, sizeof path, err, errlen)) < 0) return rc;
    if ((rc = dtw_traj_file_load(path, &n->motion, err, errlen)) < 0) return rc;
  }
  if ((rc = dtw_twin_accept_trajectory(n->tn.twin, &n->motion, why, sizeof why)) < 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "robot.motion: %s: refused by the controller: %s",
                    n->s.motion, why);
  return 0;
}

int dtw_robot_node_create(const dtw_robot_node_settings_t *s, const dtw_node_host_t *host,
                          dtw_robot_node_t **out, char *err, size_t errlen) {
  int rc;
  dtw_robot_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) return DTW_ENOMEM;
  n->s = *s;
  n->freeze_joint = -1;

  dtw_twin_settings_t ts;
#define DTW__COPY(type, name, ...) memcpy(&ts.name, &s->name, sizeof ts.name);
  DTW_TWIN_PARAMS(DTW__COPY)
#undef DTW__COPY
  dtw__twin_node_config_t cfg = DTW__TWIN_NODE_CONFIG(&n->s);
  if ((rc = dtw__twin_node_init(&n->tn, LOG, &cfg, &ts, err, errlen)) < 0) goto fail;
  if ((rc = dtw_twin_scale_model(n->tn.twin, s->mass_scale, s->friction_scale)) < 0) {
    dtw_errf(err, errlen, rc, "robot.mass_scale/friction_scale: cannot scale the model");
    goto fail;
  }
  n->dt = dtw_twin_timestep(n->tn.twin);
  dtw_twin_get_joint_state(n->tn.twin, &n->measured);

  /* what is published: every joint of the model, or the recording's */
  n->replaying = s->replay_file[0] != '\0';
  n->n_out = n->measured.n_name;
  memcpy(n->out.name, n->measured.name, sizeof n->out.name);
  n->with_velocity = n->with_effort = true;
  if (n->replaying) {
    if (s->motion[0] != '\0') {
      rc = dtw_errf(err, errlen, DTW_EINVAL,
                    "robot.motion and robot.replay_file exclude each other (a replay runs no "
                    "physics)");
      goto fail;
    }
    if ((rc = setup_replay(n, err, errlen)) < 0) goto fail;
  }
  n->out.n_name = n->out.n_position = n->n_out;
  n->out.n_velocity = n->with_velocity ? n->n_out : 0;
  n->out.n_effort = n->with_effort ? n->n_out : 0;
  if ((rc = setup_faults(n, err, errlen)) < 0) goto fail;
  if (!n->replaying && s->motion[0] != '\0' && (rc = setup_motion(n, err, errlen)) < 0) goto fail;

  /* room for every sample in flight at the highest rate samples can be made */
  double physics_hz = 1.0 / n->dt;
  n->js_every = dtw__every_steps(physics_hz, s->joint_states_rate_hz);
  double sample_hz = physics_hz / (double)n->js_every;
  if (n->replaying) {
    for (size_t i = 1; i < n->replay.n_rows; i++)
      sample_hz = fmax(sample_hz, 1.0 / (n->replay.time_s[i] - n->replay.time_s[i - 1]));
  }
  double slots = ceil((s->latency_s + s->latency_jitter_s + 2 * n->dt) * sample_hz) + 16;
  if ((rc = dtw__delay_queue_init(&n->queue, (size_t)fmin(slots, QUEUE_MAX_SLOTS), 3 * n->n_out)) <
      0)
    goto fail;
  dtw__rng_seed(&n->rng, (uint64_t)s->seed);
  n->motion_check_every = (uint64_t)fmax(1.0, 0.1 / n->dt);

  if ((rc = dtw__twin_node_open(&n->tn, host->bus, err, errlen)) < 0 ||
      (rc = dtw__twin_node_subscribe(&n->tn, err, errlen)) < 0)
    goto fail;
  if (!n->replaying) {
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
  register_metrics(n, host->metrics);
  dtw__twin_node_set_ready(&n->tn, host->health);
  *out = n;
  return 0;

fail:
  dtw_robot_node_destroy(n);
  return rc;
}

void dtw_robot_node_destroy(dtw_robot_node_t *n) {
  if (n == NULL) return;
  dtw_traj_msg_fini(&n->motion);
  dtw__delay_queue_fini(&n->queue);
  dtw__replay_fini(&n->replay);
  dtw_sub_destroy(n->fault_cmd);
  free(n->fault_buf.data);
  dtw__twin_node_fini(&n->tn);
  free(n);
}

/* A fault command at run time (<ns>/fault, std_msgs/String): "lock <joint>",
 * "no_torque <joint>", "freeze <joint>" start now; "clear" ends them. */
static void fault_command(dtw_robot_node_t *n, double t) {
  const dtw_cdr_buf_t *b = &n->fault_buf;
  uint32_t len = 0;
  if (b->len < 9 || b->data[1] != 0x01) return; /* little-endian CDR only */
  memcpy(&len, b->data + 4, 4);
  if (len < 1 || len > b->len - 8 || len > 200 || b->data[8 + len - 1] != '\0') return;
  char cmd[200], joint[200] = "";
  memcpy(cmd, b->data + 8, len);
  char *sp = strchr(cmd, ' ');
  if (sp) {
    *sp = '\0';
    snprintf(joint, sizeof joint, "%s", sp + 1);
  }
  if (strcmp(cmd, "clear") == 0) {
    size_t keep = 0;
    for (size_t i = 0; i < n->faults.n; i++) {
      const dtw__fault_t *f = &n->faults.f[i];
      if (f->kind == DTW_ROBOT_FAULT_SILENT) {
        n->faults.f[keep++] = *f;
        continue;
      }
      if (f->kind != DTW_ROBOT_FAULT_FREEZE)
        dtw_twin_set_joint_fault(n->tn.twin, (size_t)f->joint, DTW_JOINT_OK);
      n->stats.fault_active &= ~(1u << f->kind);
      dtw_gauge_set(n->m.fault[i], 0);
    }
    n->faults.n = keep;
    n->freeze_joint = -1;
    DTW_INFO(LOG, "fault: cleared at t=%.3f s (command)", t);
    return;
  }
  int kind = strcmp(cmd, "lock") == 0        ? DTW_ROBOT_FAULT_LOCK
             : strcmp(cmd, "no_torque") == 0 ? DTW_ROBOT_FAULT_NO_TORQUE
             : strcmp(cmd, "freeze") == 0    ? DTW_ROBOT_FAULT_FREEZE
                                             : -1;
  int j = -1;
  char why[256];
  if (kind < 0 || published_joint(n, "fault", joint, &j, why, sizeof why) < 0) {
    DTW_WARN(LOG, "fault command refused: '%s %s' (lock|no_torque|freeze <joint>, clear)", cmd,
             joint);
    return;
  }
  if (dtw__fault_add(&n->faults, kind, j, t, 0) < 0) {
    DTW_WARN(LOG, "fault command refused: %s %s: too many faults (send clear)", cmd, joint);
    return;
  }
  if (kind == DTW_ROBOT_FAULT_FREEZE) n->freeze_joint = j;
}

static void poll_inputs(dtw_robot_node_t *n) {
  const dtw_joint_trajectory_msg_t *traj;
  while ((traj = dtw__twin_node_take_trajectory(&n->tn)) != NULL) {
    if (!n->replaying) {
      dtw__twin_node_accept_trajectory(&n->tn, traj);
      continue;
    }
    dtw__twin_node_refuse(&n->tn, DTW_ROBOT_REFUSAL_REPLAYING);
    dtw__log_limited(&n->tn.limit_traj, DTW_LOG_WARN, LOG,
                     "ignored a trajectory: replaying a recording, no physics to drive");
  }
}

/* Apply and log the faults that start (or end) at t. */
static void update_faults(dtw_robot_node_t *n, double t) {
  unsigned changed = dtw__fault_update(&n->faults, t);
  for (size_t i = 0; changed != 0 && i < n->faults.n; i++) {
    if (!(changed & (1u << i))) continue;
    const dtw__fault_t *f = &n->faults.f[i];
    const char *joint = fault_joint_name(n, f);
    dtw_gauge_set(n->m.fault[i], f->active ? 1 : 0);
    if (f->active)
      n->stats.fault_active |= 1u << f->kind;
    else
      n->stats.fault_active &= ~(1u << f->kind);
    switch (f->kind) {
    case DTW_ROBOT_FAULT_LOCK:
      dtw_twin_set_joint_fault(n->tn.twin, (size_t)f->joint, DTW_JOINT_LOCKED);
      DTW_INFO(LOG, "fault: %s locked at t=%.3f s", joint, t);
      break;
    case DTW_ROBOT_FAULT_NO_TORQUE:
      dtw_twin_set_joint_fault(n->tn.twin, (size_t)f->joint, DTW_JOINT_NO_TORQUE);
      DTW_INFO(LOG, "fault: %s has no torque from t=%.3f s", joint, t);
      break;
    case DTW_ROBOT_FAULT_FREEZE:
      /* the value the encoder reads right now stays on the wire */
      if (n->replaying) {
        double pos = n->replay.position[(n->replay_row > 0 ? n->replay_row - 1 : 0) *
                                            n->replay.n_joints +
                                        (size_t)f->joint];
        n->frozen_position = pos;
      } else {
        dtw_twin_get_joint_state(n->tn.twin, &n->measured);
        n->frozen_position = n->measured.position[f->joint] +
                             n->s.encoder_noise_rad * dtw__rng_normal(&n->rng);
      }
      DTW_INFO(LOG, "fault: %s sensor frozen at %.4f rad at t=%.3f s", joint, n->frozen_position,
               t);
      break;
    case DTW_ROBOT_FAULT_SILENT:
      n->silent = f->active;
      if (f->active && f->duration_s > 0)
        DTW_INFO(LOG, "fault: joint_states silent at t=%.3f s for %.3f s", t, f->duration_s);
      else if (f->active)
        DTW_INFO(LOG, "fault: joint_states silent at t=%.3f s", t);
      else
        DTW_INFO(LOG, "fault: joint_states back at t=%.3f s", t);
      break;
    default:
      break;
    }
  }
}

/* Queue one measurement taken at t (robot time): loss and silence decide
 * whether it leaves; the values are filled by the caller into the slot. */
static double *measure(dtw_robot_node_t *n, double t) {
  n->stats.measured++;
  if (n->silent) {
    n->stats.dropped_silent++;
    dtw_counter_add(n->m.drop_silent, 1);
    return NULL;
  }
  if (dtw__rng_bernoulli(&n->rng, n->s.loss_rate)) {
    n->stats.dropped_loss++;
    dtw_counter_add(n->m.drop_loss, 1);
    return NULL;
  }
  double jitter = n->s.latency_jitter_s > 0 ? n->s.latency_jitter_s * dtw__rng_uniform(&n->rng) : 0;
  double *slot = dtw__delay_queue_push(&n->queue, t + n->s.clock_offset_s,
                                       t + n->s.latency_s + jitter);
  if (slot == NULL) {
    n->stats.dropped_overflow++;
    dtw_counter_add(n->m.drop_full, 1);
  }
  return slot;
}

static void measure_physics(dtw_robot_node_t *n, double t) {
  double *slot = measure(n, t);
  if (slot == NULL) return;
  size_t k = n->n_out;
  dtw_twin_get_joint_state(n->tn.twin, &n->measured);
  const double sp = n->s.encoder_noise_rad, sv = n->s.velocity_noise_rad_s;
  for (size_t i = 0; i < k; i++) {
    slot[i] = n->measured.position[i] + (sp > 0 ? sp * dtw__rng_normal(&n->rng) : 0);
    slot[k + i] = n->measured.velocity[i] + (sv > 0 ? sv * dtw__rng_normal(&n->rng) : 0);
    slot[2 * k + i] = n->measured.effort[i];
  }
  if (n->freeze_joint >= 0 && (n->stats.fault_active & (1u << DTW_ROBOT_FAULT_FREEZE))) {
    slot[n->freeze_joint] = n->frozen_position;
    slot[k + (size_t)n->freeze_joint] = 0;
  }
}

/* Rows whose time (relative to the first, plus completed loops) has come. */
static void measure_replay(dtw_robot_node_t *n, double t) {
  const dtw__replay_t *r = &n->replay;
  size_t k = n->n_out;
  while (!n->replay_done) {
    double row_t = n->replay_base_s + r->time_s[n->replay_row] - r->time_s[0];
    if (row_t > t + 1e-9) break;
    double *slot = measure(n, row_t);
    if (slot != NULL) {
      memcpy(slot, r->position + n->replay_row * k, k * sizeof(double));
      if (r->velocity != NULL)
        memcpy(slot + k, r->velocity + n->replay_row * k, k * sizeof(double));
      if (n->freeze_joint >= 0 && (n->stats.fault_active & (1u << DTW_ROBOT_FAULT_FREEZE))) {
        slot[n->freeze_joint] = n->frozen_position;
        slot[k + (size_t)n->freeze_joint] = 0;
      }
    }
    if (++n->replay_row == r->n_rows) {
      n->replay_row = 0;
      n->replay_base_s += n->replay_period_s;
      n->stats.replay_loops++;
      if (!n->s.replay_loop) n->replay_done = true;
    }
  }
}

/* Publish every queued sample that is due at t. */
static void release(dtw_robot_node_t *n, double t) {
  const double *v;
  double stamp;
  size_t k = n->n_out;
  while ((v = dtw__delay_queue_pop_due(&n->queue, t, &stamp)) != NULL) {
    n->out.stamp = dtw_time_from_s(stamp);
    memcpy(n->out.position, v, k * sizeof(double));
    if (n->with_velocity) memcpy(n->out.velocity, v + k, k * sizeof(double));
    if (n->with_effort) memcpy(n->out.effort, v + 2 * k, k * sizeof(double));
    dtw__twin_node_publish_joint_state(&n->tn, &n->out);
  }
}

int dtw_robot_node_step(dtw_robot_node_t *n) {
  int rc = 0;
  poll_inputs(n);
  double t = (double)n->steps * n->dt;
  if (n->fault_cmd && n->steps % n->motion_check_every == 0)
    while (dtw_sub_take(n->fault_cmd, &n->fault_buf) == 1) fault_command(n, t);
  if (n->faults.n > 0) update_faults(n, t);
  if (!n->replaying) {
    if (n->motion.n_points > 0 && n->s.motion_loop && n->steps % n->motion_check_every == 0) {
      dtw_twin_status_t st;
      dtw_twin_get_status(n->tn.twin, &st);
      char err[512];
      if (strcmp(st.controller_state, "active") != 0 &&
          dtw_twin_accept_trajectory(n->tn.twin, &n->motion, err, sizeof err) < 0)
        dtw__log_limited(&n->tn.limit_traj, DTW_LOG_WARN, LOG, "motion refused: %s", err);
    }
    rc = dtw__twin_node_step(&n->tn);
  }
  /* the robot's clock counts steps: a physics restart does not set it back */
  t = (double)++n->steps * n->dt;
  if (n->replaying)
    measure_replay(n, t);
  else if (n->steps % n->js_every == 0)
    measure_physics(n, t);
  release(n, t);
  n->stats.time_s = t;
  dtw_gauge_set(n->m.sim_time, t);
  return rc;
}

double dtw_robot_node_period_s(const dtw_robot_node_t *n) { return n->dt; }

dtw_twin_t *dtw_robot_node_twin(dtw_robot_node_t *n) { return n->tn.twin; }

void dtw_robot_node_get_stats(const dtw_robot_node_t *n, dtw_robot_node_stats_t *out) {
  *out = n->stats;
  out->published = n->tn.published;
  out->trajectories_received = n->tn.received;
  memcpy(out->refused, n->tn.refused, sizeof out->refused);
}

int dtw_robot_node_replaying(const dtw_robot_node_t *n) { return n->replaying; }

const char *dtw_robot_node_fqn(const dtw_robot_node_t *n) { return n->tn.fqn; }
