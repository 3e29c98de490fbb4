/* dtwin sync in shadow mode, over DDS on loopback, with real processes: a
 * twin (`dtwin sim`), a stand-in robot (a second `dtwin sim` in /robot, both
 * holding their initial pose) and `dtwin sync`. The test moves the robot's
 * left knee behind the twin's back (/robot/set_state: the robot then holds
 * there) and checks, in order:
 *   - a 0.3 rad step is DIVERGED naming left_knee, detected within 500 ms of
 *     the step measured on the robot's own clock (its stamps), /sync/status
 *     says so (overall ERROR, group left_leg ERROR naming the knee);
 *   - /sync/resync re-syncs the twin (twin knee -> 0.3) and the state goes
 *     back to SYNCED;
 *   - a further 0.6 rad step (to 0.9; > resync_threshold_rad 0.5) is re-synced by threshold;
 *   - a robot that stops publishing (SIGSTOP) is STALE within
 *     stale_timeout_s (+ one tick), and SYNCED again once it resumes;
 *   - the metrics and readiness on the sync node's HTTP endpoint. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "dtw/bus.h"
#include "dtw/clock.h"
#include "dtw/msgs.h"

#define SEC INT64_C(1000000000)
enum { P_TWIN, P_ROBOT, P_SYNC, P_COUNT };

static struct {
  pid_t pid[P_COUNT];
  char log[P_COUNT][80];
  bool robot_stopped;
  dtw_bus_t *bus;
  dtw_bus_node_t *node;
  dtw_sub_t *robot_js, *twin_js, *status;
  dtw_pub_t *robot_set;
  dtw_client_t *resync;
  dtw_joint_state_msg_t js;
  dtw_diag_array_t diag;
  char url[128];
} g;

static pid_t spawn(int which, const char *const *args) {
  const char *dtwin = getenv("DTWIN");
  char *argv[40];
  size_t n = 0;
  argv[n++] = (char *)dtwin;
  for (; args[n - 1] != NULL && n < 39; n++) argv[n] = (char *)args[n - 1];
  argv[n] = NULL;
  snprintf(g.log[which], sizeof g.log[which], "/tmp/dtw_sync_shadow_%d_%d.log", (int)getpid(),
           which);
  pid_t pid = fork();
  if (pid == 0) {
    FILE *f = freopen(g.log[which], "w", stderr);
    (void)f;
    dup2(STDERR_FILENO, STDOUT_FILENO);
    execv(dtwin, argv);
    _exit(127);
  }
  g.pid[which] = pid;
  return pid;
}

/* The first log line of process `which` containing needle (and after
 * skipping `skip` such lines), waiting up to timeout; 1 if found. */
static int wait_log(int which, const char *needle, int skip, int64_t timeout_ns, char *line,
                    size_t cap) {
  int64_t end = dtw_clock_mono_ns() + timeout_ns;
  char buf[2048];
  do {
    FILE *f = fopen(g.log[which], "r");
    int seen = 0;
    while (f != NULL && fgets(buf, sizeof buf, f)) {
      if (strstr(buf, needle) == NULL || seen++ < skip) continue;
      if (line) {
        size_t n = strnlen(buf, cap - 1);
        memcpy(line, buf, n);
        line[n] = '\0';
      }
      fclose(f);
      return 1;
    }
    if (f) fclose(f);
    dtw_clock_sleep_ns(SEC / 50);
  } while (dtw_clock_mono_ns() < end);
  return 0;
}

static int count_log(int which, const char *needle) {
  FILE *f = fopen(g.log[which], "r");
  char buf[2048];
  int n = 0;
  while (f != NULL && fgets(buf, sizeof buf, f)) n += strstr(buf, needle) != NULL;
  if (f) fclose(f);
  return n;
}

static void dump_log(int which) {
  char cmd[200];
  snprintf(cmd, sizeof cmd, "tail -n 40 %s >&2", g.log[which]);
  if (system(cmd) != 0) {}
}

/* Newest /sync/status within timeout whose overall message is `state`. */
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

/* Prometheus text from the sync node's endpoint (NULL-terminated, static). */
static const char *scrape(const char *path) {
  static char text[1 << 17];
  char cmd[256];
  snprintf(cmd, sizeof cmd, "curl -s -m 5 -w '\\nHTTP %%{http_code}\\n' %s%s", g.url, path);
  FILE *p = popen(cmd, "r");
  size_t n = p ? fread(text, 1, sizeof text - 1, p) : 0;
  text[n] = '\0';
  if (p) pclose(p);
  return text;
}

static double metric(const char *text, const char *series) {
  const char *p = strstr(text, series);
  if (p == NULL) return NAN;
  return strtod(p + strlen(series), NULL);
}

