/* Pacing a fixed-period loop to the wall clock, with step statistics (see dtw/pacer.h). */
#include "dtw/pacer.h"

#include <math.h>
#include <string.h>

#include "dtw/clock.h"
#include "dtw/err.h"

#define PACER_SLOT_NS (DTW_PACER_WINDOW_NS / DTW_PACER_SLOTS)

#define PACER__LE(ns) INT64_C(ns),
const int64_t dtw_pacer_bucket_le_ns[DTW_PACER_NBUCKETS] = {
    DTW_PACER_BUCKETS_NS(PACER__LE) INT64_MAX};
#undef PACER__LE

static int64_t real_now(void *user) {
  (void)user;
  return dtw_clock_mono_ns();
}

static void real_sleep_until(int64_t deadline_ns, void *user) {
  (void)user;
  dtw_clock_sleep_until_ns(deadline_ns);
}

static int rtf_valid(double rtf) { return isfinite(rtf) && rtf >= 0; }

int dtw_pacer_init(dtw_pacer_t *p, double period_s, double rtf) {
  memset(p, 0, sizeof *p);
  if (!isfinite(period_s) || period_s <= 0 || !rtf_valid(rtf)) return DTW_EINVAL;
  p->period_ns = llround(period_s * 1e9);
  if (p->period_ns <= 0) return DTW_EINVAL;
  p->rtf = rtf;
  p->max_lag_ns = DTW_PACER_MAX_LAG_NS;
  p->catch_up_ns = DTW_PACER_CATCH_UP_NS;
  p->now = real_now;
  p->sleep_until = real_sleep_until;
  for (int i = 0; i < DTW_PACER_SLOTS; i++) p->slots[i].index = -1;
  return 0;
}

int dtw_pacer_set_rtf(dtw_pacer_t *p, double rtf) {
  if (!rtf_valid(rtf)) return DTW_EINVAL;
  p->rtf = rtf;
  if (p->started) {
    p->anchor_ns = p->now(p->clock_user);
    p->anchor_steps = 0;
  }
  return 0;
}

/* When the steps ended since the anchor are due on the wall clock: their
 * simulated ns stretched by 1/rtf (rtf > 0). */
static int64_t due_ns(const dtw_pacer_t *p) {
  double sim_ns = (double)p->anchor_steps * (double)p->period_ns;
  return p->anchor_ns + (int64_t)llround(sim_ns / p->rtf);
}

void dtw_pacer_begin_step(dtw_pacer_t *p) {
  int64_t t = p->now(p->clock_user);
  if (!p->started) {
    p->started = 1;
    p->origin_ns = t;
    p->anchor_ns = t;
    p->anchor_steps = 0;
  }
  p->step_start_ns = t;
  p->behind_ns = 0;
  if (p->rtf > 0) {
    int64_t due = due_ns(p);
    if (t > due) p->behind_ns = t - due;
  }
}

double dtw_pacer_behind_s(const dtw_pacer_t *p) { return (double)p->behind_ns * 1e-9 * p->rtf; }

static int64_t slot_index(const dtw_pacer_t *p, int64_t t) {
  return t > p->origin_ns ? (t - p->origin_ns) / PACER_SLOT_NS : 0;
}

void dtw_pacer_end_step(dtw_pacer_t *p) {
  int64_t t = p->now(p->clock_user);
  int64_t dur = t - p->step_start_ns;
  if (dur < 0) dur = 0;
  p->steps++;
  p->anchor_steps++;
  p->last_ns = dur;

  /* window slot of this step's end; a slot reused from an older turn starts empty */
  int64_t idx = slot_index(p, t);
  p->last_slot = idx;
  dtw_pacer_slot_t *s = &p->slots[idx % DTW_PACER_SLOTS];
  if (s->index != idx) {
    s->index = idx;
    s->steps = 0;
    s->stalled = 0;
    s->busy_ns = 0;
    s->max_ns = 0;
  }
  s->steps++;
  s->busy_ns += dur;
  if (dur > s->max_ns) s->max_ns = dur;

  int b = 0;
  while (b < DTW_PACER_NBUCKETS - 1 && dur > dtw_pacer_bucket_le_ns[b]) b++;
  p->hist[b]++;
  p->hist_sum_ns += dur;
}

void dtw_pacer_step_stalled(dtw_pacer_t *p) {
  if (p->steps == 0) return;
  dtw_pacer_slot_t *s = &p->slots[p->last_slot % DTW_PACER_SLOTS];
  if (s->index == p->last_slot && s->stalled < s->steps) s->stalled++;
}

int64_t dtw_pacer_wait(dtw_pacer_t *p) {
  if (p->rtf <= 0 || !p->started) return 0;
  int64_t t = p->now(p->clock_user);
  int64_t deadline = due_ns(p);
  int64_t lag = t - deadline;
  if (lag > p->max_lag_ns && !p->behind) {
    p->overruns++;
    p->behind = 1;
  }
  if (lag > p->catch_up_ns) {
    /* too far behind to catch up: the schedule restarts from now */
    p->schedule_restarts++;
    p->anchor_ns = t;
    p->anchor_steps = 0;
    p->behind = 0;
    return 0;
  }
  if (deadline <= t) return 0; /* behind: the next steps run back to back */
  p->behind = 0;
  p->sleep_until(deadline, p->clock_user);
  p->sleep_total_ns += deadline - t;
  return deadline - t;
}

void dtw_pacer_stats(const dtw_pacer_t *p, dtw_pacer_stats_t *out) {
  memset(out, 0, sizeof *out);
  out->steps = p->steps;
  out->overruns = p->overruns;
  out->schedule_restarts = p->schedule_restarts;
  out->rtf_target = p->rtf;
  out->step_last_ns = p->last_ns;
  out->sleep_total_ns = p->sleep_total_ns;
  uint64_t cum = 0;
  for (int b = 0; b < DTW_PACER_NBUCKETS; b++) {
    cum += p->hist[b];
    out->hist_le[b] = cum;
  }
  out->hist_count = cum;
  out->hist_sum_ns = p->hist_sum_ns;
  if (!p->started) return;

  /* window: the current slot and the DTW_PACER_SLOTS - 1 before it */
  int64_t t = p->now(p->clock_user);
  int64_t cur = slot_index(p, t);
  int64_t first = cur - (DTW_PACER_SLOTS - 1);
  if (first < 0) first = 0;
  uint64_t steps = 0, stalled = 0;
  int64_t busy = 0, max = 0;
  for (int i = 0; i < DTW_PACER_SLOTS; i++) {
    const dtw_pacer_slot_t *s = &p->slots[i];
    if (s->index < first || s->index > cur) continue;
    steps += s->steps;
    stalled += s->stalled;
    busy += s->busy_ns;
    if (s->max_ns > max) max = s->max_ns;
  }
  int64_t wall = t - (p->origin_ns + first * PACER_SLOT_NS);
  if (steps > 0) out->step_mean_ns = busy / (int64_t)steps;
  out->step_max_ns = max;
  if (wall > 0)
    out->rtf_achieved = (double)(steps - stalled) * (double)p->period_ns / (double)wall;
}
