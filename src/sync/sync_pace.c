/* Feed pace: whether each side keeps real time. A side that cannot (a starved
 * process, pacing overruns, a stall, a feed with gaps) makes the state DEGRADED
 * with its reason, instead of its consequences reading as a divergence or a
 * fault; so does the synchronizer's own caller when it was away (not polling). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dtw/sync.h"
#include "sync__internal.h"

/* pace points are kept at least this share of window_s apart */
#define PACE_SPACING (1.0 / 32)

void dtw__sync_pace_reset(dtw_sync_t *s) {
  s->robot_pts.len = s->twin_pts.len = 0;
  s->robot_pace = s->twin_pace = NAN;
}

/* An arrival interval: the feed's typical interval (the mean of the first
 * PACE_LEARN, then a slow average; gaps capped at 1 s) and, once it is known,
 * whether this one is a gap (then its time). A burst at start-up (intervals
 * near 0) thus neither makes a slow feed's every interval a gap nor hides gaps. */
/* The caller's current poll ended an absence (dtw_sync_on_poll): what it takes
 * now waited for the caller, not for its feed. */
static bool after_absence(const dtw_sync_t *s) { return s->poll_now_s == s->self_gap_at_s; }

#define PACE_LEARN 16
void dtw__sync_pace_arrival(dtw_sync_t *s, bool twin, double interval_s, double recv_s) {
  if (!(interval_s >= 0)) return;
  // taken after the caller's own absence: only the silence it witnessed (up
  // to its previous poll) is the feed's, and the interval teaches nothing
  bool absent = after_absence(s);
  if (absent) interval_s = fmax(0.0, interval_s - s->self_gap_s);
  double *typ = twin ? &s->twin_interval_s : &s->rob_interval_s;
  uint32_t *n = twin ? &s->twin_n_intervals : &s->rob_n_intervals;
  double limit = fmax(s->set.degraded_gap_s, DTW__SYNC_PACE_GAP_TYPICAL * *typ);
  if (s->set.degraded_gap_s > 0 && *n >= PACE_LEARN && interval_s > limit) {
    *(twin ? &s->twin_gap_at_s : &s->rob_gap_at_s) = recv_s;
    *(twin ? &s->twin_gap_s : &s->rob_gap_s) = interval_s;
  }
  if (interval_s >= 1.0 || absent) return;
  double alpha = *n < PACE_LEARN ? 1.0 / (*n + 1) : 0.01;
  *typ = isnan(*typ) ? interval_s : *typ + alpha * (interval_s - *typ);
  if (*n < PACE_LEARN) (*n)++;
}

/* The twin's schedule. With the estimated offset, a twin sample's latency
 * (recv - stamp) is the clock relation plus transport; a twin that resumes
 * behind after a stall, or runs starved, shows it larger. Its reference follows
 * a lower latency at once and a higher one only as fast as two clocks drift
 * (or as the robot's own time runs slow: a replay below real time), so a lag
 * stands out as twin_behind_s; the offset learns nothing from a lagging twin
 * (sync_match.c), and a lag beyond degraded_gap_s is DEGRADED until the twin
 * is back on its schedule. */
void dtw__sync_twin_schedule(dtw_sync_t *s, double recv_s, double stamp_s) {
  // a sample taken after the caller's absence waited for the caller, not the twin
  if (!s->estimate_offset || after_absence(s)) return;
  double lat = recv_s - stamp_s;
  double rise = DTW__SYNC_CLOCK_DRIFT + (s->robot_pace < 1.0 ? 1.0 - s->robot_pace : 0.0);
  double ref = s->twin_lat_ref_s;
  if (!isnan(ref)) ref += rise * fmax(0.0, recv_s - s->twin_lat_ref_at_s);
  if (isnan(ref) || lat < ref) ref = lat;
  s->twin_lat_ref_s = ref;
  s->twin_lat_ref_at_s = recv_s;
  s->twin_behind_s = lat - ref;
  double tol = DTW__SYNC_BEHIND_TOL_S + 2 * (isnan(s->twin_interval_s) ? 0 : s->twin_interval_s);
  if (s->twin_behind_s <= tol) {
    s->twin_behind_since_s = NAN;
    s->twin_lagging = false;
  } else if (isnan(s->twin_behind_since_s)) {
    s->twin_behind_since_s = recv_s;
  } else if (recv_s - s->twin_behind_since_s >= DTW_SYNC_REALIGN_S) {
    // still behind long after any catch-up: that time is lost, re-align to it
    s->twin_lat_ref_s = lat;
    s->twin_behind_s = 0;
    s->twin_behind_since_s = NAN;
    s->twin_lagging = false;
    s->twin_realigns++;
  }
  if (s->set.degraded_gap_s > 0 && s->twin_behind_s > s->set.degraded_gap_s) s->twin_lagging = true;
}

