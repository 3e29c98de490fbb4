/* Twin history and matching robot samples to it by stamp. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/sync.h"
#include "sync__internal.h"

/* a mapped stamp this close outside the history is taken as its edge:
 * r + (w - r) need not round back to w with wall-clock stamps */
#define DTW__SYNC_STAMP_EPS_S 1e-6

static dtw__sync_twin_entry_t *twin_at(dtw_sync_t *s, size_t i) {
  return &s->twin[(s->twin_head + i) % s->twin_cap];
}

void dtw__sync_twin_clear(dtw_sync_t *s) {
  s->twin_head = 0;
  s->twin_len = 0;
}

/* Check a message and map its names to joints (s->map). Returns DTW_SYNC_MATCHED
 * when acceptable, else the refusal; *n_unknown counts names that are no joint. */
static dtw_sync_outcome_t check_msg(dtw_sync_t *s, const dtw_joint_state_msg_t *msg,
                                    size_t *n_unknown, size_t *first_unknown) {
  size_t n = msg->n_name, known = 0;
  *n_unknown = 0;
  *first_unknown = 0;
  if (msg->n_position == 0) return DTW_SYNC_REFUSED_NO_POSITION;
  if (n > DTW_MAX_JOINTS || msg->n_position != n || (msg->n_velocity != 0 && msg->n_velocity != n))
    return DTW_SYNC_REFUSED_SIZE;
  bool has_vel = msg->n_velocity != 0;
  s->serial++;
  for (size_t k = 0; k < n; k++) {
    int j = -1;
    if (memchr(msg->name[k], '\0', DTW_NAME_MAX) != NULL) j = dtw__sync_find_joint(s, msg->name[k]);
    s->map[k] = j;
    if (j < 0) {
      if ((*n_unknown)++ == 0) *first_unknown = k;
      continue;
    }
    if (s->seen[j] == s->serial) return DTW_SYNC_REFUSED_DUPLICATE;
    s->seen[j] = s->serial;
    if (!isfinite(msg->position[k]) || (has_vel && !isfinite(msg->velocity[k])))
      return DTW_SYNC_REFUSED_NONFINITE;
    known++;
  }
  return known == 0 ? DTW_SYNC_REFUSED_NO_KNOWN_JOINT : DTW_SYNC_MATCHED;
}

/* ---- twin samples ------------------------------------------------------ */

int dtw_sync_on_twin_sample(dtw_sync_t *s, const dtw_joint_state_msg_t *msg, double recv_time_s) {
  if (s == NULL || msg == NULL || !isfinite(recv_time_s)) return DTW_EINVAL;
  size_t n_unknown, first_unknown;
  s->twin_samples++;
  if (check_msg(s, msg, &n_unknown, &first_unknown) != DTW_SYNC_MATCHED) {
    s->twin_refused++;
    return DTW_EINVAL;
  }
  double stamp = dtw_time_to_s(msg->stamp);
  dtw__sync_twin_entry_t *e = NULL;
  if (s->twin_len > 0) {
    dtw__sync_twin_entry_t *newest = twin_at(s, s->twin_len - 1);
    if (stamp == newest->stamp_s) {
      e = newest;  // a paused twin republishes its state
    } else if (stamp < newest->stamp_s) {
      // sim time only runs backwards when the twin was reset
      s->twin_clock_resets++;
      dtw__sync_twin_clear(s);
      dtw__sync_pace_reset(s);
      dtw__sync_twin_schedule_reset(s);
    }
  }
  if (e == NULL) {
    if (s->twin_len == s->twin_cap) {
      s->twin_head = (s->twin_head + 1) % s->twin_cap;
      s->twin_len--;
    }
    e = twin_at(s, s->twin_len);
    s->twin_len++;
  }
  e->stamp_s = stamp;
  e->recv_s = recv_time_s;
  for (size_t j = 0; j < s->n_joints; j++) e->pos[j] = e->vel[j] = e->eff[j] = NAN;
  for (size_t k = 0; k < msg->n_name; k++) {
    int j = s->map[k];
    if (j < 0) continue;
    e->pos[j] = msg->position[k];
    if (msg->n_velocity != 0) e->vel[j] = msg->velocity[k];
    if (msg->n_effort == msg->n_name) e->eff[j] = msg->effort[k];
  }
  s->last_twin_recv_s = recv_time_s;
  // a twin that republishes one stamp is alive on the bus but not running
  if (isnan(s->last_twin_stamp_s) || stamp != s->last_twin_stamp_s) {
    // typical interval between advancing twin samples (slow average; gaps capped)
    dtw__sync_pace_arrival(s, true, recv_time_s - s->twin_stamp_advanced_recv_s, recv_time_s);
    dtw__sync_twin_schedule(s, recv_time_s, stamp);
    s->last_twin_stamp_s = stamp;
    s->twin_stamp_advanced_recv_s = recv_time_s;
  }
  return 0;
}