static int setup(void **state) {
  (void)state;
  if (getenv("DTWIN") == NULL) return -1;
  static const char *const twin[] = {"sim", "--quiet", "--duration", "300",
                                     "--set", "dtwin.http_port=0", NULL};
  static const char *const robot[] = {"sim", "--quiet", "--duration", "300",
                                      "--set", "dtwin.http_port=0",
                                      "--set", "sim.namespace=/robot",
                                      "--set", "sim.node_name=robot",
                                      "--set", "sim.publish_clock=false", NULL};
  static const char *const sync[] = {"sync", "--quiet", "--mode", "shadow",
                                     "--set", "dtwin.http_port=0", NULL};
  spawn(P_TWIN, twin);
  spawn(P_ROBOT, robot);
  spawn(P_SYNC, sync);
  char err[512];
  dtw_bus_options_t opt;
  dtw_bus_options_default(&opt);
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
  char line[512];
  if (!wait_log(P_SYNC, "metrics and health at ", 0, 60 * SEC, line, sizeof line)) {
    fprintf(stderr, "dtwin sync did not start\n");
    dump_log(P_SYNC);
    return -1;
  }
  const char *u = strstr(line, "http://");
  snprintf(g.url, sizeof g.url, "%.*s", (int)strcspn(u, " \n"), u);
  /* models load and DDS discovers within seconds, even under sanitizers */
  if (dtw_pub_wait_matched(g.robot_set, 1, 60 * SEC) < 0 ||
      dtw_sub_wait_matched(g.status, 1, 60 * SEC) < 0 ||
      dtw_client_wait_for_service(g.resync, 30 * SEC) < 0) {
    fprintf(stderr, "robot, twin or sync did not appear on the bus\n");
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  int ok = 1;
  if (g.robot_stopped) kill(g.pid[P_ROBOT], SIGCONT);
  for (int i = P_COUNT - 1; i >= 0; i--) {
    int status = -1;
    if (g.pid[i] <= 0) continue;
    kill(g.pid[i], SIGINT);
    waitpid(g.pid[i], &status, 0);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      fprintf(stderr, "process %d did not stop cleanly on SIGINT (status %d); its log:\n", i,
              status);
      dump_log(i);
      ok = 0;
    }
  }
  if (ok && getenv("DTW_KEEP_LOGS") == NULL)
    for (int i = 0; i < P_COUNT; i++) unlink(g.log[i]);
  dtw_bus_destroy(g.bus);
  return ok ? 0 : -1;
}

static void test_synced_without_fault(void **state) {
  (void)state;
  if (!wait_status("SYNCED", 60 * SEC)) dump_log(P_SYNC);
  assert_string_equal(g.diag.status[0].name, "sync: overall");
  assert_int_equal(g.diag.status[0].level, 0);
  assert_non_null(find_status("sync: left_leg"));
  assert_non_null(find_status("sync: feed"));
  assert_int_equal(find_status("sync: left_leg")->level, 0);
  /* readiness: both joint_states subscriptions have a publisher */
  assert_non_null(strstr(scrape("/readyz"), "HTTP 200"));
}

static void test_step_is_diverged_within_500ms(void **state) {
  (void)state;
  drain(g.robot_js);
  robot_set_knee(0.3);
  /* the fault's time on the robot's clock: its first sample showing the step */
  assert_true(wait_joint(g.robot_js, "left_knee", 0.3, 0.05, 10 * SEC));
  double fault_stamp = dtw_time_to_s(g.js.stamp);
  char line[1024];
  if (!wait_log(P_SYNC, "-> DIVERGED", 0, 10 * SEC, line, sizeof line)) dump_log(P_SYNC);
  assert_non_null(strstr(line, "left_knee"));
  const char *p = strstr(line, "robot stamp ");
  assert_non_null(p);
  double detect_stamp = strtod(p + strlen("robot stamp "), NULL);
  double detection_s = detect_stamp - fault_stamp;
  print_message("knee step detected as DIVERGED %.0f ms after it (robot clock)\n",
                detection_s * 1e3);
  assert_true(detection_s >= 0.15); /* diverged_hold_s 0.2 minus a sample or two */
  assert_true(detection_s < 0.5);
  assert_true(wait_status("DIVERGED", 5 * SEC));
  assert_int_equal(g.diag.status[0].level, 2);
  const dtw_diag_status_t *leg = find_status("sync: left_leg");
  assert_non_null(leg);
  assert_int_equal(leg->level, 2);
  assert_non_null(strstr(leg->message, "left_knee"));
  const dtw_diag_status_t *arm = find_status("sync: right_arm");
  assert_non_null(arm);
  assert_int_equal(arm->level, 0);
}

static void test_resync_request_brings_twin_back(void **state) {
  (void)state;
  dtw_trigger_response_t resp;
  char err[256];
  assert_int_equal(dtw_bus_call(g.resync, NULL, &resp, 5 * SEC, err, sizeof err), 0);
  print_message("resync: %s\n", resp.message);
  assert_true(resp.success);
  drain(g.twin_js);
  assert_true(wait_joint(g.twin_js, "left_knee", 0.3, 0.02, 5 * SEC));
  if (!wait_log(P_SYNC, "DIVERGED -> SYNCED", 0, 10 * SEC, NULL, 0)) dump_log(P_SYNC);
  assert_true(wait_log(P_SYNC, "re-sync (request)", 0, 1 * SEC, NULL, 0));
  assert_true(wait_status("SYNCED", 5 * SEC));
}

