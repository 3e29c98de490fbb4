/* Windowed statistics: error buckets, latency quantiles, rate and gaps. */
#include <math.h>
#include <string.h>

#include "dtw/sync.h"
#include "sync__internal.h"

#define NB DTW_SYNC_WINDOW_BUCKETS

void dtw__sync_stats_reset(dtw_sync_t *s) {
  for (size_t b = 0; b < NB; b++) {
    s->buckets[b].id = INT64_MIN;
    memset(s->buckets[b].acc, 0, s->n_joints * sizeof *s->buckets[b].acc);
  }
  s->arr_head = s->arr_len = 0;
}

static int64_t bucket_id(const dtw_sync_t *s, double t) { return (int64_t)floor(t / s->bucket_w); }

void dtw__sync_stats_add(dtw_sync_t *s, size_t j, double t, double pos_err, double vel_err) {
  int64_t id = bucket_id(s, t);
  dtw__sync_bucket_t *b = &s->buckets[((id % NB) + NB) % NB];
  if (b->id != id) {
    // the slot holds a bucket a whole window older (or, for a late sample, newer)
    if (b->id > id) return;
    b->id = id;
    memset(b->acc, 0, s->n_joints * sizeof *b->acc);
  }
  dtw__sync_acc_t *a = &b->acc[j];
  a->pos_sumsq += pos_err * pos_err;
  if (pos_err > a->pos_max) a->pos_max = pos_err;
  a->n_pos++;
  if (!isnan(vel_err)) {
    a->vel_sumsq += vel_err * vel_err;
    if (vel_err > a->vel_max) a->vel_max = vel_err;
    a->n_vel++;
  }
}

void dtw__sync_arrival_add(dtw_sync_t *s, double recv_s, double latency_s, double offset_cand_s) {
  if (s->arr_len == s->arr_cap) {
    // faster than max_rate_hz: the window silently shortens to arr_cap samples
    s->arr_head = (s->arr_head + 1) % s->arr_cap;
    s->arr_len--;
  }
  dtw__sync_arrival_t *a = &s->arr[(s->arr_head + s->arr_len) % s->arr_cap];
  a->recv_s = recv_s;
  a->latency_s = latency_s;
  a->offset_cand_s = offset_cand_s;
  s->arr_len++;
}

static void swap(double *a, double *b) {
  double t = *a;
  *a = *b;
  *b = t;
}

double dtw__sync_select(double *v, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;
  while (hi > lo) {
    // median of three as pivot, then a three-way partition around it:
    // [lo, lt) < pivot, [lt, gt) == pivot, [gt, hi] > pivot
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < v[lo]) swap(&v[mid], &v[lo]);
    if (v[hi] < v[lo]) swap(&v[hi], &v[lo]);
    if (v[hi] < v[mid]) swap(&v[hi], &v[mid]);
    double pivot = v[mid];
    size_t lt = lo, i = lo, gt = hi + 1;
    while (i < gt) {
      if (v[i] < pivot)
        swap(&v[lt++], &v[i++]);
      else if (v[i] > pivot)
        swap(&v[i], &v[--gt]);
      else
        i++;
    }
    if (k < lt)
      hi = lt - 1;
    else if (k >= gt)
      lo = gt;
    else
      return pivot;
  }
  return v[k];
}

/* Sum a joint's accumulators over the buckets inside the window. */
static void sum_joint(const dtw_sync_t *s, size_t j, int64_t first_id, dtw__sync_acc_t *out) {
  memset(out, 0, sizeof *out);
  for (size_t b = 0; b < NB; b++) {
    if (s->buckets[b].id < first_id) continue;
    const dtw__sync_acc_t *a = &s->buckets[b].acc[j];
    out->pos_sumsq += a->pos_sumsq;
    out->vel_sumsq += a->vel_sumsq;
    out->n_pos += a->n_pos;
    out->n_vel += a->n_vel;
    if (a->pos_max > out->pos_max) out->pos_max = a->pos_max;
    if (a->vel_max > out->vel_max) out->vel_max = a->vel_max;
  }
}

