/* A controller configuration derived from the model's inertias, and the
 * ros2_control parameter file that holds it (see dtw/jtc_derive.h). */
#include "dtw/jtc_derive.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"

/* the demo humanoid's file, as a starting point for any robot */
#define PATH_TOL_RAD 0.5
#define GOAL_TOL_RAD 0.08
#define STOPPED_VEL_TOL 0.1
#define GOAL_TIME_S 5.0   /* a step that saturates the efforts takes seconds */
#define PRISMATIC_SCALE 0.1 /* m per rad of the tolerances above */
#define ZETA_FLOOR 0.1      /* less damping than this rings for too long */
#define SAT_ERR_RAD 0.1     /* error at which the P term alone may saturate the actuator */

void dtw_jtc_derive_opts_default(dtw_jtc_derive_opts_t *o) {
  o->name = "joint_trajectory_controller";
  o->timestep_s = 0.001;
  o->bandwidth_hz = 10.0;
  o->damping_ratio = 1.0;
  o->stability_margin = 0.5;
}

double dtw_jtc_scaled_min_eigenvalue(const double *a, const double *d, size_t n) {
  static _Thread_local double s[DTW_MAX_JOINTS * DTW_MAX_JOINTS];
  if (a == NULL || d == NULL || n == 0 || n > DTW_MAX_JOINTS) return NAN;
  for (size_t i = 0; i < n; i++) {
    if (!(d[i] > 0) || !isfinite(d[i])) return NAN;
    for (size_t k = 0; k < n; k++) {
      double v = a[i * n + k] / sqrt(d[i] * d[k]);
      if (!isfinite(v)) return NAN;
      s[i * n + k] = v;
    }
  }
  // cyclic Jacobi: rotate away each off-diagonal entry until none is left
  for (int sweep = 0; sweep < 64; sweep++) {
    double off = 0, norm = 0;
    for (size_t p = 0; p < n; p++)
      for (size_t q = 0; q < n; q++) {
        norm += s[p * n + q] * s[p * n + q];
        if (p != q) off += s[p * n + q] * s[p * n + q];
      }
    if (off <= 1e-24 * norm) break;
    for (size_t p = 0; p < n; p++)
      for (size_t q = p + 1; q < n; q++) {
        double apq = s[p * n + q];
        if (apq == 0) continue;
        double th = 0.5 * atan2(2 * apq, s[q * n + q] - s[p * n + p]);
        double c = cos(th), sn = sin(th);
        for (size_t k = 0; k < n; k++) {
          double kp = s[k * n + p], kq = s[k * n + q];
          s[k * n + p] = c * kp - sn * kq;
          s[k * n + q] = sn * kp + c * kq;
        }
        for (size_t k = 0; k < n; k++) {
          double pk = s[p * n + k], qk = s[q * n + k];
          s[p * n + k] = c * pk - sn * qk;
          s[q * n + k] = sn * pk + c * qk;
        }
      }
  }
  double lo = INFINITY;
  for (size_t i = 0; i < n; i++) lo = fmin(lo, s[i * n + i]);
  return lo;
}

/* Smallest eigenvalue over the poses of G^-1/2 M G^-1/2, G_i = dt^2 p_i / 4 +
 * dt d_i / 2 for the gains p = D (s w)^2, d = 2 zeta D s w: the loop (efforts
 * held over a step, semi-implicit Euler) is stable when it is above 1. */
static double stability(const double *blocks, size_t n_blocks, size_t n, const double *d,
                        const double *w, double s, double zeta, double dt) {
  double g[DTW_MAX_JOINTS], lam = INFINITY;
  for (size_t i = 0; i < n; i++) {
    double x = s * w[i] * dt;
    g[i] = d[i] * (0.25 * x * x + zeta * x);
  }
  for (size_t k = 0; k < n_blocks; k++)
    lam = fmin(lam, dtw_jtc_scaled_min_eigenvalue(blocks + k * n * n, g, n));
  return lam;
}

/* Four significant digits: a file a person can read and tune, and what the
 * loader reads back from it is exactly this value. */
static double tidy(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.4g", v);
  return strtod(buf, NULL);
}

