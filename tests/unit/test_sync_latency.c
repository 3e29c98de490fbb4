/* Latency quantiles, clock offset, jitter, rate and gap detection from
 * synthetic arrivals with a known clock offset and jitter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "test_sync_util.h"

#define CLOCK_AHEAD 5.0  /* our clock minus the robot's */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* transport latency of sample k: 2 ms + a deterministic 0..19 ms jitter,
 * with a 40 ms spike every 50th sample */
static double latency(int k) {
  double l = 0.002 + 0.001 * ((k * 7) % 20);
  return k % 50 == 49 ? l + 0.040 : l;
}

static void test_latency_offset_jitter(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  // 300 samples at 100 Hz received on our grid; the window holds the last 100
  double raw[100];
  for (int k = 0; k < 300; k++) {
    double recv = 10.0 + 0.01 * k;
    robot_uniform(s, recv - CLOCK_AHEAD - latency(k), recv, 0, 0);
    if (k >= 200) raw[k - 200] = CLOCK_AHEAD + latency(k);
  }
  double now = 10.0 + 0.01 * 299 + 0.005;
  sync_report_at(s, now, r);
  qsort(raw, 100, sizeof *raw, cmp_double);
  assert_int_equal(r->n_latency, 100);
  assert_near(r->latency_last_s, CLOCK_AHEAD + latency(299), 1e-6);
  assert_near(r->latency_median_s, raw[49], 1e-6);  // lower median
  assert_near(r->latency_p99_s, raw[98], 1e-6);
  // min raw latency = clock offset + min transport latency (2 ms)
  assert_near(r->clock_offset_s, CLOCK_AHEAD + 0.002, 1e-6);
  assert_near(r->jitter_median_s, raw[49] - raw[0], 1e-6);
  assert_near(r->jitter_p99_s, raw[98] - raw[0], 1e-6);
  assert_true(r->jitter_p99_s > 0.040);  // the spikes
  assert_false(r->latency_alarm);        // 43 ms < latency_alarm_s 50 ms
  dtw_sync_destroy(s);
  st.latency_alarm_s = 0.03;
  s = sync_new(&st);
  for (int k = 0; k < 300; k++) {
    double recv = 10.0 + 0.01 * k;
    robot_uniform(s, recv - CLOCK_AHEAD - latency(k), recv, 0, 0);
  }
  sync_report_at(s, now, r);
  assert_true(r->latency_alarm);
  free(r);
  dtw_sync_destroy(s);
}

static void test_rate_and_gaps(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  st.latency_alarm_s = 0;  // unchecked
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  // 100 Hz for 2 s, with 5 samples lost (a 60 ms gap) and 1 lost (20 ms: no gap)
  for (int k = 0; k < 200; k++) {
    if ((k >= 150 && k < 155) || k == 180) continue;
    double recv = 0.01 * k;
    robot_uniform(s, recv - 0.001, recv, 0, 0);
  }
  double now = 0.01 * 199 + 0.005;
  sync_report_at(s, now, r);
  assert_int_equal(r->n_latency, 100 - 6);
  assert_near(r->rate_hz, 94.0, 1e-9);
  assert_near(r->max_gap_s, 0.06, 1e-9);
  assert_int_equal(r->gap_count, 1);
  assert_false(r->latency_alarm);
  assert_near(r->since_robot_s, 0.005, 1e-9);

  // before a full window has passed the rate is over the time since the first sample
  dtw_sync_t *s2 = sync_new(&st);
  for (int k = 0; k < 50; k++) robot_uniform(s2, 0.01 * k, 0.01 * k, 0, 0);
  sync_report_at(s2, 0.5, r);
  assert_near(r->rate_hz, 100.0, 1e-9);
  assert_int_equal(r->gap_count, 0);
  // silence: no samples in the window, time since the last grows
  sync_report_at(s2, 3.0, r);
  assert_int_equal(r->n_latency, 0);
  assert_near(r->rate_hz, 0.0, 0);
  assert_true(isnan(r->latency_median_s));
  assert_near(r->latency_last_s, 0.0, 1e-12);
  assert_near(r->since_robot_s, 2.51, 1e-9);
  dtw_sync_destroy(s2);
  free(r);
  dtw_sync_destroy(s);
}

static void test_ring_bounded_by_max_rate(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  st.max_rate_hz = 50;  // 51 arrivals kept for a 1 s window
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  for (int k = 0; k < 300; k++) robot_uniform(s, 0.01 * k, 0.01 * k + 0.003, 0, 0);
  sync_report_at(s, 3.0, r);
  assert_int_equal(r->n_latency, 51);
  assert_near(r->latency_median_s, 0.003, 1e-9);
  free(r);
  dtw_sync_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_latency_offset_jitter),
      cmocka_unit_test(test_rate_and_gaps),
      cmocka_unit_test(test_ring_bounded_by_max_rate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