/* Merge src into dst (group and overall sums). */
static void merge(dtw__sync_acc_t *dst, const dtw__sync_acc_t *src) {
  dst->pos_sumsq += src->pos_sumsq;
  dst->vel_sumsq += src->vel_sumsq;
  dst->n_pos += src->n_pos;
  dst->n_vel += src->n_vel;
  if (src->pos_max > dst->pos_max) dst->pos_max = src->pos_max;
  if (src->vel_max > dst->vel_max) dst->vel_max = src->vel_max;
}

static void to_stats(const dtw__sync_acc_t *a, double pos_last, double vel_last,
                     dtw_sync_err_stats_t *out) {
  out->pos_last_rad = pos_last;
  out->vel_last_rad_s = vel_last;
  out->n_pos = a->n_pos;
  out->n_vel = a->n_vel;
  out->pos_rms_rad = a->n_pos > 0 ? sqrt(a->pos_sumsq / a->n_pos) : 0;
  out->pos_max_rad = a->pos_max;
  out->vel_rms_rad_s = a->n_vel > 0 ? sqrt(a->vel_sumsq / a->n_vel) : 0;
  out->vel_max_rad_s = a->vel_max;
}

/* fmax ignores NaN: the max of the known values, NaN when none */
static double nanmax(double a, double b) { return fmax(a, b); }

static void snapshot_errors(dtw_sync_t *s, double now_s) {
  dtw_sync_report_t *r = &s->rep;
  // window = the NB buckets ending with the one holding now
  int64_t first_id = isnan(now_s) ? INT64_MAX : bucket_id(s, now_s) - (NB - 1);
  dtw__sync_acc_t gacc[DTW_SYNC_MAX_GROUPS], all;
  double gpos[DTW_SYNC_MAX_GROUPS], gvel[DTW_SYNC_MAX_GROUPS], apos = NAN, avel = NAN;
  memset(gacc, 0, sizeof gacc);
  memset(&all, 0, sizeof all);
  for (size_t g = 0; g < s->n_groups; g++) {
    gpos[g] = gvel[g] = NAN;
    r->groups[g].worst_joint = -1;
    r->groups[g].n_joints = 0;
    memcpy(r->groups[g].name, s->group_names[g], DTW_NAME_MAX);
  }
  r->worst_joint = -1;
  for (size_t j = 0; j < s->n_joints; j++) {
    dtw_sync_joint_report_t *jr = &r->joints[j];
    int g = s->joint_group[j];
    dtw__sync_acc_t a;
    sum_joint(s, j, first_id, &a);
    memcpy(jr->name, s->names[j], DTW_NAME_MAX);
    jr->group = g;
    jr->above_alarm = !isnan(s->above_since[j]);
    to_stats(&a, s->cur_pos[j], s->cur_vel[j], &jr->err);
    merge(&gacc[g], &a);
    merge(&all, &a);
    gpos[g] = nanmax(gpos[g], s->cur_pos[j]);
    gvel[g] = nanmax(gvel[g], s->cur_vel[j]);
    apos = nanmax(apos, s->cur_pos[j]);
    avel = nanmax(avel, s->cur_vel[j]);
    r->groups[g].n_joints++;
    if (a.n_pos > 0) {
      int *w = &r->groups[g].worst_joint;
      if (*w < 0 || a.pos_max > r->joints[*w].err.pos_max_rad) *w = (int)j;
      if (r->worst_joint < 0 || a.pos_max > r->joints[r->worst_joint].err.pos_max_rad)
        r->worst_joint = (int)j;
    }
  }
  for (size_t g = 0; g < s->n_groups; g++) to_stats(&gacc[g], gpos[g], gvel[g], &r->groups[g].err);
  to_stats(&all, apos, avel, &r->overall);
}

static const dtw__sync_arrival_t *arrival_at(const dtw_sync_t *s, size_t i) {
  return &s->arr[(s->arr_head + i) % s->arr_cap];
}

