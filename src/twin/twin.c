/* The twin component: model -> MuJoCo sim, driven by the trajectory controller. */
#include "dtw/twin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/jtc.h"
#include "dtw/log.h"
#include "dtw/model.h"
#include "dtw/motion_gen.h"
#include "dtw/paths.h"
#include "dtw/sim.h"

/* set_state bounds: a position this far past a limited joint's range is refused
 * (nearer ones are clamped to it); unlimited joints and velocities with no model
 * limit get bounds no robot reaches, so absurd values never reach the physics. */
#define TWIN_STATE_LIMIT_SLACK 0.05     /* rad or m, at least 5 % of the range */
#define TWIN_STATE_MAX_TURNS_RAD 1.0e4  /* continuous joints */
#define TWIN_STATE_MAX_VELOCITY 1.0e3   /* rad/s or m/s, joints with no velocity limit */
#define TWIN_STATE_COAST_S 0.1          /* a set state's velocity is held this long (10 Hz feeds) */

#define DTW_PARAM_STYPE dtw_twin_settings_t
DTW_PARAM_TABLE(dtw_twin_param_table, "twin", "The physics twin (MuJoCo + trajectory controller)",
                DTW_TWIN_PARAMS);
#undef DTW_PARAM_STYPE

#define MAX_XACRO_ARGS 32

struct dtw_twin {
  dtw_robot_desc_t robot;
  dtw_sim_t *sim;
  dtw_jtc_t *jtc;
  size_t n_joints;
  bool derived;       /* controller derived from the model, not loaded */
  bool ff;            /* gravity/Coriolis feed-forward from the model */
  double ff_scale;    /* 1 / mass scale: the feed-forward is the nominal model's */
  /* per-step scratch, sized at create */
  double *q, *qd, *tau, *bias;
  uint64_t steps;
  uint64_t sim_errors;
  bool paused;
  double *effort_gain; /* per joint, between controller and physics (1 = as commanded) */
};

/* Split "a:=1 b:=2" into "a=1" strings for the xacro expander. */
static int split_xacro_args(const char *text, char store[][256], const char **args, size_t *n,
                            char *err, size_t errlen) {
  *n = 0;
  const char *p = text;
  while (*p != '\0') {
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\0') break;
    const char *end = p;
    while (*end != '\0' && *end != ' ' && *end != '\t') end++;
    size_t len = (size_t)(end - p);
    const char *assign = strstr(p, ":=");
    if (assign == NULL || assign >= end || assign == p)
      return dtw_errf(err, errlen, DTW_EINVAL, "sim.xacro_args: '%.*s' is not name:=value",
                      (int)len, p);
    if (*n >= MAX_XACRO_ARGS || len >= 256)
      return dtw_errf(err, errlen, DTW_ERANGE, "sim.xacro_args: too many or too long arguments");
    snprintf(store[*n], 256, "%.*s=%.*s", (int)(assign - p), p, (int)(end - assign - 2),
             assign + 2);
    args[*n] = store[*n];
    (*n)++;
    p = end;
  }
  return 0;
}

/* A rest pose outside a joint's limits (fr3's joint 6 rests at 0, its range starts at
 * 0.54 rad) starts at the nearest limit: else MuJoCo's limit constraint kicks the
 * joint in at the first steps, far from where its controller holds it. */
static int start_inside_limits(dtw_twin_t *t) {
  const dtw_joint_desc_t *j = dtw_sim_joints(t->sim);
  int idx[DTW_MAX_JOINTS];
  double q[DTW_MAX_JOINTS], pos[DTW_MAX_JOINTS];
  size_t n = 0;
  if (t->n_joints > DTW_MAX_JOINTS) return 0;
  dtw_sim_get_joint_state(t->sim, q, NULL, NULL);
  for (size_t i = 0; i < t->n_joints; i++) {
    if (!j[i].limited || !(j[i].upper > j[i].lower)) continue;
    if (q[i] >= j[i].lower && q[i] <= j[i].upper) continue;
    idx[n] = (int)i;
    pos[n++] = fmin(fmax(q[i], j[i].lower), j[i].upper);
  }
  return n > 0 ? dtw_sim_set_joint_state(t->sim, idx, pos, NULL, n) : 0;
}

