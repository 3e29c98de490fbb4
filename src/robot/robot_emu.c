/* The robot emulator: a twin with model error, faults and an operator, its
 * measurements through noise, loss and latency - or a recording replayed
 * through the same link. */
#include "dtw/robot_emu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/motion_gen.h"
#include "dtw/paths.h"
#include "dtw/traj_file.h"
#include "robot__emu.h"

#define LOG "robot"
/* more samples in flight than this are dropped (reason queue_full) */
#define QUEUE_MAX_SLOTS 65536

_Static_assert(DTW__FAULT_MAX == DTW_ROBOT_EMU_MAX_FAULTS, "one fault limit");

struct dtw_robot_emu {
  dtw_robot_emu_settings_t s;
  dtw_twin_t *twin;         /* borrowed */
  /* buffers sized at create, reused every step */
  dtw_joint_trajectory_msg_t motion;
  dtw_joint_state_msg_t measured, out;
  size_t n_out;             /* joints published */
  bool with_velocity, with_effort;
  dtw__delay_queue_t queue; /* slot: n_out positions, velocities, efforts */
  dtw__rng_t rng;
  dtw__fault_schedule_t faults;
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
  uint64_t js_every, motion_check_every;
  dtw_robot_emu_stats_t stats;
  dtw_log_limiter_t limit_motion;
};

static const char *fault_joint_name(const dtw_robot_emu_t *e, const dtw__fault_t *f) {
  if (f->kind == DTW_ROBOT_FAULT_PAYLOAD) return e->s.fault__payload_body;
  return f->joint < 0 ? "" : e->out.name[f->joint];
}

/* Index of a joint in the published list, or a configuration error. */
static int published_joint(const dtw_robot_emu_t *e, const char *param, const char *name,
                           int *out, char *err, size_t errlen) {
  for (size_t i = 0; i < e->n_out; i++)
    if (strcmp(e->out.name[i], name) == 0) {
      *out = (int)i;
      return 0;
    }
  return dtw_errf(err, errlen, DTW_EINVAL, "robot.%s: unknown joint '%s' (%s)", param, name,
                  e->replaying ? "not a column of the replay file" : "not a joint of the model");
}

static int setup_faults(dtw_robot_emu_t *e, char *err, size_t errlen) {
  const dtw_robot_emu_settings_t *s = &e->s;
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
    if (e->replaying && jf[i].kind != DTW_ROBOT_FAULT_FREEZE)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "robot.%s: a %s fault needs the physics, which does not run while "
                      "replaying robot.replay_file",
                      jf[i].param, dtw_robot_fault_name(jf[i].kind));
    int j = -1;
    if ((rc = published_joint(e, jf[i].param, jf[i].joint, &j, err, errlen)) < 0) return rc;
    if ((rc = dtw__fault_add(&e->faults, jf[i].kind, j, jf[i].at_s, 0)) < 0)
      return dtw_errf(err, errlen, rc, "robot.%s: cannot schedule the fault", jf[i].param);
    if (jf[i].kind == DTW_ROBOT_FAULT_FREEZE) e->freeze_joint = j;
  }
  if (s->fault__payload_body[0] != '\0') {
    if (e->replaying)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "robot.fault.payload_body: a payload needs the physics, which does not run "
                      "while replaying robot.replay_file");
    /* adding nothing checks the body: it exists and has a mass to add to */
    if (dtw_emu_add_payload(e->twin, s->fault__payload_body, 0.0) < 0)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "robot.fault.payload_body: '%s' is no body of the model with a mass",
                      s->fault__payload_body);
    if ((rc = dtw__fault_add(&e->faults, DTW_ROBOT_FAULT_PAYLOAD, -1, s->fault__payload_at_s,
                             0)) < 0)
      return dtw_errf(err, errlen, rc, "robot.fault.payload_body: cannot schedule the fault");
  }
  if (s->fault__silent_at_s >= 0 &&
      (rc = dtw__fault_add(&e->faults, DTW_ROBOT_FAULT_SILENT, -1, s->fault__silent_at_s,
                           s->fault__silent_for_s)) < 0)
    return dtw_errf(err, errlen, rc, "robot.fault.silent_at_s: cannot schedule the fault");
  return 0;
}

