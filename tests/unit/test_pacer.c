/* Tests for dtw/pacer.h with a fake clock: deterministic, no real sleeping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "dtw/clock.h"
#include "dtw/err.h"
#include "dtw/pacer.h"

#define US INT64_C(1000)
#define MS INT64_C(1000000)

typedef struct fake_clock {
  int64_t t;
  int sleeps;
  int64_t slept_ns;
  int64_t last_sleep_ns;
} fake_clock_t;

static int64_t fake_now(void *user) { return ((fake_clock_t *)user)->t; }

static void fake_sleep_until(int64_t deadline_ns, void *user) {
  fake_clock_t *c = user;
  c->sleeps++;
  c->last_sleep_ns = deadline_ns > c->t ? deadline_ns - c->t : 0;
  c->slept_ns += c->last_sleep_ns;
  if (deadline_ns > c->t) c->t = deadline_ns;
}

static void init_fake(dtw_pacer_t *p, fake_clock_t *c, double period_s, double rtf) {
  memset(c, 0, sizeof *c);
  c->t = 5 * DTW_NS_PER_S; /* arbitrary non-zero start */
  assert_int_equal(dtw_pacer_init(p, period_s, rtf), 0);
  p->now = fake_now;
  p->sleep_until = fake_sleep_until;
  p->clock_user = c;
}

/* One loop iteration whose work takes work_ns of fake time. */
static int64_t step(dtw_pacer_t *p, fake_clock_t *c, int64_t work_ns) {
  dtw_pacer_begin_step(p);
  c->t += work_ns;
  dtw_pacer_end_step(p);
  return dtw_pacer_wait(p);
}

static void test_init_rejects_bad_values(void **state) {
  (void)state;
  dtw_pacer_t p;
  assert_int_equal(dtw_pacer_init(&p, 0, 1), DTW_EINVAL);
  assert_int_equal(dtw_pacer_init(&p, -0.001, 1), DTW_EINVAL);
  assert_int_equal(dtw_pacer_init(&p, NAN, 1), DTW_EINVAL);
  assert_int_equal(dtw_pacer_init(&p, 0.001, -1), DTW_EINVAL);
  assert_int_equal(dtw_pacer_init(&p, 0.001, INFINITY), DTW_EINVAL);
  assert_int_equal(dtw_pacer_init(&p, 0.001, 0), 0);
  assert_int_equal(p.period_ns, 1000000);
  assert_int_equal(dtw_pacer_set_rtf(&p, NAN), DTW_EINVAL);
  dtw_pacer_stats_t st;
  dtw_pacer_stats(&p, &st); /* before any step */
  assert_int_equal(st.steps, 0);
  assert_float_equal(st.rtf_achieved, 0, 0);
}

static void test_rtf1_sleeps_the_rest_of_the_period(void **state) {
  (void)state;
  dtw_pacer_t p;
  fake_clock_t c;
  init_fake(&p, &c, 0.001, 1.0);
  int64_t start = c.t;
  for (int i = 0; i < 10; i++) assert_int_equal(step(&p, &c, 200 * US), 800 * US);
  assert_int_equal(c.sleeps, 10);
  assert_int_equal(c.t - start, 10 * MS);
  dtw_pacer_stats_t st;
  dtw_pacer_stats(&p, &st);
  assert_int_equal(st.steps, 10);
  assert_int_equal(st.overruns, 0);
  assert_float_equal(st.rtf_target, 1.0, 0);
  assert_float_equal(st.rtf_achieved, 1.0, 1e-9);
  assert_int_equal(st.step_last_ns, 200 * US);
  assert_int_equal(st.step_mean_ns, 200 * US);
  assert_int_equal(st.step_max_ns, 200 * US);
  assert_int_equal(st.sleep_total_ns, 8 * MS);
}

static void test_rtf2_and_half(void **state) {
  (void)state;
  dtw_pacer_t p;
  fake_clock_t c;
  init_fake(&p, &c, 0.001, 2.0);
  for (int i = 0; i < 100; i++) assert_int_equal(step(&p, &c, 100 * US), 400 * US);
  dtw_pacer_stats_t st;
  dtw_pacer_stats(&p, &st);
  assert_float_equal(st.rtf_achieved, 2.0, 1e-9);

  init_fake(&p, &c, 0.002, 0.5);
  for (int i = 0; i < 100; i++) assert_int_equal(step(&p, &c, 1 * MS), 3 * MS);
  dtw_pacer_stats(&p, &st);
  assert_float_equal(st.rtf_achieved, 0.5, 1e-9);
}

/* Steps whose physics failed (and restarted) keep the schedule but advance no
 * simulated time: a twin failing every step reports a real-time factor of 0. */
