/* Tests for the Prometheus text writer (dtw/metrics.h): number formatting, escaping,
 * cumulative histograms, HELP/TYPE once per family, a golden file checked by promtool. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dtw/metrics.h"

#define GOLDEN "metrics/sample.prom"

static void fmt_is(double v, const char *want) {
  char buf[64];
  size_t n = dtw_metrics_format_double(v, buf, sizeof buf);
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
  /* and Prometheus (Go's ParseFloat, like strtod) reads back the same value */
  if (!isnan(v)) assert_true(strtod(buf, NULL) == v);
}

static void test_format_double(void **state) {
  (void)state;
  fmt_is(0, "0");
  fmt_is(1, "1");
  fmt_is(-3, "-3");
  fmt_is(1e6, "1000000");
  fmt_is(9007199254740992.0, "9007199254740992"); /* 2^53: still an integer */
  fmt_is(1e21, "1e+21");
  fmt_is(0.005, "0.005");
  fmt_is(0.1, "0.1");
  fmt_is(2.5, "2.5");
  fmt_is(-0.25, "-0.25");
  fmt_is(1e-05, "1e-05"); /* as Go's FormatFloat(v, 'g', -1, 64) writes it */
  fmt_is(1.0 / 3.0, "0.3333333333333333");
  fmt_is(0.1 + 0.2, "0.30000000000000004");
  fmt_is(NAN, "NaN");
  fmt_is(INFINITY, "+Inf");
  fmt_is(-INFINITY, "-Inf");
  /* snprintf contract */
  char small[3];
  assert_int_equal(dtw_metrics_format_double(12345, small, sizeof small), 5);
  assert_string_equal(small, "12");
  assert_int_equal(dtw_metrics_format_double(0.005, NULL, 0), 5);
}

/* A registry with every shape the writer handles and exactly representable values. */
static dtw_metrics_t *sample_registry(void) {
  dtw_metrics_t *reg = NULL;
  assert_int_equal(dtw_metrics_create(&reg), 0);
  dtw_counter_t *a = dtw_metrics_counter(reg, "dtwin_messages_received_total",
                                         "Messages received per topic.", "topic",
                                         "/twin/joint_states", "node", "twin");
  dtw_counter_t *b = dtw_metrics_counter(reg, "dtwin_messages_received_total",
                                         "Messages received per topic.", "topic",
                                         "we\"ird\\to\npic", "node", "twin");
  assert_non_null(a);
  assert_non_null(b);
  dtw_counter_add(a, 42);
  dtw_counter_add(b, 1);
  dtw_gauge_t *g = dtw_metrics_gauge(reg, "dtwin_sim_time_seconds",
                                     "Simulated time.\nSecond line, a \\ and a \"quote\".");
  dtw_gauge_set(g, 12.5);
  static const double bounds[] = {0.005, 0.01, 0.1};
  dtw_histogram_t *h = dtw_metrics_histogram(reg, "dtwin_step_duration_seconds",
                                             "Duration of one physics step.", bounds, 3,
                                             "loop", "sim");
  assert_non_null(h);
  dtw_histogram_observe(h, 0.00390625);
  dtw_histogram_observe(h, 0.0078125);
  dtw_histogram_observe(h, 0.0625);
  dtw_histogram_observe(h, 0.5);
  dtw_histogram_t *h2 = dtw_metrics_histogram(reg, "dtwin_step_duration_seconds",
                                              "Duration of one physics step.", bounds, 3,
                                              "loop", "control");
  dtw_histogram_observe(h2, 0.0078125);
  dtw_gauge_set(dtw_metrics_gauge(reg, "dtwin_special", "Special values.", "kind", "nan"), NAN);
  dtw_gauge_set(dtw_metrics_gauge(reg, "dtwin_special", "Special values.", "kind", "pinf"),
                INFINITY);
  dtw_gauge_set(dtw_metrics_gauge(reg, "dtwin_special", "Special values.", "kind", "ninf"),
                -INFINITY);
  dtw_counter_add(dtw_metrics_counter(reg, "dtwin_big_total", "Large counts stay exact."),
                  UINT64_C(18446744073709551615));
  return reg;
}