/* ---- the controller: loaded, or derived from the model ------------------------------ */

int dtw_twin_derive_controller(const dtw_sim_t *sim, const dtw_twin_settings_t *s,
                               dtw_jtc_config_t *out, dtw_jtc_derive_info_t *info, char *err,
                               size_t errlen) {
  size_t n = dtw_sim_joint_count(sim);
  if (n == 0 || n > DTW_MAX_JOINTS)
    return dtw_errf(err, errlen, DTW_EINVAL, "derived controller: %zu actuated joints (1..%d)",
                    n, DTW_MAX_JOINTS);
  const dtw_joint_desc_t *joints = dtw_sim_joints(sim);
  double *blocks = malloc(3 * n * n * sizeof *blocks);
  if (blocks == NULL) return dtw_errf(err, errlen, DTW_ENOMEM, "out of memory");
  /* the rest pose and the poses the generic motion heads for, all joints at once */
  dtw_motion_gen_opts_t mg;
  dtw_motion_gen_opts_default(&mg);
  double q0[DTW_MAX_JOINTS], q[DTW_MAX_JOINTS];
  dtw_sim_get_joint_state(sim, q0, NULL, NULL);
  int rc = 0;
  for (int pose = 0; pose < 3 && rc == 0; pose++) {
    for (size_t i = 0; i < n; i++)
      q[i] = pose == 0 ? q0[i] : dtw_motion_excursion(&joints[i], q0[i], pose == 1 ? -1 : 1, &mg);
    rc = dtw_sim_joint_inertia(sim, q, NULL, blocks + (size_t)pose * n * n);
  }
  if (rc < 0) {
    free(blocks);
    return dtw_errf(err, errlen, rc, "derived controller: cannot measure the joint inertias: %s",
                    dtw_strerror(rc));
  }
  dtw_jtc_derive_opts_t o;
  dtw_jtc_derive_opts_default(&o);
  o.name = s->controller;
  o.timestep_s = dtw_sim_timestep(sim);
  o.bandwidth_hz = s->derive__bandwidth_hz;
  o.damping_ratio = s->derive__damping_ratio;
  o.stability_margin = s->derive__stability_margin;
  rc = dtw_jtc_derive(joints, n, blocks, 3, &o, out, info, err, errlen);
  free(blocks);
  return rc;
}

/* The configured controllers file, or a controller derived from the model when
 * none is configured or the default file (the demo humanoid's) does not fit. */
static int select_controller(dtw_twin_t *t, const dtw_twin_settings_t *s, const char *ctl_path,
                             dtw_jtc_config_t *jcfg, char *err, size_t errlen) {
  int rc;
  const char *why = "sim.controllers_file is empty";
  if (ctl_path[0] != '\0') {
    if ((rc = dtw_jtc_config_load(ctl_path, s->controller, jcfg, err, errlen)) < 0) return rc;
    if (strcmp(s->controllers_file, DTW_TWIN_DEFAULT_CONTROLLERS_FILE) != 0 ||
        dtw_jtc_config_fits(jcfg, dtw_sim_joints(t->sim), t->n_joints))
      return 0;
    why = "the default controllers file names joints this robot does not have";
  }
  dtw_jtc_derive_info_t info;
  if ((rc = dtw_twin_derive_controller(t->sim, s, jcfg, &info, err, errlen)) < 0) return rc;
  t->derived = true;
  DTW_INFO("twin",
           "robot '%s': %s: controller '%s' derived from the model for %zu joints "
           "(%.1f-%.1f Hz, damping ratio %.2f, %.0f%% of the stability limit at dt %g s); print "
           "it with `dtwin model controllers`",
           t->robot.name, why, jcfg->name, jcfg->n_joints, info.omega_min_rad_s / (2 * M_PI),
           info.omega_rad_s / (2 * M_PI), info.zeta, 100 * info.stability_use,
           dtw_sim_timestep(t->sim));
  return 0;
}

