/* dtwin sync in shadow mode, over DDS on loopback, with real processes: a
 * twin (`dtwin sim`), a stand-in robot (a second `dtwin sim` in /robot, both
 * holding their initial pose) and `dtwin sync`. The test moves the robot's
 * left knee behind the twin's back (/robot/set_state: the robot then holds
 * there) and checks, in order:
 *   - a 0.3 rad step is DIVERGED naming left_knee, after the step on the
 *     robot's own clock (its stamps), /sync/status says so (overall ERROR,
 *     group left_leg ERROR naming the knee);
 *   - /sync/resync re-syncs the twin (twin knee -> 0.3) and the state goes
 *     back to SYNCED;
 *   - a further 0.6 rad step (to 0.9; > resync_threshold_rad 0.5) is re-synced by threshold;
 *   - a robot that stops publishing (SIGSTOP) is STALE, declared no earlier
 *     than stale_timeout_s of silence on the sync node's clock, and SYNCED
 *     again once it resumes;
 *   - the metrics and readiness on the sync node's HTTP endpoint.
 * How fast detections are (hold and timeout + one tick) is the state
 * machine's, tested with an injected clock in tests/unit/test_sync_state.c;
 * here the times are reported, and bounded only where the bound is the
 * node's own logic, so a loaded machine makes the test slower, not wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/harness.h"
#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/msgs.h"

#define SEC INT64_C(1000000000)
/* how long a wait may take before the test fails (bounds a failing run only) */
#define WAIT_S 60.0
#define WAIT_NS ((int64_t)WAIT_S * SEC)
#define STALE_TIMEOUT_S 0.5 /* sync.stale_timeout_s, the default */
enum { P_TWIN, P_ROBOT, P_SYNC, P_COUNT };

static struct {
  th_proc_t proc[P_COUNT];
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  dtw_sub_t *robot_js, *twin_js, *status;
  dtw_pub_t *robot_set;
  dtw_client_t *resync;
  dtw_joint_state_msg_t js;
  dtw_diag_array_t diag;
  const char *url;
} g;

static th_proc_t *const sync_proc = &g.proc[P_SYNC];

/* Drop the statuses received so far: the next wait sees only newer ones. */
static void drain_status(void) {
  while (dtw_sub_take(g.status, &g.diag) == 1) {}
}

/* The first /sync/status (in arrival order) within timeout whose overall message is `state`. */
static int wait_status(const char *state, int64_t timeout_ns) {
  int64_t end = dtw_clock_mono_ns() + timeout_ns;
  while (dtw_clock_mono_ns() < end) {
    while (dtw_sub_take(g.status, &g.diag) == 1)
      if (g.diag.n_status > 0 && strcmp(g.diag.status[0].message, state) == 0) return 1;
    dtw_clock_sleep_ns(SEC / 200);
  }
  return 0;
}

static const dtw_diag_status_t *find_status(const char *name) {
  for (size_t i = 0; i < g.diag.n_status; i++)
    if (strcmp(g.diag.status[i].name, name) == 0) return &g.diag.status[i];
  return NULL;
}

/* A key of the overall report: in "sync: overall" or where it goes on ("sync: feed", "sync: feed 2"...). */
static const char *overall_value(const char *key) {
  for (size_t i = 0; i < g.diag.n_status; i++) {
    const dtw_diag_status_t *st = &g.diag.status[i];
    if (strcmp(st->name, "sync: overall") != 0 && strncmp(st->name, "sync: feed", 10) != 0) continue;
    for (size_t k = 0; k < st->n_values; k++)
      if (strcmp(st->values[k].key, key) == 0) return st->values[k].value;
  }
  return NULL;
}

static int joint(const dtw_joint_state_msg_t *m, const char *name) {
  for (size_t i = 0; i < m->n_name; i++)
    if (strcmp(m->name[i], name) == 0) return (int)i;
  return -1;
}

/* Wait until `name` on sub is within tol of target; the matching sample stays in g.js. */
static int wait_joint(dtw_sub_t *sub, const char *name, double target, double tol,
                      int64_t timeout_ns) {
  int64_t end = dtw_clock_mono_ns() + timeout_ns;
  while (dtw_clock_mono_ns() < end) {
    while (dtw_sub_take(sub, &g.js) == 1) {
      int j = joint(&g.js, name);
      if (j >= 0 && fabs(g.js.position[j] - target) < tol) return 1;
    }
    dtw_clock_sleep_ns(SEC / 1000);
  }
  return 0;
}

