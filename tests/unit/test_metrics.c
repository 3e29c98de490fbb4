/* Tests for the metrics registry (dtw/metrics.h): registration rules, handles, lock-free
 * updates from several threads, histograms, collectors and the process metrics. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtw/err.h"
#include "dtw/log.h"
#include "dtw/metrics.h"

static int setup(void **state) {
  dtw_metrics_t *reg = NULL;
  assert_int_equal(dtw_metrics_create(&reg), 0);
  *state = reg;
  /* registration errors are expected in these tests: keep the output readable */
  dtw_log_set_level(DTW_LOG_OFF);
  return 0;
}

static int teardown(void **state) {
  dtw_metrics_destroy(*state);
  dtw_log_set_level(DTW_LOG_INFO);
  return 0;
}

static int add_counter(dtw_metrics_t *reg, const char *name, const char *const *labels,
                       char *err, size_t errlen) {
  dtw_counter_t *c = NULL;
  return dtw_metrics_add_counter(reg, name, "help", labels, &c, err, errlen);
}

static void test_names(void **state) {
  (void)state;
  assert_true(dtw_metrics_valid_name("dtwin_x_total"));
  assert_true(dtw_metrics_valid_name("a:b_c9"));
  assert_true(dtw_metrics_valid_name(":x"));
  assert_true(dtw_metrics_valid_name("_x"));
  assert_false(dtw_metrics_valid_name(""));
  assert_false(dtw_metrics_valid_name(NULL));
  assert_false(dtw_metrics_valid_name("9x"));
  assert_false(dtw_metrics_valid_name("a-b"));
  assert_false(dtw_metrics_valid_name("a b"));
  assert_false(dtw_metrics_valid_name("a.b"));
  assert_false(dtw_metrics_valid_name("caf\xc3\xa9"));
  assert_true(dtw_metrics_valid_label_name("topic"));
  assert_true(dtw_metrics_valid_label_name("_x1"));
  assert_false(dtw_metrics_valid_label_name("__name__"));
  assert_false(dtw_metrics_valid_label_name("a:b"));
  assert_false(dtw_metrics_valid_label_name("1a"));
  assert_false(dtw_metrics_valid_label_name(""));
  char longname[DTW_METRICS_MAX_NAME + 1];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  assert_false(dtw_metrics_valid_name(longname));
}