static int setup_replay(dtw_robot_emu_t *e, char *err, size_t errlen) {
  char path[4096];
  const char *known[DTW_MAX_JOINTS];
  int rc = dtw_path_resolve(e->s.replay_file, path, sizeof path, err, errlen);
  if (rc < 0) return rc;
  for (size_t i = 0; i < e->measured.n_name; i++) known[i] = e->measured.name[i];
  size_t pl = strlen(path);
  if (pl > 5 && !strcmp(path + pl - 5, ".mcap")) {
    char note[1024];
    if ((rc = dtw__replay_load_mcap(path, e->s.replay_topic, known, e->measured.n_name,
                                    &e->replay, note, sizeof note, err, errlen)) < 0)
      return rc;
    DTW_INFO(LOG, "replay %s", note);
  } else if ((rc = dtw__replay_load(path, known, e->measured.n_name, &e->replay, err, errlen)) <
             0) {
    return rc;
  }
  dtw__replay_t *r = &e->replay;
  for (size_t i = 0; i < r->n_rows; i++) { /* replay_rate: the same path, faster or slower */
    r->time_s[i] /= e->s.replay_rate;
    for (size_t k = 0; r->velocity && k < r->n_joints; k++)
      r->velocity[i * r->n_joints + k] *= e->s.replay_rate;
  }
  e->n_out = r->n_joints;
  for (size_t i = 0; i < r->n_joints; i++)
    snprintf(e->out.name[i], DTW_NAME_MAX, "%s", r->names[i]);
  e->with_velocity = r->has_velocity;
  e->with_effort = false;
  /* a loop lasts the recording plus one mean row interval, so rows stay evenly spaced */
  double span = r->time_s[r->n_rows - 1] - r->time_s[0];
  e->replay_period_s = r->n_rows > 1 ? span + span / (double)(r->n_rows - 1) : e->dt;
  return 0;
}

/* "generic": every joint moving, each through a larger excursion in turn
 * (dtw/motion_gen.h), kept clear of the model's contacts (dtw_twin_motion_clear),
 * as dtwin up sends it. */
static int generic_motion(dtw_robot_emu_t *e, char *err, size_t errlen) {
  dtw_motion_gen_opts_t o;
  dtw_motion_gen_opts_default(&o);
  dtw_joint_state_msg_t *js = malloc(sizeof *js);
  int rc = js == NULL ? DTW_ENOMEM
                      : dtw_traj_msg_init(&e->motion, dtw_motion_generic_points(
                                                          dtw_twin_joint_count(e->twin), &o));
  if (rc == 0) {
    dtw_twin_get_joint_state(e->twin, js);
    rc = dtw_motion_generic(dtw_twin_joints(e->twin), dtw_twin_joint_count(e->twin),
                            js->position, &o, &e->motion, err, errlen);
  }
  if (rc == 0) rc = dtw_twin_motion_clear(e->twin, &e->motion, NULL, err, errlen);
  free(js);
  return rc;
}

static int setup_motion(dtw_robot_emu_t *e, char *err, size_t errlen) {
  char path[4096], why[1024];
  int rc;
  if (strcmp(e->s.motion, "generic") == 0) {
    if ((rc = generic_motion(e, err, errlen)) < 0) return rc;
  } else {
    if ((rc = dtw_path_resolve(e->s.motion, path, sizeof path, err, errlen)) < 0) return rc;
    if ((rc = dtw_traj_file_load(path, &e->motion, err, errlen)) < 0) return rc;
  }
  if ((rc = dtw_twin_accept_trajectory(e->twin, &e->motion, why, sizeof why)) < 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "robot.motion: %s: refused by the controller: %s",
                    e->s.motion, why);
  return 0;
}

/* Samples measured every this many steps (at least 1). */
static uint64_t every_steps(double physics_rate_hz, double rate_hz) {
  if (rate_hz <= 0) return 0;
  double every = round(physics_rate_hz / rate_hz);
  return every < 1 ? 1 : (uint64_t)every;
}

