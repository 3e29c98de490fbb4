/* Joint trajectory controller: sampling, tolerances, PID (see dtw/jtc.h). */
#include "dtw/jtc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/spline.h"

struct dtw_jtc {
  dtw_jtc_config_t cfg;
  size_t n;                              /* controller joints */
  size_t n_robot;                        /* robot joint table length */
  int robot_index[DTW_MAX_JOINTS];       /* controller joint -> robot joint */
  dtw_joint_desc_t jd[DTW_MAX_JOINTS];   /* controller-order joint descriptions */
  bool initialized;                      /* hold_p is known (first update or hold done) */

  /* active trajectory: start state at t_before, then points at t_start + times[i] */
  bool active;
  bool has_vel, has_acc;
  double t_before, t_start;
  double p0[DTW_MAX_JOINTS], v0[DTW_MAX_JOINTS], a0[DTW_MAX_JOINTS];
  bool named[DTW_MAX_JOINTS];            /* joint named by the active trajectory */
  size_t np, cap;
  double *times;                         /* [cap] time_from_start, s */
  double *pos, *vel, *acc;               /* [cap * n], point-major */

  double hold_p[DTW_MAX_JOINTS];         /* desired position when not active */
  double hold_v[DTW_MAX_JOINTS];         /* its velocity from hold_t0 (moving hold), else 0 */
  double hold_t0, hold_until;            /* the moving hold advances over [hold_t0, hold_until] */
  double i_term[DTW_MAX_JOINTS];
  bool have_last_update;
  double last_update_s;

  /* scratch for accept, sized here so accept never allocates */
  size_t map[DTW_MAX_JOINTS];
  double sp[DTW_MAX_JOINTS], sv[DTW_MAX_JOINTS], sa[DTW_MAX_JOINTS];

  dtw_jtc_state_t st;                    /* what dtw_jtc_get_state copies out */
};

static const char *const status_names[] = {"idle", "active", "succeeded",
                                           "aborted_path_tolerance", "goal_tolerance_violated"};

const char *dtw_jtc_status_name(int status) {
  if (status < 0 || status > DTW_JTC_GOAL_TOLERANCE_VIOLATED) return "invalid";
  return status_names[status];
}

static int bad_nonneg(double x) { return !isfinite(x) || x < 0.0; }

int dtw_jtc_create(const dtw_jtc_config_t *cfg, const dtw_joint_desc_t *joints, size_t n_joints,
                   dtw_jtc_t **out, char *err, size_t errlen) {
  if (cfg == NULL || out == NULL || (joints == NULL && n_joints > 0))
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_jtc_create: NULL argument");
  *out = NULL;
  if (cfg->n_joints == 0 || cfg->n_joints > DTW_MAX_JOINTS)
    return dtw_errf(err, errlen, DTW_EINVAL, "controller '%s' has %zu joints (1..%d allowed)",
                    cfg->name, cfg->n_joints, DTW_MAX_JOINTS);
  if (cfg->max_points == 0)
    return dtw_errf(err, errlen, DTW_EINVAL, "controller '%s': max_points must be >= 1",
                    cfg->name);
  if (cfg->interpolation != DTW_JTC_INTERP_SPLINES && cfg->interpolation != DTW_JTC_INTERP_NONE)
    return dtw_errf(err, errlen, DTW_EINVAL, "controller '%s': bad interpolation method %d",
                    cfg->name, (int)cfg->interpolation);
  if (bad_nonneg(cfg->stopped_velocity_tolerance) || bad_nonneg(cfg->goal_time))
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "controller '%s': stopped_velocity_tolerance and goal_time must be >= 0",
                    cfg->name);

  int robot_index[DTW_MAX_JOINTS];
  for (size_t k = 0; k < cfg->n_joints; k++) {
    const dtw_jtc_joint_config_t *jc = &cfg->joints[k];
    robot_index[k] = -1;
    for (size_t r = 0; r < n_joints; r++)
      if (strncmp(joints[r].name, jc->name, DTW_NAME_MAX) == 0) robot_index[k] = (int)r;
    if (robot_index[k] < 0)
      return dtw_errf(err, errlen, DTW_EINVAL, "controller joint '%s' is not in the robot model",
                      jc->name);
    for (size_t o = 0; o < k; o++)
      if (robot_index[o] == robot_index[k])
        return dtw_errf(err, errlen, DTW_EINVAL, "controller joint '%s' is listed twice",
                        jc->name);
    const dtw_jtc_gains_t *g = &jc->gains;
    if (bad_nonneg(g->p) || bad_nonneg(g->i) || bad_nonneg(g->d) || bad_nonneg(g->i_clamp) ||
        !isfinite(g->ff_velocity_scale))
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "joint '%s': gains p, i, d, i_clamp must be finite and >= 0", jc->name);
    if (bad_nonneg(jc->trajectory_tol) || bad_nonneg(jc->goal_tol))
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "joint '%s': trajectory and goal tolerances must be finite and >= 0",
                      jc->name);
  }

  dtw_jtc_t *j = calloc(1, sizeof *j);
  if (j == NULL) goto err_alloc;
  j->cap = cfg->max_points;
  j->times = calloc(j->cap, sizeof *j->times);
  j->pos = calloc(j->cap * cfg->n_joints, sizeof *j->pos);
  j->vel = calloc(j->cap * cfg->n_joints, sizeof *j->vel);
  j->acc = calloc(j->cap * cfg->n_joints, sizeof *j->acc);
  if (j->times == NULL || j->pos == NULL || j->vel == NULL || j->acc == NULL) goto err_alloc;

  j->cfg = *cfg;
  j->n = cfg->n_joints;
  j->n_robot = n_joints;
  for (size_t k = 0; k < j->n; k++) {
    j->robot_index[k] = robot_index[k];
    j->jd[k] = joints[robot_index[k]];
  }
  j->st.n_joints = j->n;
  j->st.status = DTW_JTC_IDLE;
  j->st.failed_joint = -1;
  *out = j;
  return 0;