int dtw_jtc_derive(const dtw_joint_desc_t *joints, size_t n, const double *blocks,
                   size_t n_blocks, const dtw_jtc_derive_opts_t *o, dtw_jtc_config_t *out,
                   dtw_jtc_derive_info_t *info, char *err, size_t errlen) {
  if (joints == NULL || blocks == NULL || o == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_jtc_derive: NULL argument");
  if (n == 0 || n > DTW_MAX_JOINTS || n_blocks == 0)
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "derived controller: %zu joints (1..%d allowed), %zu inertia matrices", n,
                    DTW_MAX_JOINTS, n_blocks);
  if (!(o->timestep_s > 0) || !(o->bandwidth_hz > 0) || !(o->damping_ratio > 0) ||
      !(o->stability_margin > 0) || o->stability_margin > 1 || !isfinite(o->timestep_s) ||
      !isfinite(o->bandwidth_hz) || !isfinite(o->damping_ratio))
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "derived controller: timestep, bandwidth and damping ratio must be > 0 and "
                    "the stability margin in (0, 1]");
  // effective inertia: the largest a joint moves with its neighbours held
  double d[DTW_MAX_JOINTS];
  for (size_t i = 0; i < n; i++) {
    d[i] = 0;
    for (size_t k = 0; k < n_blocks; k++) {
      double m = blocks[k * n * n + i * n + i];
      if (!(m > 0) || !isfinite(m))
        return dtw_errf(err, errlen, DTW_EINVAL,
                        "derived controller: joint '%s': effective inertia %g is not positive",
                        joints[i].name, m);
      d[i] = fmax(d[i], m);
    }
  }
  // informative: how strongly the joints are coupled
  double mu = INFINITY;
  for (size_t k = 0; k < n_blocks; k++) {
    double m = dtw_jtc_scaled_min_eigenvalue(blocks + k * n * n, d, n);
    if (!isfinite(m) || m <= 0)
      return dtw_errf(err, errlen, DTW_EINVAL,
                      "derived controller: inertia matrix %zu is not positive definite", k);
    mu = fmin(mu, m);
  }
  // per joint: w, lowered where the actuator cannot deliver p x SAT_ERR_RAD (it
  // would run saturated, braking late, through every larger error)
  double w[DTW_MAX_JOINTS], w0 = 2.0 * M_PI * o->bandwidth_hz;
  for (size_t i = 0; i < n; i++) {
    double e = SAT_ERR_RAD * (joints[i].type == DTW_JOINT_PRISMATIC ? PRISMATIC_SCALE : 1.0);
    w[i] = joints[i].effort > 0 ? fmin(w0, sqrt(joints[i].effort / (d[i] * e))) : w0;
  }
  // the timestep: stiffness alone takes at most half the budget (G scales with s^2)...
  double dt = o->timestep_s, target = 1.0 / o->stability_margin, scale = 1.0;
  double lam = stability(blocks, n_blocks, n, d, w, 1.0, 0.0, dt);
  if (lam < 2.0 * target) scale = sqrt(lam / (2.0 * target));
  // ...the damping ratio the rest (lambda falls as zeta grows)...
  double zeta = o->damping_ratio;
  if (stability(blocks, n_blocks, n, d, w, scale, zeta, dt) < target) {
    double lo = 0.0, hi = zeta;
    for (int it = 0; it < 30; it++) {
      double mid = 0.5 * (lo + hi);
      if (stability(blocks, n_blocks, n, d, w, scale, mid, dt) >= target) lo = mid;
      else hi = mid;
    }
    zeta = lo;
  }
  // ...and with too little of it left, the stiffness comes down instead
  if (zeta < ZETA_FLOOR) {
    zeta = fmin(ZETA_FLOOR, o->damping_ratio);
    double lo = 0.0, hi = scale;
    for (int it = 0; it < 30; it++) {
      double mid = 0.5 * (lo + hi);
      if (stability(blocks, n_blocks, n, d, w, mid, zeta, dt) >= target) lo = mid;
      else hi = mid;
    }
    scale = lo;
  }
  double w_max = 0, w_min = INFINITY;
  for (size_t i = 0; i < n; i++) {
    w[i] *= scale;
    w_max = fmax(w_max, w[i]);
    w_min = fmin(w_min, w[i]);
  }

  dtw_jtc_config_defaults(out);
  snprintf(out->name, sizeof out->name, "%s", o->name != NULL ? o->name : "");
  out->update_rate_hz = nearbyint(1.0 / dt);
  out->allow_partial_joints_goal = true;
  out->stopped_velocity_tolerance = STOPPED_VEL_TOL;
  out->goal_time = tidy(fmax(GOAL_TIME_S, 10.0 / (zeta * w_min)));
  out->n_joints = n;
  for (size_t i = 0; i < n; i++) {
    const dtw_joint_desc_t *j = &joints[i];
    dtw_jtc_joint_config_t *c = &out->joints[i];
    snprintf(c->name, sizeof c->name, "%s", j->name);
    c->gains = (dtw_jtc_gains_t){.p = tidy(d[i] * w[i] * w[i]),
                                 .d = tidy(2.0 * zeta * d[i] * w[i])};
    double unit = j->type == DTW_JOINT_PRISMATIC ? PRISMATIC_SCALE : 1.0;
    c->trajectory_tol = PATH_TOL_RAD * unit;
    c->goal_tol = GOAL_TOL_RAD * unit;
    if (j->limited && j->upper > j->lower) {
      double range = j->upper - j->lower;
      c->trajectory_tol = tidy(fmin(c->trajectory_tol, 0.5 * range));
      c->goal_tol = tidy(fmin(c->goal_tol, 0.1 * range));
    }
  }
  if (info != NULL)
    *info = (dtw_jtc_derive_info_t){w_max, w_min, zeta, mu,
                                    1.0 / stability(blocks, n_blocks, n, d, w, 1.0, zeta, dt)};
  return 0;
}

bool dtw_jtc_config_fits(const dtw_jtc_config_t *cfg, const dtw_joint_desc_t *joints, size_t n) {
  for (size_t k = 0; k < cfg->n_joints; k++) {
    bool found = false;
    for (size_t r = 0; r < n && !found; r++)
      found = strncmp(joints[r].name, cfg->joints[k].name, DTW_NAME_MAX) == 0;
    if (!found) return false;
  }
  return cfg->n_joints > 0;
}
