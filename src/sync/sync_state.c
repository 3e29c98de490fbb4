/* The periodic tick: state machine, transition records and re-sync policy. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/sync.h"
#include "sync__internal.h"

/* durations are compared to the microsecond: a tick on a nominal period must
 * not miss it by a rounding error */
#define DTW__SYNC_TIME_EPS_S 1e-6

/* How far above its alarm joint j is now (error / alarm, the larger of
 * position and velocity); 0 when unknown. */
static double severity(const dtw_sync_t *s, size_t j) {
  double sev = 0;
  if (!isnan(s->cur_pos[j])) sev = s->cur_pos[j] / s->set.alarm_position_error_rad;
  if (s->set.alarm_velocity_error_rad_s > 0 && !isnan(s->cur_vel[j]))
    sev = fmax(sev, s->cur_vel[j] / s->set.alarm_velocity_error_rad_s);
  return sev;
}

/* Append printf text to buf at *len, truncating at cap. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t cap, size_t *len,
                                                          const char *fmt, ...) {
  if (*len >= cap) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(buf + *len, cap - *len, fmt, ap);
  va_end(ap);
  if (k > 0) *len = *len + (size_t)k < cap ? *len + (size_t)k : cap;
}

/* Joints above an alarm now, worst first, into tr->culprits and its text. */
static void name_culprits(const dtw_sync_t *s, dtw_sync_transition_t *tr, size_t *len) {
  size_t idx[DTW_MAX_JOINTS], n = 0;
  double sev[DTW_MAX_JOINTS];
  for (size_t j = 0; j < s->n_joints; j++) {
    if (isnan(s->above_since[j])) continue;
    // insertion sort by severity, descending; n is small
    double v = severity(s, j);
    size_t k = n++;
    while (k > 0 && sev[k - 1] < v) {
      sev[k] = sev[k - 1];
      idx[k] = idx[k - 1];
      k--;
    }
    sev[k] = v;
    idx[k] = j;
  }
  tr->n_above = n;
  tr->n_culprits = n < DTW_SYNC_MAX_CULPRITS ? n : DTW_SYNC_MAX_CULPRITS;
  for (size_t c = 0; c < tr->n_culprits; c++) {
    size_t j = idx[c];
    tr->culprits[c].joint = (int)j;
    tr->culprits[c].pos_error_rad = s->cur_pos[j];
    tr->culprits[c].vel_error_rad_s = s->cur_vel[j];
    bool by_pos = s->cur_pos[j] > s->set.alarm_position_error_rad;
    if (by_pos)
      append(tr->text, sizeof tr->text, len, "%s%s %.3f rad", c ? ", " : "", s->names[j],
             s->cur_pos[j]);
    else
      append(tr->text, sizeof tr->text, len, "%s%s %.3f rad/s", c ? ", " : "", s->names[j],
             s->cur_vel[j]);
  }
  if (n > tr->n_culprits)
    append(tr->text, sizeof tr->text, len, " (+%zu more)", n - tr->n_culprits);
}

static double max_current_error(const dtw_sync_t *s) {
  double m = NAN;
  for (size_t j = 0; j < s->n_joints; j++) m = fmax(m, s->cur_pos[j]);
  return m;
}

/* The state the rules give at now, and why (into why). */
static dtw_sync_state_t evaluate(const dtw_sync_t *s, double now_s, char *why, size_t cap) {
  double stale = s->set.stale_timeout_s;
  why[0] = '\0';
  if (isnan(s->first_robot_recv_s)) {
    snprintf(why, cap, "no robot sample yet");
    return DTW_SYNC_NO_DATA;
  }
  if (isnan(s->last_match_recv_s)) {
    snprintf(why, cap, "no robot sample matched yet (too_old %llu, too_new %llu, no_twin %llu)",
             (unsigned long long)s->outcomes[DTW_SYNC_TOO_OLD],
             (unsigned long long)s->outcomes[DTW_SYNC_TOO_NEW],
             (unsigned long long)s->outcomes[DTW_SYNC_NO_TWIN]);
    return DTW_SYNC_NO_DATA;
  }
  if (now_s - s->last_robot_recv_s > stale) {
    snprintf(why, cap, "no robot sample for %.3f s", now_s - s->last_robot_recv_s);
    return DTW_SYNC_STALE;
  }
  if (now_s - s->twin_stamp_advanced_recv_s > stale) {
    // a dead (or frozen) twin: robot samples would keep matching its last state
    snprintf(why, cap, "twin time has not advanced for %.3f s (last twin sample %.3f s ago)",
             now_s - s->twin_stamp_advanced_recv_s, now_s - s->last_twin_recv_s);
    return DTW_SYNC_STALE;
  }
  // errors caused by a side that cannot keep time (a lagging twin's samples stop
  // matching, too) say nothing about the robot
  if (s->degraded) {
    snprintf(why, cap, "%s", s->degraded_why);
    return DTW_SYNC_DEGRADED;
  }
  if (now_s - s->last_match_recv_s > stale) {
    snprintf(why, cap, "no matched robot sample for %.3f s (last twin sample %.3f s ago)",
             now_s - s->last_match_recv_s, now_s - s->last_twin_recv_s);
    return DTW_SYNC_STALE;
  }
  // a latched fault holds the state whatever re-syncs do to the errors
  size_t nf = dtw__sync_fdi_active(s);
  if (nf > 0) {
    snprintf(why, cap, "%zu fault(s) isolated", nf);
    return DTW_SYNC_FAULT;
  }
  bool diverged = false;
  for (size_t j = 0; j < s->n_joints && !diverged; j++) {
    if (s->state == DTW_SYNC_DIVERGED)
      diverged = severity(s, j) >= DTW_SYNC_HYSTERESIS;  // stay until clearly back
    else
      diverged = !isnan(s->above_since[j]) &&
                 now_s - s->above_since[j] >= s->set.diverged_hold_s - DTW__SYNC_TIME_EPS_S;
  }
  double m = max_current_error(s);
  // after a re-sync nothing is known until fresh matches: no verdict yet
  if (diverged || (s->state == DTW_SYNC_DIVERGED && isnan(m))) return DTW_SYNC_DIVERGED;
  if (s->state == DTW_SYNC_DIVERGED)
    snprintf(why, cap, "errors below %.3f rad (max %.3f rad)",
             DTW_SYNC_HYSTERESIS * s->set.alarm_position_error_rad, isnan(m) ? 0.0 : m);
  else
    snprintf(why, cap, "matched samples, max error %.3f rad", isnan(m) ? 0.0 : m);
  return DTW_SYNC_SYNCED;
}