static void test_registration_rules(void **state) {
  dtw_metrics_t *reg = *state;
  char err[256];
  dtw_gauge_t *g = NULL;
  dtw_histogram_t *h = NULL;

  assert_int_equal(add_counter(reg, "bad-name_total", NULL, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "bad-name_total"));
  assert_int_equal(add_counter(reg, "dtwin_messages", NULL, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "_total"));
  assert_int_equal(dtw_metrics_add_gauge(reg, "g", "", NULL, &g, err, sizeof err), DTW_EINVAL);
  assert_int_equal(dtw_metrics_add_gauge(reg, "g", NULL, NULL, &g, err, sizeof err), DTW_EINVAL);

  const char *bad_label[] = {"__reserved", "x", NULL};
  assert_int_equal(add_counter(reg, "a_total", bad_label, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "__reserved"));
  const char *bad_label2[] = {"a-b", "x", NULL};
  assert_int_equal(add_counter(reg, "a_total", bad_label2, err, sizeof err), DTW_EINVAL);
  const char *no_value[] = {"topic", NULL};
  assert_int_equal(add_counter(reg, "a_total", no_value, err, sizeof err), DTW_EINVAL);
  assert_non_null(strstr(err, "no value"));
  const char *twice[] = {"a", "1", "a", "2", NULL};
  assert_int_equal(add_counter(reg, "a_total", twice, err, sizeof err), DTW_EINVAL);
  const char *bad_utf8[] = {"a", "\xff\xfe", NULL};
  assert_int_equal(add_counter(reg, "a_total", bad_utf8, err, sizeof err), DTW_EINVAL);
  const char *overlong[] = {"a", "\xc0\xaf", NULL};
  assert_int_equal(add_counter(reg, "a_total", overlong, err, sizeof err), DTW_EINVAL);
  const char *utf8[] = {"joint", "\xc3\xa9paule", NULL}; /* "épaule" */
  assert_int_equal(add_counter(reg, "a_total", utf8, err, sizeof err), 0);
  const char *too_many[2 * DTW_METRICS_MAX_LABELS + 3];
  static const char *const lnames[] = {"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8"};
  for (int i = 0; i <= DTW_METRICS_MAX_LABELS; i++) {
    too_many[2 * i] = lnames[i];
    too_many[2 * i + 1] = "v";
  }
  too_many[2 * DTW_METRICS_MAX_LABELS + 2] = NULL;
  assert_int_equal(add_counter(reg, "b_total", too_many, err, sizeof err), DTW_EINVAL);

  /* histograms: le reserved, bounds increasing and finite */
  static const double ok_bounds[] = {0.1, 1};
  const char *le[] = {"le", "1", NULL};
  assert_int_equal(
      dtw_metrics_add_histogram(reg, "h_seconds", "h", ok_bounds, 2, le, &h, err, sizeof err),
      DTW_EINVAL);
  assert_non_null(strstr(err, "le"));
  /* le is fine outside histograms */
  assert_int_equal(add_counter(reg, "c_total", le, err, sizeof err), 0);
  static const double unsorted[] = {1, 0.5};
  assert_int_equal(dtw_metrics_add_histogram(reg, "h_seconds", "h", unsorted, 2, NULL, &h, err,
                                             sizeof err),
                   DTW_EINVAL);
  static const double dup[] = {1, 1};
  assert_int_equal(
      dtw_metrics_add_histogram(reg, "h_seconds", "h", dup, 2, NULL, &h, err, sizeof err),
      DTW_EINVAL);
  const double nan_bound[] = {NAN};
  assert_int_equal(
      dtw_metrics_add_histogram(reg, "h_seconds", "h", nan_bound, 1, NULL, &h, err, sizeof err),
      DTW_EINVAL);
  double many[DTW_METRICS_MAX_BUCKETS + 1];
  for (int i = 0; i <= DTW_METRICS_MAX_BUCKETS; i++) many[i] = i;
  assert_int_equal(dtw_metrics_add_histogram(reg, "h_seconds", "h", many,
                                             DTW_METRICS_MAX_BUCKETS + 1, NULL, &h, err,
                                             sizeof err),
                   DTW_EINVAL);
  assert_int_equal(dtw_metrics_add_histogram(reg, "h_seconds", "h", many,
                                             DTW_METRICS_MAX_BUCKETS, NULL, &h, err, sizeof err),
                   0);
  /* only valid registrations made families: a_total, c_total, h_seconds */
  assert_int_equal(dtw_metrics_family_count(reg), 3);
  /* err may be NULL */
  assert_int_equal(add_counter(reg, "nope", NULL, NULL, 0), DTW_EINVAL);
}