int dtw_twin_create(const dtw_twin_settings_t *s, dtw_twin_t **out, char *err, size_t errlen) {
  int rc;
  char model_path[4096], world_path[4096], ctl_path[4096];
  char arg_store[MAX_XACRO_ARGS][256];
  const char *args[MAX_XACRO_ARGS];
  size_t n_args = 0;
  dtw_jtc_config_t *jcfg = NULL;

  dtw_twin_t *t = calloc(1, sizeof *t);
  if (t == NULL) return DTW_ENOMEM;

  if ((rc = dtw_path_resolve(s->model, model_path, sizeof model_path, err, errlen)) < 0 ||
      (rc = dtw_path_resolve(s->world, world_path, sizeof world_path, err, errlen)) < 0 ||
      (rc = dtw_path_resolve(s->controllers_file, ctl_path, sizeof ctl_path, err, errlen)) < 0 ||
      (rc = split_xacro_args(s->xacro_args, arg_store, args, &n_args, err, errlen)) < 0)
    goto fail;

  dtw_model_opts_t mopts;
  dtw_model_opts_default(&mopts);
  mopts.package_path = s->package_path[0] ? s->package_path : NULL;
  mopts.world_file = world_path[0] ? world_path : NULL;
  mopts.base = strcmp(s->base, "floating") == 0 ? DTW_BASE_FLOATING : DTW_BASE_FIXED;
  /* 0 = automatic: standing height, raised on the test stand so the feet hang free */
  mopts.base_height_m = s->base_height;
  mopts.self_collision = s->self_collision;
  mopts.timestep_s = 1.0 / s->physics_rate_hz;
  mopts.armature = s->armature;
  mopts.xacro_args = args;
  mopts.n_xacro_args = n_args;
  if ((rc = dtw_model_load(model_path, &mopts, &t->robot, err, errlen)) < 0) goto fail;
  if ((rc = dtw_sim_create(&t->robot, &t->sim, err, errlen)) < 0) goto fail;
  const char *pairs;
  size_t unnamed, excluded = dtw_sim_start_contacts_excluded(t->sim, &pairs, &unnamed);
  if (excluded > 0)
    DTW_INFO("twin", "%s: %zu body pairs touch in the initial pose and never collide: %s",
             model_path, excluded, pairs);
  if (unnamed > 0)
    DTW_WARN("twin", "%s: %zu body pairs touch in the initial pose and stay in contact (a body "
             "without a name cannot be excluded): robot and twin may part there",
             model_path, unnamed);
  const char *authored = dtw_sim_integrator(t->sim); /* static string */
  if ((rc = dtw_sim_set_integrator(t->sim, s->integrator)) < 0) {
    rc = dtw_errf(err, errlen, rc, "sim.integrator: unknown integrator '%s'", s->integrator);
    goto fail;
  }
  /* an MJCF author's choice is replaced: say so (a URDF's comes from the world file) */
  size_t plen = strlen(model_path);
  if (plen > 4 && strcmp(model_path + plen - 4, ".xml") == 0 &&
      strcmp(authored, dtw_sim_integrator(t->sim)) != 0)
    DTW_INFO("twin", "%s: integrator %s (sim.integrator) instead of the model's %s",
             model_path, dtw_sim_integrator(t->sim), authored);
  /* MJCF joints left without rotor inertia get what URDF joints get */
  if ((rc = dtw_sim_min_armature(t->sim, s->armature)) < 0) {
    rc = dtw_errf(err, errlen, rc, "%s: cannot set the joints' armature", model_path);
    goto fail;
  }
  if (rc > 0)
    DTW_INFO("twin", "robot '%s': %d joints without rotor inertia get sim.armature %g kg m^2",
             t->robot.name, rc, s->armature);
  /* an MJCF robot written with a free joint goes on the test stand too */
  if (mopts.base == DTW_BASE_FIXED && t->robot.floating_base) {
    if ((rc = dtw_sim_hold_base(t->sim)) < 0) {
      rc = dtw_errf(err, errlen, rc, "%s: cannot hold the free root body: %s", model_path,
                    dtw_sim_last_error(t->sim));
      goto fail;
    }
    if (rc == 1) t->robot.floating_base = false;
  }
  t->n_joints = dtw_sim_joint_count(t->sim);
  if (t->n_joints > DTW_MAX_JOINTS) {
    /* messages carry at most DTW_MAX_JOINTS joints; never publish a truncated robot */
    rc = dtw_errf(err, errlen, DTW_EUNSUP, "%s: %zu actuated joints; dtwin supports at most %d",
                  model_path, t->n_joints, DTW_MAX_JOINTS);
    goto fail;
  }
  if ((rc = start_inside_limits(t)) < 0) {
    rc = dtw_errf(err, errlen, rc, "%s: cannot move the rest pose inside the joint limits",
                  model_path);
    goto fail;
  }

  jcfg = malloc(sizeof *jcfg);
  if (jcfg == NULL) {
    rc = DTW_ENOMEM;
    goto fail;
  }
  if ((rc = select_controller(t, s, ctl_path, jcfg, err, errlen)) < 0) goto fail;
  jcfg->max_points = (size_t)s->max_trajectory_points;
  char jerr[512];
  rc = dtw_jtc_create(jcfg, dtw_sim_joints(t->sim), t->n_joints, &t->jtc, jerr, sizeof jerr);
  if (rc < 0) {
    rc = dtw_errf(err, errlen, rc, "%s: %s", ctl_path, jerr);
    goto fail;
  }
  t->q = calloc(t->n_joints, sizeof(double));
  t->qd = calloc(t->n_joints, sizeof(double));
  t->tau = calloc(t->n_joints, sizeof(double));
  t->bias = calloc(t->n_joints, sizeof(double));
  t->effort_gain = malloc(t->n_joints * sizeof(double));
  if (t->q == NULL || t->qd == NULL || t->tau == NULL || t->bias == NULL ||
      t->effort_gain == NULL) {
    rc = DTW_ENOMEM;
    goto fail;
  }
  for (size_t i = 0; i < t->n_joints; i++) t->effort_gain[i] = 1.0;
  t->ff_scale = 1.0;
  t->ff = strcmp(s->gravity_feedforward, "on") == 0 ||
          (strcmp(s->gravity_feedforward, "auto") == 0 && t->derived);
  dtw_sim_get_joint_state(t->sim, t->q, t->qd, NULL);
  dtw_jtc_hold(t->jtc, t->q);
  free(jcfg);
  *out = t;
  return 0;

fail:
  free(jcfg);
  dtw_twin_destroy(t);
  return rc;
}