static void test_large_step_resyncs_by_threshold(void **state) {
  (void)state;
  robot_set_knee(0.9);
  if (!wait_log(P_SYNC, "re-sync (threshold)", 0, 10 * SEC, NULL, 0)) dump_log(P_SYNC);
  drain(g.twin_js);
  assert_true(wait_joint(g.twin_js, "left_knee", 0.9, 0.03, 5 * SEC));
  assert_true(wait_status("SYNCED", 10 * SEC));
}

static void test_silent_robot_is_stale_then_recovers(void **state) {
  (void)state;
  assert_true(wait_status("SYNCED", 10 * SEC));
  int64_t t0 = dtw_clock_mono_ns();
  assert_int_equal(kill(g.pid[P_ROBOT], SIGSTOP), 0);
  g.robot_stopped = true;
  int stale = wait_status("STALE", 10 * SEC);
  double stale_after_s = (double)(dtw_clock_mono_ns() - t0) / 1e9;
  print_message("robot silent: STALE after %.0f ms (stale_timeout_s 0.5, status every 0.1 s)\n",
                stale_after_s * 1e3);
  /* 0.5 s + one tick; slack for the status to travel on a loaded machine */
  assert_true(stale);
  assert_true(stale_after_s >= 0.45);
  assert_true(stale_after_s < 1.5);
  dtw_clock_sleep_ns(SEC);
  assert_int_equal(kill(g.pid[P_ROBOT], SIGCONT), 0);
  g.robot_stopped = false;
  t0 = dtw_clock_mono_ns();
  assert_true(wait_status("SYNCED", 15 * SEC));
  print_message("robot back: SYNCED after %.0f ms\n",
                (double)(dtw_clock_mono_ns() - t0) / 1e6);
  assert_true(wait_log(P_SYNC, "-> STALE", 0, SEC, NULL, 0));
  assert_true(wait_log(P_SYNC, "STALE -> SYNCED", 0, SEC, NULL, 0));
}

static void test_metrics(void **state) {
  (void)state;
  dtw_clock_sleep_ns(SEC * 3 / 2); /* the rate window (1 s) is past the silence */
  const char *t = scrape("/metrics");
  const char *node = "node=\"/synchronization_node\"";
  char series[256];
  snprintf(series, sizeof series, "dtwin_sync_state{%s} ", node);
  assert_true(metric(t, series) == 1.0);
  snprintf(series, sizeof series, "dtwin_sync_state_info{%s,state=\"SYNCED\"} ", node);
  assert_true(metric(t, series) == 1.0);
  snprintf(series, sizeof series, "dtwin_sync_state_info{%s,state=\"STALE\"} ", node);
  assert_true(metric(t, series) == 0.0);
  snprintf(series, sizeof series, "dtwin_sync_resyncs_total{%s,reason=\"request\"} ", node);
  assert_true(metric(t, series) == 1.0);
  snprintf(series, sizeof series, "dtwin_sync_resyncs_total{%s,reason=\"threshold\"} ", node);
  assert_true(metric(t, series) >= 1.0);
  snprintf(series, sizeof series, "dtwin_sync_transitions_total{%s,to=\"DIVERGED\"} ", node);
  assert_true(metric(t, series) >= 1.0);
  snprintf(series, sizeof series, "dtwin_sync_transitions_total{%s,to=\"STALE\"} ", node);
  assert_true(metric(t, series) == 1.0);
  snprintf(series, sizeof series, "dtwin_sync_position_error_radians{%s,joint=\"left_knee\"} ",
           node);
  assert_true(metric(t, series) >= 0.0);
  snprintf(series, sizeof series, "dtwin_sync_position_error_rms_radians{%s,group=\"left_leg\"} ",
           node);
  assert_true(metric(t, series) >= 0.0);
  snprintf(series, sizeof series, "dtwin_sync_robot_message_rate_hz{%s} ", node);
  double rate = metric(t, series);
  print_message("robot rate %.1f Hz\n", rate);
  assert_true(rate > 100 && rate < 1000); /* 500 Hz at rtf 1; loaded machines lag */
  snprintf(series, sizeof series, "dtwin_sync_latency_seconds_count{%s} ", node);
  assert_true(metric(t, series) > 100);
  snprintf(series, sizeof series,
           "dtwin_messages_published_total{%s,topic=\"/twin/set_state\"} ", node);
  assert_true(metric(t, series) >= 2.0);
  snprintf(series, sizeof series,
           "dtwin_messages_received_total{%s,topic=\"/robot/joint_states\"} ", node);
  assert_true(metric(t, series) > 100);
  snprintf(series, sizeof series,
           "dtwin_messages_refused_total{%s,topic=\"/robot/joint_states\",reason=\"size\"} ", node);
  assert_true(metric(t, series) == 0.0);
  assert_int_equal(count_log(P_SYNC, "ERROR"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_synced_without_fault),
      cmocka_unit_test(test_step_is_diverged_within_500ms),
      cmocka_unit_test(test_resync_request_brings_twin_back),
      cmocka_unit_test(test_large_step_resyncs_by_threshold),
      cmocka_unit_test(test_silent_robot_is_stale_then_recovers),
      cmocka_unit_test(test_metrics),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
