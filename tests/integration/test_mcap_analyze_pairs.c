/* dtwin analyze on a `dtwin up --twins 2` recording (issue 13): each
 * robot/twin pair is reported on its own. Pair 1's robot gets a locked knee
 * through its /robot_1/fault topic while pair 0 runs nominally, so the two
 * reports must differ where they should: pair 1 has a FAULT episode (locked)
 * naming left_knee, pair 0 none. The pairs run in parallel; `--pair 1` alone
 * must give byte for byte the same report as pair 1 of the full run. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/harness.h"
#include "dtw/bus.h"
#include "dtw/file.h"

static char *slurp(const char *path) {
  char err[256];
  /* static: GCC -O3 takes a local whose address went to dtw_file_read for one
   * that the returned pointer may point into (-Wdangling-pointer) */
  static char *text;
  text = NULL;
  size_t len = 0;
  if (dtw_file_read(path, 64u << 20, &text, &len, err, sizeof err) < 0) fail_msg("%s", err);
  return text;
}

/* value of "key": <int> after the first occurrence of `after` in text */
static long int_after(const char *text, const char *after, const char *key) {
  const char *p = strstr(text, after);
  if (!p) fail_msg("no '%s' in the report", after);
  p = strstr(p, key);
  if (!p) fail_msg("no '%s' after '%s'", key, after);
  return strtol(p + strlen(key), NULL, 10);
}

/* Run `$DTWIN analyze args...` to completion: its exit status. */
static int run_analyze(const char *name, const char *const *args) {
  th_proc_t p;
  if (th_spawn(&p, name, args) < 0) return -1;
  double until = th_now_s() + 600;
  while (th_running(&p) && th_now_s() < until) th_nap();
  int rc = th_stop(&p, SIGTERM, 5);
  if (!th_log_find(&p, "state ", NULL, 0)) th_log_dump(&p, 20);
  return rc;
}