static const char *const sample_text =
    "# HELP dtwin_messages_received_total Messages received per topic.\n"
    "# TYPE dtwin_messages_received_total counter\n"
    "dtwin_messages_received_total{topic=\"/twin/joint_states\",node=\"twin\"} 42\n"
    "dtwin_messages_received_total{topic=\"we\\\"ird\\\\to\\npic\",node=\"twin\"} 1\n"
    "# HELP dtwin_sim_time_seconds Simulated time.\\nSecond line, a \\\\ and a \"quote\".\n"
    "# TYPE dtwin_sim_time_seconds gauge\n"
    "dtwin_sim_time_seconds 12.5\n"
    "# HELP dtwin_step_duration_seconds Duration of one physics step.\n"
    "# TYPE dtwin_step_duration_seconds histogram\n"
    "dtwin_step_duration_seconds_bucket{loop=\"sim\",le=\"0.005\"} 1\n"
    "dtwin_step_duration_seconds_bucket{loop=\"sim\",le=\"0.01\"} 2\n"
    "dtwin_step_duration_seconds_bucket{loop=\"sim\",le=\"0.1\"} 3\n"
    "dtwin_step_duration_seconds_bucket{loop=\"sim\",le=\"+Inf\"} 4\n"
    "dtwin_step_duration_seconds_sum{loop=\"sim\"} 0.57421875\n"
    "dtwin_step_duration_seconds_count{loop=\"sim\"} 4\n"
    "dtwin_step_duration_seconds_bucket{loop=\"control\",le=\"0.005\"} 0\n"
    "dtwin_step_duration_seconds_bucket{loop=\"control\",le=\"0.01\"} 1\n"
    "dtwin_step_duration_seconds_bucket{loop=\"control\",le=\"0.1\"} 1\n"
    "dtwin_step_duration_seconds_bucket{loop=\"control\",le=\"+Inf\"} 1\n"
    "dtwin_step_duration_seconds_sum{loop=\"control\"} 0.0078125\n"
    "dtwin_step_duration_seconds_count{loop=\"control\"} 1\n"
    "# HELP dtwin_special Special values.\n"
    "# TYPE dtwin_special gauge\n"
    "dtwin_special{kind=\"nan\"} NaN\n"
    "dtwin_special{kind=\"pinf\"} +Inf\n"
    "dtwin_special{kind=\"ninf\"} -Inf\n"
    "# HELP dtwin_big_total Large counts stay exact.\n"
    "# TYPE dtwin_big_total counter\n"
    "dtwin_big_total 18446744073709551615\n";

static void test_sample_text(void **state) {
  (void)state;
  dtw_metrics_t *reg = sample_registry();
  char buf[8192];
  size_t n = dtw_metrics_write_text(reg, buf, sizeof buf);
  assert_int_equal(n, strlen(sample_text));
  assert_string_equal(buf, sample_text);
  dtw_metrics_destroy(reg);
}