err_alloc:
  dtw_jtc_destroy(j);
  return dtw_errf(err, errlen, DTW_ENOMEM, "controller '%s': out of memory for %zu points",
                  cfg->name, cfg->max_points);
}

void dtw_jtc_destroy(dtw_jtc_t *jtc) {
  if (jtc == NULL) return;
  free(jtc->times);
  free(jtc->pos);
  free(jtc->vel);
  free(jtc->acc);
  free(jtc);
}

static bool is_continuous(const dtw_joint_desc_t *jd) { return jd->type == DTW_JOINT_CONTINUOUS; }

/* desired - actual, the short way round for continuous joints */
static double pos_error(const dtw_joint_desc_t *jd, double des, double act) {
  double e = des - act;
  if (is_continuous(jd)) e = remainder(e, 2.0 * M_PI);
  return e;
}

/* Desired state of the active trajectory at t; returns true while t is
 * before the last point's time (path tolerances apply). */
static bool sample(const dtw_jtc_t *j, double t, double *p, double *v, double *a) {
  size_t n = j->n, last = j->np - 1;
  bool none = j->cfg.interpolation == DTW_JTC_INTERP_NONE;
  if (t < j->t_before) t = j->t_before;
  double t_first = j->t_start + j->times[0];
  double t_last = j->t_start + j->times[last];

  if (t >= t_last) {
    // played out: the last point, with zero derivatives where it has none
    for (size_t k = 0; k < n; k++) {
      p[k] = j->pos[last * n + k];
      v[k] = j->has_vel ? j->vel[last * n + k] : 0.0;
      a[k] = j->has_acc ? j->acc[last * n + k] : 0.0;
    }
    return false;
  }

  // segment endpoints: the start state before the first point, else points i, i+1
  const double *pa, *va, *aa;
  size_t ib;
  double ta, tb;
  bool a_vel, a_acc;
  if (t < t_first) {
    pa = j->p0, va = j->v0, aa = j->a0;
    ta = j->t_before, tb = t_first, ib = 0;
    a_vel = a_acc = true;  // the start state always carries derivatives
  } else {
    size_t i = 0;
    while (i + 1 < last && t >= j->t_start + j->times[i + 1]) i++;
    pa = &j->pos[i * n], va = &j->vel[i * n], aa = &j->acc[i * n];
    ta = j->t_start + j->times[i], tb = j->t_start + j->times[i + 1], ib = i + 1;
    a_vel = j->has_vel, a_acc = j->has_acc;
  }
  const double *pb = &j->pos[ib * n], *vb = &j->vel[ib * n], *ab = &j->acc[ib * n];

  if (none) {
    // JTC "none": before the first point keep the start state, then output the
    // end point of the current segment
    bool before = t < t_first;
    for (size_t k = 0; k < n; k++) {
      p[k] = before ? pa[k] : pb[k];
      v[k] = before ? va[k] : (j->has_vel ? vb[k] : 0.0);
      a[k] = before ? aa[k] : (j->has_acc ? ab[k] : 0.0);
    }
    return true;
  }

  dtw_spline_kind_t kind = dtw_spline_kind_for(a_vel, a_acc, j->has_vel, j->has_acc);
  for (size_t k = 0; k < n; k++) {
    dtw_spline_t s;
    dtw_spline_init(&s, kind, tb - ta, pa[k], va[k], aa[k], pb[k], vb[k], ab[k]);
    dtw_spline_eval(&s, t - ta, &p[k], &v[k], &a[k]);
  }
  return true;
}