int dtw_robot_emu_create(const dtw_robot_emu_settings_t *s, double joint_states_rate_hz,
                         dtw_twin_t *twin, dtw_robot_emu_t **out, char *err, size_t errlen) {
  int rc;
  dtw_robot_emu_t *e = calloc(1, sizeof *e);
  if (e == NULL) return DTW_ENOMEM;
  e->s = *s;
  e->twin = twin;
  e->freeze_joint = -1;
  if ((rc = dtw_emu_scale_model(twin, s->mass_scale, s->friction_scale)) < 0) {
    dtw_errf(err, errlen, rc, "robot.mass_scale/friction_scale: cannot scale the model");
    goto fail;
  }
  e->dt = dtw_twin_timestep(twin);
  dtw_twin_get_joint_state(twin, &e->measured);

  /* what is published: every joint of the model, or the recording's */
  e->replaying = s->replay_file[0] != '\0';
  e->n_out = e->measured.n_name;
  memcpy(e->out.name, e->measured.name, sizeof e->out.name);
  e->with_velocity = e->with_effort = true;
  if (e->replaying) {
    if (s->motion[0] != '\0') {
      rc = dtw_errf(err, errlen, DTW_EINVAL,
                    "robot.motion and robot.replay_file exclude each other (a replay runs no "
                    "physics)");
      goto fail;
    }
    if ((rc = setup_replay(e, err, errlen)) < 0) goto fail;
  }
  e->out.n_name = e->out.n_position = e->n_out;
  e->out.n_velocity = e->with_velocity ? e->n_out : 0;
  e->out.n_effort = e->with_effort ? e->n_out : 0;
  if ((rc = setup_faults(e, err, errlen)) < 0) goto fail;
  if (!e->replaying && s->motion[0] != '\0' && (rc = setup_motion(e, err, errlen)) < 0) goto fail;

  /* room for every sample in flight at the highest rate samples can be made */
  double physics_hz = 1.0 / e->dt;
  e->js_every = every_steps(physics_hz, joint_states_rate_hz);
  double sample_hz = physics_hz / (double)e->js_every;
  if (e->replaying) {
    for (size_t i = 1; i < e->replay.n_rows; i++)
      sample_hz = fmax(sample_hz, 1.0 / (e->replay.time_s[i] - e->replay.time_s[i - 1]));
  }
  double slots = ceil((s->latency_s + s->latency_jitter_s + 2 * e->dt) * sample_hz) + 16;
  if ((rc = dtw__delay_queue_init(&e->queue, (size_t)fmin(slots, QUEUE_MAX_SLOTS), 3 * e->n_out)) <
      0)
    goto fail;
  dtw__rng_seed(&e->rng, (uint64_t)s->seed);
  e->motion_check_every = (uint64_t)fmax(1.0, 0.1 / e->dt);
  *out = e;
  return 0;

fail:
  dtw_robot_emu_destroy(e);
  return rc;
}

void dtw_robot_emu_destroy(dtw_robot_emu_t *e) {
  if (e == NULL) return;
  dtw_traj_msg_fini(&e->motion);
  dtw__delay_queue_fini(&e->queue);
  dtw__replay_fini(&e->replay);
  free(e);
}

static double now_s(const dtw_robot_emu_t *e) { return (double)e->stats.steps * e->dt; }

bool dtw_robot_emu_command_due(const dtw_robot_emu_t *e) {
  return e->stats.steps % e->motion_check_every == 0;
}

int dtw_robot_emu_command(dtw_robot_emu_t *e, const char *text, unsigned *cleared) {
  double t = now_s(e);
  char cmd[200], joint[200] = "";
  snprintf(cmd, sizeof cmd, "%s", text);
  char *sp = strchr(cmd, ' ');
  if (sp) {
    *sp = '\0';
    snprintf(joint, sizeof joint, "%s", sp + 1);
  }
  if (cleared != NULL) *cleared = 0;
  if (strcmp(cmd, "clear") == 0) {
    size_t keep = 0;
    for (size_t i = 0; i < e->faults.n; i++) {
      const dtw__fault_t *f = &e->faults.f[i];
      if (f->kind == DTW_ROBOT_FAULT_SILENT) {
        e->faults.f[keep++] = *f;
        continue;
      }
      if (f->kind == DTW_ROBOT_FAULT_PAYLOAD) {
        if (f->active)
          dtw_emu_add_payload(e->twin, e->s.fault__payload_body, -e->s.fault__payload_kg);
      } else if (f->kind != DTW_ROBOT_FAULT_FREEZE) {
        dtw_emu_set_joint_fault(e->twin, (size_t)f->joint, DTW_EMU_JOINT_OK);
      }
      e->stats.fault_active &= ~(1u << f->kind);
      if (cleared != NULL) *cleared |= 1u << i;
    }
    e->faults.n = keep;
    e->freeze_joint = -1;
    DTW_INFO(LOG, "fault: cleared at t=%.3f s (command)", t);
    return 0;
  }
  int kind = strcmp(cmd, "lock") == 0        ? DTW_ROBOT_FAULT_LOCK
             : strcmp(cmd, "no_torque") == 0 ? DTW_ROBOT_FAULT_NO_TORQUE
             : strcmp(cmd, "freeze") == 0    ? DTW_ROBOT_FAULT_FREEZE
                                             : -1;
  int j = -1;
  char why[256];
  if (kind < 0 || (e->replaying && kind != DTW_ROBOT_FAULT_FREEZE) ||
      published_joint(e, "fault", joint, &j, why, sizeof why) < 0) {
    DTW_WARN(LOG, "fault command refused: '%s %s' (lock|no_torque|freeze <joint>, clear)", cmd,
             joint);
    return DTW_EINVAL;
  }
  if (dtw__fault_add(&e->faults, kind, j, t, 0) < 0) {
    DTW_WARN(LOG, "fault command refused: %s %s: too many faults (send clear)", cmd, joint);
    return DTW_EFULL;
  }
  if (kind == DTW_ROBOT_FAULT_FREEZE) e->freeze_joint = j;
  return 0;
}