static void transition(dtw_sync_t *s, dtw_sync_state_t to, double now_s, const char *why) {
  dtw_sync_transition_t *tr = &s->last_transition;
  memset(tr, 0, sizeof *tr);
  tr->time_s = now_s;
  tr->from = s->state;
  tr->to = to;
  size_t len = 0;
  append(tr->text, sizeof tr->text, &len, "%s -> %s: ", dtw_sync_state_name(s->state),
         dtw_sync_state_name(to));
  if (to == DTW_SYNC_DIVERGED) {
    name_culprits(s, tr, &len);
  } else if (to == DTW_SYNC_FAULT) {
    // the newest fault's text names joint, kind and onset
    const dtw__sync_fdi_joint_t *best = NULL;
    for (size_t j = 0; j < s->n_joints; j++) {
      const dtw__sync_fdi_joint_t *f = &s->fdi[j];
      if (f->fault.kind != DTW_SYNC_FAULT_NONE && (best == NULL || f->order > best->order))
        best = f;
    }
    append(tr->text, sizeof tr->text, &len, "%s", best != NULL ? best->fault.text : why);
    if (best != NULL) {
      tr->n_culprits = tr->n_above = 1;
      tr->culprits[0].joint = best->fault.joint;
      tr->culprits[0].pos_error_rad = s->cur_pos[best->fault.joint];
      tr->culprits[0].vel_error_rad_s = s->cur_vel[best->fault.joint];
    }
  } else
    append(tr->text, sizeof tr->text, &len, "%s", why);
  s->have_transition = true;
  s->transitions[to]++;
  s->state = to;
  s->state_since_s = now_s;
}

/* Shadow mode: which re-sync reasons hold at now (DTW_SYNC_TICK_RESYNC_* bits). */
static int resync_policy(dtw_sync_t *s, double now_s) {
  if (!s->shadow || isnan(s->rob_newest_stamp)) return 0;
  if (s->resync_in_flight) {
    if (now_s - s->resync_asked_s < DTW_SYNC_RESYNC_RETRY_S) return 0;
    s->resync_in_flight = false;  // the adapter never confirmed: ask again
  }
  int flags = 0;
  if (s->resync_requested) flags |= DTW_SYNC_TICK_RESYNC_REQUEST;
  if (s->state == DTW_SYNC_SYNCED || s->state == DTW_SYNC_DIVERGED || s->state == DTW_SYNC_FAULT ||
      s->state == DTW_SYNC_DEGRADED) {
    double m = max_current_error(s);
    if (s->set.resync_threshold_rad > 0 && m > s->set.resync_threshold_rad)
      flags |= DTW_SYNC_TICK_RESYNC_THRESHOLD;
    double since = isnan(s->last_resync_s) ? s->first_robot_recv_s : s->last_resync_s;
    if (s->set.resync_period_s > 0 &&
        now_s - since >= s->set.resync_period_s - DTW__SYNC_TIME_EPS_S)
      flags |= DTW_SYNC_TICK_RESYNC_PERIOD;
  }
  if (flags != 0) {
    s->resync_in_flight = true;
    s->resync_asked_s = now_s;
  }
  return flags;
}

int dtw_sync_tick(dtw_sync_t *s, double now_s) {
  if (s == NULL || !isfinite(now_s)) return DTW_EINVAL;
  int flags = 0;
  if (isnan(s->state_since_s)) s->state_since_s = now_s;
  char why[192];
  dtw__sync_pace_tick(s, now_s);
  dtw_sync_state_t next = evaluate(s, now_s, why, sizeof why);
  if (next != s->state) {
    transition(s, next, now_s, why);
    flags |= DTW_SYNC_TICK_TRANSITION;
  }
  flags |= resync_policy(s, now_s);
  dtw__sync_stats_snapshot(s, now_s);
  dtw__sync_fdi_report(s);
  s->rep.since_twin_stamp_advance_s = now_s - s->twin_stamp_advanced_recv_s;
  s->rep.robot_pace = s->robot_pace;
  s->rep.twin_pace = s->twin_pace;
  s->rep.twin_behind_s = s->twin_behind_s;
  s->rep.twin_realigns = s->twin_realigns;
  snprintf(s->rep.degraded_reason, sizeof s->rep.degraded_reason, "%s", s->degraded_why);
  return flags;
}
