/* bench_metrics: cost of hot-path metric updates against a plain (non-atomic) increment.
 * Single thread, uncontended; prints ns per update and the ratio to the baseline. */
#include <stdio.h>
#include <stdlib.h>

#include "dtw/clock.h"
#include "dtw/metrics.h"

#define N 20000000L

/* the baseline: a plain increment the compiler may not drop or fold */
static unsigned long long plain;

static double per_op_ns(int64_t t0) { return (double)(dtw_clock_mono_ns() - t0) / (double)N; }

int main(void) {
  dtw_metrics_t *reg = NULL;
  if (dtw_metrics_create(&reg) != 0) return 1;
  static const double bounds[] = {1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2};
  dtw_counter_t *c = dtw_metrics_counter(reg, "bench_ops_total", "Ops.");
  dtw_gauge_t *g = dtw_metrics_gauge(reg, "bench_level", "Level.");
  dtw_histogram_t *h = dtw_metrics_histogram(reg, "bench_step_seconds", "Steps.", bounds, 10);
  if (c == NULL || g == NULL || h == NULL) return 1;

  int64_t t0 = dtw_clock_mono_ns();
  for (long i = 0; i < N; i++) {
    plain++;
    __asm__ __volatile__("" ::: "memory"); /* keep one load/store per iteration */
  }
  double base = per_op_ns(t0);

  t0 = dtw_clock_mono_ns();
  for (long i = 0; i < N; i++) dtw_counter_add(c, 1);
  double counter = per_op_ns(t0);

  t0 = dtw_clock_mono_ns();
  for (long i = 0; i < N; i++) dtw_gauge_set(g, (double)i);
  double gauge_set = per_op_ns(t0);

  t0 = dtw_clock_mono_ns();
  for (long i = 0; i < N; i++) dtw_gauge_add(g, 1.0);
  double gauge_add = per_op_ns(t0);

  t0 = dtw_clock_mono_ns();
  for (long i = 0; i < N; i++) dtw_histogram_observe(h, (double)(i & 1023) * 1e-5);
  double hist = per_op_ns(t0);

  printf("%-26s %8s %8s\n", "update", "ns/op", "x plain");
  printf("%-26s %8.2f %8.1f\n", "plain increment", base, 1.0);
  printf("%-26s %8.2f %8.1f\n", "dtw_counter_add", counter, counter / base);
  printf("%-26s %8.2f %8.1f\n", "dtw_gauge_set", gauge_set, gauge_set / base);
  printf("%-26s %8.2f %8.1f\n", "dtw_gauge_add", gauge_add, gauge_add / base);
  printf("%-26s %8.2f %8.1f\n", "dtw_histogram_observe", hist, hist / base);
  if (dtw_counter_value(c) != (double)N || plain != (unsigned long long)N) return 1;
  dtw_metrics_destroy(reg);
  return 0;
}
