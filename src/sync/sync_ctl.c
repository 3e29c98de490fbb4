/* Mirror mode's command from the robot's own trajectory controller state
 * (dtw_sync_on_robot_controller): per joint its position error, commanded
 * effort and reference, and whether they are fresh and whether the command
 * moved the joint, for fault isolation (sync_fdi.c). No allocation here. */
#include <math.h>

#include "dtw/err.h"
#include "dtw/sync.h"
#include "sync__internal.h"

/* mirror: the controller's reference moved when it changed by this between two
 * of its states, or its velocity was above fdi_stationary_rad_s... */
#define FDI_REF_STEP_RAD 1e-4
/* ... which counts for a lock up to this long before the residual rose (the
 * residual's filters lag the command) */
#define FDI_REF_SLACK_S 0.1

/* Mirror mode: joint j's controller state received within the freshness bound
 * of recv (dtw_sync_on_robot_controller; a robot may run several controllers,
 * each naming its own joints at its own rate). */
bool dtw__sync_ctl_fresh(const dtw_sync_t *s, size_t j, double recv) {
  return !s->shadow && recv - s->ctl_recv_at[j] <= DTW_SYNC_CONTROLLER_FRESH_S &&
         !isnan(s->ctl_err[j]);
}

int dtw_sync_on_robot_controller(dtw_sync_t *s, const dtw_jtc_state_msg_t *msg, double recv_time_s) {
  if (s == NULL || msg == NULL || !isfinite(recv_time_s) || msg->n_joints > DTW_MAX_JOINTS)
    return DTW_EINVAL;
  size_t n = msg->n_joints;
  const dtw_jtc_point_msg_t *e = &msg->error, *r = &msg->reference, *fb = &msg->feedback;
  bool has_err = e->n_positions == n && n > 0;
  bool has_diff = r->n_positions == n && fb->n_positions == n && n > 0;
  bool has_eff = msg->output.n_effort == n && n > 0;
  if (!has_err && !has_diff) return DTW_EINVAL;
  int idx[DTW_MAX_JOINTS];
  double err[DTW_MAX_JOINTS];
  size_t known = 0;
  for (size_t k = 0; k < n; k++) {
    err[k] = has_err ? e->positions[k] : r->positions[k] - fb->positions[k];
    if (!isfinite(err[k]) || (has_eff && !isfinite(msg->output.effort[k]))) return DTW_EINVAL;
    idx[k] = dtw__sync_find_joint(s, msg->joint_names[k]);
    known += idx[k] >= 0;
  }
  if (known == 0) return DTW_EINVAL;
  bool has_ref = r->n_positions == n, has_ref_vel = r->n_velocities == n;
  for (size_t k = 0; k < n; k++) {
    if (idx[k] < 0) continue;
    size_t j = (size_t)idx[k];
    s->ctl_err[j] = err[k];
    s->ctl_eff[j] = has_eff ? msg->output.effort[k] : NAN;
    s->ctl_recv_at[j] = recv_time_s;
    double ref = has_ref && isfinite(r->positions[k]) ? r->positions[k] : NAN;
    if (isnan(ref)) {
      s->ctl_ref_moved_s[j] = NAN;
    } else if (isnan(s->ctl_ref[j])) {
      s->ctl_ref_moved_s[j] = -INFINITY;
    } else if (fabs(ref - s->ctl_ref[j]) > FDI_REF_STEP_RAD ||
               (has_ref_vel && fabs(r->velocities[k]) > s->set.fdi_stationary_rad_s)) {
      s->ctl_ref_moved_s[j] = isnan(s->fdi_prev_stamp_s) ? -INFINITY : s->fdi_prev_stamp_s;
    }
    s->ctl_ref[j] = ref;
  }
  return 0;
}

/* Mirror mode: joint j's command has moved it since its residual was last
 * quiet (or the controller gives no reference): a seized joint pushes only
 * against a command that moves it. A still command the robot held before
 * and holds now leaves the drive what it had; a residual there is a load, a
 * contact or the model's error (a weight added to a still forearm read as
 * its seized elbow). */
bool dtw__sync_ctl_commanded(const dtw_sync_t *s, size_t j, double recv) {
  if (!dtw__sync_ctl_fresh(s, j, recv) || isnan(s->ctl_ref_moved_s[j])) return true;
  const dtw__sync_fdi_joint_t *f = &s->fdi[j];
  return isnan(f->quiet_s) || s->ctl_ref_moved_s[j] >= f->quiet_s - FDI_REF_SLACK_S;
}