void dtw_twin_destroy(dtw_twin_t *t) {
  if (t == NULL) return;
  dtw_jtc_destroy(t->jtc);
  dtw_sim_destroy(t->sim);
  dtw_robot_desc_fini(&t->robot);
  free(t->q);
  free(t->qd);
  free(t->tau);
  free(t->bias);
  free(t->effort_gain);
  free(t);
}

int dtw_twin_step(dtw_twin_t *t) {
  if (t->paused) return 0;
  /* with feed-forward the step is split so the bias is the current state's */
  int rc = t->ff ? dtw_sim_step_begin(t->sim) : 0;
  if (rc == 0) {
    dtw_sim_get_joint_state(t->sim, t->q, t->qd, NULL);
    memset(t->tau, 0, t->n_joints * sizeof(double));
    if (t->ff) {
      dtw_sim_get_bias(t->sim, t->bias);
      /* bias forces are linear in the masses: what the nominal model predicts */
      for (size_t i = 0; i < t->n_joints; i++) t->bias[i] *= t->ff_scale;
    }
    dtw_jtc_update_ff(t->jtc, dtw_sim_time(t->sim), t->q, t->qd, t->ff ? t->bias : NULL,
                      t->tau);
    for (size_t i = 0; i < t->n_joints; i++)
      if (t->effort_gain[i] != 1.0) t->tau[i] *= t->effort_gain[i];
    rc = t->ff ? dtw_sim_step_end(t->sim, t->tau, t->n_joints)
               : dtw_sim_step(t->sim, t->tau, t->n_joints);
  }
  t->steps++;
  if (rc < 0) {
    /* the state blew up: start over from the initial pose rather than run on garbage */
    t->sim_errors++;
    dtw_sim_reset(t->sim);
    start_inside_limits(t);
    dtw_sim_get_joint_state(t->sim, t->q, NULL, NULL);
    dtw_jtc_hold(t->jtc, t->q);
    return DTW_ESIM;
  }
  return 0;
}