static void test_stalled_steps_are_not_simulated_time(void **state) {
  (void)state;
  dtw_pacer_t p;
  fake_clock_t c;
  init_fake(&p, &c, 0.001, 1.0);
  for (int i = 0; i < 100; i++) {
    step(&p, &c, 100 * US);
    if (i % 4 == 0) dtw_pacer_step_stalled(&p);
  }
  dtw_pacer_stats_t st;
  dtw_pacer_stats(&p, &st);
  assert_int_equal(st.steps, 100);
  assert_float_equal(st.rtf_achieved, 0.75, 1e-9);
  init_fake(&p, &c, 0.001, 1.0);
  dtw_pacer_step_stalled(&p); /* before any step: nothing to mark */
  for (int i = 0; i < 100; i++) {
    step(&p, &c, 100 * US);
    dtw_pacer_step_stalled(&p);
  }
  dtw_pacer_stats(&p, &st);
  assert_float_equal(st.rtf_achieved, 0.0, 0);
}

static void test_rtf0_never_sleeps(void **state) {
  (void)state;
  dtw_pacer_t p;
  fake_clock_t c;
  init_fake(&p, &c, 0.001, 0.0);
  for (int i = 0; i < 1000; i++) assert_int_equal(step(&p, &c, 100 * US), 0);
  assert_int_equal(c.sleeps, 0);
  dtw_pacer_stats_t st;
  dtw_pacer_stats(&p, &st);
  assert_float_equal(st.rtf_achieved, 10.0, 1e-9); /* 1 ms simulated per 0.1 ms */
  assert_int_equal(st.overruns, 0);
}

static void test_falling_behind_resyncs(void **state) {
  (void)state;
  dtw_pacer_t p;
  fake_clock_t c;
  init_fake(&p, &c, 0.001, 1.0);
  for (int i = 0; i < 5; i++) step(&p, &c, 200 * US);
  /* a 150 ms hiccup: an overrun (beyond 100 ms), caught up by running back to back:
   * ~188 steps of 0.8 ms slack repay it, the overrun counted once */
  assert_int_equal(step(&p, &c, 150 * MS), 0);
  dtw_pacer_stats_t st;
  dtw_pacer_stats(&p, &st);
  assert_int_equal(st.overruns, 1);
  int sleeps = c.sleeps;
  for (int i = 0; i < 180; i++) assert_int_equal(step(&p, &c, 200 * US), 0);
  assert_int_equal(c.sleeps, sleeps);
  int64_t slept0 = 0;
  for (int i = 0; i < 20; i++) slept0 = step(&p, &c, 200 * US);
  assert_int_equal(slept0, 800 * US);
  dtw_pacer_stats(&p, &st);
  assert_int_equal(st.overruns, 1);
  assert_int_equal(st.schedule_restarts, 0);
  /* a 3 s stall is beyond the catch-up bound: the schedule restarts, no burst */
  assert_int_equal(step(&p, &c, 3000 * MS), 0);
  assert_int_equal(step(&p, &c, 200 * US), 800 * US);
  dtw_pacer_stats(&p, &st);
  assert_int_equal(st.overruns, 2);
  assert_int_equal(st.schedule_restarts, 1);

  /* a 50 ms hiccup is within the bound: the next steps catch up without sleeping */
  assert_int_equal(step(&p, &c, 50 * MS), 0);
  sleeps = c.sleeps;
  for (int i = 0; i < 50; i++) assert_int_equal(step(&p, &c, 200 * US), 0);
  assert_int_equal(c.sleeps, sleeps);
  dtw_pacer_stats(&p, &st);
  assert_int_equal(st.overruns, 2); /* the two above; 50 ms is no overrun */
  /* ~62 steps of 0.8 ms slack repay 49 ms: on schedule again, sleeping */
  int64_t slept = 0;
  for (int i = 0; i < 20; i++) slept = step(&p, &c, 200 * US);
  assert_int_equal(slept, 800 * US);

  /* set_rtf restarts the schedule too */
  assert_int_equal(dtw_pacer_set_rtf(&p, 4.0), 0);
  assert_int_equal(step(&p, &c, 50 * US), 200 * US);
}

/* How far behind its schedule the step now running is, in simulated seconds:
 * what it has to catch up (and 0 on time, unpaced, or caught up). */