/* ---- robot samples ------------------------------------------------------ */

void dtw__sync_robot_clock_restart(dtw_sync_t *s) {
  for (size_t j = 0; j < s->n_joints; j++)
    s->rob_pos[j] = s->rob_vel[j] = s->rob_stamp[j] = s->cur_pos[j] = s->cur_vel[j] = NAN;
  s->rob_newest_stamp = s->rob_lat_min = NAN;
  if (s->estimate_offset) s->offset_s = NAN;
  dtw__sync_stats_reset(s);
  dtw__sync_pace_reset(s);
  s->fdi_prev_stamp_s = NAN;  // the filters restart on the next sample
}

/* Keep each joint's newest value (by stamp) for dtw_sync_latest_robot_state. */
static void update_latest(dtw_sync_t *s, const dtw_joint_state_msg_t *msg, double stamp) {
  for (size_t k = 0; k < msg->n_name; k++) {
    int j = s->map[k];
    if (j < 0 || (!isnan(s->rob_stamp[j]) && stamp < s->rob_stamp[j])) continue;
    s->rob_pos[j] = msg->position[k];
    s->rob_vel[j] = msg->n_velocity != 0 ? msg->velocity[k] : NAN;
    s->rob_stamp[j] = stamp;
  }
  if (isnan(s->rob_newest_stamp) || stamp > s->rob_newest_stamp) s->rob_newest_stamp = stamp;
}

/* Find the twin samples around twin time t: *a and weight alpha of *b
 * (value = a + alpha (b - a)). Returns MATCHED, TOO_OLD or TOO_NEW. */
static dtw_sync_outcome_t bracket(dtw_sync_t *s, double t, const dtw__sync_twin_entry_t **a,
                                  const dtw__sync_twin_entry_t **b, double *alpha) {
  const dtw__sync_twin_entry_t *oldest = twin_at(s, 0), *newest = twin_at(s, s->twin_len - 1);
  if (t < oldest->stamp_s - DTW__SYNC_STAMP_EPS_S) return DTW_SYNC_TOO_OLD;
  if (t > newest->stamp_s + DTW__SYNC_STAMP_EPS_S) return DTW_SYNC_TOO_NEW;
  if (t >= newest->stamp_s) {
    *a = *b = newest;
    *alpha = 0;
    return DTW_SYNC_MATCHED;
  }
  if (t <= oldest->stamp_s) {
    *a = *b = oldest;
    *alpha = 0;
    return DTW_SYNC_MATCHED;
  }
  // largest i with stamp <= t; stamps strictly increase along the ring
  size_t lo = 0, hi = s->twin_len - 1;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (twin_at(s, mid)->stamp_s <= t)
      lo = mid;
    else
      hi = mid;
  }
  *a = twin_at(s, lo);
  *b = twin_at(s, hi);
  *alpha = (t - (*a)->stamp_s) / ((*b)->stamp_s - (*a)->stamp_s);
  return DTW_SYNC_MATCHED;
}

static double lerp(double va, double vb, double alpha) {
  return alpha == 0 ? va : va + alpha * (vb - va);  // exact on a sample, NaN-safe there
}

/* Compare a validated, mapped robot sample with the twin at its stamp. */
static dtw_sync_outcome_t match(dtw_sync_t *s, const dtw_joint_state_msg_t *msg, double stamp,
                                double recv) {
  if (s->twin_len == 0 || isnan(s->offset_s)) return DTW_SYNC_NO_TWIN;
  const dtw__sync_twin_entry_t *a = NULL, *b = NULL;
  double alpha = 0;
  dtw_sync_outcome_t o = bracket(s, stamp + s->offset_s, &a, &b, &alpha);
  if (o != DTW_SYNC_MATCHED) return o;

  // errors first, so a sample without overlap changes nothing
  double ep[DTW_MAX_JOINTS], ev[DTW_MAX_JOINTS];
  size_t compared = 0;
  for (size_t k = 0; k < msg->n_name; k++) {
    int j = s->map[k];
    ep[k] = ev[k] = NAN;
    if (j < 0) continue;
    s->twin_eff_at[j] = lerp(a->eff[j], b->eff[j], alpha);
    double tp = lerp(a->pos[j], b->pos[j], alpha);
    if (isnan(tp)) continue;
    ep[k] = fabs(msg->position[k] - tp);
    if (msg->n_velocity != 0) ev[k] = fabs(msg->velocity[k] - lerp(a->vel[j], b->vel[j], alpha));
    compared++;
  }
  if (compared == 0) return DTW_SYNC_NO_OVERLAP;

  double alarm_p = s->set.alarm_position_error_rad, alarm_v = s->set.alarm_velocity_error_rad_s;
  for (size_t k = 0; k < msg->n_name; k++) {
    if (isnan(ep[k])) continue;
    size_t j = (size_t)s->map[k];
    s->cur_pos[j] = ep[k];
    s->cur_vel[j] = ev[k];
    dtw__sync_stats_add(s, j, recv, ep[k], ev[k]);
    bool above = ep[k] > alarm_p || (alarm_v > 0 && ev[k] > alarm_v);  // NaN compares false
    if (!above)
      s->above_since[j] = NAN;
    else if (isnan(s->above_since[j]))
      s->above_since[j] = recv;
  }
  s->last_match_recv_s = recv;
  return DTW_SYNC_MATCHED;
}