/* Apply and log the faults that start (or end) at t. */
static unsigned update_faults(dtw_robot_emu_t *e, double t) {
  unsigned changed = dtw__fault_update(&e->faults, t);
  for (size_t i = 0; changed != 0 && i < e->faults.n; i++) {
    if (!(changed & (1u << i))) continue;
    const dtw__fault_t *f = &e->faults.f[i];
    const char *joint = fault_joint_name(e, f);
    if (f->active)
      e->stats.fault_active |= 1u << f->kind;
    else
      e->stats.fault_active &= ~(1u << f->kind);
    switch (f->kind) {
    case DTW_ROBOT_FAULT_LOCK:
      dtw_emu_set_joint_fault(e->twin, (size_t)f->joint, DTW_EMU_JOINT_LOCKED);
      DTW_INFO(LOG, "fault: %s locked at t=%.3f s", joint, t);
      break;
    case DTW_ROBOT_FAULT_NO_TORQUE:
      dtw_emu_set_joint_fault(e->twin, (size_t)f->joint, DTW_EMU_JOINT_NO_TORQUE);
      DTW_INFO(LOG, "fault: %s has no torque from t=%.3f s", joint, t);
      break;
    case DTW_ROBOT_FAULT_FREEZE:
      /* the value the encoder reads right now stays on the wire */
      if (e->replaying) {
        double pos = e->replay.position[(e->replay_row > 0 ? e->replay_row - 1 : 0) *
                                            e->replay.n_joints +
                                        (size_t)f->joint];
        e->frozen_position = pos;
      } else {
        dtw_twin_get_joint_state(e->twin, &e->measured);
        e->frozen_position = e->measured.position[f->joint] +
                             e->s.encoder_noise_rad * dtw__rng_normal(&e->rng);
      }
      DTW_INFO(LOG, "fault: %s sensor frozen at %.4f rad at t=%.3f s", joint, e->frozen_position,
               t);
      break;
    case DTW_ROBOT_FAULT_PAYLOAD:
      if (dtw_emu_add_payload(e->twin, joint, f->active ? e->s.fault__payload_kg
                                                        : -e->s.fault__payload_kg) == 0)
        DTW_INFO(LOG, "fault: %.3f kg %s %s at t=%.3f s", e->s.fault__payload_kg,
                 f->active ? "added at" : "taken off", joint, t);
      break;
    case DTW_ROBOT_FAULT_SILENT:
      e->silent = f->active;
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
  return changed;
}

unsigned dtw_robot_emu_begin_step(dtw_robot_emu_t *e) {
  unsigned changed = e->faults.n > 0 ? update_faults(e, now_s(e)) : 0;
  if (!e->replaying && e->motion.n_points > 0 && e->s.motion_loop &&
      e->stats.steps % e->motion_check_every == 0) {
    dtw_twin_status_t st;
    dtw_twin_get_status(e->twin, &st);
    char err[512];
    if (strcmp(st.controller_state, "active") != 0 &&
        dtw_twin_accept_trajectory(e->twin, &e->motion, err, sizeof err) < 0)
      dtw_log_limited(&e->limit_motion, DTW_LOG_WARN, LOG, "motion refused: %s", err);
  }
  return changed;
}

/* Queue one measurement taken at t (robot time): loss and silence decide
 * whether it leaves; the values are filled by the caller into the slot. */
static double *measure(dtw_robot_emu_t *e, double t) {
  e->stats.measured++;
  if (e->silent) {
    e->stats.dropped_silent++;
    return NULL;
  }
  if (dtw__rng_bernoulli(&e->rng, e->s.loss_rate)) {
    e->stats.dropped_loss++;
    return NULL;
  }
  double jitter = e->s.latency_jitter_s > 0 ? e->s.latency_jitter_s * dtw__rng_uniform(&e->rng) : 0;
  double *slot = dtw__delay_queue_push(&e->queue, t + e->s.clock_offset_s,
                                       t + e->s.latency_s + jitter);
  if (slot == NULL) e->stats.dropped_overflow++;
  return slot;
}

/* A frozen encoder reads the same position, at rest. */
static void apply_freeze(const dtw_robot_emu_t *e, double *slot) {
  if (e->freeze_joint >= 0 && (e->stats.fault_active & (1u << DTW_ROBOT_FAULT_FREEZE))) {
    slot[e->freeze_joint] = e->frozen_position;
    slot[e->n_out + (size_t)e->freeze_joint] = 0;
  }
}

static void measure_physics(dtw_robot_emu_t *e, double t) {
  double *slot = measure(e, t);
  if (slot == NULL) return;
  size_t k = e->n_out;
  dtw_twin_get_joint_state(e->twin, &e->measured);
  const double sp = e->s.encoder_noise_rad, sv = e->s.velocity_noise_rad_s;
  const double se = e->s.effort_noise_nm;
  for (size_t i = 0; i < k; i++) {
    slot[i] = e->measured.position[i] + (sp > 0 ? sp * dtw__rng_normal(&e->rng) : 0);
    slot[k + i] = e->measured.velocity[i] + (sv > 0 ? sv * dtw__rng_normal(&e->rng) : 0);
    slot[2 * k + i] = e->measured.effort[i] + (se > 0 ? se * dtw__rng_normal(&e->rng) : 0);
  }
  apply_freeze(e, slot);
}

/* Rows whose time (relative to the first, plus completed loops) has come. */
static void measure_replay(dtw_robot_emu_t *e, double t) {
  const dtw__replay_t *r = &e->replay;
  size_t k = e->n_out;
  while (!e->replay_done) {
    double row_t = e->replay_base_s + r->time_s[e->replay_row] - r->time_s[0];
    if (row_t > t + 1e-9) break;
    double *slot = measure(e, row_t);
    if (slot != NULL) {
      memcpy(slot, r->position + e->replay_row * k, k * sizeof(double));
      if (r->velocity != NULL)
        memcpy(slot + k, r->velocity + e->replay_row * k, k * sizeof(double));
      apply_freeze(e, slot);
    }
    if (++e->replay_row == r->n_rows) {
      e->replay_row = 0;
      e->replay_base_s += e->replay_period_s;
      e->stats.replay_loops++;
      if (!e->s.replay_loop) e->replay_done = true;
    }
  }
}

void dtw_robot_emu_end_step(dtw_robot_emu_t *e) {
  /* the robot's clock counts steps: a physics restart does not set it back */
  e->stats.steps++;
  double t = now_s(e);
  if (e->replaying)
    measure_replay(e, t);
  else if (e->stats.steps % e->js_every == 0)
    measure_physics(e, t);
  e->stats.time_s = t;
}

const dtw_joint_state_msg_t *dtw_robot_emu_next_due(dtw_robot_emu_t *e) {
  double stamp;
  size_t k = e->n_out;
  const double *v = dtw__delay_queue_pop_due(&e->queue, now_s(e), &stamp);
  if (v == NULL) return NULL;
  e->out.stamp = dtw_time_from_s(stamp);
  memcpy(e->out.position, v, k * sizeof(double));
  if (e->with_velocity) memcpy(e->out.velocity, v + k, k * sizeof(double));
  if (e->with_effort) memcpy(e->out.effort, v + 2 * k, k * sizeof(double));
  return &e->out;
}

size_t dtw_robot_emu_fault_count(const dtw_robot_emu_t *e) { return e->faults.n; }

int dtw_robot_emu_fault(const dtw_robot_emu_t *e, size_t i, dtw_robot_emu_fault_t *out) {
  if (i >= e->faults.n) return DTW_ERANGE;
  const dtw__fault_t *f = &e->faults.f[i];
  *out = (dtw_robot_emu_fault_t){.kind = (dtw_robot_fault_t)f->kind,
                                 .joint = fault_joint_name(e, f),
                                 .start_s = f->start_s,
                                 .duration_s = f->duration_s,
                                 .active = f->active};
  return 0;
}

void dtw_robot_emu_get_stats(const dtw_robot_emu_t *e, dtw_robot_emu_stats_t *out) {
  *out = e->stats;
}

bool dtw_robot_emu_replaying(const dtw_robot_emu_t *e) { return e->replaying; }

double dtw_robot_emu_period_s(const dtw_robot_emu_t *e) { return e->dt; }
