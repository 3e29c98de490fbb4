/* Trajectory validation before acceptance (see dtw_jtc_validate in dtw/jtc.h). */
#include "dtw/jtc.h"

#include <math.h>
#include <string.h>

#include "dtw/err.h"

// slack for limit checks: a knot written exactly at a limit must pass
#define DTW__JTC_LIMIT_EPS 1e-9

static const char *const refusal_labels[DTW_JTC_REFUSAL_COUNT] = {
    "none",
#define DTW__JTC_REFUSAL_LABEL(name, label, text) label,
    DTW_JTC_REFUSAL_MAP(DTW__JTC_REFUSAL_LABEL)
#undef DTW__JTC_REFUSAL_LABEL
};

const char *dtw_jtc_refusal_name(int reason) {
  if (reason < 0 || reason >= DTW_JTC_REFUSAL_COUNT) return "invalid";
  return refusal_labels[reason];
}

dtw_jtc_refusal_t dtw_jtc_refusal_from_code(int code) {
  int r = -code - DTW_JTC_REFUSAL_CODE_BASE;
  if (r <= DTW_JTC_REFUSAL_NONE || r >= DTW_JTC_REFUSAL_COUNT) return DTW_JTC_REFUSAL_NONE;
  return (dtw_jtc_refusal_t)r;
}

// a refusal: message prefixed with the reason label, code in the refusal range
#define REFUSE(reason, ...)                                                         \
  dtw_errf(err, errlen, DTW_JTC_REFUSAL_CODE(DTW_JTC_REFUSAL_##reason), __VA_ARGS__)

static int find_joint(const dtw_jtc_config_t *cfg, const char *name) {
  for (size_t k = 0; k < cfg->n_joints; k++)
    if (strncmp(cfg->joints[k].name, name, DTW_NAME_MAX) == 0) return (int)k;
  return -1;
}

static int all_finite(const double *v, size_t n, size_t *bad) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i])) {
      *bad = i;
      return 0;
    }
  return 1;
}

