/* Windowed error statistics (RMS/max per joint, group, overall) and the
 * quantile selection they use. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "sync/sync__internal.h"
#include "test_sync_util.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_select_matches_sort(void **state) {
  (void)state;
  enum { N = 257 };
  double v[N], sorted[N], work[N];
  uint32_t x = 12345;
  for (int n = 1; n <= N; n += 17) {
    for (int i = 0; i < n; i++) {
      x = x * 1103515245u + 12345u;
      v[i] = (double)((x >> 16) % 50);  // many duplicates
    }
    memcpy(sorted, v, sizeof v);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    for (int k = 0; k < n; k++) {
      memcpy(work, v, sizeof v);
      assert_true(dtw__sync_select(work, (size_t)n, (size_t)k) == sorted[k]);
    }
  }
}

/* 100 Hz: twin at 0, robot's left_knee error e(t); other joints exact. */
static void run(dtw_sync_t *s, double t0, double t1, double (*e)(int k)) {
  int k0 = (int)lround(t0 * 100), k1 = (int)lround(t1 * 100);
  for (int k = k0; k < k1; k++) {
    double t = k * 0.01;
    twin_uniform(s, t, t, 0.0, 0.0);
    double pos[NJ] = {0}, vel[NJ] = {0};
    pos[J_LEFT_KNEE] = e(k);
    vel[J_LEFT_KNEE] = -2 * e(k);
    dtw_joint_state_msg_t m;
    sync_msg_all(&m, t, pos, vel);
    dtw_sync_outcome_t o;
    assert_int_equal(dtw_sync_on_robot_sample(s, &m, t + 0.001, &o), 0);
    assert_int_equal(o, DTW_SYNC_MATCHED);
  }
}

static double err_first(int k) { (void)k; return 0.3; }
static double err_then(int k) { return k % 2 ? 0.1 : 0.2; }

static void test_window_rms_max(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();  // window 1 s, 20 buckets of 50 ms
  st.alarm_position_error_rad = 1.0;
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  run(s, 0.0, 0.5, err_first);
  run(s, 0.5, 0.92, err_then);

  // at 0.92 everything since t=0 is inside the window
  sync_report_at(s, 0.92, r);
  assert_near(r->joints[J_LEFT_KNEE].err.pos_max_rad, 0.3, 1e-12);
  assert_int_equal(r->joints[J_LEFT_KNEE].err.n_pos, 92);
  run(s, 0.92, 1.6, err_then);

  // at 1.62 the window starts at bucket [0.65, 0.70): only alternating 0.1/0.2 left
  sync_report_at(s, 1.62, r);
  const dtw_sync_err_stats_t *k = &r->joints[J_LEFT_KNEE].err;
  assert_near(k->pos_max_rad, 0.2, 1e-12);
  assert_near(k->pos_rms_rad, sqrt((0.01 + 0.04) / 2), 1e-3);
  assert_near(k->vel_max_rad_s, 0.4, 1e-12);
  assert_near(k->vel_rms_rad_s, 2 * sqrt((0.01 + 0.04) / 2), 2e-3);
  assert_near(k->pos_last_rad, 0.1, 1e-12);  // k=159 is odd
  assert_int_equal(k->n_pos, 95);            // 0.65 .. 1.59
  assert_int_equal(k->n_vel, 95);
  // the window does not depend on when samples stopped: nothing new, same view
  assert_int_equal(r->joints[0].err.n_pos, 95);
  assert_near(r->joints[0].err.pos_max_rad, 0.0, 0);

  // the group holds the knee's max; its RMS spreads over its 6 joints
  const dtw_sync_group_report_t *g = &r->groups[0];
  assert_string_equal(g->name, "left_leg");
  assert_near(g->err.pos_max_rad, 0.2, 1e-12);
  assert_int_equal(g->err.n_pos, 6 * 95);
  assert_near(g->err.pos_rms_rad, sqrt((0.01 + 0.04) / 2 / 6), 1e-3);
  assert_int_equal(g->worst_joint, J_LEFT_KNEE);
  assert_near(r->groups[1].err.pos_max_rad, 0.0, 0);
  assert_int_equal(r->overall.n_pos, NJ * 95);
  assert_near(r->overall.pos_max_rad, 0.2, 1e-12);
  assert_near(r->overall.pos_rms_rad, sqrt((0.01 + 0.04) / 2 / NJ), 1e-3);
  assert_int_equal(r->worst_joint, J_LEFT_KNEE);
  assert_near(r->overall.pos_last_rad, 0.1, 1e-12);

  // long after: the window is empty, the last errors remain
  sync_report_at(s, 5.0, r);
  assert_int_equal(r->overall.n_pos, 0);
  assert_near(r->overall.pos_rms_rad, 0.0, 0);
  assert_near(r->overall.pos_max_rad, 0.0, 0);
  assert_int_equal(r->worst_joint, -1);
  assert_near(r->joints[J_LEFT_KNEE].err.pos_last_rad, 0.1, 1e-12);
  free(r);
  dtw_sync_destroy(s);
}

static void test_bucket_reuse_after_gap(void **state) {
  (void)state;
  dtw_sync_settings_t st = sync_settings();
  st.alarm_position_error_rad = 1.0;
  dtw_sync_t *s = sync_new(&st);
  dtw_sync_report_t *r = malloc(sizeof *r);
  run(s, 0.0, 0.2, err_first);
  // exactly one window (20 buckets) later the same ring slots are reused
  run(s, 1.0, 1.2, err_then);
  sync_report_at(s, 1.21, r);
  assert_near(r->joints[J_LEFT_KNEE].err.pos_max_rad, 0.2, 1e-12);
  assert_int_equal(r->joints[J_LEFT_KNEE].err.n_pos, 20);
  free(r);
  dtw_sync_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_select_matches_sort),
      cmocka_unit_test(test_window_rms_max),
      cmocka_unit_test(test_bucket_reuse_after_gap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