static void test_same_handle_and_conflicts(void **state) {
  dtw_metrics_t *reg = *state;
  char err[256];
  dtw_counter_t *a = dtw_metrics_counter(reg, "rx_total", "Received.", "topic", "/a");
  dtw_counter_t *a2 = dtw_metrics_counter(reg, "rx_total", "Received.", "topic", "/a");
  dtw_counter_t *b = dtw_metrics_counter(reg, "rx_total", "Received.", "topic", "/b");
  assert_non_null(a);
  assert_ptr_equal(a, a2);
  assert_ptr_not_equal(a, b);
  const char *labels[] = {"topic", "/a", NULL};
  dtw_counter_t *a3 = NULL;
  assert_int_equal(dtw_metrics_add_counter(reg, "rx_total", "Received.", labels, &a3, err,
                                           sizeof err),
                   0);
  assert_ptr_equal(a, a3);

  /* same name, other help: the same family (components share families) */
  assert_ptr_equal(a, dtw_metrics_counter(reg, "rx_total", "Other help.", "topic", "/a"));
  /* same name, other type / label names: errors, handle NULL, message kept */
  assert_null(dtw_metrics_gauge(reg, "rx_total", "Received.", "topic", "/a"));
  assert_non_null(strstr(dtw_metrics_last_error(reg), "counter"));
  assert_null(dtw_metrics_counter(reg, "rx_total", "Received.", "path", "/a"));
  assert_non_null(strstr(dtw_metrics_last_error(reg), "label"));
  assert_null(dtw_metrics_counter(reg, "rx_total", "Received."));
  assert_null(dtw_metrics_counter(reg, "rx_total", "Received.", "topic", "/a", "node", "n"));

  static const double b1[] = {1, 2}, b2[] = {1, 3};
  dtw_histogram_t *h = dtw_metrics_histogram(reg, "lat_seconds", "Latency.", b1, 2);
  assert_non_null(h);
  assert_ptr_equal(h, dtw_metrics_histogram(reg, "lat_seconds", "Latency.", b1, 2));
  assert_null(dtw_metrics_histogram(reg, "lat_seconds", "Latency.", b2, 2));
  assert_non_null(strstr(dtw_metrics_last_error(reg), "bounds"));

  /* names a histogram's series would shadow, either way round */
  assert_null(dtw_metrics_gauge(reg, "lat_seconds_count", "x."));
  assert_null(dtw_metrics_gauge(reg, "lat_seconds_bucket", "x."));
  assert_null(dtw_metrics_gauge(reg, "lat_seconds_sum", "x."));
  assert_non_null(dtw_metrics_gauge(reg, "q_count", "x."));
  assert_null(dtw_metrics_histogram(reg, "q", "x.", b1, 2));
  assert_non_null(strstr(dtw_metrics_last_error(reg), "clashes"));

  /* updates through a NULL handle (failed registration) are ignored */
  dtw_counter_add(NULL, 1);
  dtw_gauge_set(NULL, 1);
  dtw_gauge_add(NULL, 1);
  dtw_histogram_observe(NULL, 1);
}

static void test_cardinality_limit(void **state) {
  dtw_metrics_t *reg = *state;
  char err[256], v[16];
  dtw_gauge_t *g = NULL;
  for (int i = 0; i < DTW_METRICS_MAX_CHILDREN; i++) {
    snprintf(v, sizeof v, "j%d", i);
    const char *labels[] = {"joint", v, NULL};
    assert_int_equal(dtw_metrics_add_gauge(reg, "pos_radians", "Pos.", labels, &g, err,
                                           sizeof err),
                     0);
  }
  const char *labels[] = {"joint", "one_too_many", NULL};
  assert_int_equal(
      dtw_metrics_add_gauge(reg, "pos_radians", "Pos.", labels, &g, err, sizeof err),
      DTW_EFULL);
  /* existing children are still found */
  const char *old[] = {"joint", "j7", NULL};
  assert_int_equal(dtw_metrics_add_gauge(reg, "pos_radians", "Pos.", old, &g, err, sizeof err),
                   0);
}

static void test_gauge_counter_values(void **state) {
  dtw_metrics_t *reg = *state;
  dtw_gauge_t *g = dtw_metrics_gauge(reg, "temp_celsius", "T.");
  dtw_gauge_set(g, 2.5);
  dtw_gauge_add(g, -1.25);
  assert_true(dtw_gauge_value(g) == 1.25);
  dtw_counter_t *c = dtw_metrics_counter(reg, "cpu_seconds_total", "C.");
  dtw_counter_add(c, 3);
  dtw_counter_set(c, 0.5);
  assert_true(dtw_counter_value(c) == 3.5);
  char buf[512];
  dtw_metrics_write_text(reg, buf, sizeof buf);
  assert_non_null(strstr(buf, "\ncpu_seconds_total 3.5\n"));
  assert_non_null(strstr(buf, "\ntemp_celsius 1.25\n"));
}