int dtw_twin_accept_trajectory(dtw_twin_t *t, const dtw_joint_trajectory_msg_t *msg, char *err,
                               size_t errlen) {
  return dtw_twin_accept_trajectory_behind(t, msg, 0.0, err, errlen);
}

int dtw_twin_accept_trajectory_behind(dtw_twin_t *t, const dtw_joint_trajectory_msg_t *msg,
                                      double behind_s, char *err, size_t errlen) {
  double now = dtw_sim_time(t->sim);
  return dtw_jtc_accept_at(t->jtc, msg, now, now + fmax(0.0, behind_s), err, errlen);
}

int dtw_twin_set_state(dtw_twin_t *t, const dtw_joint_state_msg_t *msg, char *err,
                       size_t errlen) {
  int idx[DTW_MAX_JOINTS];
  size_t n = msg->n_name;
  if (n == 0) return dtw_errf(err, errlen, DTW_EINVAL, "set_state: no joint names");
  if (n > DTW_MAX_JOINTS) return dtw_errf(err, errlen, DTW_ERANGE, "set_state: too many joints");
  if (msg->n_position != n && msg->n_position != 0)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "set_state: %zu positions for %zu names", msg->n_position, n);
  if (msg->n_velocity != n && msg->n_velocity != 0)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "set_state: %zu velocities for %zu names", msg->n_velocity, n);
  if (msg->n_position == 0 && msg->n_velocity == 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "set_state: neither positions nor velocities");
  double pos[DTW_MAX_JOINTS];
  const dtw_joint_desc_t *joints = dtw_sim_joints(t->sim);
  for (size_t k = 0; k < n; k++) {
    idx[k] = dtw_robot_joint_index_in(joints, t->n_joints, msg->name[k]);
    if (idx[k] < 0)
      return dtw_errf(err, errlen, DTW_EINVAL, "set_state: unknown joint '%s'", msg->name[k]);
    if ((msg->n_position && !isfinite(msg->position[k])) ||
        (msg->n_velocity && !isfinite(msg->velocity[k])))
      return dtw_errf(err, errlen, DTW_EINVAL, "set_state: joint '%s': value is not finite",
                      msg->name[k]);
    const dtw_joint_desc_t *j = &joints[idx[k]];
    if (msg->n_position) {
      pos[k] = msg->position[k];
      if (j->limited) {
        /* encoders read a little past the model's limits: clamp that, refuse the rest */
        double slack = fmax(TWIN_STATE_LIMIT_SLACK, 0.05 * (j->upper - j->lower));
        if (pos[k] < j->lower - slack || pos[k] > j->upper + slack)
          return dtw_errf(err, errlen, DTW_ERANGE,
                          "set_state: joint '%s': position %g is outside its limits [%g, %g]",
                          msg->name[k], pos[k], j->lower, j->upper);
        pos[k] = fmin(fmax(pos[k], j->lower), j->upper);
      } else if (fabs(pos[k]) > TWIN_STATE_MAX_TURNS_RAD) {
        return dtw_errf(err, errlen, DTW_ERANGE,
                        "set_state: joint '%s': position %g is beyond %g", msg->name[k], pos[k],
                        TWIN_STATE_MAX_TURNS_RAD);
      }
    }
    if (msg->n_velocity) {
      double vmax = j->velocity > 0 ? 2.0 * j->velocity + 1.0 : TWIN_STATE_MAX_VELOCITY;
      if (fabs(msg->velocity[k]) > vmax)
        return dtw_errf(err, errlen, DTW_ERANGE,
                        "set_state: joint '%s': velocity %g is beyond %g (twice its limit)",
                        msg->name[k], msg->velocity[k], vmax);
    }
  }
  int rc = dtw_sim_set_joint_state(t->sim, idx, msg->n_position ? pos : NULL,
                                   msg->n_velocity ? msg->velocity : NULL, n);
  if (rc < 0) return dtw_errf(err, errlen, rc, "set_state: physics refused the state");
  dtw_sim_get_joint_state(t->sim, t->q, t->qd, NULL);
  /* keep following an executing trajectory (shadow re-sync); else hold the
   * state, moving on at its velocity until the next one comes (mirror mode):
   * holding still would brake the twin between the robot's samples */
  dtw_jtc_state_t st;
  dtw_jtc_get_state(t->jtc, &st);
  if (st.status != DTW_JTC_ACTIVE) {
    double vel[DTW_MAX_JOINTS] = {0}; /* joints not named hold still */
    for (size_t k = 0; k < n && msg->n_velocity; k++) vel[idx[k]] = t->qd[idx[k]];
    dtw_jtc_hold_moving(t->jtc, t->q, msg->n_velocity ? vel : NULL, dtw_sim_time(t->sim),
                        TWIN_STATE_COAST_S);
  }
  return 0;
}