int dtw_sync_on_robot_sample(dtw_sync_t *s, const dtw_joint_state_msg_t *msg, double recv_time_s,
                             dtw_sync_outcome_t *outcome) {
  if (s == NULL || msg == NULL || !isfinite(recv_time_s)) return DTW_EINVAL;
  size_t n_unknown, first_unknown;
  s->robot_samples++;
  dtw_sync_outcome_t o = check_msg(s, msg, &n_unknown, &first_unknown);
  if (outcome != NULL) *outcome = o;
  if (o != DTW_SYNC_MATCHED) {
    s->outcomes[o]++;
    return DTW_EINVAL;
  }
  if (n_unknown > 0) {
    s->unknown_names += n_unknown;
    snprintf(s->last_unknown_name, sizeof s->last_unknown_name, "%.*s", DTW_NAME_MAX - 1,
             msg->name[first_unknown]);
  }

  // a stamp far ahead of the robot's clock as its feed established it would poison
  // the clock offset and the state a re-sync uses: refused; one far behind the
  // newest is a restarted robot: what was learned of the old clock goes
  double stamp = dtw_time_to_s(msg->stamp), lat = recv_time_s - stamp;
  if (!isnan(s->rob_lat_min) && lat < s->rob_lat_min - DTW_SYNC_STAMP_JUMP_S) {
    o = DTW_SYNC_REFUSED_STAMP_FUTURE;
    if (outcome != NULL) *outcome = o;
    s->outcomes[o]++;
    return DTW_EINVAL;
  }
  if (!isnan(s->rob_newest_stamp) && stamp < s->rob_newest_stamp - DTW_SYNC_STAMP_JUMP_S) {
    s->robot_clock_resets++;
    dtw__sync_robot_clock_restart(s);
  }
  if (isnan(s->rob_lat_min) || lat < s->rob_lat_min) s->rob_lat_min = lat;

  // liveness, latency, alignment candidate, latest state: every accepted sample
  if (isnan(s->first_robot_recv_s)) s->first_robot_recv_s = recv_time_s;
  dtw__sync_pace_arrival(s, false, recv_time_s - s->last_robot_recv_s, recv_time_s);
  s->last_robot_recv_s = recv_time_s;
  // the clock relation is learned only from a twin that is running now and on
  // its schedule: while it stalls, or lags after a stall, its newest stamp falls
  // behind, and following it would compare the robot with the twin's older states.
  // Nor while its newest sample is older than its feed's best latency allows: a
  // twin feed delivered late (its delivery starved, the robot's not) would take
  // the delay for the clock relation, under the lag that makes it "behind".
  double newest = s->twin_len > 0 ? twin_at(s, s->twin_len - 1)->stamp_s : NAN;
  double slack = 1.5 * s->twin_interval_s + 0.002;
  bool twin_fresh = !isnan(s->twin_interval_s) &&
                    recv_time_s - s->twin_stamp_advanced_recv_s <= slack &&
                    isnan(s->twin_behind_since_s) &&
                    !(recv_time_s - newest - s->twin_lat_ref_s > slack);  // NaN ref: unknown
  double cand = twin_fresh ? newest - stamp : NAN;
  dtw__sync_arrival_add(s, recv_time_s, recv_time_s - stamp, cand);
  if (s->estimate_offset && !isnan(cand) && (isnan(s->offset_s) || cand < s->offset_s))
    s->offset_s = cand;
  update_latest(s, msg, stamp);

  o = match(s, msg, stamp, recv_time_s);
  s->outcomes[o]++;
  dtw__sync_fdi_sample(s, msg, stamp, recv_time_s);
  if (outcome != NULL) *outcome = o;
  return 0;
}