static void test_pairs_reported_apart(void **state) {
  (void)state;
  char bag[600], prefix[600], single[600], path[700];
  snprintf(bag, sizeof bag, "%s/twins.mcap", th_dir());
  snprintf(prefix, sizeof prefix, "%s/twins", th_dir());
  snprintf(single, sizeof single, "%s/pair1", th_dir());
  const char *up_args[] = {"up",    "--twins",        "2",    "--duration",    "12",
                           "--set", "bridge.port=0",  "--set", "viewer.port=0", "--status-period",
                           "1",     "--record",       bag,    NULL};
  th_proc_t up;
  assert_int_equal(th_spawn(&up, "up", up_args), 0);
  if (!th_wait_log(&up, "pairs SYNCED 2/2", 120, NULL, 0)) {
    th_log_dump(&up, 30);
    fail_msg("dtwin up --twins 2 never had both pairs SYNCED");
  }
  /* lock pair 1's left knee: std_msgs/String "lock left_knee" on /robot_1/fault */
  char err[256];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = th_domain();
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  dtw_pub_t *pub;
  assert_int_equal(dtw_bus_create(&opt, &bus, err, sizeof err), 0);
  assert_int_equal(dtw_bus_node_create(bus, "fault_injector", "/", &node, err, sizeof err), 0);
  assert_int_equal(
      dtw_pub_create(node, "/robot_1/fault", DTW_TYPE_STRING, DTW_QOS_DEFAULT, &pub, err, sizeof err), 0);
  assert_int_equal(dtw_pub_wait_matched(pub, 1, 30 * TH_SEC), 0);
  static const char cmd[] = "lock left_knee";
  uint8_t cdr[64] = {0x00, 0x01, 0x00, 0x00};
  uint32_t n = sizeof cmd; /* with its NUL, as CDR strings are */
  memcpy(cdr + 4, &n, 4);
  memcpy(cdr + 8, cmd, sizeof cmd);
  assert_int_equal(dtw_pub_cdr(pub, cdr, 8 + sizeof cmd), 0);
  if (!th_wait_log(&up, "robot: fault: left_knee locked at", 30, NULL, 0)) {
    th_log_dump(&up, 30);
    fail_msg("the robot never locked its knee");
  }
  double until = th_now_s() + 120;
  while (th_running(&up) && th_now_s() < until) th_nap();
  assert_int_equal(th_stop(&up, SIGINT, 30), 0);
  dtw_bus_destroy(bus);
  /* exactly one pair's fault: the live run locked one knee */
  assert_int_equal(th_log_count(&up, "robot: fault: left_knee locked at"), 1);

  const char *all[] = {"analyze", bag, "-o", prefix, NULL};
  assert_int_equal(run_analyze("analyze_all", all), 0);
  snprintf(path, sizeof path, "%s.json", prefix);
  char *index = slurp(path);
  assert_non_null(strstr(index, "\"pair\": 0, \"robot_namespace\": \"/robot_0\", \"twin_namespace\": \"/twin_0\""));
  assert_non_null(strstr(index, "\"pair\": 1, \"robot_namespace\": \"/robot_1\", \"twin_namespace\": \"/twin_1\""));
  long div0 = int_after(index, "\"pair\": 0,", "\"transitions_diverged\": ");
  long div1 = int_after(index, "\"pair\": 1,", "\"transitions_diverged\": ");
  long flt0 = int_after(index, "\"pair\": 0,", "\"transitions_fault\": ");
  long flt1 = int_after(index, "\"pair\": 1,", "\"transitions_fault\": ");
  fprintf(stderr, "DIVERGED / FAULT transitions: pair 0 %ld / %ld, pair 1 %ld / %ld\n", div0, flt0,
          div1, flt1);
  assert_int_equal(div0, 0);
  assert_int_equal(flt0, 0);
  assert_true(flt1 >= 1); /* the locked knee, isolated as a fault */
  assert_true(int_after(index, "\"pair\": 0,", "\"robot_samples\": ") > 4000);
  assert_true(int_after(index, "\"pair\": 1,", "\"robot_samples\": ") > 4000);
  free(index);

  snprintf(path, sizeof path, "%s.pair_0.json", prefix);
  char *r0 = slurp(path);
  snprintf(path, sizeof path, "%s.pair_1.json", prefix);
  char *r1 = slurp(path);
  assert_non_null(strstr(r0, "\"robot_topic\": \"/robot_0/joint_states\""));
  assert_non_null(strstr(r1, "\"robot_topic\": \"/robot_1/joint_states\""));
  const char *eps0 = strstr(r0, "\"episodes\""), *eps1 = strstr(r1, "\"episodes\"");
  assert_non_null(eps0);
  assert_non_null(eps1);
  assert_null(strstr(eps0, "{\"state\": \"DIVERGED\"")); /* no DIVERGED episode in pair 0 */
  assert_null(strstr(eps0, "{\"state\": \"FAULT\""));    /* nor a FAULT one */
  assert_non_null(strstr(eps1, "{\"state\": \"FAULT\", \"kind\": \"locked\""));
  const char *knee = strstr(eps1, "left_knee");
  assert_non_null(knee);

  /* --pair 1 alone: the same report as in the parallel run */
  const char *one[] = {"analyze", bag, "--pair", "1", "-o", single, NULL};
  assert_int_equal(run_analyze("analyze_pair1", one), 0);
  snprintf(path, sizeof path, "%s.json", single);
  char *s1 = slurp(path);
  assert_string_equal(s1, r1);
  free(s1);
  free(r0);
  free(r1);

  /* a pair the recording does not have is a usage error */
  const char *none[] = {"analyze", bag, "--pair", "7", "-o", single, NULL};
  th_proc_t p;
  assert_int_equal(th_spawn(&p, "analyze_pair7", none), 0);
  while (th_running(&p)) th_nap();
  assert_true(th_log_find(&p, "--pair 7", NULL, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_pairs_reported_apart)};
  return th_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