void dtw_sync_on_poll(dtw_sync_t *s, double now_s) {
  if (s == NULL || !isfinite(now_s)) return;
  s->poll_prev_s = s->poll_now_s;
  s->poll_now_s = now_s;
  double away = now_s - s->poll_prev_s;
  if (s->set.degraded_gap_s > 0 && away > s->set.degraded_gap_s) {
    s->self_gap_at_s = now_s;
    s->self_gap_s = away;
  }
}

void dtw__sync_twin_schedule_reset(dtw_sync_t *s) {
  s->twin_lat_ref_s = s->twin_lat_ref_at_s = s->twin_behind_since_s = NAN;
  s->twin_behind_s = 0;
  s->twin_lagging = false;
}

/* Add the side's newest (recv, stamp) and return its pace over the window:
 * stamp seconds per second of our clock; NaN until half a window is covered. */
static double pace_update(dtw__sync_pace_ring_t *r, double recv, double stamp, double window) {
  if (isnan(recv) || isnan(stamp)) return NAN;
  if (r->len == 0 || recv - r->p[r->len - 1].recv_s >= PACE_SPACING * window) {
    if (r->len == DTW__SYNC_PACE_POINTS) {
      memmove(r->p, r->p + 1, (DTW__SYNC_PACE_POINTS - 1) * sizeof r->p[0]);
      r->len--;
    }
    r->p[r->len++] = (dtw__sync_pace_point_t){recv, stamp};
  }
  // the oldest point still inside the window (one just outside is dropped
  // only once the next one covers the window)
  size_t k0 = 0;
  while (k0 + 1 < r->len && recv - r->p[k0 + 1].recv_s >= window) k0++;
  if (k0 > 0) {
    memmove(r->p, r->p + k0, (r->len - k0) * sizeof r->p[0]);
    r->len -= k0;
  }
  double span = recv - r->p[0].recv_s;
  return span >= 0.5 * window ? (stamp - r->p[0].stamp_s) / span : NAN;
}

void dtw__sync_pace_tick(dtw_sync_t *s, double now_s) {
  double w = s->set.window_s;
  s->robot_pace = pace_update(&s->robot_pts, s->last_robot_recv_s, s->rob_newest_stamp, w);
  s->twin_pace =
      pace_update(&s->twin_pts, s->twin_stamp_advanced_recv_s, s->last_twin_stamp_s, w);

  // the reason, most basic first: gaps, then each side's pace (which must come
  // back halfway to 1 before a pace-degraded state ends: no flapping at the edge)
  bool was = s->degraded;
  double min = s->set.degraded_rtf;
  if (was && min > 0) min += 0.5 * (1.0 - min);
  char *why = s->degraded_why;
  size_t cap = sizeof s->degraded_why;
  why[0] = '\0';
  if (now_s - s->rob_gap_at_s < w)
    snprintf(why, cap, "robot feed gap of %.3f s (typical %.4f s)", s->rob_gap_s,
             s->rob_interval_s);
  else if (now_s - s->twin_gap_at_s < w)
    snprintf(why, cap, "twin feed gap of %.3f s (typical %.4f s)", s->twin_gap_s,
             s->twin_interval_s);
  else if (now_s - s->self_gap_at_s < w)
    snprintf(why, cap, "synchronizer not run for %.3f s (its process starved or stalled)",
             s->self_gap_s);
  else if (min > 0 && s->robot_pace < min)
    snprintf(why, cap, "robot time advances at %.2fx real time", s->robot_pace);
  else if (s->twin_lagging)
    snprintf(why, cap, "twin time %.3f s behind its schedule (stalled or starved)",
             s->twin_behind_s);
  else if (min > 0 && s->twin_pace < min * s->robot_pace)
    snprintf(why, cap, "twin time advances at %.2fx the robot's", s->twin_pace / s->robot_pace);
  s->degraded = why[0] != '\0';
  if (was && !s->degraded) {
    // what was seen while not judging starts from now: an alarm's hold, a
    // fault signature's candidate (a real fault shows again within its hold)
    for (size_t j = 0; j < s->n_joints; j++)
      if (!isnan(s->above_since[j])) s->above_since[j] = now_s;
    dtw__sync_fdi_restart_candidates(s);
  }
}

bool dtw__sync_pace_judging(const dtw_sync_t *s, double recv_s) {
  if (s->degraded) return false;
  // a gap no tick has seen yet
  double w = s->set.window_s;
  return !(recv_s - s->rob_gap_at_s < w) && !(recv_s - s->twin_gap_at_s < w) &&
         !(recv_s - s->self_gap_at_s < w);
}