/* Current desired state: the active trajectory sampled at now, else the hold. */
static void desired_at(const dtw_jtc_t *j, double now_s, double *p, double *v, double *a) {
  if (j->active) {
    sample(j, now_s, p, v, a);
    return;
  }
  /* a moving hold coasts at the sampled velocity, then stops where it got to */
  double t = fmin(fmax(now_s, j->hold_t0), j->hold_until);
  bool moving = now_s >= j->hold_t0 && now_s < j->hold_until;
  for (size_t k = 0; k < j->n; k++) {
    p[k] = j->hold_p[k] + j->hold_v[k] * (t - j->hold_t0);
    if (j->jd[k].limited) p[k] = fmin(fmax(p[k], j->jd[k].lower), j->jd[k].upper);
    v[k] = moving ? j->hold_v[k] : 0.0;
    a[k] = 0.0;
  }
}

/* Holding still: no velocity. */
static void stop_hold(dtw_jtc_t *j) {
  for (size_t k = 0; k < j->n; k++) j->hold_v[k] = 0.0;
  j->hold_t0 = j->hold_until = 0.0;
}

int dtw_jtc_accept(dtw_jtc_t *jtc, const dtw_joint_trajectory_msg_t *msg, double now_s,
                   char *err, size_t errlen) {
  return dtw_jtc_accept_at(jtc, msg, now_s, now_s, err, errlen);
}