static int count_occurrences(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

static void test_structure(void **state) {
  (void)state;
  dtw_metrics_t *reg = sample_registry();
  char buf[8192];
  dtw_metrics_write_text(reg, buf, sizeof buf);
  /* HELP and TYPE once per family though families have several children */
  assert_int_equal(count_occurrences(buf, "# HELP dtwin_messages_received_total "), 1);
  assert_int_equal(count_occurrences(buf, "# TYPE dtwin_messages_received_total "), 1);
  assert_int_equal(count_occurrences(buf, "# TYPE dtwin_step_duration_seconds "), 1);
  assert_int_equal(count_occurrences(buf, "# TYPE dtwin_special "), 1);
  /* registration order */
  assert_true(strstr(buf, "# TYPE dtwin_messages") < strstr(buf, "# TYPE dtwin_sim_time"));
  assert_true(strstr(buf, "# TYPE dtwin_sim_time") < strstr(buf, "# TYPE dtwin_step"));
  assert_true(strstr(buf, "# TYPE dtwin_step") < strstr(buf, "# TYPE dtwin_big_total"));
  /* every line ends in \n, no empty lines */
  size_t len = strlen(buf);
  assert_true(len > 0 && buf[len - 1] == '\n');
  assert_null(strstr(buf, "\n\n"));
  dtw_metrics_destroy(reg);
}

/* Buckets are cumulative and +Inf equals _count, for many observations. */
static void test_histogram_cumulative(void **state) {
  (void)state;
  dtw_metrics_t *reg = NULL;
  assert_int_equal(dtw_metrics_create(&reg), 0);
  static const double bounds[] = {1, 2, 5, INFINITY};
  dtw_histogram_t *h = dtw_metrics_histogram(reg, "x_seconds", "x.", bounds, 4);
  assert_non_null(h);
  for (int i = 0; i < 100; i++) dtw_histogram_observe(h, i * 0.1);
  char buf[4096];
  dtw_metrics_write_text(reg, buf, sizeof buf);
  unsigned long le1, le2, le5, inf, count;
  const char *p = strstr(buf, "x_seconds_bucket{le=\"1\"} ");
  assert_non_null(p);
  assert_int_equal(sscanf(p,
                          "x_seconds_bucket{le=\"1\"} %lu\n"
                          "x_seconds_bucket{le=\"2\"} %lu\n"
                          "x_seconds_bucket{le=\"5\"} %lu\n"
                          "x_seconds_bucket{le=\"+Inf\"} %lu\n",
                          &le1, &le2, &le5, &inf),
                   4);
  p = strstr(buf, "x_seconds_count ");
  assert_non_null(p);
  assert_int_equal(sscanf(p, "x_seconds_count %lu", &count), 1);
  /* i*0.1 <= 1 for i = 0..10 (10*0.1 == 1 exactly in double) */
  assert_int_equal(le1, 11);
  assert_true(le1 <= le2 && le2 <= le5 && le5 <= inf);
  assert_int_equal(inf, 100);
  assert_int_equal(count, inf);
  /* the +Inf bound given explicitly was dropped, not doubled */
  assert_int_equal(count_occurrences(buf, "le=\"+Inf\""), 1);
  dtw_metrics_destroy(reg);
}

static void test_truncation(void **state) {
  (void)state;
  dtw_metrics_t *reg = sample_registry();
  size_t full = dtw_metrics_write_text(reg, NULL, 0);
  assert_int_equal(full, strlen(sample_text));
  char small[100];
  memset(small, 'x', sizeof small);
  assert_int_equal(dtw_metrics_write_text(reg, small, sizeof small), full);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_memory_equal(small, sample_text, sizeof small - 1);
  /* scrape sizes its own buffer */
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(dtw_metrics_scrape(reg, &text, &len), 0);
  assert_int_equal(len, full);
  assert_string_equal(text, sample_text);
  free(text);
  dtw_metrics_destroy(reg);
}

static void test_empty_registry(void **state) {
  (void)state;
  dtw_metrics_t *reg = NULL;
  assert_int_equal(dtw_metrics_create(&reg), 0);
  char buf[16] = "junk";
  assert_int_equal(dtw_metrics_write_text(reg, buf, sizeof buf), 0);
  assert_string_equal(buf, "");
  dtw_metrics_destroy(reg);
}

/* The golden file equals the writer's output (regenerate with DTW_UPDATE_GOLDEN=1). */
static void test_golden_file(void **state) {
  (void)state;
  const char *data = getenv("DTW_TEST_DATA");
  if (data == NULL) skip();
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", data, GOLDEN);
  if (getenv("DTW_UPDATE_GOLDEN") != NULL) {
    FILE *w = fopen(path, "w");
    assert_non_null(w);
    fputs(sample_text, w);
    fclose(w);
  }
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  assert_string_equal(buf, sample_text);
}

static int have_promtool(void) { return system("command -v promtool >/dev/null 2>&1") == 0; }

static int promtool_check(const char *path) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "promtool check metrics < '%s'", path);
  int st = system(cmd);
  return st == -1 ? -1 : WEXITSTATUS(st);
}

static void test_promtool(void **state) {
  (void)state;
  if (!have_promtool()) {
    print_message("promtool not found (Debian package 'prometheus'): skipping lint\n");
    skip();
  }
  /* the golden sample */
  const char *data = getenv("DTW_TEST_DATA");
  if (data != NULL) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data, GOLDEN);
    assert_int_equal(promtool_check(path), 0);
  }
  /* a live scrape with the built-in families */
  dtw_metrics_t *reg = sample_registry();
  assert_int_equal(dtw_metrics_register_process(reg), 0);
  assert_int_equal(dtw_metrics_register_build_info(reg, "0.1.0", "abc123"), 0);
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(dtw_metrics_scrape(reg, &text, &len), 0);
  char tmp[] = "/tmp/dtw_metrics_XXXXXX";
  int fd = mkstemp(tmp);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  close(fd);
  int rc = promtool_check(tmp);
  unlink(tmp);
  free(text);
  dtw_metrics_destroy(reg);
  assert_int_equal(rc, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_double),    cmocka_unit_test(test_sample_text),
      cmocka_unit_test(test_structure),        cmocka_unit_test(test_histogram_cumulative),
      cmocka_unit_test(test_truncation),       cmocka_unit_test(test_empty_registry),
      cmocka_unit_test(test_golden_file),      cmocka_unit_test(test_promtool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