/* Drain a subscription so the next take is fresh. */
static void drain(dtw_sub_t *sub) {
  while (dtw_sub_take(sub, &g.js) == 1) {}
}

static void robot_set_knee(double q) {
  dtw_joint_state_msg_t m;
  memset(&m, 0, sizeof m);
  m.n_name = m.n_position = 1;
  snprintf(m.name[0], DTW_NAME_MAX, "left_knee");
  m.position[0] = q;
  assert_int_equal(dtw_pub_joint_state(g.robot_set, &m), 0);
}

/* A series of the sync node (label node="/synchronization_node" added) from text. */
static double sync_metric(const char *text, const char *name, const char *labels) {
  char series[512];
  snprintf(series, sizeof series, "%s{node=\"/synchronization_node\"%s%s}", name,
           *labels ? "," : "", labels);
  return th_metric(text, series);
}

/* SYNCED with the robot's samples flowing again (the 1 s rate window past the silence) */
static bool synced_and_flowing(void *user) {
  (void)user;
  char *t = th_http_get(g.url, "/metrics", NULL);
  double r = sync_metric(t, "dtwin_sync_robot_message_rate_hz", "");
  double state = sync_metric(t, "dtwin_sync_state", "");
  free(t);
  /* 500 Hz at rtf 1; a loaded machine slows the robot, never speeds it up */
  return state == 1.0 && r > 50 && r < 1000;
}