static void test_histogram_observe(void **state) {
  dtw_metrics_t *reg = *state;
  static const double bounds[] = {0.1, 0.5, 1};
  dtw_histogram_t *h = dtw_metrics_histogram(reg, "d_seconds", "D.", bounds, 3);
  dtw_histogram_observe(h, 0.05);
  dtw_histogram_observe(h, 0.1); /* le is inclusive */
  dtw_histogram_observe(h, 0.3);
  dtw_histogram_observe(h, 1);
  dtw_histogram_observe(h, 7);
  dtw_histogram_observe(h, -2); /* below every bound: first bucket */
  assert_int_equal(dtw_histogram_bucket(h, 0), 3);
  assert_int_equal(dtw_histogram_bucket(h, 1), 4);
  assert_int_equal(dtw_histogram_bucket(h, 2), 5);
  assert_int_equal(dtw_histogram_bucket(h, 3), 6);
  assert_int_equal(dtw_histogram_count(h), 6);
  assert_true(fabs(dtw_histogram_sum(h) - 6.45) < 1e-12);
  dtw_histogram_observe(h, NAN); /* counted in +Inf, sum becomes NaN like other clients */
  assert_int_equal(dtw_histogram_bucket(h, 2), 5);
  assert_int_equal(dtw_histogram_count(h), 7);
  assert_true(isnan(dtw_histogram_sum(h)));
  /* a histogram with no bounds has only +Inf */
  dtw_histogram_t *h0 = dtw_metrics_histogram(reg, "e_seconds", "E.", NULL, 0);
  assert_non_null(h0);
  dtw_histogram_observe(h0, 1);
  assert_int_equal(dtw_histogram_count(h0), 1);
}

/* ---- 4 threads x 100k updates give exact totals ----------------------------------------- */

#define THREADS 4
#define ITERS 100000

typedef struct worker {
  dtw_counter_t *c;
  dtw_gauge_t *g;
  dtw_histogram_t *h;
  int id;
} worker_t;

static void *work(void *arg) {
  worker_t *w = arg;
  for (int i = 0; i < ITERS; i++) {
    dtw_counter_add(w->c, 1);
    dtw_gauge_add(w->g, 1);
    dtw_histogram_observe(w->h, (i % 4) * 0.5); /* 0, 0.5, 1, 1.5 */
  }
  return NULL;
}

static void *scrape_loop(void *arg) {
  dtw_metrics_t *reg = arg;
  for (int i = 0; i < 50; i++) {
    char *text = NULL;
    size_t len = 0;
    if (dtw_metrics_scrape(reg, &text, &len) == 0) free(text);
  }
  return NULL;
}