int dtw_jtc_validate(const dtw_joint_trajectory_msg_t *msg, const dtw_joint_desc_t *joints,
                     const dtw_jtc_config_t *cfg, double now_s, size_t *map_out, char *err,
                     size_t errlen) {
  size_t nj = msg->n_joints, np = msg->n_points;
  if (nj == 0) return REFUSE(EMPTY, "empty: trajectory has no joint_names");
  if (np == 0) return REFUSE(EMPTY, "empty: trajectory has no points");
  if (nj > DTW_MAX_JOINTS)
    return REFUSE(SIZE_MISMATCH, "size_mismatch: %zu joint_names, at most %d", nj,
                  DTW_MAX_JOINTS);
  if (cfg->max_points > 0 && np > cfg->max_points)
    return REFUSE(TOO_MANY_POINTS, "too_many_points: %zu points, capacity is %zu", np,
                  cfg->max_points);

  // names: each known, none twice; seen[] doubles as the partial-goal check
  bool seen[DTW_MAX_JOINTS] = {false};
  for (size_t m = 0; m < nj; m++) {
    const char *name = msg->joint_names[m];
    if (memchr(name, '\0', DTW_NAME_MAX) == NULL)
      return REFUSE(UNKNOWN_JOINT, "unknown_joint: joint_names[%zu] is not terminated", m);
    int k = find_joint(cfg, name);
    if (k < 0)
      return REFUSE(UNKNOWN_JOINT, "unknown_joint: joint '%s' is not driven by this controller",
                    name);
    if (seen[k]) return REFUSE(DUPLICATE_JOINT, "duplicate_joint: joint '%s' named twice", name);
    seen[k] = true;
    if (map_out) map_out[m] = (size_t)k;
  }
  if (!cfg->allow_partial_joints_goal && nj < cfg->n_joints) {
    size_t k = 0;
    while (k < cfg->n_joints && seen[k]) k++;
    return REFUSE(PARTIAL_GOAL,
                  "partial_goal: joint '%s' missing and allow_partial_joints_goal is false",
                  cfg->joints[k].name);
  }

  // shapes: positions required, derivatives all-or-nothing, the same in every point
  bool has_vel = msg->points[0].n_velocities > 0;
  bool has_acc = msg->points[0].n_accelerations > 0;
  for (size_t i = 0; i < np; i++) {
    const dtw_traj_point_t *pt = &msg->points[i];
    if (pt->n_effort > 0)
      return REFUSE(EFFORT_FIELD, "effort_field: point %zu has efforts (not supported)", i);
    if (pt->n_positions != nj)
      return REFUSE(SIZE_MISMATCH, "size_mismatch: point %zu has %zu positions for %zu joints", i,
                    pt->n_positions, nj);
    if (pt->n_velocities != 0 && pt->n_velocities != nj)
      return REFUSE(SIZE_MISMATCH, "size_mismatch: point %zu has %zu velocities for %zu joints",
                    i, pt->n_velocities, nj);
    if (pt->n_accelerations != 0 && pt->n_accelerations != nj)
      return REFUSE(SIZE_MISMATCH,
                    "size_mismatch: point %zu has %zu accelerations for %zu joints", i,
                    pt->n_accelerations, nj);
    if ((pt->n_velocities > 0) != has_vel)
      return REFUSE(INCONSISTENT_FIELDS, "inconsistent_fields: point %zu %s velocities, point 0 %s",
                    i, has_vel ? "lacks" : "has", has_vel ? "has them" : "does not");
    if ((pt->n_accelerations > 0) != has_acc)
      return REFUSE(INCONSISTENT_FIELDS,
                    "inconsistent_fields: point %zu %s accelerations, point 0 %s", i,
                    has_acc ? "lacks" : "has", has_acc ? "has them" : "does not");
  }

  // times: first >= 0 (0 = reach it at once), then strictly increasing
  double prev = 0.0;
  for (size_t i = 0; i < np; i++) {
    dtw_duration_t d = msg->points[i].time_from_start;
    double t = dtw_duration_to_s(d);
    if (d.nanosec >= 1000000000u || t < 0.0)
      return REFUSE(TIME_NOT_INCREASING, "time_not_increasing: point %zu time_from_start %d s %u ns"
                    " is invalid", i, (int)d.sec, (unsigned)d.nanosec);
    if (i > 0 && !(t > prev))
      return REFUSE(TIME_NOT_INCREASING,
                    "time_not_increasing: point %zu at %.9g s is not after point %zu at %.9g s", i,
                    t, i - 1, prev);
    prev = t;
  }

  for (size_t i = 0; i < np; i++) {
    const dtw_traj_point_t *pt = &msg->points[i];
    size_t bad = 0;
    if (!all_finite(pt->positions, pt->n_positions, &bad))
      return REFUSE(NOT_FINITE, "not_finite: point %zu position of '%s' is %g", i,
                    msg->joint_names[bad], pt->positions[bad]);
    if (!all_finite(pt->velocities, pt->n_velocities, &bad))
      return REFUSE(NOT_FINITE, "not_finite: point %zu velocity of '%s' is %g", i,
                    msg->joint_names[bad], pt->velocities[bad]);
    if (!all_finite(pt->accelerations, pt->n_accelerations, &bad))
      return REFUSE(NOT_FINITE, "not_finite: point %zu acceleration of '%s' is %g", i,
                    msg->joint_names[bad], pt->accelerations[bad]);
  }

  for (size_t m = 0; m < nj; m++) {
    const dtw_joint_desc_t *jd = &joints[find_joint(cfg, msg->joint_names[m])];
    if (!jd->limited || jd->type == DTW_JOINT_CONTINUOUS) continue;
    for (size_t i = 0; i < np; i++) {
      double p = msg->points[i].positions[m];
      if (p < jd->lower - DTW__JTC_LIMIT_EPS || p > jd->upper + DTW__JTC_LIMIT_EPS)
        return REFUSE(POSITION_LIMIT,
                      "position_limit: point %zu position %g of '%s' is outside [%g, %g]", i, p,
                      msg->joint_names[m], jd->lower, jd->upper);
    }
  }

  const dtw_traj_point_t *last = &msg->points[np - 1];
  if (!cfg->allow_nonzero_velocity_at_trajectory_end)
    for (size_t m = 0; m < last->n_velocities; m++)
      if (last->velocities[m] != 0.0)
        return REFUSE(NONZERO_END_VELOCITY,
                      "nonzero_end_velocity: last point velocity of '%s' is %g and "
                      "allow_nonzero_velocity_at_trajectory_end is false",
                      msg->joint_names[m], last->velocities[m]);

  double stamp = dtw_time_to_s(msg->stamp);
  if (stamp != 0.0) {
    double end = stamp + dtw_duration_to_s(last->time_from_start);
    if (end < now_s)
      return REFUSE(ENDS_IN_PAST, "ends_in_past: trajectory stamped %.9g s ends at %.9g s, now is"
                    " %.9g s", stamp, end, now_s);
  }
  return 0;
}
