/* The Prometheus text parser (dtw/metrics_parse.h): single lines (labels,
 * escapes, special values, errors, limits) and finding a sample in a whole
 * exposition. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtw/err.h"
#include "dtw/file.h"
#include "dtw/metrics_parse.h"

static char data_dir[1024];

static char *slurp(const char *name) {
  char path[1300], err[1500];
  char *s = NULL;
  snprintf(path, sizeof path, "%s/%s", data_dir, name);
  if (dtw_file_read(path, 0, &s, NULL, err, sizeof err) != 0) fail_msg("%s", err);
  return s;
}

static void test_prom_lines(void **state) {
  (void)state;
  dtw_prom_sample_t s;
  char err[256];
  const char *l1 = "dtwin_x_total{node=\"/twin/a\",topic=\"q\\\"\\\\\\n\"} 12.5 1700000000";
  assert_int_equal(dtw_prom_parse_line(l1, strlen(l1), &s, err, sizeof err), 1);
  assert_string_equal(s.name, "dtwin_x_total");
  assert_int_equal(s.n_labels, 2);
  assert_string_equal(dtw_prom_label(&s, "node"), "/twin/a");
  assert_string_equal(dtw_prom_label(&s, "topic"), "q\"\\\n");
  assert_null(dtw_prom_label(&s, "other"));
  assert_true(s.value == 12.5);
  const char *l2 = "up 1";
  assert_int_equal(dtw_prom_parse_line(l2, strlen(l2), &s, err, sizeof err), 1);
  assert_int_equal(s.n_labels, 0);
  assert_true(s.value == 1);
  const char *l3 = "a{le=\"+Inf\",} +Inf";
  assert_int_equal(dtw_prom_parse_line(l3, strlen(l3), &s, err, sizeof err), 1);
  assert_true(isinf(s.value) && s.value > 0);
  assert_int_equal(dtw_prom_parse_line("g NaN", 5, &s, err, sizeof err), 1);
  assert_true(isnan(s.value));
  assert_int_equal(dtw_prom_parse_line("# HELP a b", 10, &s, err, sizeof err), 0);
  assert_int_equal(dtw_prom_parse_line("   ", 3, &s, err, sizeof err), 0);
  /* malformed */
  const char *bad[] = {"1abc 2", "a{b=c} 1", "a{b=\"c\" 1", "a 1x", "a", "a{b=\"c\"}", "a inf",
                       "a{=\"x\"} 1", "a 0x10"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    assert_int_equal(dtw_prom_parse_line(bad[i], strlen(bad[i]), &s, err, sizeof err),
                     DTW_EPARSE);
    assert_true(err[0] != '\0');
  }
  char many[2048] = "m{";
  for (int i = 0; i < DTW_PROM_MAX_LABELS + 1; i++)
    snprintf(many + strlen(many), sizeof many - strlen(many), "l%d=\"v\",", i);
  strcat(many, "} 1");
  assert_int_equal(dtw_prom_parse_line(many, strlen(many), &s, err, sizeof err), DTW_ERANGE);
}


static void test_prom_find(void **state) {
  (void)state;
  char *text = slurp("metrics_sim.txt");
  dtw_prom_sample_t s;
  assert_int_equal(dtw_prom_find(text, "dtwin_real_time_factor", "node", "/robot/robot_emulator",
                                 &s),
                   1);
  assert_true(fabs(s.value - 0.42) < 1e-12);
  assert_int_equal(dtw_prom_find(text, "dtwin_real_time_factor", NULL, NULL, &s), 1);
  assert_true(fabs(s.value - 0.998) < 1e-12);
  assert_int_equal(dtw_prom_find(text, "dtwin_real_time_factor", "node", "/x", &s), 0);
  /* a prefix of another name is not that name */
  assert_int_equal(dtw_prom_find(text, "dtwin_real_time", NULL, NULL, &s), 0);
  free(text);
}


int main(void) {
  const char *d = getenv("DTW_TEST_DATA");
  snprintf(data_dir, sizeof data_dir, "%s/health", d ? d : "tests/data");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prom_lines),
      cmocka_unit_test(test_prom_find),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