dtw_sim_t *dtw_twin_sim(dtw_twin_t *t) { return t->sim; }

int dtw_twin_set_effort_gain(dtw_twin_t *t, size_t joint, double gain) {
  if (joint >= t->n_joints || !isfinite(gain) || gain < 0) return DTW_EINVAL;
  t->effort_gain[joint] = gain;
  return 0;
}

int dtw_twin_set_feedforward_scale(dtw_twin_t *t, double scale) {
  if (!isfinite(scale) || !(scale > 0)) return DTW_EINVAL;
  t->ff_scale = scale;
  return 0;
}

int dtw_twin_reset(dtw_twin_t *t) {
  int rc = dtw_sim_reset(t->sim);
  if (rc == 0) rc = start_inside_limits(t);
  if (rc < 0) return rc;
  dtw_sim_get_joint_state(t->sim, t->q, t->qd, NULL);
  dtw_jtc_hold(t->jtc, t->q);
  return 0;
}

void dtw_twin_set_paused(dtw_twin_t *t, bool paused) { t->paused = paused; }

void dtw_twin_get_joint_state(const dtw_twin_t *t, dtw_joint_state_msg_t *m) {
  const dtw_joint_desc_t *joints = dtw_sim_joints(t->sim);
  size_t n = t->n_joints < DTW_MAX_JOINTS ? t->n_joints : DTW_MAX_JOINTS;
  m->stamp = dtw_time_from_s(dtw_sim_time(t->sim));
  m->frame_id[0] = '\0';
  m->n_name = m->n_position = m->n_velocity = m->n_effort = n;
  for (size_t i = 0; i < n; i++) memcpy(m->name[i], joints[i].name, DTW_NAME_MAX);
  dtw_sim_get_joint_state(t->sim, m->position, m->velocity, m->effort);
}

void dtw_twin_get_status(const dtw_twin_t *t, dtw_twin_status_t *out) {
  dtw_jtc_state_t st;
  dtw_jtc_get_state(t->jtc, &st);
  memset(out, 0, sizeof *out);
  out->sim_time_s = dtw_sim_time(t->sim);
  out->steps = t->steps;
  out->worst_joint = "";
  for (size_t k = 0; k < st.n_joints; k++) {
    double e = fabs(st.error_pos[k]);
    if (e > out->max_abs_error_rad) {
      out->max_abs_error_rad = e;
      out->worst_joint = dtw_jtc_joint_name(t->jtc, k);
    }
  }
  out->controller_state = dtw_jtc_status_name(st.status);
  out->trajectories_accepted = st.accepted;
  for (size_t r = 1; r < DTW_JTC_REFUSAL_COUNT; r++) out->trajectories_refused += st.refused[r];
  out->sim_errors = t->sim_errors;
  out->paused = t->paused;
}

const dtw_jtc_t *dtw_twin_controller(const dtw_twin_t *t) { return t->jtc; }
size_t dtw_twin_joint_count(const dtw_twin_t *t) { return t->n_joints; }
const dtw_joint_desc_t *dtw_twin_joints(const dtw_twin_t *t) { return dtw_sim_joints(t->sim); }
double dtw_twin_sim_time(const dtw_twin_t *t) { return dtw_sim_time(t->sim); }
double dtw_twin_timestep(const dtw_twin_t *t) { return dtw_sim_timestep(t->sim); }
const dtw_robot_desc_t *dtw_twin_robot(const dtw_twin_t *t) { return &t->robot; }

bool dtw_twin_controller_derived(const dtw_twin_t *t) { return t->derived; }

void dtw_twin_joint_parents(const dtw_twin_t *t, int *parent) {
  dtw_sim_joint_parents(t->sim, parent, NULL);
}
