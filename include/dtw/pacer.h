/* dtw/pacer.h - pace a fixed-period simulation loop to the wall clock.
 *
 * A loop that advances simulated time by period_s per step runs at a
 * real-time factor rtf: step k ends no earlier than start + k*period/rtf on
 * the monotonic clock (rtf 0: as fast as possible, never sleeps). A loop that
 * falls behind (a stall) runs unpaced until it is on schedule again, so that
 * simulated time stays locked to the wall clock and two paced processes (robot
 * and twin) keep the clock relation they started with; falling behind by more
 * than max_lag_ns counts one overrun per episode, and by more than catch_up_ns
 * the schedule restarts from now instead (too far to catch up).
 * It also measures the achieved real-time factor and step durations over a
 * sliding window (DTW_PACER_WINDOW_NS, in DTW_PACER_SLOTS slots) and keeps a
 * histogram of step durations for export (Prometheus-style buckets).
 *
 * Loop:   for (;;) { dtw_pacer_begin_step(&p); work(); dtw_pacer_end_step(&p);
 *                    dtw_pacer_wait(&p); }
 * The caller owns the struct (no allocation anywhere). Not thread-safe: one
 * pacer per loop; read stats from the loop's thread (or under the caller's lock).
 * Clock and sleep are function pointers so tests can use a fake clock. */
#ifndef DTW_PACER_H
#define DTW_PACER_H

#include <stdint.h>

/* Histogram upper bounds (le) of step durations, ns; the last bucket is +Inf. */
#define DTW_PACER_BUCKETS_NS(X) \
  X(10000) X(20000) X(50000) X(100000) X(200000) X(500000) \
  X(1000000) X(2000000) X(5000000) X(10000000)
#define DTW_PACER_NBUCKETS 11 /* 10 bounds + Inf */
/* Bucket bounds in ns, DTW_PACER_NBUCKETS entries, the last INT64_MAX (+Inf). */
extern const int64_t dtw_pacer_bucket_le_ns[DTW_PACER_NBUCKETS];

#define DTW_PACER_WINDOW_NS INT64_C(1000000000) /* statistics window: 1 s */
#define DTW_PACER_SLOTS 20                      /* of 50 ms each */
#define DTW_PACER_MAX_LAG_NS INT64_C(100000000) /* default overrun bound: 100 ms */
#define DTW_PACER_CATCH_UP_NS INT64_C(2000000000) /* default catch-up bound: 2 s */

typedef int64_t (*dtw_pacer_now_fn)(void *user);
typedef void (*dtw_pacer_sleep_until_fn)(int64_t deadline_ns, void *user);

/* Step counts and durations within one slot of the window. */
typedef struct dtw_pacer_slot {
  int64_t index;       /* slot number since the pacer started; -1 = empty */
  uint64_t steps;
  uint64_t stalled;    /* steps that did not advance simulated time */
  int64_t busy_ns;     /* sum of step durations */
  int64_t max_ns;
} dtw_pacer_slot_t;

typedef struct dtw_pacer {
  /* settings */
  int64_t period_ns;
  double rtf;              /* 0 = as fast as possible */
  int64_t max_lag_ns;
  int64_t catch_up_ns;
  dtw_pacer_now_fn now;    /* default: dtw_clock_mono_ns */
  dtw_pacer_sleep_until_fn sleep_until; /* default: dtw_clock_sleep_until_ns */
  void *clock_user;
  /* schedule */
  int started;
  int64_t origin_ns;       /* first begin_step; slot 0 starts here */
  int64_t anchor_ns;       /* schedule start (moved on resync and rtf change) */
  uint64_t anchor_steps;   /* steps ended since the anchor */
  int64_t step_start_ns;
  int64_t behind_ns;       /* at the current step's start: past its scheduled start (>= 0) */
  /* statistics */
  uint64_t steps, overruns, schedule_restarts;
  int behind;              /* in an overrun episode (more than max_lag_ns behind) */
  int64_t last_ns;
  int64_t last_slot;       /* window slot of the last step's end */
  int64_t sleep_total_ns;
  dtw_pacer_slot_t slots[DTW_PACER_SLOTS];
  uint64_t hist[DTW_PACER_NBUCKETS]; /* per bucket, not cumulative */
  int64_t hist_sum_ns;
} dtw_pacer_t;

typedef struct dtw_pacer_stats {
  uint64_t steps;            /* steps ended since init */
  uint64_t overruns;         /* episodes of falling behind by more than max_lag_ns */
  uint64_t schedule_restarts; /* of those, behind by more than catch_up_ns: not caught up */
  double rtf_target;         /* 0 = as fast as possible */
  double rtf_achieved;       /* simulated / wall time over the window (0 before any step):
                                steps marked stalled do not count as simulated time */
  int64_t step_last_ns;      /* duration of the last step */
  int64_t step_mean_ns;      /* mean and max step duration over the window */
  int64_t step_max_ns;
  int64_t sleep_total_ns;    /* total time dtw_pacer_wait asked to sleep */
  /* cumulative histogram (Prometheus `le` buckets): hist_le[i] = steps with duration <=
   * dtw_pacer_bucket_le_ns[i]; the last entry equals hist_count */
  uint64_t hist_le[DTW_PACER_NBUCKETS];
  uint64_t hist_count;
  int64_t hist_sum_ns;
} dtw_pacer_stats_t;

/* Initialise p for a loop of period_s simulated seconds per step at rtf
 * (0 = unpaced), with the real monotonic clock and max lag
 * DTW_PACER_MAX_LAG_NS. To inject a clock, set p->now / p->sleep_until /
 * p->clock_user after init and before the first step.
 * Returns 0, or DTW_EINVAL if period_s is not finite and > 0 or rtf not
 * finite and >= 0 (p zeroed). */
int dtw_pacer_init(dtw_pacer_t *p, double period_s, double rtf);

/* Change the real-time factor; the schedule restarts from now. Returns 0 or
 * DTW_EINVAL. */
int dtw_pacer_set_rtf(dtw_pacer_t *p, double rtf);

/* Mark the start of a step (the first call also starts the schedule). */
void dtw_pacer_begin_step(dtw_pacer_t *p);
/* Mark the end of the step: records its duration and advances the schedule by one period. */
void dtw_pacer_end_step(dtw_pacer_t *p);
/* The step just ended did not advance simulated time (the physics failed and
 * restarted): it still counts as a step, but not in rtf_achieved. */
void dtw_pacer_step_stalled(dtw_pacer_t *p);
/* Sleep until the scheduled end of the last step (nothing if rtf is 0 or
 * behind: the steps then run back to back until on schedule). Falling behind
 * by more than max_lag_ns counts an overrun, by more than catch_up_ns
 * restarts the schedule from now. Returns the ns slept (0 if none). */
int64_t dtw_pacer_wait(dtw_pacer_t *p);

/* Simulated seconds the loop is behind its wall-clock schedule at the start of
 * the current step (0 when on time or unpaced): how far it has to catch up. */
double dtw_pacer_behind_s(const dtw_pacer_t *p);

/* Snapshot of the statistics at the current time of p's clock. */
void dtw_pacer_stats(const dtw_pacer_t *p, dtw_pacer_stats_t *out);

#endif /* DTW_PACER_H */