static int setup(void **state) {
  (void)state;
  static const char *const twin[] = {"sim", "--quiet", "--duration", "280", NULL};
  static const char *const robot[] = {"sim", "--quiet", "--duration", "280",
                                      "--set", "sim.namespace=/robot",
                                      "--set", "sim.node_name=robot",
                                      "--set", "sim.publish_clock=false", NULL};
  static const char *const sync[] = {"sync", "--quiet", "--mode", "shadow", NULL};
  if (th_spawn(&g.proc[P_TWIN], "twin", twin) < 0 ||
      th_spawn(&g.proc[P_ROBOT], "robot", robot) < 0 ||
      th_spawn(&g.proc[P_SYNC], "sync", sync) < 0)
    return -1;
  char err[512];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
  opt.domain_id = th_domain();
  if (dtw_bus_create(&opt, &g.bus, err, sizeof err) < 0 ||
      dtw_bus_node_create(g.bus, "sync_shadow_test", "/", &g.node, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  dtw_sub_options_t so;
  dtw_sub_options_default(&so);
  so.qos = DTW_QOS_SENSOR_DATA;
  so.depth = 64;
  if (dtw_sub_create(g.node, "/robot/joint_states", DTW_TYPE_JOINT_STATE, &so, &g.robot_js, err,
                     sizeof err) < 0 ||
      dtw_sub_create(g.node, "/twin/joint_states", DTW_TYPE_JOINT_STATE, &so, &g.twin_js, err,
                     sizeof err) < 0 ||
      dtw_sub_create(g.node, "/sync/status", DTW_TYPE_DIAGNOSTIC_ARRAY, &so, &g.status, err,
                     sizeof err) < 0 ||
      dtw_pub_create(g.node, "/robot/set_state", DTW_TYPE_JOINT_STATE, DTW_QOS_DEFAULT,
                     &g.robot_set, err, sizeof err) < 0 ||
      dtw_client_create(g.node, "/sync/resync", DTW_SRV_TRIGGER, &g.resync, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  if ((g.url = th_url(sync_proc, WAIT_S)) == NULL) return -1;
  /* models load and DDS discovers within seconds, even under sanitizers */
  if (dtw_pub_wait_matched(g.robot_set, 1, WAIT_NS) < 0 ||
      dtw_sub_wait_matched(g.status, 1, WAIT_NS) < 0 ||
      dtw_client_wait_for_service(g.resync, WAIT_NS) < 0) {
    fprintf(stderr, "robot, twin or sync did not appear on the bus\n");
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  int rc = 0;
  /* th_stop also continues a robot left stopped by a failed test */
  for (int i = P_COUNT - 1; i >= 0; i--)
    if (th_stop(&g.proc[i], SIGINT, WAIT_S) < 0) rc = -1;
  dtw_bus_destroy(g.bus);
  return rc;
}

static void test_synced_without_fault(void **state) {
  (void)state;
  if (!wait_status("SYNCED", WAIT_NS)) th_log_dump(sync_proc, 40);
  assert_string_equal(g.diag.status[0].name, "sync: overall");
  assert_int_equal(g.diag.status[0].level, 0);
  assert_non_null(find_status("sync: left_leg"));
  assert_non_null(find_status("sync: feed"));
  assert_int_equal(find_status("sync: left_leg")->level, 0);
  /* readiness: both joint_states subscriptions have a publisher */
  long code = 0;
  free(th_http_get(g.url, "/readyz", &code));
  assert_int_equal(code, 200);
}

static void test_step_is_diverged(void **state) {
  (void)state;
  drain(g.robot_js);
  drain_status();
  robot_set_knee(0.3);
  /* the fault's time on the robot's clock: its first sample showing the step */
  assert_true(wait_joint(g.robot_js, "left_knee", 0.3, 0.05, WAIT_NS));
  double fault_stamp = dtw_time_to_s(g.js.stamp);
  char line[1024];
  if (!th_wait_log(sync_proc, "-> DIVERGED", WAIT_S, line, sizeof line))
    th_log_dump(sync_proc, 40);
  assert_non_null(strstr(line, "left_knee"));
  const char *p = strstr(line, "robot stamp ");
  assert_non_null(p);
  double detection_s = strtod(p + strlen("robot stamp "), NULL) - fault_stamp;
  print_message("knee step detected as DIVERGED %.0f ms after it (robot clock; diverged_hold_s "
                "0.2 on the sync node's)\n", detection_s * 1e3);
  /* not before the step (a few samples of slack: best effort may hide its first from us) */
  th_assert_range(detection_s, -0.01, INFINITY, "detection after the step, robot clock");
  assert_true(wait_status("DIVERGED", WAIT_NS));
  assert_int_equal(g.diag.status[0].level, 2);
  const dtw_diag_status_t *leg = find_status("sync: left_leg");
  assert_non_null(leg);
  assert_int_equal(leg->level, 2);
  assert_non_null(strstr(leg->message, "left_knee"));
  const dtw_diag_status_t *arm = find_status("sync: right_arm");
  assert_non_null(arm);
  assert_int_equal(arm->level, 0);
  /* the report's last keys are not cut off by the 16 values a status holds */
  assert_non_null(overall_value("state"));
  assert_non_null(overall_value("last_transition"));
  assert_non_null(overall_value("robot_publishers"));
}

static void test_resync_request_brings_twin_back(void **state) {
  (void)state;
  dtw_trigger_response_t resp;
  char err[256];
  drain_status();
  assert_int_equal(dtw_bus_call(g.resync, NULL, &resp, WAIT_NS, err, sizeof err), 0);
  print_message("resync: %s\n", resp.message);
  assert_true(resp.success);
  drain(g.twin_js);
  assert_true(wait_joint(g.twin_js, "left_knee", 0.3, 0.02, WAIT_NS));
  if (!th_wait_log(sync_proc, "DIVERGED -> SYNCED", WAIT_S, NULL, 0)) th_log_dump(sync_proc, 40);
  assert_true(th_wait_log(sync_proc, "re-sync (request)", WAIT_S, NULL, 0));
  assert_true(wait_status("SYNCED", WAIT_NS));
}

static void test_large_step_resyncs_by_threshold(void **state) {
  (void)state;
  drain_status();
  robot_set_knee(0.9);
  if (!th_wait_log(sync_proc, "re-sync (threshold)", WAIT_S, NULL, 0)) th_log_dump(sync_proc, 40);
  drain(g.twin_js);
  assert_true(wait_joint(g.twin_js, "left_knee", 0.9, 0.03, WAIT_NS));
  assert_true(wait_status("SYNCED", WAIT_NS));
}

typedef struct {
  const char *needle;
  int more_than;
} log_count_wait_t;

static bool log_count_above(void *user) {
  log_count_wait_t *w = user;
  return th_log_count(sync_proc, w->needle) > w->more_than;
}

static void test_silent_robot_is_stale_then_recovers(void **state) {
  (void)state;
  drain_status(); /* SYNCED now, not a queued status from before */
  assert_true(wait_status("SYNCED", WAIT_NS));
  log_count_wait_t stale_line = {"-> STALE", th_log_count(sync_proc, "-> STALE")};
  int64_t t0 = dtw_clock_mono_ns();
  assert_int_equal(kill(g.proc[P_ROBOT].pid, SIGSTOP), 0);
  int stale = wait_status("STALE", WAIT_NS);
  print_message("robot silent: STALE on /sync/status after %.0f ms\n",
                (double)(dtw_clock_mono_ns() - t0) / 1e6);
  assert_true(stale);
  /* the node's own account: silent for at least stale_timeout_s on its clock ("no robot
   * sample for 0.6 s"; "no matched robot sample for" if the robot's last samples could not
   * be matched, as when a loaded machine lets the twin run far ahead of it) */
  char line[1024];
  assert_true(th_wait_for(log_count_above, &stale_line, WAIT_S));
  assert_true(th_log_last(sync_proc, "-> STALE", line, sizeof line));
  const char *p = strstr(line, "robot sample for ");
  if (p == NULL) fail_msg("STALE without a silence: %s", line);
  double silent_s = strtod(p + strlen("robot sample for "), NULL);
  print_message("sync node: %s", strstr(line, "-> STALE"));
  th_assert_range(silent_s, STALE_TIMEOUT_S, INFINITY, "silence before STALE, sync clock");
  assert_int_equal(kill(g.proc[P_ROBOT].pid, SIGCONT), 0);
  t0 = dtw_clock_mono_ns();
  assert_true(wait_status("SYNCED", WAIT_NS));
  print_message("robot back: SYNCED after %.0f ms\n",
                (double)(dtw_clock_mono_ns() - t0) / 1e6);
  // back through DEGRADED: the silence is a feed gap, judged for one window
  assert_true(th_wait_log(sync_proc, "STALE -> DEGRADED: robot feed gap", WAIT_S, NULL, 0));
  assert_true(th_wait_log(sync_proc, "DEGRADED -> SYNCED", WAIT_S, NULL, 0));
}

static void test_metrics(void **state) {
  (void)state;
  assert_true(th_wait_for(synced_and_flowing, NULL, WAIT_S));
  char *t = th_http_get(g.url, "/metrics", NULL);
  assert_non_null(t);
  assert_true(sync_metric(t, "dtwin_sync_state", "") == 1.0);
  assert_true(sync_metric(t, "dtwin_sync_state_info", "state=\"SYNCED\"") == 1.0);
  assert_true(sync_metric(t, "dtwin_sync_state_info", "state=\"STALE\"") == 0.0);
  assert_true(sync_metric(t, "dtwin_sync_resyncs_total", "reason=\"request\"") == 1.0);
  assert_true(sync_metric(t, "dtwin_sync_resyncs_total", "reason=\"threshold\"") >= 1.0);
  assert_true(sync_metric(t, "dtwin_sync_transitions_total", "to=\"DIVERGED\"") >= 1.0);
  /* as many as the log has (one is ours; a starved robot may add one) */
  double stale = sync_metric(t, "dtwin_sync_transitions_total", "to=\"STALE\"");
  assert_true(stale >= 1.0);
  th_assert_near(stale, th_log_count(sync_proc, "-> STALE"), 0, "STALE transitions vs the log");
  assert_true(sync_metric(t, "dtwin_sync_position_error_radians", "joint=\"left_knee\"") >= 0.0);
  assert_true(sync_metric(t, "dtwin_sync_position_error_rms_radians", "group=\"left_leg\"") >= 0.0);
  print_message("robot rate %.1f Hz\n", sync_metric(t, "dtwin_sync_robot_message_rate_hz", ""));
  assert_true(sync_metric(t, "dtwin_sync_latency_seconds_count", "") > 100);
  assert_true(sync_metric(t, "dtwin_messages_published_total", "topic=\"/twin/set_state\"") >= 2.0);
  assert_true(sync_metric(t, "dtwin_messages_received_total", "topic=\"/robot/joint_states\"") >
              100);
  assert_true(sync_metric(t, "dtwin_messages_refused_total",
                          "topic=\"/robot/joint_states\",reason=\"size\"") == 0.0);
  free(t);
  assert_int_equal(th_log_count(sync_proc, "ERROR"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_synced_without_fault),
      cmocka_unit_test(test_step_is_diverged),
      cmocka_unit_test(test_resync_request_brings_twin_back),
      cmocka_unit_test(test_large_step_resyncs_by_threshold),
      cmocka_unit_test(test_silent_robot_is_stale_then_recovers),
      cmocka_unit_test(test_metrics),
  };
  return th_finish(cmocka_run_group_tests(tests, setup, teardown));
}
