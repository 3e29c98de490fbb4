/* A generic motion from the joint table: overlapping waves of single-joint
 * excursions, every joint swaying between them (see dtw/motion_gen.h). */
#include "dtw/motion_gen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"

void dtw_motion_gen_opts_default(dtw_motion_gen_opts_t *o) {
  o->fraction = 0.3;
  o->unlimited_rad = 0.5;
  o->unlimited_m = 0.05;
  o->max_rad = 1.0;
  o->max_m = 0.1;
  o->waves = 6;
  o->segment_s = 1.0;
  o->sway = 0.4;
}

size_t dtw_motion_generic_waves(size_t n, const dtw_motion_gen_opts_t *o) {
  return o->waves < n ? o->waves : n;
}

size_t dtw_motion_generic_points(size_t n, const dtw_motion_gen_opts_t *o) {
  size_t waves = dtw_motion_generic_waves(n, o);
  if (waves == 0) return 0;
  // with sway the last knot (at rest) is an even one
  return waves + 1 + (o->sway > 0 && (waves + 1) % 2 != 0);
}

static bool has_range(const dtw_joint_desc_t *j) { return j->limited && j->upper > j->lower; }

double dtw_motion_excursion(const dtw_joint_desc_t *j, double rest, int direction,
                           const dtw_motion_gen_opts_t *o) {
  bool prismatic = j->type == DTW_JOINT_PRISMATIC;
  if (!has_range(j))
    return rest + (direction < 0 ? -1.0 : 1.0) * (prismatic ? o->unlimited_m : o->unlimited_rad);
  double r = fmin(fmax(rest, j->lower), j->upper);
  double to = direction < 0 ? j->lower : direction > 0 ? j->upper
            : j->upper - r >= r - j->lower ? j->upper : j->lower;
  double cap = prismatic ? o->max_m : o->max_rad;
  double delta = o->fraction * (to - r);
  return r + fmax(-cap, fmin(cap, delta));
}

int dtw_motion_generic(const dtw_joint_desc_t *joints, size_t n, const double *q0,
                       const dtw_motion_gen_opts_t *o, dtw_joint_trajectory_msg_t *out,
                       char *err, size_t errlen) {
  if (joints == NULL || q0 == NULL || o == NULL || out == NULL)
    return dtw_errf(err, errlen, DTW_EINVAL, "dtw_motion_generic: NULL argument");
  if (n == 0 || n > DTW_MAX_JOINTS)
    return dtw_errf(err, errlen, DTW_EINVAL, "generic motion: %zu joints (1..%d allowed)", n,
                    DTW_MAX_JOINTS);
  if (!(o->fraction > 0 && o->fraction < 1) || !(o->segment_s > 0) || !isfinite(o->segment_s) ||
      o->waves == 0 || !(o->unlimited_rad >= 0) || !(o->unlimited_m >= 0) ||
      !(o->max_rad > 0) || !(o->max_m > 0) || !(o->sway >= 0 && o->sway < 1))
    return dtw_errf(err, errlen, DTW_EINVAL,
                    "generic motion: fraction must be in (0, 1), sway in [0, 1), segment_s > 0, "
                    "waves >= 1");
  for (size_t k = 0; k < n; k++)
    if (!isfinite(q0[k]))
      return dtw_errf(err, errlen, DTW_EINVAL, "generic motion: joint '%s': position not finite",
                      joints[k].name);
  size_t waves = dtw_motion_generic_waves(n, o), knots = dtw_motion_generic_points(n, o);
  if (out->cap_points < knots)
    return dtw_errf(err, errlen, DTW_EFULL, "generic motion: needs %zu points, room for %zu",
                    knots, out->cap_points);

  double rest[DTW_MAX_JOINTS], peak[DTW_MAX_JOINTS];
  double seg = o->segment_s;
  for (size_t k = 0; k < n; k++) {
    rest[k] = has_range(&joints[k]) ? fmin(fmax(q0[k], joints[k].lower), joints[k].upper) : q0[k];
    peak[k] = dtw_motion_excursion(&joints[k], q0[k], 0, o);
    // a quintic rest-to-rest move peaks at 1.875 x distance / T
    if (joints[k].velocity > 0)
      seg = fmax(seg, 1.875 * fabs(peak[k] - rest[k]) / (0.5 * joints[k].velocity));
  }

  dtw_traj_msg_clear(out);
  memset(&out->stamp, 0, sizeof out->stamp);
  out->frame_id[0] = '\0';
  out->n_joints = n;
  for (size_t k = 0; k < n; k++) snprintf(out->joint_names[k], DTW_NAME_MAX, "%s", joints[k].name);
  // knot i (1..knots) at i T: wave i-1 at its peak, every other joint swayed
  // out at odd knots and at rest at even ones (the last knot is even)
  for (size_t i = 1; i <= knots; i++) {
    dtw_traj_point_t *p = dtw_traj_msg_add_point(out);
    p->n_positions = p->n_velocities = p->n_accelerations = n;
    p->time_from_start = dtw_duration_from_s((double)i * seg);
    double level = i % 2 == 1 && i < knots ? o->sway : 0;
    for (size_t k = 0; k < n; k++) {
      p->positions[k] = k % waves == i - 1 ? peak[k] : rest[k] + level * (peak[k] - rest[k]);
      p->velocities[k] = 0;
      p->accelerations[k] = 0;
    }
  }
  return 0;
}