static void snapshot_arrivals(dtw_sync_t *s, double now_s) {
  dtw_sync_report_t *r = &s->rep;
  r->latency_last_s = s->arr_len > 0 ? arrival_at(s, s->arr_len - 1)->latency_s : NAN;
  r->latency_median_s = r->latency_p99_s = r->clock_offset_s = NAN;
  r->jitter_median_s = r->jitter_p99_s = NAN;
  r->latency_alarm = false;
  r->rate_hz = r->max_gap_s = 0;
  r->gap_count = 0;
  r->n_latency = 0;
  if (isnan(now_s)) return;

  // arrivals inside (now - window, now]: a suffix of the ring
  double from = now_s - s->set.window_s;
  size_t first = s->arr_len;
  while (first > 0 && arrival_at(s, first - 1)->recv_s > from) first--;
  size_t n = s->arr_len - first;
  r->n_latency = n;
  if (n == 0) return;

  double cand_min = NAN;
  for (size_t i = 0; i < n; i++) {
    const dtw__sync_arrival_t *a = arrival_at(s, first + i);
    s->scratch[i] = a->latency_s;
    if (!isnan(a->offset_cand_s)) cand_min = fmin(cand_min, a->offset_cand_s);
  }
  // the window minimum lets the offset rise again once old minima expire
  if (s->estimate_offset && !isnan(cand_min)) s->offset_s = cand_min;

  double lat_min = dtw__sync_select(s->scratch, n, 0);
  // the feed's clock as the window shows it: a plausibility bound that may rise again
  s->rob_lat_min = lat_min;
  r->latency_median_s = dtw__sync_select(s->scratch, n, (n - 1) / 2);
  r->latency_p99_s = dtw__sync_select(s->scratch, n, (size_t)ceil(0.99 * (double)n) - 1);
  r->clock_offset_s = lat_min;
  r->jitter_median_s = r->latency_median_s - lat_min;
  r->jitter_p99_s = r->latency_p99_s - lat_min;
  // jitter, not raw latency: it means the same whatever the clocks' offset
  r->latency_alarm = s->set.latency_alarm_s > 0 && r->jitter_p99_s > s->set.latency_alarm_s;

  // rate over the window, or over the time since the first sample when shorter
  double span = fmin(s->set.window_s, now_s - s->first_robot_recv_s);
  r->rate_hz = span > 0 ? (double)n / span : 0;

  if (n < 2) return;
  size_t m = n - 1;
  for (size_t i = 0; i < m; i++) {
    double d = arrival_at(s, first + i + 1)->recv_s - arrival_at(s, first + i)->recv_s;
    s->scratch[i] = d;
    if (d > r->max_gap_s) r->max_gap_s = d;
  }
  double med = dtw__sync_select(s->scratch, m, (m - 1) / 2);
  for (size_t i = 0; i < m; i++) {
    double d = arrival_at(s, first + i + 1)->recv_s - arrival_at(s, first + i)->recv_s;
    if (d > 3 * med) r->gap_count++;
  }
}

static double since(double now_s, double t) { return isnan(t) ? NAN : now_s - t; }

void dtw__sync_stats_snapshot(dtw_sync_t *s, double now_s) {
  dtw_sync_report_t *r = &s->rep;
  r->time_s = now_s;
  r->shadow = s->shadow;
  r->n_joints = s->n_joints;
  r->n_groups = s->n_groups;
  snapshot_errors(s, now_s);
  snapshot_arrivals(s, now_s);
  r->time_offset_s = s->offset_s;
  r->since_robot_s = since(now_s, s->last_robot_recv_s);
  r->since_match_s = since(now_s, s->last_match_recv_s);
  r->since_twin_s = since(now_s, s->last_twin_recv_s);
  r->robot_samples = s->robot_samples;
  r->twin_samples = s->twin_samples;
  r->twin_refused = s->twin_refused;
  r->twin_clock_resets = s->twin_clock_resets;
  r->robot_clock_resets = s->robot_clock_resets;
  memcpy(r->outcomes, s->outcomes, sizeof r->outcomes);
  r->unknown_names = s->unknown_names;
  memcpy(r->last_unknown_name, s->last_unknown_name, DTW_NAME_MAX);
  r->resyncs = s->resyncs;
  r->resync_requests = s->resync_requests;
  r->resync_in_flight = s->resync_in_flight;
  memcpy(r->transitions, s->transitions, sizeof r->transitions);
  r->last_transition = s->last_transition;
  r->state = s->state;
  r->state_name = dtw_sync_state_name(s->state);
  r->level = dtw_sync_state_level(s->state);
  r->time_in_state_s = since(now_s, s->state_since_s);
}
