/* Robot emulator, the link (src/robot/robot_link.c): PRNG and noise
 * statistics, loss rate, the delay queue's ordering and release. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "robot/robot__emu.h"

#define N_DRAWS 100000

static void test_rng_is_deterministic_per_seed(void **state) {
  (void)state;
  dtw__rng_t a, b, c;
  dtw__rng_seed(&a, 42);
  dtw__rng_seed(&b, 42);
  dtw__rng_seed(&c, 43);
  int same_c = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = dtw__rng_next(&a), y = dtw__rng_next(&b), z = dtw__rng_next(&c);
    assert_true(x == y);
    same_c += x == z;
  }
  assert_true(same_c < 2);
  /* seed 0 is a valid seed, not a stuck generator */
  dtw__rng_seed(&a, 0);
  uint64_t first = dtw__rng_next(&a);
  assert_true(first != 0 || dtw__rng_next(&a) != 0);
  assert_true(dtw__rng_next(&a) != first);
}

static void test_uniform_range_and_mean(void **state) {
  (void)state;
  dtw__rng_t r;
  dtw__rng_seed(&r, 7);
  double sum = 0, lo = 1, hi = 0;
  int bins[10] = {0};
  for (int i = 0; i < N_DRAWS; i++) {
    double u = dtw__rng_uniform(&r);
    assert_true(u >= 0 && u < 1);
    sum += u;
    lo = fmin(lo, u);
    hi = fmax(hi, u);
    bins[(int)(u * 10)]++;
  }
  double mean = sum / N_DRAWS;
  print_message("uniform: mean %.5f, min %.6f, max %.6f\n", mean, lo, hi);
  assert_true(fabs(mean - 0.5) < 0.005);
  /* each tenth gets its share within 5% */
  for (int b = 0; b < 10; b++) assert_true(abs(bins[b] - N_DRAWS / 10) < N_DRAWS / 200);
}

static void test_normal_mean_and_std(void **state) {
  (void)state;
  const double std = 0.0005; /* the default encoder noise */
  for (uint64_t seed = 1; seed <= 3; seed++) {
    dtw__rng_t r;
    dtw__rng_seed(&r, seed);
    double sum = 0, sum2 = 0;
    int beyond_3sigma = 0;
    for (int i = 0; i < N_DRAWS; i++) {
      double x = std * dtw__rng_normal(&r);
      assert_true(isfinite(x));
      sum += x;
      sum2 += x * x;
      beyond_3sigma += fabs(x) > 3 * std;
    }
    double mean = sum / N_DRAWS;
    double sd = sqrt(sum2 / N_DRAWS - mean * mean);
    print_message("normal seed %d: mean %.3g (%.4f std), std %.6g (%.2f%% off), >3sigma %.3f%%\n",
                  (int)seed, mean, mean / std, sd, 100 * (sd / std - 1),
                  100.0 * beyond_3sigma / N_DRAWS);
    /* the mean of 100k draws has a standard error of std/316: 5 of them is 0.016 std */
    assert_true(fabs(mean) < 0.016 * std);
    assert_true(fabs(sd / std - 1) < 0.05);
    /* a Gaussian tail, not a uniform one (0.27% beyond 3 sigma) */
    assert_true(beyond_3sigma > N_DRAWS / 1000 && beyond_3sigma < N_DRAWS / 200);
  }
}

static void test_bernoulli_loss_rate(void **state) {
  (void)state;
  dtw__rng_t r;
  dtw__rng_seed(&r, 11);
  const double rates[] = {0.0, 0.01, 0.1, 0.5, 1.0};
  for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
    int lost = 0;
    for (int i = 0; i < N_DRAWS; i++) lost += dtw__rng_bernoulli(&r, rates[k]);
    double got = (double)lost / N_DRAWS;
    double sigma = sqrt(rates[k] * (1 - rates[k]) / N_DRAWS);
    print_message("loss %.2f: measured %.4f\n", rates[k], got);
    assert_true(fabs(got - rates[k]) <= 5 * sigma + 1e-12);
  }
}

static void test_delay_queue_releases_when_due_in_order(void **state) {
  (void)state;
  dtw__delay_queue_t q;
  assert_int_equal(dtw__delay_queue_init(&q, 4, 2), 0);
  double stamp;
  assert_null(dtw__delay_queue_pop_due(&q, 100, &stamp));
  /* measured at 0, 1, 2 with latencies 5, 2 (would overtake), 1 */
  double *v = dtw__delay_queue_push(&q, 0, 5);
  v[0] = 10, v[1] = 11;
  v = dtw__delay_queue_push(&q, 1, 3);
  v[0] = 20, v[1] = 21;
  v = dtw__delay_queue_push(&q, 2, 3);
  v[0] = 30, v[1] = 31;
  assert_null(dtw__delay_queue_pop_due(&q, 4.999, &stamp));
  /* at 5 all three are due, released in measurement order */
  const double *o = dtw__delay_queue_pop_due(&q, 5, &stamp);
  assert_non_null(o);
  assert_true(stamp == 0 && o[0] == 10 && o[1] == 11);
  o = dtw__delay_queue_pop_due(&q, 5, &stamp);
  assert_true(o != NULL && stamp == 1 && o[0] == 20);
  o = dtw__delay_queue_pop_due(&q, 5, &stamp);
  assert_true(o != NULL && stamp == 2 && o[1] == 31);
  assert_null(dtw__delay_queue_pop_due(&q, 5, &stamp));
  dtw__delay_queue_fini(&q);
}

static void test_delay_queue_full_and_wrap(void **state) {
  (void)state;
  dtw__delay_queue_t q;
  assert_int_equal(dtw__delay_queue_init(&q, 4, 1), 0);
  /* a stream of samples 1 ms apart with 2.5 ms latency through a 4-slot ring */
  double t_next_release = 0;
  int released = 0;
  for (int i = 0; i < 1000; i++) {
    double t = i * 1e-3;
    double *v = dtw__delay_queue_push(&q, t, t + 2.5e-3);
    assert_non_null(v);
    v[0] = i;
    double stamp;
    const double *o;
    while ((o = dtw__delay_queue_pop_due(&q, t, &stamp)) != NULL) {
      assert_true(o[0] == released);
      assert_true(stamp <= t - 2.5e-3 + 1e-12);
      assert_true(stamp >= t_next_release - 1e-12);
      t_next_release = stamp;
      released++;
    }
  }
  assert_int_equal(released, 1000 - 3);
  /* 3 in flight + 1 fills it; the next push is refused */
  assert_non_null(dtw__delay_queue_push(&q, 2, 3));
  assert_null(dtw__delay_queue_push(&q, 2, 3));
  dtw__delay_queue_clear(&q);
  assert_null(dtw__delay_queue_pop_due(&q, 1e9, NULL));
  assert_non_null(dtw__delay_queue_push(&q, 0, 0));
  dtw__delay_queue_fini(&q);
  dtw__delay_queue_fini(&q); /* fini twice is safe */
  assert_int_equal(dtw__delay_queue_init(&q, 0, 1), DTW_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rng_is_deterministic_per_seed),
      cmocka_unit_test(test_uniform_range_and_mean),
      cmocka_unit_test(test_normal_mean_and_std),
      cmocka_unit_test(test_bernoulli_loss_rate),
      cmocka_unit_test(test_delay_queue_releases_when_due_in_order),
      cmocka_unit_test(test_delay_queue_full_and_wrap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