static void test_behind_in_simulated_time(void **state) {
  (void)state;
  dtw_pacer_t p;
  fake_clock_t c;
  init_fake(&p, &c, 0.001, 0.5); /* half real time: 1 ms simulated every 2 ms */
  for (int i = 0; i < 5; i++) step(&p, &c, 200 * US);
  dtw_pacer_begin_step(&p);
  assert_true(dtw_pacer_behind_s(&p) == 0);
  c.t += 100 * MS; /* this step stalls 100 ms of wall time: 50 ms simulated */
  dtw_pacer_end_step(&p);
  dtw_pacer_wait(&p);
  dtw_pacer_begin_step(&p);
  assert_true(fabs(dtw_pacer_behind_s(&p) - 0.049) < 1e-9);
  c.t += 200 * US;
  dtw_pacer_end_step(&p);
  dtw_pacer_wait(&p);
  /* back to back until caught up (1.8 ms of slack per step), then 0 again */
  for (int i = 0; i < 60; i++) step(&p, &c, 200 * US);
  dtw_pacer_begin_step(&p);
  assert_true(dtw_pacer_behind_s(&p) == 0);
  dtw_pacer_t u;
  assert_int_equal(dtw_pacer_init(&u, 0.001, 0), 0);
  dtw_pacer_begin_step(&u);
  assert_true(dtw_pacer_behind_s(&u) == 0);
}

static void test_window_forgets_old_steps(void **state) {
  (void)state;
  dtw_pacer_t p;
  fake_clock_t c;
  init_fake(&p, &c, 0.001, 0.0);
  for (int i = 0; i < 750; i++) step(&p, &c, 2 * MS); /* 1.5 s at rtf 0.5 */
  dtw_pacer_stats_t st;
  dtw_pacer_stats(&p, &st);
  assert_float_equal(st.rtf_achieved, 0.5, 0.01); /* a step ending on a slot edge */
  assert_int_equal(st.step_max_ns, 2 * MS);
  for (int i = 0; i < 3000; i++) step(&p, &c, 500 * US); /* 1.5 s at rtf 2 */
  dtw_pacer_stats(&p, &st);
  assert_float_equal(st.rtf_achieved, 2.0, 0.01);
  assert_int_equal(st.step_max_ns, 500 * US);
  assert_int_equal(st.step_mean_ns, 500 * US);
  assert_int_equal(st.steps, 3750);
  /* the histogram is cumulative since start */
  assert_int_equal(st.hist_count, 3750);

  /* an idle loop: after a window of nothing the achieved rate is 0 */
  c.t += 2 * DTW_NS_PER_S;
  dtw_pacer_stats(&p, &st);
  assert_float_equal(st.rtf_achieved, 0, 0);
  assert_int_equal(st.step_max_ns, 0);
}

static void test_histogram_buckets(void **state) {
  (void)state;
  dtw_pacer_t p;
  fake_clock_t c;
  init_fake(&p, &c, 0.001, 0.0);
  const int64_t durations[] = {0, 10 * US, 10 * US + 1, 150 * US, 1 * MS, 7 * MS, 20 * MS};
  int64_t sum = 0;
  for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
    step(&p, &c, durations[i]);
    sum += durations[i];
  }
  dtw_pacer_stats_t st;
  dtw_pacer_stats(&p, &st);
  assert_int_equal(dtw_pacer_bucket_le_ns[0], 10 * US);
  assert_int_equal(dtw_pacer_bucket_le_ns[9], 10 * MS);
  assert_true(dtw_pacer_bucket_le_ns[DTW_PACER_NBUCKETS - 1] == INT64_MAX);
  /* le: 10us 20 50 100 200 500 1ms 2 5 10 +Inf */
  const uint64_t want[DTW_PACER_NBUCKETS] = {2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 7};
  for (int b = 0; b < DTW_PACER_NBUCKETS; b++) assert_int_equal(st.hist_le[b], want[b]);
  assert_int_equal(st.hist_count, 7);
  assert_int_equal(st.hist_sum_ns, sum);
  assert_int_equal(st.step_last_ns, 20 * MS);
}

static void test_real_clock_smoke(void **state) {
  (void)state;
  /* the default clock: 20 steps of 1 ms at rtf 1 take about 20 ms */
  dtw_pacer_t p;
  assert_int_equal(dtw_pacer_init(&p, 0.001, 1.0), 0);
  for (int i = 0; i < 20; i++) {
    dtw_pacer_begin_step(&p);
    dtw_pacer_end_step(&p);
    dtw_pacer_wait(&p);
  }
  dtw_pacer_stats_t st;
  dtw_pacer_stats(&p, &st);
  assert_int_equal(st.steps, 20);
  assert_true(st.rtf_achieved > 0.5 && st.rtf_achieved <= 1.05);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_init_rejects_bad_values),
      cmocka_unit_test(test_rtf1_sleeps_the_rest_of_the_period),
      cmocka_unit_test(test_rtf2_and_half),
      cmocka_unit_test(test_stalled_steps_are_not_simulated_time),
      cmocka_unit_test(test_rtf0_never_sleeps),
      cmocka_unit_test(test_falling_behind_resyncs),
      cmocka_unit_test(test_behind_in_simulated_time),
      cmocka_unit_test(test_window_forgets_old_steps),
      cmocka_unit_test(test_histogram_buckets),
      cmocka_unit_test(test_real_clock_smoke),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