static void test_concurrent_updates(void **state) {
  dtw_metrics_t *reg = *state;
  static const double bounds[] = {0.5, 1};
  worker_t w[THREADS];
  pthread_t t[THREADS], scraper;
  dtw_counter_t *c = dtw_metrics_counter(reg, "ops_total", "Ops.");
  dtw_gauge_t *g = dtw_metrics_gauge(reg, "level", "Level.");
  dtw_histogram_t *h = dtw_metrics_histogram(reg, "v_seconds", "V.", bounds, 2);
  /* a scrape running concurrently with the updates must not disturb them */
  assert_int_equal(pthread_create(&scraper, NULL, scrape_loop, reg), 0);
  for (int i = 0; i < THREADS; i++) {
    w[i] = (worker_t){c, g, h, i};
    assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  pthread_join(scraper, NULL);
  const uint64_t total = (uint64_t)THREADS * ITERS;
  assert_true(dtw_counter_value(c) == (double)total);
  assert_true(dtw_gauge_value(g) == (double)total);
  assert_int_equal(dtw_histogram_count(h), total);
  assert_int_equal(dtw_histogram_bucket(h, 0), total / 2);     /* 0 and 0.5 */
  assert_int_equal(dtw_histogram_bucket(h, 1), total * 3 / 4); /* and 1 */
  /* every term is a multiple of 0.5, so the sum is exact: 0.75 per observation */
  assert_true(dtw_histogram_sum(h) == 0.75 * (double)total);
  char buf[2048];
  dtw_metrics_write_text(reg, buf, sizeof buf);
  assert_non_null(strstr(buf, "\nops_total 400000\n"));
}

/* ---- collectors ------------------------------------------------------------------------- */

typedef struct collect_state {
  dtw_gauge_t *g;
  int calls;
  int *order;
  int *norder;
  int id;
  int fail;
} collect_state_t;

static int collect_cb(dtw_metrics_t *reg, void *user) {
  (void)reg;
  collect_state_t *s = user;
  s->calls++;
  s->order[(*s->norder)++] = s->id;
  dtw_gauge_set(s->g, s->calls * 10.0);
  return s->fail ? DTW_EIO : 0;
}

static void test_collectors(void **state) {
  dtw_metrics_t *reg = *state;
  int order[8], norder = 0;
  collect_state_t a = {dtw_metrics_gauge(reg, "a_value", "A."), 0, order, &norder, 1, 1};
  collect_state_t b = {dtw_metrics_gauge(reg, "b_value", "B."), 0, order, &norder, 2, 0};
  assert_int_equal(dtw_metrics_add_collector(reg, collect_cb, &a), 0);
  assert_int_equal(dtw_metrics_add_collector(reg, collect_cb, &b), 0);
  assert_int_equal(dtw_metrics_add_collector(reg, NULL, NULL), DTW_EINVAL);
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(dtw_metrics_scrape(reg, &text, &len), 0);
  /* both ran (the failing one did not stop the other), in order, before the text */
  assert_int_equal(norder, 2);
  assert_int_equal(order[0], 1);
  assert_int_equal(order[1], 2);
  assert_non_null(strstr(text, "\na_value 10\n"));
  assert_non_null(strstr(text, "\nb_value 10\n"));
  free(text);
  /* write_text alone does not collect */
  char buf[512];
  dtw_metrics_write_text(reg, buf, sizeof buf);
  assert_int_equal(a.calls, 1);
  dtw_metrics_collect(reg);
  assert_int_equal(b.calls, 2);
}

/* ---- built-in families ---------------------------------------------------------------- */

static double sample_value(const char *text, const char *series) {
  char key[128];
  snprintf(key, sizeof key, "\n%s ", series);
  const char *p = strstr(text, key);
  assert_non_null(p);
  return strtod(p + strlen(key), NULL);
}

static void test_process_metrics(void **state) {
  dtw_metrics_t *reg = *state;
  assert_int_equal(dtw_metrics_register_process(reg), 0);
  assert_int_equal(dtw_metrics_register_process(reg), 0); /* second call: no-op */
  assert_int_equal(dtw_metrics_register_build_info(reg, "0.1.0", "0123456789ab"), 0);
  /* burn a little CPU so cpu seconds are visibly non-negative and finite */
  volatile double x = 0;
  for (int i = 0; i < 2000000; i++) x += i * 1e-9;
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(dtw_metrics_scrape(reg, &text, &len), 0);
  double rss = sample_value(text, "process_resident_memory_bytes");
  double vms = sample_value(text, "process_virtual_memory_bytes");
  double fds = sample_value(text, "process_open_fds");
  double max_fds = sample_value(text, "process_max_fds");
  double start = sample_value(text, "process_start_time_seconds");
  double cpu = sample_value(text, "process_cpu_seconds_total");
  double now = (double)time(NULL);
  assert_true(rss > 0);
  assert_true(vms >= rss);
  assert_true(fds >= 3); /* stdin, stdout, stderr at least */
  assert_true(max_fds >= fds);
  assert_true(start <= now + 1 && start > now - 3600);
  assert_true(cpu >= 0 && cpu < 3600);
  assert_non_null(strstr(text, "# TYPE process_cpu_seconds_total counter\n"));
  assert_non_null(
      strstr(text, "\ndtwin_build_info{version=\"0.1.0\",revision=\"0123456789ab\"} 1\n"));
  free(text);
  /* one family per process metric even after two calls */
  assert_int_equal(dtw_metrics_family_count(reg), 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test_setup_teardown(test_registration_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_same_handle_and_conflicts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cardinality_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gauge_counter_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_histogram_observe, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_updates, setup, teardown),
      cmocka_unit_test_setup_teardown(test_collectors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_process_metrics, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