int dtw_jtc_accept_at(dtw_jtc_t *jtc, const dtw_joint_trajectory_msg_t *msg, double now_s,
                      double start_s, char *err, size_t errlen) {
  if (jtc == NULL || msg == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_jtc_accept: NULL argument");
  int rc = dtw_jtc_validate(msg, jtc->jd, &jtc->cfg, now_s, jtc->map, err, errlen);
  if (rc != 0) {
    dtw_jtc_refusal_t r = dtw_jtc_refusal_from_code(rc);
    jtc->st.refused[r]++;
    return rc;
  }

  // start from where the desired state is now, so nothing jumps
  size_t n = jtc->n;
  desired_at(jtc, now_s, jtc->sp, jtc->sv, jtc->sa);

  size_t np = msg->n_points;
  jtc->has_vel = msg->points[0].n_velocities > 0;
  jtc->has_acc = msg->points[0].n_accelerations > 0;
  // unnamed joints (partial goal) hold their current desired position
  for (size_t k = 0; k < n; k++) {
    jtc->named[k] = false;
    for (size_t i = 0; i < np; i++) {
      jtc->pos[i * n + k] = jtc->sp[k];
      jtc->vel[i * n + k] = 0.0;
      jtc->acc[i * n + k] = 0.0;
    }
  }
  for (size_t m = 0; m < msg->n_joints; m++) {
    size_t k = jtc->map[m];
    jtc->named[k] = true;
    // continuous joints: shift by whole turns so the first point is nearest
    double shift = 0.0;
    if (is_continuous(&jtc->jd[k])) {
      double d = jtc->sp[k] - msg->points[0].positions[m];
      shift = 2.0 * M_PI * nearbyint(d / (2.0 * M_PI));
    }
    for (size_t i = 0; i < np; i++) {
      const dtw_traj_point_t *pt = &msg->points[i];
      jtc->pos[i * n + k] = pt->positions[m] + shift;
      if (jtc->has_vel) jtc->vel[i * n + k] = pt->velocities[m];
      if (jtc->has_acc) jtc->acc[i * n + k] = pt->accelerations[m];
    }
  }
  for (size_t i = 0; i < np; i++) jtc->times[i] = dtw_duration_to_s(msg->points[i].time_from_start);
  jtc->np = np;
  memcpy(jtc->p0, jtc->sp, n * sizeof *jtc->p0);
  memcpy(jtc->v0, jtc->sv, n * sizeof *jtc->v0);
  memcpy(jtc->a0, jtc->sa, n * sizeof *jtc->a0);
  jtc->t_before = now_s;
  double stamp = dtw_time_to_s(msg->stamp);
  jtc->t_start = stamp != 0.0 ? stamp : fmax(now_s, start_s);
  jtc->active = true;
  jtc->st.status = DTW_JTC_ACTIVE;
  jtc->st.failed_joint = -1;
  jtc->st.failed_error = 0.0;
  jtc->st.accepted++;
  return 0;
}

/* Stop the trajectory and hold the measured positions. */
static void hold_measured(dtw_jtc_t *j, const double *q) {
  for (size_t k = 0; k < j->n; k++) j->hold_p[k] = q[j->robot_index[k]];
  stop_hold(j);
  j->active = false;
}

void dtw_jtc_update(dtw_jtc_t *jtc, double now_s, const double *q, const double *qd,
                    double *effort_out) {
  dtw_jtc_update_ff(jtc, now_s, q, qd, NULL, effort_out);
}

void dtw_jtc_update_ff(dtw_jtc_t *jtc, double now_s, const double *q, const double *qd,
                       const double *ff, double *effort_out) {
  dtw_jtc_state_t *st = &jtc->st;
  size_t n = jtc->n;
  if (!jtc->initialized) {
    // first step: hold where the robot is; a trajectory accepted before this
    // started from an unknown state, so restart it from here
    hold_measured(jtc, q);
    jtc->initialized = true;
    if (st->status == DTW_JTC_ACTIVE) {
      jtc->active = true;
      for (size_t k = 0; k < n; k++) {
        double qk = q[jtc->robot_index[k]];
        jtc->p0[k] = qk;
        jtc->v0[k] = jtc->a0[k] = 0.0;
        if (!jtc->named[k])
          for (size_t i = 0; i < jtc->np; i++) jtc->pos[i * n + k] = qk;
      }
    }
  }
  double dt = jtc->have_last_update ? now_s - jtc->last_update_s : 0.0;
  if (!(dt > 0.0)) dt = 0.0;

  bool before_last = false;
  if (jtc->active)
    before_last = sample(jtc, now_s, st->desired_pos, st->desired_vel, st->desired_acc);
  else
    desired_at(jtc, now_s, st->desired_pos, st->desired_vel, st->desired_acc);

  for (size_t k = 0; k < n; k++) {
    int r = jtc->robot_index[k];
    st->actual_pos[k] = q[r];
    st->actual_vel[k] = qd[r];
    st->actual_acc[k] = 0.0;
  }

  if (jtc->active) {
    bool path_ok = true, goal_ok = true;
    int bad = -1;
    double bad_err = 0.0;
    for (size_t k = 0; k < n && path_ok; k++) {
      const dtw_jtc_joint_config_t *jc = &jtc->cfg.joints[k];
      double ep = pos_error(&jtc->jd[k], st->desired_pos[k], st->actual_pos[k]);
      double ev = st->desired_vel[k] - st->actual_vel[k];
      if (before_last) {
        if (jc->trajectory_tol > 0.0 && fabs(ep) > jc->trajectory_tol) {
          path_ok = false;
          bad = (int)k, bad_err = ep;
        }
      } else if (goal_ok) {
        double svt = jtc->cfg.stopped_velocity_tolerance;
        if (jc->goal_tol > 0.0 && fabs(ep) > jc->goal_tol) {
          goal_ok = false;
          bad = (int)k, bad_err = ep;
        } else if (svt > 0.0 && fabs(ev) > svt) {
          goal_ok = false;
          bad = (int)k, bad_err = ev;
        }
      }
    }
    if (!path_ok) {
      st->status = DTW_JTC_ABORTED_PATH_TOLERANCE;
      st->path_aborts++;
      st->failed_joint = bad, st->failed_error = bad_err;
      hold_measured(jtc, q);
    } else if (!before_last && goal_ok) {
      st->status = DTW_JTC_SUCCEEDED;
      st->succeeded++;
      // keep holding the last point exactly
      for (size_t k = 0; k < n; k++) jtc->hold_p[k] = jtc->pos[(jtc->np - 1) * n + k];
      stop_hold(jtc);
      jtc->active = false;
    } else if (!before_last && jtc->cfg.goal_time > 0.0 &&
               now_s - (jtc->t_start + jtc->times[jtc->np - 1]) > jtc->cfg.goal_time) {
      st->status = DTW_JTC_GOAL_TOLERANCE_VIOLATED;
      st->goal_violations++;
      st->failed_joint = bad, st->failed_error = bad_err;
      hold_measured(jtc, q);
    }
    if (!jtc->active) desired_at(jtc, now_s, st->desired_pos, st->desired_vel, st->desired_acc);
  }

  for (size_t k = 0; k < n; k++) {
    const dtw_jtc_gains_t *g = &jtc->cfg.joints[k].gains;
    double ep = pos_error(&jtc->jd[k], st->desired_pos[k], st->actual_pos[k]);
    double ev = st->desired_vel[k] - st->actual_vel[k];
    st->error_pos[k] = ep;
    st->error_vel[k] = ev;
    st->error_acc[k] = st->desired_acc[k] - st->actual_acc[k];

    double it = jtc->i_term[k] + g->i * ep * dt;
    // a NaN measurement must not poison the integral for good
    if (isfinite(it)) jtc->i_term[k] = fmax(-g->i_clamp, fmin(g->i_clamp, it));
    double u = g->p * ep + jtc->i_term[k] + g->d * ev + g->ff_velocity_scale * st->desired_vel[k];
    if (ff != NULL) u += ff[jtc->robot_index[k]];
    double lim = jtc->jd[k].effort;
    if (lim > 0.0) u = fmax(-lim, fmin(lim, u));
    if (!isfinite(u)) u = 0.0;  // a NaN measurement must not reach the actuator
    st->effort[k] = u;
    effort_out[jtc->robot_index[k]] = u;
  }
  st->stamp_s = now_s;
  st->updates++;
  jtc->last_update_s = now_s;
  jtc->have_last_update = true;
}

void dtw_jtc_hold(dtw_jtc_t *jtc, const double *q) {
  dtw_jtc_state_t *st = &jtc->st;
  stop_hold(jtc);
  for (size_t k = 0; k < jtc->n; k++) {
    jtc->hold_p[k] = q ? q[jtc->robot_index[k]] : st->desired_pos[k];
    jtc->i_term[k] = 0.0;
    st->desired_pos[k] = jtc->hold_p[k];
    st->desired_vel[k] = 0.0;
    st->desired_acc[k] = 0.0;
  }
  jtc->active = false;
  jtc->initialized = true;
  st->status = DTW_JTC_IDLE;
  st->failed_joint = -1;
  st->failed_error = 0.0;
}

void dtw_jtc_hold_moving(dtw_jtc_t *jtc, const double *q, const double *qd, double now_s,
                         double horizon_s) {
  dtw_jtc_hold(jtc, q);
  if (qd == NULL || !isfinite(now_s) || !(horizon_s > 0.0)) return;
  for (size_t k = 0; k < jtc->n; k++) {
    double v = qd[jtc->robot_index[k]];
    jtc->hold_v[k] = isfinite(v) ? v : 0.0;
    jtc->st.desired_vel[k] = jtc->hold_v[k];
  }
  jtc->hold_t0 = now_s;
  jtc->hold_until = now_s + horizon_s;
}

void dtw_jtc_get_state(const dtw_jtc_t *jtc, dtw_jtc_state_t *out) { *out = jtc->st; }

size_t dtw_jtc_joint_count(const dtw_jtc_t *jtc) { return jtc->n; }

const char *dtw_jtc_joint_name(const dtw_jtc_t *jtc, size_t k) {
  return k < jtc->n ? jtc->cfg.joints[k].name : NULL;
}

int dtw_jtc_robot_index(const dtw_jtc_t *jtc, size_t k) {
  return k < jtc->n ? jtc->robot_index[k] : -1;
}

const dtw_jtc_config_t *dtw_jtc_config(const dtw_jtc_t *jtc) { return &jtc->cfg; }

static void fill_point(dtw_jtc_point_msg_t *p, size_t n, const double *pos, const double *vel,
                       const double *acc) {
  p->n_positions = pos ? n : 0;
  p->n_velocities = vel ? n : 0;
  p->n_accelerations = acc ? n : 0;
  p->n_effort = 0;
  if (pos) memcpy(p->positions, pos, n * sizeof(double));
  if (vel) memcpy(p->velocities, vel, n * sizeof(double));
  if (acc) memcpy(p->accelerations, acc, n * sizeof(double));
}

void dtw_jtc_state_msg(const dtw_jtc_t *jtc, dtw_time_t stamp, dtw_jtc_state_t *st,
                       dtw_jtc_state_msg_t *m) {
  dtw_jtc_get_state(jtc, st);
  size_t n = st->n_joints;
  m->stamp = stamp;
  m->frame_id[0] = '\0';
  if (m->n_joints != n || (n > 0 && m->joint_names[0][0] == '\0')) {
    for (size_t i = 0; i < n; i++)
      snprintf(m->joint_names[i], DTW_NAME_MAX, "%s", jtc->cfg.joints[i].name);
    m->n_joints = n;
  }
  fill_point(&m->reference, n, st->desired_pos, st->desired_vel, st->desired_acc);
  fill_point(&m->feedback, n, st->actual_pos, st->actual_vel, NULL);
  fill_point(&m->error, n, st->error_pos, st->error_vel, NULL);
  fill_point(&m->output, n, NULL, NULL, NULL);
  m->output.n_effort = n;
  memcpy(m->output.effort, st->effort, n * sizeof(double));
}
